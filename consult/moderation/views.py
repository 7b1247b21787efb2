"""Moderation queue pages for the Support Unit (htmx: decisions swap rows in place)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from consult.accounts.models import Role
from consult.accounts.roles import role_required
from consult.errors import ConsultError
from consult.moderation import services
from consult.participation.models import Moderation

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

DECISIONS = {"accept": Moderation.ACCEPTED, "reject": Moderation.REJECTED}


def _phase_filter() -> int | None:
    value = request.values.get("phase", "")
    return int(value) if value.isdigit() else None


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
    )


@bp.post("/decide")
@role_required(Role.SUPPORT)
def decide():
    action = request.form.get("action", "")
    ids = [int(i) for i in request.form.getlist("statement_ids") if i.isdigit()]
    reason = request.form.get("reason_text") or request.form.get("reason", "")
    htmx = request.headers.get("HX-Request") == "true"
    single = request.form.get("single") == "1"
    try:
        if action not in DECISIONS:
            raise ConsultError("Choose Accept or Reject.")
        statements = services.decide(ids, DECISIONS[action], current_user, reason)
    except ConsultError as exc:
        if htmx and single:
            return render_template("moderation/_row_error.html", error=exc.message, ids=ids), 422
        flash(exc.message, "error")
        return redirect(url_for(".queue", phase=_phase_filter()))
    done = "accepted" if action == "accept" else "rejected"
    if htmx and single:
        return render_template("moderation/_row_done.html", statement=statements[0], done=done)
    flash(f"{len(statements)} statement{'s' if len(statements) != 1 else ''} {done}.", "success")
    return redirect(url_for(".queue", phase=_phase_filter()))
