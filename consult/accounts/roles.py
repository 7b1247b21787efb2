"""``role_required``: the server-side check that a route is used only by the roles it is for."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from consult.accounts.models import Role
from consult.extensions import login_manager


def role_required(*roles: Role) -> Callable:
    """Allow logged-in users holding one of ``roles`` (admins always); others get 401 or 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # read by the access-control tests
        return wrapped

    return decorator
