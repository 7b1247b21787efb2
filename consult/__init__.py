"""Consult: co-create a strategy with the public. ``create_app`` builds the Flask application."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from consult.config import PROJECT_ROOT, instance_path, load_config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints, error handlers, commands."""
    app = Flask(
        __name__,
        instance_path=str(instance_path()),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(load_config())
    if config:
        app.config.from_mapping(config)
    register_extensions(app)
    register_models()
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security(app)
    return app


def register_extensions(app: Flask) -> None:
    from flask_babel import gettext

    from consult import i18n
    from consult.accounts.services import session_user
    from consult.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    # Translated when flashed (the msgid is in the catalogue through consult.web's 401 page).
    login_manager.login_message = "Please sign in to see that page."
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"

    # Every request loads its account afresh: a role change applies at the next request, and a
    # disabled account's sessions end there.
    login_manager.user_loader(session_user)

    from consult.web import register_template_helpers

    register_template_helpers(app)
    i18n.init_app(app)


def register_models() -> None:
    """Import every package's models so the metadata (and Alembic) sees all tables."""
    import consult.analysis.jobs  # noqa: F401  (registers the recompute job handler)
    import consult.analysis.models  # noqa: F401
    import consult.jobs.models  # noqa: F401
    import consult.maps.jobs  # noqa: F401  (map extras job; new snapshots request it)
    import consult.maps.models  # noqa: F401
    import consult.notes.models  # noqa: F401
    import consult.reports.models  # noqa: F401
    import consult.responses.models  # noqa: F401
    import consult.security.models  # noqa: F401
    import consult.themes.jobs  # noqa: F401  (theme refresh job; statement changes request it)
    import consult.themes.models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from consult.accounts.views import bp as accounts
    from consult.analysis.views import bp as analysis
    from consult.api.views import bp as api
    from consult.consultations.views import bp as consultations
    from consult.extensions import csrf
    from consult.moderation.views import bp as moderation
    from consult.notes.views import bp as notes
    from consult.participation.identity import set_participant_cookie
    from consult.participation.views import bp as participation

    csrf.exempt(api)  # bearer tokens, never cookies: no cross-site request can carry them
    for blueprint in (consultations, participation, analysis, moderation, notes, accounts, api):
        app.register_blueprint(blueprint)
    from consult.themes.views import bp as themes

    app.register_blueprint(themes)
    from consult.maps.views import bp as maps

    app.register_blueprint(maps)
    from consult.reports.views import bp as reports
    from consult.responses.views import bp as responses

    app.register_blueprint(responses)
    app.register_blueprint(reports)
    from consult.jobs.views import bp as jobs

    app.register_blueprint(jobs)
    from consult.accounts.admin import bp as account_admin

    app.register_blueprint(account_admin)
    app.after_request(set_participant_cookie)


def register_errorhandlers(app: Flask) -> None:
    from consult.web import register_error_pages

    register_error_pages(app)


def register_security(app: Flask) -> None:
    """Access matrix, rate limits, security headers, audit log: after blueprints and commands."""
    from consult import security

    security.init_app(app)


def register_commands(app: Flask) -> None:
    from consult.accounts.commands import create_user_command, user_group
    from consult.analysis.commands import analyze_command
    from consult.consultations.commands import phase_group
    from consult.consultations.translation_commands import translate_group
    from consult.demo.commands import demo_group
    from consult.notes.commands import import_notes_command
    from consult.polis.commands import export_polis_command, import_polis_command

    for command in (
        create_user_command,
        user_group,
        analyze_command,
        phase_group,
        translate_group,
        demo_group,
        import_polis_command,
        export_polis_command,
        import_notes_command,
    ):
        app.cli.add_command(command)
    from consult.themes.commands import themes_command

    app.cli.add_command(themes_command)
    from consult.maps.commands import maps_group

    app.cli.add_command(maps_group)
    from consult.reports.commands import report_group

    app.cli.add_command(report_group)
    from consult.jobs.commands import jobs_group, worker_command
    from consult.production.commands import copy_command, serve_command

    for command in (serve_command, worker_command, jobs_group):
        app.cli.add_command(command)
    app.cli.commands["db"].add_command(copy_command)
