"""Creating accounts and checking credentials."""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from consult.accounts.models import Role, User
from consult.database import write_transaction
from consult.errors import Conflict, InvalidInput
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
    try:
        role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(_("role must be one of %(roles)s", roles=roles), field="role") from None
    with write_transaction(db.session) as session:
        if session.scalar(User.by_email(email)) is not None:
            raise Conflict(_("an account for %(email)s already exists", email=email), field="email")
        user = User(email=email, name=name.strip(), role=role)
        user.set_password(password)
        session.add(user)
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
