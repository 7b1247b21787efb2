"""Creating and changing accounts, checking credentials, and loading the account of a session."""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from consult.accounts.models import Role, User
from consult.database import write_transaction
from consult.errors import Conflict, InvalidInput, NotFound
from consult.extensions import db

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


def create_user(email: str, password: str, role: Role | str, name: str = "") -> User:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise InvalidInput(_("%(email)r is not an e-mail address", email=email), field="email")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            _("the password needs at least %(min)d characters", min=MIN_PASSWORD),
            field="password",
        )
    role = _role(role)
    with write_transaction(db.session) as session:
        if session.scalar(User.by_email(email)) is not None:
            raise Conflict(_("an account for %(email)s already exists", email=email), field="email")
        user = User(email=email, name=name.strip(), role=role)
        user.set_password(password)
        session.add(user)
    return user


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(_("role must be one of %(roles)s", roles=roles), field="role") from None


def _account(session: Session, email: str) -> User:
    user = session.scalar(User.by_email(email))
    if user is None:
        raise NotFound(_("there is no account for %(email)s", email=email.strip().lower()))
    return user


def all_accounts() -> list[User]:
    """Every staff account, admins first, then by e-mail address."""
    order = [Role.ADMIN, Role.SUPPORT, Role.STEERING, Role.HOST]
    accounts = db.session.scalars(select(User).order_by(User.email))
    return sorted(accounts, key=lambda u: order.index(u.role))


def _refuse_own(actor: User | None, user: User, message: str) -> None:
    """The web page's rule: an admin never demotes or disables their own account, so the admin
    doing it is always left (the command line has no account, so no ``actor``)."""
    if actor is not None and actor.id == user.id:
        raise Conflict(message)


def set_role(email: str, role: Role | str, *, actor: User | None = None) -> Role:
    """Give the account another role (from its next request on); returns the role it had.

    ``actor`` (the signed-in admin, from the web page) may not change their own role. The
    change and its audit-log entry are written in one transaction; an unchanged role writes
    neither."""
    from consult.security.audit import record_in

    role = _role(role)
    with write_transaction(db.session) as session:
        user = _account(session, email)
        previous = user.role
        if previous != role:
            _refuse_own(
                actor,
                user,
                _(
                    "You cannot change the role of your own account: another admin has to, "
                    "so there is always an admin left."
                ),
            )
            user.role = role
            record_in(
                session,
                "accounts.set_role",
                target=user.email,
                details={"from": previous.value, "to": role.value},
            )
    return previous


def set_active(email: str, active: bool, *, actor: User | None = None) -> bool:
    """Enable or disable the account; returns whether it was active. ``actor`` (the signed-in
    admin, from the web page) may not disable their own account.

    A disabled account cannot sign in, and its sessions end: their version no longer matches
    (``session_user``), so they stay ended when the account is enabled again. The change and its
    audit-log entry are written in one transaction; an unchanged account writes neither."""
    from consult.security.audit import record_in

    with write_transaction(db.session) as session:
        user = _account(session, email)
        was_active = user.active
        if was_active != active:
            if not active:
                _refuse_own(
                    actor,
                    user,
                    _(
                        "You cannot disable your own account: another admin has to, "
                        "so there is always an admin left."
                    ),
                )
            user.active = active
            if not active:
                user.session_version += 1
            record_in(
                session,
                "accounts.enable" if active else "accounts.disable",
                target=user.email,
                details={"role": user.role.value},
            )
    return was_active


def session_user(session_id: str) -> User | None:
    """The account of a session (Flask-Login's user loader): its user id is "ID:VERSION"
    (``User.get_id``); a bare "ID", from before session versions, is version 0. None for an
    unknown or disabled account, or an ended session."""
    user_id, _sep, version = session_id.partition(":")
    version = version or "0"
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for unknown e-mail or bad
    password, and the password hash is checked either way so timing does not tell them apart)."""
    user = db.session.scalar(User.by_email(email or ""))
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash("consult-dummy-password")
