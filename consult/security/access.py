"""The access-control matrix: which identity may call which route, in one table.

Six identities: ``anonymous`` (no cookie, no token, not signed in), ``participant`` (a valid
participant cookie or bearer token), and the four staff roles ``host``, ``support``, ``steering``
and ``admin``. Every endpoint of the app is listed here (``"endpoint"`` or, where the methods
differ, ``"endpoint METHOD"``) with the identities it serves and the object-level rule that
narrows it further. ``tests/security/test_access_matrix.py`` walks the whole URL map as each
identity and fails on a route missing from this table or answering differently from it.

The table is also enforced at run time (``enforce``), on top of each view's own check: a route
that needs a staff role is refused to everyone else before its view runs, and a route missing
from the table is refused to everyone (fail closed) with an error in the log naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, request
from flask_login import current_user

ANONYMOUS = "anonymous"
PARTICIPANT = "participant"
HOST = "host"
SUPPORT = "support"
STEERING = "steering"
ADMIN = "admin"
IDENTITIES = (ANONYMOUS, PARTICIPANT, HOST, SUPPORT, STEERING, ADMIN)
STAFF = frozenset({HOST, SUPPORT, STEERING, ADMIN})


@dataclass(frozen=True)
class Access:
    """Who may call a route, and the object-level rule inside it (empty: none)."""

    allowed: frozenset[str]
    rule: str = ""

    @property
    def staff_only(self) -> bool:
        return self.allowed <= STAFF


def _a(*who: str, rule: str = "") -> Access:
    return Access(frozenset(who), rule)


EVERYONE = IDENTITIES
PUBLIC_PHASE = "draft phases: 404 except to support, steering and admin"
READERS = (SUPPORT, STEERING, ADMIN)  # Support Unit and Steering Committee (and admins)
SUPPORT_ONLY = (SUPPORT, ADMIN)
NOTES = (HOST, SUPPORT, ADMIN)
OWN_CONVERSATION = "hosts: only conversations they recorded (others: 404); support/admin: all"

ACCESS: dict[str, Access] = {
    # --- public pages -------------------------------------------------------------------------
    "static": _a(*EVERYONE),
    "consultations.home": _a(*EVERYONE, rule="consultations with only draft phases: staff only"),
    "consultations.consultation": _a(*EVERYONE, rule=PUBLIC_PHASE),
    "participation.phase_page": _a(*EVERYONE, rule=PUBLIC_PHASE),
    "participation.vote": _a(
        *EVERYONE,
        rule=PUBLIC_PHASE + "; creates a participant on first use; invitation-only "
        "consultations: invited xids only",
    ),
    "participation.add_statement": _a(*EVERYONE, rule="as participation.vote"),
    "themes.similar": _a(*EVERYONE, rule=PUBLIC_PHASE),
    "themes.hint_vote": _a(*EVERYONE, rule="as participation.vote"),
    "analysis.results": _a(*EVERYONE, rule=PUBLIC_PHASE),
    "notes.public_list": _a(*EVERYONE, rule=PUBLIC_PHASE),
    "notes.public_conversation": _a(*EVERYONE, rule=PUBLIC_PHASE),
    "notes.raw_notes": _a(*EVERYONE, rule="raw notes only where the host gave consent"),
    "reports.report_page": _a(
        *EVERYONE,
        rule="published versions only; drafts (before publication, or ?draft=1): "
        "support, steering and admin",
    ),
    "reports.report_download": _a(*EVERYONE, rule="as reports.report_page"),
    "reports.report_css": _a(*EVERYONE),
    "reports.my_input": _a(*EVERYONE, rule="shows the participant of this browser's cookie only"),
    "i18n.set_language": _a(*EVERYONE),
    "accounts.login": _a(*EVERYONE, rule="signed-in staff are sent to their start page"),
    "accounts.logout": _a(HOST, SUPPORT, STEERING, ADMIN),
    # --- the participant's own data and invitations -------------------------------------------
    "security.my_data": _a(PARTICIPANT, rule="the participant of this browser's cookie only"),
    "security.delete_me GET": _a(PARTICIPANT, rule="as security.my_data"),
    "security.delete_me POST": _a(PARTICIPANT, rule="as security.my_data"),
    "security.join": _a(*EVERYONE, rule="binds this browser to an invited xid"),
    # --- JSON API -----------------------------------------------------------------------------
    "api.openapi": _a(*EVERYONE),
    "api.list_consultations": _a(*EVERYONE, rule="non-draft phases only"),
    "api.get_phase": _a(*EVERYONE, rule="draft phases: 404"),
    "api.create_participant": _a(*EVERYONE, rule="with CONSULT_XID_SECRET: signed xids only"),
    "api.statement_disposition": _a(*EVERYONE, rule="accepted statements of public phases only"),
    "api.next_statement": _a(PARTICIPANT, rule="bearer token; the token's participant only"),
    "api.vote": _a(PARTICIPANT, rule="bearer token; invitation-only: invited xids only"),
    "api.add_statement": _a(PARTICIPANT, rule="as api.vote"),
    "api.my_input": _a(PARTICIPANT, rule="the token's participant only"),
    "api.my_data": _a(PARTICIPANT, rule="the token's participant only"),
    "api.delete_me": _a(PARTICIPANT, rule="the token's participant only"),
    # --- moderation (Support Unit) and translations (also hosts) -------------------------------
    "moderation.queue": _a(*SUPPORT_ONLY),
    "moderation.decide": _a(*SUPPORT_ONLY),
    "moderation.set_language": _a(*SUPPORT_ONLY),
    "moderation.statement_page": _a(*NOTES),
    "moderation.save_translation": _a(*NOTES),
    "moderation.translations_index": _a(*NOTES),
    "themes.queue_duplicates": _a(*SUPPORT_ONLY),
    "security.bursts": _a(*SUPPORT_ONLY),
    "security.quarantine": _a(*SUPPORT_ONLY),
    "security.release": _a(*SUPPORT_ONLY),
    "security.invitations GET": _a(*SUPPORT_ONLY),
    "security.invitations POST": _a(*SUPPORT_ONLY),
    # --- themes (Support Unit) -----------------------------------------------------------------
    "themes.index": _a(*SUPPORT_ONLY),
    "themes.page": _a(*SUPPORT_ONLY),
    "themes.label": _a(*SUPPORT_ONLY),
    "themes.rename_form": _a(*SUPPORT_ONLY),
    "themes.rename": _a(*SUPPORT_ONLY),
    "themes.merge": _a(*SUPPORT_ONLY),
    "themes.split": _a(*SUPPORT_ONLY),
    "themes.move": _a(*SUPPORT_ONLY),
    "themes.refresh": _a(*SUPPORT_ONLY),
    # --- community conversations (hosts: their own) --------------------------------------------
    "notes.index": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.new GET": _a(*NOTES),
    "notes.new POST": _a(*NOTES, rule="the conversation is recorded as the host's own"),
    "notes.conversation": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.edit GET": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.edit POST": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.upload": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.preview": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.candidate": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.edit_candidate_form": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.save_candidate": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.drop_candidate": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.link_candidate": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.merge": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.add": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.confirm": _a(*NOTES, rule=OWN_CONVERSATION),
    "notes.discard": _a(*NOTES, rule=OWN_CONVERSATION),
    # --- responses and reports -----------------------------------------------------------------
    "responses.index": _a(*READERS),
    "responses.audit": _a(*READERS),
    "responses.outline GET": _a(*READERS),
    "responses.outline POST": _a(*SUPPORT_ONLY),
    "responses.edit_theme": _a(*SUPPORT_ONLY),
    "responses.theme_row": _a(*SUPPORT_ONLY),
    "responses.save_theme": _a(*SUPPORT_ONLY),
    "responses.statement_response GET": _a(*SUPPORT_ONLY),
    "responses.statement_response POST": _a(*SUPPORT_ONLY),
    "responses.withdraw": _a(*SUPPORT_ONLY),
    "reports.close_screen": _a(*READERS),
    "reports.close_state": _a(*READERS),
    "reports.close": _a(*SUPPORT_ONLY),
    "reports.reopen": _a(*SUPPORT_ONLY),
    "reports.settings": _a(*SUPPORT_ONLY),
    "reports.publish": _a(*SUPPORT_ONLY),
    "reports.sign_off": _a(STEERING, rule="Steering Committee members only (not admins)"),
    # --- consensus maps (Steering Committee and Support Unit) ----------------------------------
    "maps.index": _a(*READERS),
    "maps.opinion_map": _a(*READERS),
    "maps.group_detail": _a(*READERS),
    "maps.map_download_svg": _a(*READERS),
    "maps.map_download_png": _a(*READERS),
    "maps.common_ground": _a(*READERS),
    "maps.bridging": _a(*READERS),
    "maps.robustness": _a(*READERS),
    "maps.extras_status": _a(*READERS),
    "maps.heatmap": _a(*READERS),
    "maps.heatmap_download_svg": _a(*READERS),
    "maps.heatmap_download_png": _a(*READERS),
    "maps.compare": _a(*READERS),
    # --- administration ------------------------------------------------------------------------
    "jobs.index": _a(*SUPPORT_ONLY),
    "jobs.retry": _a(*SUPPORT_ONLY),
    "security.audit_log": _a(ADMIN),
    "account_admin.index GET": _a(ADMIN),
    "account_admin.index POST": _a(ADMIN, rule="creates a staff account (services.create_user)"),
    "account_admin.set_role": _a(ADMIN, rule="not the admin's own account"),
    "account_admin.set_active": _a(ADMIN, rule="the admin's own account cannot be disabled"),
}

# Routes whose GET hands out data in bulk to staff: recorded in the audit log as exports.
EXPORTS = frozenset(
    {
        "reports.report_download",
        "maps.map_download_svg",
        "maps.map_download_png",
        "maps.heatmap_download_svg",
        "maps.heatmap_download_png",
    }
)


def lookup(endpoint: str | None, method: str) -> Access | None:
    """The table's entry for this endpoint and method (HEAD counts as GET)."""
    if endpoint is None:
        return None
    method = "GET" if method == "HEAD" else method
    return ACCESS.get(f"{endpoint} {method}") or ACCESS.get(endpoint)


def enforce() -> object | None:
    """before_request: refuse what the table refuses, before any view code runs."""
    endpoint = request.endpoint
    if endpoint is None or request.method == "OPTIONS":
        return None  # 404 / 405 from routing, or Flask's automatic OPTIONS answer
    access = lookup(endpoint, request.method)
    if access is None:
        current_app.logger.error(
            "route %s %s is not in the access table (consult/security/access.py): refused",
            request.method,
            endpoint,
        )
        abort(403)
    if not access.staff_only:
        return None  # public and participant routes check their object-level rules themselves
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            abort(401)
        from consult.extensions import login_manager

        return login_manager.unauthorized()
    if current_user.role.value not in access.allowed:
        abort(403)
    return None
