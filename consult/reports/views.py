"""Report pages: close screen (close, sign off, publish), the report, "what happened to my input".

The public sees published report versions only. Before publication the Support Unit and the
Steering Committee see the draft (marked as such) built from the frozen record and the
responses published so far.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from consult.accounts.models import Role
from consult.accounts.roles import role_required
from consult.consultations.models import PhaseState
from consult.consultations.services import get_phase
from consult.errors import ConsultError
from consult.i18n import LANGUAGES, current_language
from consult.participation.identity import current_participant
from consult.reports import render, services
from consult.reports.document import body_hash, split_body
from consult.reports.records import phase_themes
from consult.responses import services as responses
from consult.responses.models import Decision

bp = Blueprint("reports", __name__)

PHASE = "/c/<slug>/phase/<int:position>"
MIMETYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.SUPPORT, Role.STEERING)


def _document(phase, version: int | None):
    """(document, report or None): a published version, or the draft for staff."""
    if version is not None or services.latest_published(phase.id) is not None:
        if version is None and _is_staff() and request.args.get("draft") == "1":
            draft = services.draft_document(phase)
            if draft is not None:
                return draft, None
        report = services.get_published(phase.id, version)
        return services.load_document(report), report
    if not _is_staff():
        abort(404)
    draft = services.draft_document(phase)
    if draft is None:
        abort(404)
    return draft, None


def _version() -> int | None:
    raw = request.args.get("version", "")
    return int(raw) if raw.isdigit() else None


def _language() -> str:
    """The report's language: ``?lang=`` when it names one, else the reader's."""
    wanted = request.args.get("lang", "")
    return wanted if wanted in LANGUAGES else current_language()


@bp.get(PHASE + "/report")
def report_page(slug: str, position: int):
    phase = get_phase(slug, position)
    document, report = _document(phase, _version())
    return render_template(
        "reports/report_page.html",
        phase=phase,
        consultation=phase.consultation,
        report=report,
        versions=services.published_reports(phase.id),
        **render.render_page_context(document, current_language()),
    )


@bp.get(PHASE + "/report.<fmt>")
def report_download(slug: str, position: int, fmt: str):
    if fmt not in render.FORMATS:
        abort(404)
    phase = get_phase(slug, position)
    document, report = _document(phase, _version())
    lang = _language()
    body = render.cached_pdf(document, lang) if fmt == "pdf" else render.render(document, fmt, lang)
    suffix = f"v{report.version}" if report else "draft"
    if fmt in ("html", "pdf") and lang != render.DEFAULT_LANGUAGE:
        suffix += f"-{lang}"
    name = f"{slug}-phase-{position}-report-{suffix}.{fmt}"
    disposition = "inline" if fmt in ("html", "pdf") else "attachment"
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )


@bp.get("/reports/report.css")
def report_css():
    with force_locale(_language()):  # the printed page footer ("Page 1 of 9") is translated
        css = render_template("reports/_report.css")
    return Response(css, mimetype="text/css", headers={"Cache-Control": "max-age=3600"})


def _close_context(phase) -> dict:
    themes = phase_themes(phase)
    settings = responses.settings_for(phase.id)
    answered = responses.theme_responses(phase.id)
    draft = services.draft_document(phase)
    record = services.current_record(phase)
    sign_offs = services.sign_offs_for(phase.id, record.record_id) if record else []
    digest = body_hash(split_body(draft)) if draft else None
    return {
        "phase": phase,
        "consultation": phase.consultation,
        "themes": themes,
        "answered": answered,
        "settings": settings,
        "missing": services.missing_responses(phase, themes),
        "record": record,
        "draft": draft,
        "digest": digest,
        "sign_offs": sign_offs,
        "blockers": services.publish_blockers(phase) if record else [],
        "versions": services.published_reports(phase.id),
        "notes": services.close_notes(phase, record) if record else [],
        "close_status": services.close_status(phase),
        "is_steering": current_user.role == Role.STEERING,
        "is_support": current_user.has_role(Role.SUPPORT),
    }


@bp.get(PHASE + "/close")
@role_required(Role.SUPPORT, Role.STEERING)
def close_screen(slug: str, position: int):
    phase = get_phase(slug, position)
    return render_template("reports/close.html", **_close_context(phase))


@bp.post(PHASE + "/close")
@role_required(Role.SUPPORT)
def close(slug: str, position: int):
    """Close at once (no more input) and queue the freeze; the close screen follows the job."""
    phase = get_phase(slug, position)
    try:
        services.request_close(phase, current_user)
    except ConsultError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".close_screen", slug=slug, position=position))
    record = services.current_record(phase)
    if record is not None:  # the job already ran (CONSULT_JOBS_INLINE)
        flash(
            _(
                "Phase %(n)d is closed; its record %(record)s is frozen.",
                n=phase.position,
                record=record.content_hash[:12],
            ),
            "success",
        )
    elif phase.state == PhaseState.CLOSED:
        flash(_("Phase %(n)d is closed: it takes no more input.", n=phase.position), "success")
    return redirect(url_for(".close_screen", slug=slug, position=position))


@bp.post(PHASE + "/reopen")
@role_required(Role.SUPPORT)
def reopen(slug: str, position: int):
    phase = get_phase(slug, position)
    try:
        services.reopen_phase(phase, current_user)
    except ConsultError as exc:
        flash(_("Not reopened: %(reason)s.", reason=exc.message), "error")
    else:
        flash(
            _(
                "Phase %(n)d is open again and takes input. Close it again when it is done; the "
                "earlier record is kept.",
                n=phase.position,
            ),
            "success",
        )
    return redirect(url_for(".close_screen", slug=slug, position=position))


@bp.get(PHASE + "/close/state")
@role_required(Role.SUPPORT, Role.STEERING)
def close_state(slug: str, position: int):
    """Polled by the close screen while the record is frozen; reloads the page once it is."""
    phase = get_phase(slug, position)
    status = services.close_status(phase)
    response = Response(
        render_template(
            "reports/_close_state.html",
            phase=phase,
            consultation=phase.consultation,
            close_status=status,
            is_support=current_user.has_role(Role.SUPPORT),
        )
    )
    if status is None:
        response.headers["HX-Refresh"] = "true"
    return response


@bp.post(PHASE + "/settings")
@role_required(Role.SUPPORT)
def settings(slug: str, position: int):
    phase = get_phase(slug, position)
    try:
        responses.update_settings(
            phase,
            request.form.get("min_theme_size"),
            request.form.get("min_sign_offs"),
            current_user,
        )
    except ConsultError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Publishing requirements saved."), "success")
    return redirect(url_for(".close_screen", slug=slug, position=position))


@bp.post(PHASE + "/sign-off")
@role_required(Role.STEERING)
def sign_off(slug: str, position: int):
    phase = get_phase(slug, position)
    if current_user.role != Role.STEERING:
        abort(403)  # admins hold every role, but a sign-off speaks for the Steering Committee
    try:
        row = services.sign_off(phase, current_user, request.form.get("name"))
    except ConsultError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _(
                "Signed off as %(name)s (report %(report)s).",
                name=row.name,
                report=row.body_hash[:12],
            ),
            "success",
        )
    return redirect(url_for(".close_screen", slug=slug, position=position))


@bp.post(PHASE + "/publish")
@role_required(Role.SUPPORT)
def publish(slug: str, position: int):
    phase = get_phase(slug, position)
    try:
        report = services.publish(phase, current_user)
    except ConsultError as exc:
        for item in exc.detail or [exc.message]:
            flash(_("Not published: %(reason)s.", reason=item), "error")
        return redirect(url_for(".close_screen", slug=slug, position=position))
    flash(
        _(
            "Published version %(version)d of the phase %(n)d report.",
            version=report.version,
            n=position,
        ),
        "success",
    )
    return redirect(url_for(".report_page", slug=slug, position=position))


@bp.get("/my-input")
def my_input():
    participant = current_participant()
    items = services.participant_input(participant.id) if participant else []
    phases: dict[int, list] = {}
    for item in items:
        phases.setdefault(item.statement.phase_id, []).append(item)
    return render_template(
        "reports/my_input.html",
        participant=participant,
        groups=[(group[0].statement.phase, group) for group in phases.values()],
        PhaseState=PhaseState,
        themes_of=_live_themes,
        decision_label=lambda code: Decision(code).label,
        reason_text=_,
    )


def _live_themes(phase) -> dict[int, str]:
    """Statement → theme label for a phase without a published report (themes are public)."""
    return {sid: t.label for t in phase_themes(phase) for sid in t.statement_ids}
