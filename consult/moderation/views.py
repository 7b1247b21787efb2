"""Moderation queue pages for the Support Unit (htmx: decisions swap rows in place).

Also the statement pages where the Support Unit corrects a statement's language and where the
Support Unit or a community host enters translations.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.accounts.models import Role
from consult.accounts.roles import role_required
from consult.consultations.models import Phase
from consult.errors import ConsultError
from consult.extensions import db
from consult.i18n import LANGUAGES, STATEMENT_LANGUAGES, language_name
from consult.moderation import services
from consult.participation import translations
from consult.participation.models import Moderation, Statement

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

DECISIONS = {"accept": Moderation.ACCEPTED, "reject": Moderation.REJECTED}


def _phase_filter() -> int | None:
    value = request.values.get("phase", "")
    return int(value) if value.isdigit() else None


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def language_choices(statement: Statement | None = None) -> list[str]:
    """Codes offered in the language menus: the usual ones, the consultation's, the current."""
    codes = list(STATEMENT_LANGUAGES)
    extra = []
    if statement is not None:
        extra = [*(statement.phase.consultation.languages or ()), statement.language or ""]
    return codes + [c for c in dict.fromkeys(extra) if c and c not in codes]


def translation_targets(statement: Statement) -> list[str]:
    """Languages a statement can be translated into: interface and consultation languages."""
    wanted = [*LANGUAGES, *(statement.phase.consultation.languages or ())]
    return [c for c in dict.fromkeys(wanted) if c != statement.language]


@bp.get("/")
@role_required(Role.SUPPORT)
def queue():
    phase_id = _phase_filter()
    return render_template(
        "moderation/queue.html",
        statements=services.queue(phase_id),
        phases=services.phases_with_pending(),
        phase_id=phase_id,
        reasons=services.REJECTION_REASONS,
        language_choices=language_choices,
        translation_targets=translation_targets,
    )


@bp.post("/decide")
@role_required(Role.SUPPORT)
def decide():
    action = request.form.get("action", "")
    ids = [int(i) for i in request.form.getlist("statement_ids") if i.isdigit()]
    reason = request.form.get("reason_text") or request.form.get("reason", "")
    htmx = _is_htmx()
    single = request.form.get("single") == "1"
    try:
        if action not in DECISIONS:
            raise ConsultError(_("Choose Accept or Reject."))
        statements = services.decide(ids, DECISIONS[action], current_user, reason)
    except ConsultError as exc:
        if htmx and single:
            return render_template("moderation/_row_error.html", error=exc.message, ids=ids), 422
        flash(exc.message, "error")
        return redirect(url_for(".queue", phase=_phase_filter()))
    accepted = action == "accept"
    if htmx and single:
        done = _("Accepted") if accepted else _("Rejected")
        return render_template("moderation/_row_done.html", statement=statements[0], done=done)
    n = len(statements)
    if accepted:
        message = ngettext("%(num)d statement accepted.", "%(num)d statements accepted.", n)
    else:
        message = ngettext("%(num)d statement rejected.", "%(num)d statements rejected.", n)
    flash(message, "success")
    return redirect(url_for(".queue", phase=_phase_filter()))


# --- languages and translations ----------------------------------------------------------------


def _statement_page(statement: Statement, *, error: str | None = None, status: int = 200):
    return (
        render_template(
            "moderation/statement.html",
            statement=statement,
            choices=language_choices(statement),
            targets=translation_targets(statement),
            error=error,
        ),
        status,
    )


def _back(statement: Statement):
    target = request.form.get("next", "")
    if target == "queue":
        return redirect(url_for(".queue", phase=_phase_filter()))
    return redirect(url_for(".statement_page", statement_id=statement.id))


@bp.get("/statements/<int:statement_id>")
@role_required(Role.SUPPORT, Role.HOST)
def statement_page(statement_id: int):
    return _statement_page(translations.get_statement(statement_id))


@bp.post("/statements/<int:statement_id>/language")
@role_required(Role.SUPPORT)
def set_language(statement_id: int):
    statement = translations.get_statement(statement_id)
    try:
        translations.set_statement_language(statement, request.form.get("language"))
    except ConsultError as exc:
        if _is_htmx():
            return render_template(
                "moderation/_language_form.html",
                s=statement,
                choices=language_choices(statement),
                error=exc.message,
            ), 422
        flash(exc.message, "error")
        return _back(statement)
    message = _("Language set to %(language)s.", language=language_name(statement.language))
    if _is_htmx():
        return render_template(
            "moderation/_language_form.html",
            s=statement,
            choices=language_choices(statement),
            message=message,
        )
    flash(message, "success")
    return _back(statement)


@bp.post("/statements/<int:statement_id>/translations")
@role_required(Role.SUPPORT, Role.HOST)
def save_translation(statement_id: int):
    statement = translations.get_statement(statement_id)
    try:
        saved = translations.save_translation(
            statement, request.form.get("language"), request.form.get("text"), current_user
        )
    except ConsultError as exc:
        if _is_htmx():
            return render_template(
                "moderation/_translations.html",
                statement=statement,
                targets=translation_targets(statement),
                error=exc.message,
            ), 422
        flash(exc.message, "error")
        return _back(statement)
    if saved is None:
        message = _("Translation removed.")
    else:
        message = _("Translation saved.")
    if _is_htmx():
        return render_template(
            "moderation/_translations.html",
            statement=statement,
            targets=translation_targets(statement),
            message=message,
        )
    flash(message, "success")
    return _back(statement)


@bp.get("/translations")
@role_required(Role.SUPPORT, Role.HOST)
def translations_index():
    """A phase's statements with their language and translations: where hosts start."""
    phases = list(
        db.session.scalars(
            select(Phase)
            .options(selectinload(Phase.consultation))
            .order_by(Phase.consultation_id, Phase.position)
        )
    )
    phase_id = _phase_filter() or (phases[0].id if phases else None)
    statements = []
    if phase_id is not None:
        statements = list(
            db.session.scalars(
                select(Statement)
                .options(selectinload(Statement.translations))
                .where(
                    Statement.phase_id == phase_id,
                    Statement.moderation != Moderation.REJECTED,
                )
                .order_by(Statement.id)
            )
        )
    return render_template(
        "moderation/translations.html",
        phases=phases,
        phase_id=phase_id,
        statements=statements,
    )
