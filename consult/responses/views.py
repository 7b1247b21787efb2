"""Support Unit pages: answer themes and statements, keep the strategy outline, see the audit.

htmx: "Respond" swaps a theme's row for its form; saving swaps the row back (200) or returns the
form with the message (422). Without JavaScript the same forms post and redirect.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from consult.accounts.models import Role
from consult.accounts.roles import role_required
from consult.consultations.services import get_phase
from consult.errors import ConsultError
from consult.extensions import db
from consult.participation.models import Moderation, Statement
from consult.reports.records import phase_themes
from consult.responses import services
from consult.responses.models import Decision
from consult.responses.outline import parse_sections
from consult.themes.labels import theme_label_text

bp = Blueprint("responses", __name__, url_prefix="/c/<slug>/phase/<int:position>/responses")


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _statement_texts(phase_id: int, ids) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Statement.id, Statement.text).where(
            Statement.phase_id == phase_id, Statement.id.in_(wanted)
        )
    )
    return {sid: text for sid, text in rows}


def _decisions() -> dict[Decision, str]:
    """Each decision with its name in the reader's language, in the order of the form."""
    return {d: d.label for d in Decision}


def _row_context(phase, theme, response, sections, texts) -> dict:
    return {
        "phase": phase,
        "consultation": phase.consultation,
        "theme": theme,
        "response": response,
        "sections": sections,
        "texts": texts,
        "decisions": _decisions(),
        "settings": services.settings_for(phase.id),
    }


@bp.get("/")
@role_required(Role.SUPPORT, Role.STEERING)
def index(slug: str, position: int):
    phase = get_phase(slug, position)
    themes = phase_themes(phase)
    answered = services.theme_responses(phase.id)
    by_statement = services.statement_responses(phase.id)
    examples = {sid for t in themes for sid in t.statement_ids[:3]}
    texts = _statement_texts(phase.id, examples | set(by_statement))
    accepted = db.session.execute(
        select(Statement.id, Statement.text)
        .where(Statement.phase_id == phase.id, Statement.moderation == Moderation.ACCEPTED)
        .order_by(Statement.id)
    ).all()
    return render_template(
        "responses/index.html",
        phase=phase,
        consultation=phase.consultation,
        themes=themes,
        answered=answered,
        by_statement=by_statement,
        texts=texts,
        accepted=accepted,
        sections=services.outline_sections(phase.id),
        outline=services.latest_outline(phase.id),
        decisions=_decisions(),
        settings=services.settings_for(phase.id),
        can_edit=current_user.has_role(Role.SUPPORT),
    )


def _theme(phase, theme_id: str):
    for theme in phase_themes(phase):
        if theme.id == theme_id:
            return theme
    abort(404)


@bp.get("/theme/<theme_id>/edit")
@role_required(Role.SUPPORT)
def edit_theme(slug: str, position: int, theme_id: str):
    phase = get_phase(slug, position)
    theme = _theme(phase, theme_id)
    response = services.theme_responses(phase.id).get(theme_id)
    context = _row_context(
        phase,
        theme,
        response,
        services.outline_sections(phase.id),
        _statement_texts(phase.id, theme.statement_ids[:3]),
    )
    template = "responses/_response_form.html" if _htmx() else "responses/edit.html"
    return render_template(template, **context, values=None, error=None)


@bp.get("/theme/<theme_id>/row")
@role_required(Role.SUPPORT)
def theme_row(slug: str, position: int, theme_id: str):
    phase = get_phase(slug, position)
    theme = _theme(phase, theme_id)
    response = services.theme_responses(phase.id).get(theme_id)
    return render_template(
        "responses/_theme_row.html",
        **_row_context(
            phase,
            theme,
            response,
            services.outline_sections(phase.id),
            _statement_texts(phase.id, theme.statement_ids[:3]),
        ),
        can_edit=True,
    )


def _form_values() -> dict:
    return {
        "decision": request.form.get("decision", ""),
        "rationale": request.form.get("rationale", ""),
        "sections": request.form.getlist("sections"),
        "publish": request.form.get("action") == "publish",
    }


