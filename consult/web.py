"""Shared web plumbing: error pages (HTML or JSON), security headers, template helpers."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from consult.errors import ConsultError

RETRY_AFTER_SECONDS = 5


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
        titles = {404: "Not found", 409: "Not possible right now", 422: "Please check your input"}
        return _error(exc.status, titles.get(exc.status, "Something is not right"), exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _error(
            400,
            "Form expired",
            "This form was open too long or came from another site. Reload the page and try again.",
        )

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):
        from consult.extensions import db

        db.session.rollback()
        app.logger.warning("database unavailable: %s", exc.orig)
        return _error(
            503,
            "Temporarily unavailable",
            f"The database is not reachable right now. Nothing was saved; please try again in "
            f"{RETRY_AFTER_SECONDS} seconds.",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            403: "Your account does not have access to this page.",
            404: "There is nothing at this address.",
            405: "This address does not accept that kind of request.",
            413: "What you sent is too large.",
        }
        message = messages.get(exc.code or 500, exc.description or exc.name)
        return _error(exc.code or 500, exc.name, message)

    @app.errorhandler(500)
    def server_error(exc):
        return _error(
            500, "Something went wrong", "An unexpected error happened on our side; it was logged."
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

    @app.template_filter("datetime")
    def format_datetime(value, fmt: str = "%-d %B %Y, %H:%M UTC"):
        return value.strftime(fmt) if value else ""

    @app.template_filter("date")
    def format_date(value, fmt: str = "%-d %B %Y"):
        return value.strftime(fmt) if value else ""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response
