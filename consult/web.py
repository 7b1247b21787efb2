"""Shared web plumbing: error pages (HTML or JSON), security headers, template helpers."""

from __future__ import annotations

import contextlib
import re

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from consult.errors import ConsultError

RETRY_AFTER_SECONDS = 5
# SQLite reports a database that was never migrated as an OperationalError, like a lost server.
_SCHEMA_MISSING = re.compile(r"no such (table|column)")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error(status: int, title: str, message: str, headers: dict | None = None):
    if _wants_json():
        return jsonify({"error": message, "detail": None}), status, headers or {}
    page = render_template("error.html", status=status, title=title, message=message)
    return page, status, headers or {}


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(ConsultError)
    def consult_error(exc: ConsultError):
        titles = {
            404: _("Not found"),
            409: _("Not possible right now"),
            422: _("Please check your input"),
        }
        return _error(exc.status, titles.get(exc.status, _("Something is not right")), exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _error(
            400,
            _("Form expired"),
            _(
                "This form was open too long or came from another site. "
                "Reload the page and try again."
            ),
        )

    def database_unavailable(exc: Exception):
        """503 with Retry-After: the database is down, restarting, locked or out of connections.

        Every write runs in one transaction, so the failed request saved nothing. The page is
        rendered without touching the database (the full layout may need it for the signed-in
        user), falling back to plain HTML if even that fails. A SQLite file that was never
        migrated raises the same error class; it gets a message naming the fix instead.
        """
        from consult.extensions import db

        with contextlib.suppress(Exception):  # the connection is gone; the pool replaces it
            db.session.rollback()
        cause = getattr(exc, "orig", None) or exc
        if _SCHEMA_MISSING.search(str(cause)):  # reachable, but not migrated: retrying won't help
            app.logger.error("database schema out of date: %s", cause)
            title = _("Not set up yet")
            message = _(
                "This server's database has not been brought up to date. Nothing was saved. "
                "An administrator needs to run “consult db upgrade”."
            )
            headers, detail = {}, None
        else:
            app.logger.warning("database unavailable: %s", cause)
            title = _("Temporarily unavailable")
            message = _(
                "The database is not reachable right now. Nothing was saved; please try again in "
                "%(seconds)d seconds.",
                seconds=RETRY_AFTER_SECONDS,
            )
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            detail = {"retry_after": RETRY_AFTER_SECONDS}
        if _wants_json():
            return jsonify({"error": message, "detail": detail}), 503, headers
        try:
            page = render_template("error.html", status=503, title=title, message=message)
        except Exception:
            page = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(message)}</p>"
        return page, 503, headers

    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(PoolTimeout, database_unavailable)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if exc.connection_invalidated:  # the connection broke mid-request
            return database_unavailable(exc)
        raise exc

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        messages = {
            400: _("The request could not be understood."),
            401: _("Please sign in to see that page."),
            403: _("Your account does not have access to this page."),
            404: _("There is nothing at this address."),
            405: _("This address does not accept that kind of request."),
            413: _("What you sent is too large."),
            429: _("Too many requests in a short time. Please wait a moment and try again."),
        }
        titles = {
            400: _("Bad request"),
            401: _("Sign-in needed"),
            403: _("Forbidden"),
            404: _("Not found"),
            405: _("Not allowed"),
            413: _("Too large"),
            429: _("Too many requests"),
        }
        message = messages.get(code, exc.description or exc.name)
        return _error(code, titles.get(code, exc.name), message)

    @app.errorhandler(500)
    def server_error(exc):
        return _error(
            500,
            _("Something went wrong"),
            _("An unexpected error happened on our side; it was logged."),
        )


def register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from consult.accounts.models import Role

    @app.context_processor
    def inject_roles():
        def has_role(*names: str) -> bool:
            return current_user.is_authenticated and current_user.has_role(
                *(Role(n) for n in names)
            )

        return {"has_role": has_role}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response
