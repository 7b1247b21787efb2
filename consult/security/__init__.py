"""Security and privacy: access matrix, abuse limits, browser hardening, audit log, own data."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the security layer into an app whose blueprints are already registered."""
    from consult.security import access, audit, headers, limits, settings
    from consult.security.views import bp

    settings.configure(app)
    app.register_blueprint(bp)
    # The access table is checked before any other before_request hook that could answer first.
    app.before_request_funcs.setdefault(None, []).insert(0, access.enforce)
    headers.init_app(app)
    limits.init_app(app)
    audit.init_app(app)

    @app.context_processor
    def invitation_helpers():
        from consult.security.invitations import may_take_part

        def invitation_needed(consultation) -> bool:
            from consult.participation.identity import current_participant

            return not may_take_part(consultation.id, current_participant())

        return {"invitation_needed": invitation_needed}