@bp.post("/theme/<theme_id>")
@role_required(Role.SUPPORT)
def save_theme(slug: str, position: int, theme_id: str):
    phase = get_phase(slug, position)
    themes = phase_themes(phase)
    theme = next((t for t in themes if t.id == theme_id), None)
    if theme is None:
        abort(404)
    values = _form_values()
    sections = services.outline_sections(phase.id)
    texts = _statement_texts(phase.id, theme.statement_ids[:3])
    try:
        response = services.save_response(
            phase,
            current_user,
            theme_id=theme_id,
            decision=values["decision"],
            rationale=values["rationale"],
            section_keys=values["sections"],
            publish=values["publish"],
            known_theme_ids={t.id for t in themes},
        )
    except ConsultError as exc:
        context = _row_context(phase, theme, None, sections, texts)
        context["response"] = services.theme_responses(phase.id).get(theme_id)
        template = "responses/_response_form.html" if _htmx() else "responses/edit.html"
        return render_template(template, **context, values=values, error=exc), 422
    if _htmx():
        return render_template(
            "responses/_theme_row.html",
            **_row_context(phase, theme, response, sections, texts),
            can_edit=True,
            saved=True,
        )
    label = theme_label_text(theme.label)
    if response.state.value == "published":
        flash(_("Response to “%(label)s” saved (published).", label=label), "success")
    else:
        flash(_("Response to “%(label)s” saved (draft).", label=label), "success")
    return redirect(url_for(".index", slug=slug, position=position) + f"#theme-{theme_id}")


@bp.route("/statement", methods=["GET", "POST"])
@role_required(Role.SUPPORT)
def statement_response(slug: str, position: int):
    """Answer one statement (its own response overrides its theme's)."""
    phase = get_phase(slug, position)
    raw = request.values.get("statement_id", "")
    statement = db.session.get(Statement, int(raw)) if raw.isdigit() else None
    if statement is None or statement.phase_id != phase.id:
        flash(_("Choose a statement of this phase to answer."), "error")
        return redirect(url_for(".index", slug=slug, position=position))
    response = services.statement_responses(phase.id).get(statement.id)
    sections = services.outline_sections(phase.id)
    context = {
        "phase": phase,
        "consultation": phase.consultation,
        "statement": statement,
        "response": response,
        "sections": sections,
        "decisions": _decisions(),
    }
    if request.method == "GET":
        return render_template("responses/statement.html", **context, values=None, error=None)
    values = _form_values()
    try:
        services.save_response(
            phase,
            current_user,
            statement_id=statement.id,
            decision=values["decision"],
            rationale=values["rationale"],
            section_keys=values["sections"],
            publish=values["publish"],
        )
    except ConsultError as exc:
        return render_template("responses/statement.html", **context, values=values, error=exc), 422
    flash(_("Response to statement %(id)d saved.", id=statement.id), "success")
    return redirect(url_for(".index", slug=slug, position=position) + "#statements")


@bp.post("/<int:response_id>/withdraw")
@role_required(Role.SUPPORT)
def withdraw(slug: str, position: int, response_id: int):
    phase = get_phase(slug, position)
    response = services.get_response(phase.id, response_id)
    services.withdraw_response(response, current_user)
    if response.statement_id is not None:
        message = _("The response to statement %(id)s is a draft again.", id=response.statement_id)
    else:
        message = _("The response to theme %(id)s is a draft again.", id=response.theme_id)
    flash(message, "info")
    return redirect(url_for(".index", slug=slug, position=position))


@bp.route("/outline", methods=["GET", "POST"])
@role_required(Role.SUPPORT, Role.STEERING)
def outline(slug: str, position: int):
    phase = get_phase(slug, position)
    error = None
    text = None
    status = 200
    if request.method == "POST":
        if not current_user.has_role(Role.SUPPORT):
            abort(403)
        try:
            if request.form.get("mode") == "section":
                saved = services.add_section(
                    phase, request.form.get("title"), request.form.get("body"), current_user
                )
            else:
                text = request.form.get("markdown", "")
                saved = services.save_outline(phase, text, current_user)
        except ConsultError as exc:
            error, status = exc, 422
        else:
            flash(_("Strategy outline saved as version %(n)d.", n=saved.version), "success")
            return redirect(url_for(".outline", slug=slug, position=position))
    latest = services.latest_outline(phase.id)
    versions = services.outline_versions(phase.id)
    return (
        render_template(
            "responses/outline.html",
            phase=phase,
            consultation=phase.consultation,
            outline=latest,
            versions=versions,
            sections=parse_sections(latest.markdown) if latest else [],
            text=text if text is not None else (latest.markdown if latest else ""),
            error=error,
            can_edit=current_user.has_role(Role.SUPPORT),
        ),
        status,
    )


@bp.get("/audit")
@role_required(Role.SUPPORT, Role.STEERING)
def audit(slug: str, position: int):
    phase = get_phase(slug, position)
    return render_template(
        "responses/audit.html",
        phase=phase,
        consultation=phase.consultation,
        changes=services.audit_trail(phase.id),
        decisions={d.value: d.label for d in Decision},
        states={"draft": _("draft"), "published": _("published")},
    )
