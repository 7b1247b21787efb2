"""Who the participant is: a long-lived signed cookie (pages) or a bearer token (API)."""

from __future__ import annotations

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

from consult.participation.models import Participant
from consult.participation.services import create_participant, participant_for_token

COOKIE_NAME = "consult_participant"
COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap persistent cookies at 400 days


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="consult-participant")


def _token_from_cookie() -> str | None:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        token = _serializer().loads(raw)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def current_participant() -> Participant | None:
    """The participant of this browser, or None before their first vote or statement."""
    if "participant" not in g:
        g.participant = participant_for_token(_token_from_cookie())
    return g.participant


def ensure_participant() -> Participant:
    """The current participant, created on first use; the cookie is set on the response."""
    participant = current_participant()
    if participant is None:
        participant, token = create_participant()
        g.participant = participant
        g.participant_cookie = _serializer().dumps(token)
    return participant


def set_participant_cookie(response):
    """after_request hook: send the cookie of a participant created during this request."""
    value = g.pop("participant_cookie", None)
    if value:
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response
