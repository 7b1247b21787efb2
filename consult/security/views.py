"""Security pages: audit log (admins), suspicious bursts and invitations (Support Unit), and the
participant's own data (download, delete) and invitation code."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.accounts.roles import role_required
from consult.consultations.models import Phase
from consult.consultations.services import get_consultation, get_phase_by_id
from consult.errors import ConsultError
from consult.extensions import db
from consult.participation import identity
from consult.security import bursts, invitations, privacy
from consult.security.models import AuditEntry

bp = Blueprint("security", __name__)

PER_PAGE = 100


# --- audit log (admins) -------------------------------------------------------------------------


@bp.get("/admin/audit")
@role_required(Role.ADMIN)
def audit_log():
    before = request.args.get("before", type=int)
    action = request.args.get("action", "").strip()
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PER_PAGE)
    if before:
        query = query.where(AuditEntry.id < before)
    if action:
        query = query.where(AuditEntry.action.contains(action))
    entries = list(db.session.scalars(query))
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    return render_template(
        "security/audit.html",
        entries=entries,
        total=total,
        action=action,
        older=entries[-1].id if len(entries) == PER_PAGE else None,
        as_json=lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True),
    )


# --- suspicious bursts (Support Unit) -----------------------------------------------------------


def _open_phases() -> list[Phase]:
    return list(db.session.scalars(select(Phase).order_by(Phase.consultation_id, Phase.position)))


@bp.get("/moderation/bursts", endpoint="bursts")
@role_required(Role.SUPPORT)
def bursts_page():
    phases = _open_phases()
    phase_id = request.args.get("phase", type=int) or (phases[0].id if phases else None)
    phase = next((p for p in phases if p.id == phase_id), None)
    return render_template(
        "security/bursts.html",
        phases=phases,
        phase=phase,
        found=bursts.find_bursts(phase) if phase else [],
        quarantined=bursts.quarantined_groups(phase) if phase else [],
    )


def _phase_from_form() -> Phase:
    raw = request.form.get("phase_id", "")
    if not raw.isdigit():
        abort(404)
    return get_phase_by_id(int(raw))


@bp.post("/moderation/bursts/quarantine")
@role_required(Role.SUPPORT)
def quarantine():
    phase = _phase_from_form()
    try:
        n = bursts.quarantine_burst(
            phase, request.form.get("burst", ""), current_user, request.form.get("reason", "")
        )
    except ConsultError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The votes of %(n)d participants are left out of the analysis.", n=n), "success")
    return redirect(url_for(".bursts", phase=phase.id))


@bp.post("/moderation/bursts/release")
@role_required(Role.SUPPORT)
def release():
    phase = _phase_from_form()
    n = bursts.release_burst(phase, request.form.get("burst", ""), current_user)
    flash(_("The votes of %(n)d participants count again.", n=n), "success")
    return redirect(url_for(".bursts", phase=phase.id))


# --- invitations (Support Unit) -----------------------------------------------------------------


@bp.route("/c/<slug>/invitations", methods=["GET", "POST"], endpoint="invitations")
@role_required(Role.SUPPORT)
def invitations_page(slug: str):
    consultation = get_consultation(slug)
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            if action in ("enable", "disable"):
                invitations.set_invite_only(consultation, action == "enable")
                flash(
                    _("Only invited participants may take part now.")
                    if action == "enable"
                    else _("Everyone may take part now."),
                    "success",
                )
            elif action == "add":
                xids = invitations.parse_xids(request.form.get("xids", ""))
                n = invitations.add_invitations(consultation, xids)
                flash(_("%(n)d new invitations.", n=n), "success")
            elif action == "remove":
                n = invitations.remove_invitations(consultation, request.form.getlist("xid"))
                flash(_("%(n)d invitations removed.", n=n), "success")
            else:
                raise ConsultError(_("Choose what to do."))
        except ConsultError as exc:
            flash(exc.message, "error")
            status = 422
        else:
            return redirect(url_for(".invitations", slug=slug))
    return (
        render_template(
            "security/invitations.html",
            consultation=consultation,
            enabled=invitations.invite_only(consultation.id),
            invited=invitations.invitations(consultation),
        ),
        status,
    )


def _safe_next(target: str | None, default: str) -> str:
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.post("/c/<slug>/join")
def join(slug: str):
    """A browser enters its invitation code (xid) for an invitation-only consultation."""
    consultation = get_consultation(slug)
    back = _safe_next(
        request.form.get("next"), url_for("consultations.consultation", slug=consultation.slug)
    )
    try:
        participant, token = invitations.join(
            consultation, request.form.get("xid", ""), request.form.get("xid_signature")
        )
    except ConsultError as exc:
        flash(exc.message, "error")
        return redirect(back)
    g.participant = participant
    g.participant_cookie = identity._serializer().dumps(token)
    flash(_("Welcome: your invitation is accepted, you may take part now."), "success")
    return redirect(back)


# --- the participant's own data -----------------------------------------------------------------


def _me():
    participant = identity.current_participant()
    if participant is None:
        abort(404)
    return participant


@bp.get("/my-input/data.json")
def my_data():
    body = json.dumps(privacy.export(_me()), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-consult-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/my-input/delete", methods=["GET", "POST"])
def delete_me():
    participant = _me()
    if request.method == "GET":
        return render_template("security/delete_me.html")
    summary = privacy.delete_participant(participant)
    g.participant = None
    response = redirect(url_for("reports.my_input"))
    response.delete_cookie(identity.COOKIE_NAME)
    flash(
        _(
            "Your data is deleted: %(votes)d votes removed; %(removed)d statements removed; "
            "%(kept)d published statements kept without any link to you.",
            votes=summary.votes,
            removed=summary.statements_deleted,
            kept=summary.statements_kept_anonymous,
        ),
        "success",
    )
    return response
