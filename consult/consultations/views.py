"""Public pages: the list of consultations and a consultation's home with its phases."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from consult.accounts.models import Role
from consult.consultations import services

bp = Blueprint("consultations", __name__)


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.SUPPORT, Role.STEERING)


@bp.get("/")
def home():
    consultations = services.list_consultations(include_drafts=_is_staff())
    return render_template("home.html", consultations=consultations)


@bp.get("/c/<slug>/")
def consultation(slug: str):
    consultation = services.get_consultation(slug)
    phases = [p for p in consultation.phases if p.is_public or _is_staff()]
    if not phases:
        abort(404)
    return render_template("consultation.html", consultation=consultation, phases=phases)
