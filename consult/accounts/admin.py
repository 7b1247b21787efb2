"""``/admin/accounts``: admins create staff accounts, change their role, disable and enable them.

Every change goes through the same services as ``consult create-user`` and ``consult user …``
(``consult.accounts.services``), with the signed-in admin as ``actor`` so that they cannot demote
or disable their own account. Role and enable/disable forms work as plain forms (redirect with a
message) and, with htmx, swap the account's table row and the status line in place.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from consult.accounts.forms import CreateAccountForm
from consult.accounts.models import Role, User
from consult.accounts.roles import role_required
from consult.accounts.services import MIN_PASSWORD, all_accounts, create_user, set_active, set_role
from consult.accounts.views import role_name
from consult.errors import ConsultError
from consult.extensions import db

bp = Blueprint("account_admin", __name__, url_prefix="/admin/accounts")


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _role_choices() -> list[tuple[str, str]]:
    return [(r.value, role_name(r.value)) for r in Role]


def _page(form: CreateAccountForm, status: int = 200):
    return (
        render_template(
            "accounts/admin.html",
            form=form,
            accounts=all_accounts(),
            roles=_role_choices(),
            min_password=MIN_PASSWORD,
        ),
        status,
    )


@bp.route("", methods=["GET", "POST"], endpoint="index")
@role_required(Role.ADMIN)
def index():
    form = CreateAccountForm()
    form.role.choices = [SelectChoice(value, label) for value, label in _role_choices()]
    if request.method == "GET":
        form.role.data = Role.HOST.value
        return _page(form)
    if not form.validate_on_submit():
        flash(_("The account was not created: see the form."), "error")
        return _page(form, 422)
    try:
        user = create_user(form.email.data, form.password.data, form.role.data, form.name.data)
    except ConsultError as exc:
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None:
            field.errors = [*field.errors, exc.message]
        flash(_("The account was not created: %(reason)s", reason=exc.message), "error")
        return _page(form, 422)
    flash(
        _(
            "Account %(email)s created with the role %(role)s. Give its first password to the "
            "person yourself, by a safe channel.",
            email=user.email,
            role=role_name(user.role.value),
        ),
        "success",
    )
    return redirect(url_for(".index"))


def _account(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _answer(user: User, message: str, error: bool, focus: str, status: int = 200):
    """htmx: the account's row and the status line; otherwise a message and the page again."""
    if _is_htmx():
        db.session.expire_all()  # the row as stored, whatever the service left in the session
        html = render_template(
            "accounts/_account_row.html",
            account=db.session.get(User, user.id),
            roles=_role_choices(),
            message=message,
            error=error,
            oob_status=True,
            focus=focus,
        )
        return html, status
    flash(message, "error" if error else "success")
    return redirect(url_for(".index") + f"#account-{user.id}")


@bp.post("/<int:user_id>/role", endpoint="set_role")
@role_required(Role.ADMIN)
def set_role_view(user_id: int):
    user = _account(user_id)
    email, role = user.email, request.form.get("role", "")
    try:
        previous = set_role(email, role, actor=current_user)
    except ConsultError as exc:
        return _answer(user, exc.message, True, "role", 422)
    if previous.value == role:
        message = _(
            "%(email)s already has the role %(role)s: nothing changed.",
            email=email,
            role=role_name(role),
        )
    else:
        message = _(
            "%(email)s now has the role %(role)s, from its next request on.",
            email=email,
            role=role_name(role),
        )
    return _answer(user, message, False, "role")


@bp.post("/<int:user_id>/active", endpoint="set_active")
@role_required(Role.ADMIN)
def set_active_view(user_id: int):
    user = _account(user_id)
    email, wanted = user.email, request.form.get("active", "")
    if wanted not in ("0", "1"):
        return _answer(
            user, _("Choose whether to disable or enable the account."), True, "active", 422
        )
    active = wanted == "1"
    try:
        was_active = set_active(email, active, actor=current_user)
    except ConsultError as exc:
        return _answer(user, exc.message, True, "active", 422)
    if was_active == active:
        message = (
            _("%(email)s is already enabled: nothing changed.", email=email)
            if active
            else _("%(email)s is already disabled: nothing changed.", email=email)
        )
    elif active:
        message = _("%(email)s is enabled: it can sign in again.", email=email)
    else:
        message = _(
            "%(email)s is disabled: it cannot sign in, and its sessions have ended.", email=email
        )
    return _answer(user, message, False, "active")
