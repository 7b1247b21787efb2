"""The phase page: one statement at a time, Agree / Disagree / Pass, and adding a statement."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from consult.accounts.models import Role
from consult.consultations.services import get_phase
from consult.errors import ConsultError
from consult.i18n import current_language
from consult.participation import services
from consult.participation.identity import current_participant, ensure_participant
from consult.participation.models import VoteValue
from consult.participation.routing import phase_priorities
from consult.participation.translations import shown_statement

bp = Blueprint("participation", __name__, url_prefix="/c/<slug>/phase/<int:position>")


def vote_label(value: VoteValue) -> str:
    """The button's word for a vote, in the reader's language."""
    labels = {
        VoteValue.AGREE: _("Agree"),
        VoteValue.DISAGREE: _("Disagree"),
        VoteValue.PASS: _("Pass"),
    }
    return labels[value]


def _visible_phase(slug: str, position: int):
    from flask_login import current_user

    phase = get_phase(slug, position)
    if not phase.is_public and not (
        current_user.is_authenticated and current_user.has_role(Role.SUPPORT, Role.STEERING)
    ):
        abort(404)
    return phase


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _card_context(phase, *, message: str | None = None, error: str | None = None) -> dict:
    participant = current_participant()
    if phase.accepts_input():
        statement, progress = services.next_card(
            phase, participant, priorities=phase_priorities(phase.id)
        )
    else:
        statement, progress = None, services.progress(phase, participant)
    shown = None
    if statement is not None:
        shown = shown_statement(statement, current_language(), phase.consultation.default_language)
    return {
        "phase": phase,
        "consultation": phase.consultation,
        "statement": statement,
        "shown": shown,
        "progress": progress,
        "message": message,
        "error": error,
    }


@bp.get("/")
def phase_page(slug: str, position: int):
    phase = _visible_phase(slug, position)
    return render_template(
        "participation/phase.html",
        **_card_context(phase),
        text_min=services.TEXT_MIN,
        text_max=services.TEXT_MAX,
    )


@bp.post("/vote")
def vote(slug: str, position: int):
    phase = _visible_phase(slug, position)
    message = error = None
    try:
        value = VoteValue.parse(request.form.get("vote", ""))
        statement_id = int(request.form.get("statement_id", ""))
        services.record_vote(phase, ensure_participant(), statement_id, value)
        message = _("Your vote “%(vote)s” was recorded.", vote=vote_label(value))
    except ValueError as exc:
        if "vote must be" in str(exc):
            error = _(
                "The vote must be agree, disagree or pass, not “%(word)s”.",
                word=request.form.get("vote", ""),
            )
        else:
            error = _("That vote could not be read.")
    except ConsultError as exc:
        error = exc.message
    if not _is_htmx():
        flash(error or message, "error" if error else "success")
        return redirect(url_for(".phase_page", slug=slug, position=position))
    response = render_template(
        "participation/_statement_card.html", **_card_context(phase, message=message, error=error)
    )
    return response, (200 if not error else 422), {"Vary": "HX-Request"}


@bp.post("/statements")
def add_statement(slug: str, position: int):
    phase = _visible_phase(slug, position)
    text = request.form.get("text", "")
    try:
        statement = services.add_statement(phase, ensure_participant(), text)
    except ConsultError as exc:
        if not _is_htmx():
            flash(exc.message, "error")
            return redirect(url_for(".phase_page", slug=slug, position=position))
        return (
            render_template(
                "participation/_statement_form.html",
                phase=phase,
                text=text,
                error=exc.message,
                text_min=services.TEXT_MIN,
                text_max=services.TEXT_MAX,
            ),
            422,
            {"Vary": "HX-Request"},
        )
    if phase.strict_moderation:
        message = _(
            "Thank you! Your statement was received; it will be shown to others once a "
            "moderator has accepted it."
        )
    else:
        message = _("Thank you! Your statement is now part of the conversation.")
    if not _is_htmx():
        flash(message, "success")
        return redirect(url_for(".phase_page", slug=slug, position=position))
    return (
        render_template(
            "participation/_statement_form.html",
            phase=phase,
            text="",
            message=message,
            submitted=statement,
            text_min=services.TEXT_MIN,
            text_max=services.TEXT_MAX,
        ),
        200,
        {"Vary": "HX-Request"},
    )
