"""Theme pages: curation for the Support Unit (htmx), duplicate hints while a participant types,
near-duplicate pairs for moderators."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from consult.accounts.models import Role
from consult.accounts.roles import role_required
from consult.consultations.services import get_consultation, get_phase
from consult.errors import ConsultError
from consult.jobs.models import JobState
from consult.jobs.services import latest_job
from consult.participation import services as participation
from consult.participation.identity import current_participant, ensure_participant
from consult.participation.models import Vote, VoteValue
from consult.participation.views import vote_label
from consult.themes import services
from consult.themes.jobs import KIND, enqueue_refresh, job_key
from consult.themes.labels import theme_label_text

bp = Blueprint("themes", __name__)
bp.add_app_template_filter(theme_label_text, "theme_label")


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


# --- curation (support role) ----------------------------------------------------------------


def _page_context(consultation, **extra) -> dict:
    view = services.current_themes(consultation)
    job = latest_job(KIND, job_key(consultation.id))
    return {
        "consultation": consultation,
        "view": view,
        "job": job,
        "running": job is not None and job.state in (JobState.QUEUED, JobState.RUNNING),
        "failed": job is not None and job.state == JobState.FAILED,
        "label_max": services.LABEL_MAX,
        "edit": None,
        "focus": None,
        "message": None,
        "error": None,
        **extra,
    }


@bp.get("/themes")
@role_required(Role.SUPPORT)
def index():
    from consult.consultations.services import list_consultations

    consultations = list_consultations(include_drafts=True)
    if len(consultations) == 1:
        return redirect(url_for(".page", slug=consultations[0].slug))
    return render_template("themes/index.html", consultations=consultations)


@bp.get("/c/<slug>/themes")
@role_required(Role.SUPPORT)
def page(slug: str):
    consultation = get_consultation(slug)
    edit = request.args.get("edit") or None
    return render_template("themes/page.html", **_page_context(consultation, edit=edit))


@bp.get("/c/<slug>/themes/<theme_id>/rename")
@role_required(Role.SUPPORT)
def rename_form(slug: str, theme_id: str):
    consultation = get_consultation(slug)
    view = services.current_themes(consultation)
    theme = view.theme(theme_id)
    if not _is_htmx():
        return redirect(url_for(".page", slug=slug, edit=theme_id, _anchor=f"theme-{theme_id}"))
    return render_template(
        "themes/_label_form.html",
        consultation=consultation,
        theme=theme,
        value=theme.label,
        label_max=services.LABEL_MAX,
        error=None,
    )


@bp.get("/c/<slug>/themes/<theme_id>/label")
@role_required(Role.SUPPORT)
def label(slug: str, theme_id: str):
    consultation = get_consultation(slug)
    theme = services.current_themes(consultation).theme(theme_id)
    if not _is_htmx():
        return redirect(url_for(".page", slug=slug, _anchor=f"theme-{theme_id}"))
    return render_template(
        "themes/_label.html", consultation=consultation, theme=theme, focus=theme_id
    )


def _after_edit(consultation, message: str, focus: str | None):
    """Answer an edit: enqueue the recompute, then show the themes as they now read."""
    try:
        enqueue_refresh(consultation.id)
    except Exception:  # the edit is stored and shown; the next refresh request retries
        from flask import current_app

        current_app.logger.exception("could not enqueue the theme refresh")
    if not _is_htmx():
        flash(message, "success")
        anchor = f"theme-{focus}" if focus else None
        return redirect(url_for(".page", slug=consultation.slug, _anchor=anchor))
    context = _page_context(consultation, message=message, focus=focus)
    return render_template("themes/_list_response.html", **context), 200, {"Vary": "HX-Request"}


def _edit_failed(consultation, exc: ConsultError, theme_id: str | None = None):
    if not _is_htmx():
        flash(exc.message, "error")
        anchor = f"theme-{theme_id}" if theme_id else None
        return redirect(url_for(".page", slug=consultation.slug, _anchor=anchor))
    context = _page_context(consultation, error=exc.message, focus=theme_id)
    return render_template("themes/_list_response.html", **context), 422, {"Vary": "HX-Request"}


@bp.post("/c/<slug>/themes/<theme_id>/rename")
@role_required(Role.SUPPORT)
def rename(slug: str, theme_id: str):
    consultation = get_consultation(slug)
    value = request.form.get("label", "")
    try:
        services.rename_theme(consultation, theme_id, value, current_user)
    except ConsultError as exc:
        if _is_htmx() and exc.field == "label":
            theme = services.current_themes(consultation).theme(theme_id)
            html = render_template(
                "themes/_label_form.html",
                consultation=consultation,
                theme=theme,
                value=value,
                label_max=services.LABEL_MAX,
                error=exc.message,
            )
            headers = {"HX-Retarget": f"#theme-label-{theme_id}", "HX-Reswap": "innerHTML"}
            return html, 422, headers
        return _edit_failed(consultation, exc, theme_id)
    label = " ".join(value.split())
    return _after_edit(consultation, _("Theme renamed “%(label)s”.", label=label), theme_id)


@bp.post("/c/<slug>/themes/<theme_id>/merge")
@role_required(Role.SUPPORT)
def merge(slug: str, theme_id: str):
    consultation = get_consultation(slug)
    other = request.form.get("other_id", "")
    try:
        view = services.current_themes(consultation)
        absorbed = theme_label_text(view.theme(other).label) if other else ""
        services.merge_themes(consultation, theme_id, other, current_user)
    except ConsultError as exc:
        return _edit_failed(consultation, exc, theme_id)
    message = _("“%(label)s” was merged into this theme.", label=absorbed)
    return _after_edit(consultation, message, theme_id)


@bp.post("/c/<slug>/themes/<theme_id>/split")
@role_required(Role.SUPPORT)
def split(slug: str, theme_id: str):
    consultation = get_consultation(slug)
    ids = [int(i) for i in request.form.getlist("statement_ids") if i.isdigit()]
    try:
        new_id = services.split_theme(
            consultation, theme_id, ids, current_user, request.form.get("label", "")
        )
    except ConsultError as exc:
        return _edit_failed(consultation, exc, theme_id)
    n = len(ids)
    message = ngettext(
        "%(num)d statement moved to a new theme.", "%(num)d statements moved to a new theme.", n
    )
    return _after_edit(consultation, message, new_id)


@bp.post("/c/<slug>/themes/move")
@role_required(Role.SUPPORT)
def move(slug: str):
    consultation = get_consultation(slug)
    raw = request.form.get("statement_id", "")
    target = request.form.get("theme_id", "")
    try:
        if not raw.isdigit():
            raise ConsultError(_("Choose a statement to move."))
        statement_id = int(raw)
        view = services.current_themes(consultation)
        label = theme_label_text(view.theme(target).label) if target else ""
        services.move_statement(consultation, statement_id, target, current_user)
    except ConsultError as exc:
        return _edit_failed(consultation, exc)
    message = _("Statement %(id)d moved to “%(label)s”.", id=statement_id, label=label)
    return _after_edit(consultation, message, target)


@bp.post("/c/<slug>/themes/refresh")
@role_required(Role.SUPPORT)
def refresh(slug: str):
    consultation = get_consultation(slug)
    enqueue_refresh(consultation.id, force=request.form.get("force") == "1")
    flash(_("The themes are being recomputed; reload this page in a moment."), "success")
    return redirect(url_for(".page", slug=slug))


# --- duplicate hint (participants) -----------------------------------------------------------


def _public_phase(slug: str, position: int):
    phase = get_phase(slug, position)
    staff = current_user.is_authenticated and current_user.has_role(Role.SUPPORT, Role.STEERING)
    if not phase.is_public and not staff:
        abort(404)
    return phase


@bp.post("/c/<slug>/phase/<int:position>/statements/similar")
def similar(slug: str, position: int):
    phase = _public_phase(slug, position)
    text = " ".join(request.form.get("text", "").split())
    hints = []
    if phase.accepts_input() and len(text) >= participation.TEXT_MIN:
        hints = services.similar_in_phase(phase, text[: participation.TEXT_MAX])
    votes = _my_votes([h.statement.id for h in hints])
    return (
        render_template("themes/_hints.html", phase=phase, hints=hints, votes=votes),
        200,
        {"Vary": "HX-Request", "Cache-Control": "no-store"},
    )


def _my_votes(statement_ids: list[int]) -> dict[int, str]:
    participant = current_participant()
    if participant is None or not statement_ids:
        return {}
    from sqlalchemy import select

    from consult.extensions import db

    rows = db.session.execute(
        select(Vote.statement_id, Vote.value).where(
            Vote.participant_id == participant.id, Vote.statement_id.in_(statement_ids)
        )
    ).all()
    return {sid: vote_label(VoteValue(value)) for sid, value in rows}


@bp.post("/c/<slug>/phase/<int:position>/statements/<int:statement_id>/hint-vote")
def hint_vote(slug: str, position: int, statement_id: int):
    phase = _public_phase(slug, position)
    error = message = None
    try:
        value = VoteValue.parse(request.form.get("vote", ""))
        participation.record_vote(phase, ensure_participant(), statement_id, value)
        message = _("Your vote “%(vote)s” was recorded.", vote=vote_label(value))
    except ValueError:
        error = _(
            "vote must be agree, disagree or pass, not %(word)s",
            word=repr(request.form.get("vote", "")),
        )
    except ConsultError as exc:
        error = exc.message
    if not _is_htmx():
        flash(error or message, "error" if error else "success")
        return redirect(url_for("participation.phase_page", slug=slug, position=position))
    from consult.extensions import db
    from consult.participation.models import Statement

    statement = db.session.get(Statement, statement_id)
    if statement is None or statement.phase_id != phase.id:
        abort(404)
    html = render_template(
        "themes/_hint_item.html",
        phase=phase,
        statement=statement,
        voted=_my_votes([statement_id]).get(statement_id),
        message=message,
        error=error,
    )
    return html, (200 if not error else 422), {"Vary": "HX-Request"}


# --- near-duplicate pairs (moderators) --------------------------------------------------------


@bp.get("/moderation/duplicates")
@role_required(Role.SUPPORT)
def queue_duplicates():
    value = request.args.get("phase", "")
    phase_id = int(value) if value.isdigit() else None
    found = services.queue_duplicates(phase_id)
    template = "themes/_queue_duplicates.html" if _is_htmx() else "themes/queue_duplicates.html"
    return render_template(template, found=found, phase_id=phase_id), 200, {"Vary": "HX-Request"}
