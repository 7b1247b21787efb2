"""Domain errors raised by services and turned into messages (pages) or JSON errors (API)."""

from __future__ import annotations


class ConsultError(Exception):
    """Base of the errors a person can act on; ``status`` is the HTTP status that fits."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, detail: object = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail


class NotFound(ConsultError):
    status = 404


class InvalidInput(ConsultError):
    status = 422


class Conflict(ConsultError):
    """The request is well formed but the state does not allow it (e.g. the phase is not open)."""

    status = 409
