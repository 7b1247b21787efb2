"""The audit log: every administrative action, from the web or the command line, as one row.

Web: every state-changing request (POST…) of a signed-in staff member and every staff export
(report and map downloads) is recorded after it ran, with its outcome ("ok", or "refused" when
the view answered an error or flashed one). Command line: every command except the read-only
and server ones. Entries are inserted through their own connection, so a request's own
transaction never carries them, and nothing in Consult updates or deletes them. Role changes and
disabling or enabling an account (``consult user …`` or ``/admin/accounts``) also write an entry
of their own, with the value they replaced, in the change's own transaction (``record_in``), so
neither is ever stored without the other.
"""

from __future__ import annotations

import functools
import getpass
from typing import Any

import click
from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import insert, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from consult.database import utcnow
from consult.security.access import EXPORTS
from consult.security.models import AuditEntry

# Requests that are not administrative actions.
SKIP_ENDPOINTS = frozenset({"accounts.login", "accounts.logout", "i18n.set_language", "static"})
# Commands that change nothing (or run servers), and the account commands (their services
# record each change with it): not recorded here.
SKIP_COMMANDS = frozenset(
    {
        "run",
        "shell",
        "routes",
        "serve",
        "worker",
        "db",
        "phase list",
        "report verify",
        "jobs list",
        "security audit",
        "user",
    }
)
SECRET_FIELDS = ("csrf_token", "password", "token", "secret", "signature")
MAX_VALUE = 500


def _clip(value: str) -> str:
    return value if len(value) <= MAX_VALUE else value[: MAX_VALUE - 1] + "…"


def entry(
    action: str,
    *,
    target: str = "",
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    actor_id: int | None = None,
    actor_role: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """One audit-log row: the signed-in staff member, or the command line's OS user, as actor."""
    if channel is None:
        channel = "web" if has_request_context() else "cli"
    if actor is None:
        if has_request_context() and current_user.is_authenticated:
            actor, actor_id, actor_role = (
                current_user.email,
                current_user.id,
                current_user.role.value,
            )
        elif channel == "cli":
            actor = f"command line ({_os_user()})"
        else:
            actor = "anonymous"
    return {
        "at": utcnow(),
        "actor_id": actor_id,
        "actor": actor[:300],
        "actor_role": actor_role,
        "channel": channel,
        "action": action[:120],
        "target": target[:500],
        "outcome": outcome,
        "details": details or {},
    }


def record(action: str, **fields: Any) -> None:
    """Append one entry to the audit log (its own connection and transaction)."""
    from consult.extensions import db

    with db.engine.begin() as connection:
        connection.execute(insert(AuditEntry), entry(action, **fields))


def record_in(db_session: Session, action: str, **fields: Any) -> None:
    """Append one entry in the caller's transaction: written with the change it describes, or
    not at all."""
    db_session.execute(insert(AuditEntry), entry(action, **fields))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown user"


def _form_details() -> dict[str, Any]:
    form: dict[str, Any] = {}
    for key in request.form:
        if any(secret in key.lower() for secret in SECRET_FIELDS):
            continue
        values = [_clip(v) for v in request.form.getlist(key)]
        form[key] = values[0] if len(values) == 1 else values
    details: dict[str, Any] = {"method": request.method}
    if form:
        details["form"] = form
    if request.files:
        details["files"] = [
            {"field": key, "filename": _clip(f.filename or "")}
            for key, f in request.files.items(multi=True)
        ]
    if request.args:
        details["args"] = {k: _clip(v) for k, v in request.args.items()}
    return details


def _error_flashes_since_start() -> list[str]:
    flashes = session.get("_flashes") or []
    new = flashes[g.get("audit_flashes_before", 0) :]
    return [message for category, message in new if category == "error"]


def init_app(app: Flask) -> None:
    @app.before_request
    def _count_flashes() -> None:
        if current_user.is_authenticated:
            g.audit_flashes_before = len(session.get("_flashes") or [])

    @app.after_request
    def _audit_request(response):
        endpoint = request.endpoint
        if endpoint is None or endpoint in SKIP_ENDPOINTS:
            return response
        try:
            authenticated = current_user.is_authenticated
        except SQLAlchemyError:  # the database went away: the error page is already the answer
            return response
        if not authenticated:
            return response
        changing = request.method not in ("GET", "HEAD", "OPTIONS")
        export = request.method == "GET" and endpoint in EXPORTS
        if not (changing or export):
            return response
        try:
            details = _form_details()
        except Exception:  # e.g. a body over MAX_CONTENT_LENGTH: record the request without it
            details = {"method": request.method, "form": "not readable"}
        details["status"] = response.status_code
        errors = _error_flashes_since_start()
        refused = response.status_code >= 400 or bool(errors)
        if errors:
            details["messages"] = [_clip(str(m)) for m in errors]
        if request.view_args:
            details["view_args"] = {k: str(v) for k, v in request.view_args.items()}
        action = ("export " if export else "") + endpoint
        try:
            record(
                action,
                target=request.path,
                outcome="refused" if refused else "ok",
                details=details,
            )
        except Exception:  # never lose the answer over the log; say so loudly
            current_app.logger.exception("could not write the audit log entry for %s", action)
        return response

    _wrap_commands(app.cli)


def _wrap_commands(group: click.Group, prefix: str = "") -> None:
    """Record every administrative command after it ran (wrapped once per command object)."""
    for name, command in list(group.commands.items()):
        path = f"{prefix}{name}"
        if path in SKIP_COMMANDS:
            continue
        if isinstance(command, click.Group):
            _wrap_commands(command, prefix=path + " ")
            continue
        callback = command.callback
        if callback is None or getattr(callback, "_consult_audited", False):
            continue
        command.callback = _audited(callback, path)


def _audited(callback, path: str):
    @functools.wraps(callback)
    def wrapped(*args, **kwargs):
        outcome = "refused"
        try:
            result = callback(*args, **kwargs)
            outcome = "ok"
            return result
        finally:
            _record_command(path, kwargs, outcome)

    wrapped._consult_audited = True  # type: ignore[attr-defined]
    return wrapped


def _record_command(path: str, params: dict[str, Any], outcome: str) -> None:
    if not current_app:
        return
    from consult.extensions import db

    try:
        if not inspect(db.engine).has_table(AuditEntry.__tablename__):
            return  # before the first migration
        shown = {
            k: _clip(str(v))
            for k, v in params.items()
            if v is not None and not any(s in k.lower() for s in SECRET_FIELDS)
        }
        record(f"cli {path}", target=" ".join(shown.values()), outcome=outcome, details=shown)
    except Exception:
        current_app.logger.exception("could not write the audit log entry for %s", path)
