"""Sign in and sign out for staff accounts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from consult.accounts.forms import LoginForm
from consult.accounts.models import Role
from consult.accounts.services import authenticate

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def role_name(role: str) -> str:
    """A staff role as a word of the reader's language."""
    names = {
        "admin": _("admin"),
        "support": _("Support Unit"),
        "host": _("host"),
        "steering": _("Steering Committee"),
    }
    return names.get(role, role)


def landing_page() -> str:
    """Where a signed-in user starts: the work their role is for."""
    if current_user.has_role(Role.SUPPORT):
        return url_for("moderation.queue")
    return url_for("consultations.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(landing_page())
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        from consult.security import limits

        email = form.email.data or ""
        locked = limits.login_locked(email)
        if locked is not None:  # the password is not even checked while locked
            form.password.errors.append(locked.message())
            page = render_template("accounts/login.html", form=form)
            return page, 429, {"Retry-After": str(locked.seconds)}
        user = authenticate(email, form.password.data)
        if user is not None:
            limits.login_succeeded(email)
            login_user(user)
            flash(
                _(
                    "Signed in as %(name)s (%(role)s).",
                    name=user.display_name,
                    role=role_name(user.role.value),
                ),
                "success",
            )
            return redirect(_safe_next(request.args.get("next")) or landing_page())
        locked = limits.login_failed(email)
        if locked is not None:
            from consult.security.audit import record

            record(
                "accounts.lockout",
                target=email.strip().lower()[:254],
                outcome="refused",
                details={"scope": locked.scope, "seconds": locked.seconds},
            )
            form.password.errors.append(locked.message())
            page = render_template("accounts/login.html", form=form)
            return page, 429, {"Retry-After": str(locked.seconds)}
        form.password.errors.append(_("E-mail or password is not right."))
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("Signed out."), "success")
    return redirect(url_for("consultations.home"))
