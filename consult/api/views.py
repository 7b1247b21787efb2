"""API endpoints: participants, phases, next statement, votes and statements."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import HTTPException

from consult.consultations import services as consultations
from consult.consultations.models import Phase
from consult.errors import ConsultError, NotFound
from consult.participation import services as participation
from consult.participation.models import VoteValue
from consult.participation.routing import phase_priorities

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_BODY = 64 * 1024


class ApiError(ConsultError):
    def __init__(self, status: int, message: str, detail: object = None):
        super().__init__(message, detail=detail)
        self.status = status


def error_response(status: int, message: str, detail: object = None):
    return jsonify({"error": message, "detail": detail}), status


@bp.errorhandler(ConsultError)
def _consult_error(exc: ConsultError):
    detail = exc.detail
    if detail is None and exc.field:
        detail = {"field": exc.field}
    return error_response(exc.status, exc.message, detail)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error_response(exc.code or 500, exc.name, exc.description)


@bp.before_request
def _limit_body():
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413, "request body too large", {"max_bytes": MAX_BODY})


def _json_body() -> dict:
    """The request's JSON object, or a 400 saying what is wrong with it."""
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise ApiError(413, "request body too large", {"max_bytes": MAX_BODY})
    if not raw.strip():
        return {}
    body = request.get_json(silent=True, force=True)
    if body is None:
        raise ApiError(400, "request body is not valid JSON")
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    return body


def _bearer_token() -> str:
    """The token of ``Authorization: Bearer <token>``, or a 401 asking for it."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "missing participant token: send Authorization: Bearer <token>")
    return token.strip()


def token_required(view):
    """Resolve ``Authorization: Bearer <token>`` to the participant, or answer 401."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        participant = participation.participant_for_token(_bearer_token())
        if participant is None:
            raise ApiError(401, "unknown participant token")
        g.participant = participant
        return view(*args, **kwargs)

    return wrapped


def _public_phase(phase_id: int) -> Phase:
    phase = consultations.get_phase_by_id(phase_id)
    if not phase.is_public:
        raise NotFound(f"no phase with id {phase_id}")
    return phase


def phase_summary(phase: Phase) -> dict:
    return {
        "id": phase.id,
        "position": phase.position,
        "title": phase.title,
        "state": phase.state.value,
    }


def statement_json(statement) -> dict:
    return {
        "id": statement.id,
        "text": statement.text,
        "language": statement.language,
        "origin": statement.origin.value,
        "moderation": statement.moderation.value,
    }


@bp.post("/participants")
def create_participant():
    body = _json_body()
    xid = body.get("xid")
    if xid is not None and not isinstance(xid, str):
        raise ApiError(400, "xid must be a string")
    if xid:
        from consult.security.invitations import check_xid

        check_xid(xid.strip(), body.get("xid_signature"))
    _, token = participation.create_participant(xid)
    return jsonify({"token": token}), 201


@bp.get("/consultations")
def list_consultations():
    return jsonify(
        [
            {
                "slug": c.slug,
                "title": c.title,
                "description": c.description,
                "languages": c.languages,
                "phases": [phase_summary(p) for p in c.phases if p.is_public],
            }
            for c in consultations.list_consultations()
        ]
    )


@bp.get("/phases/<int:phase_id>")
def get_phase(phase_id: int):
    phase = _public_phase(phase_id)
    return jsonify(
        {
            **phase_summary(phase),
            "purpose": phase.purpose,
            "consultation": {"slug": phase.consultation.slug, "title": phase.consultation.title},
            "opens_at": phase.opens_at.isoformat() + "Z" if phase.opens_at else None,
            "closes_at": phase.closes_at.isoformat() + "Z" if phase.closes_at else None,
            "accepts_input": phase.accepts_input(),
            "strict_moderation": phase.strict_moderation,
        }
    )


@bp.get("/phases/<int:phase_id>/next-statement")
@token_required
def next_statement(phase_id: int):
    phase = _public_phase(phase_id)
    participation.require_open(phase)
    statement, progress = participation.next_card(
        phase, g.participant, priorities=phase_priorities(phase.id)
    )
    if statement is None:
        return "", 204
    return jsonify(
        {
            "statement": statement_json(statement),
            "progress": {"voted": progress.voted, "total": progress.total},
        }
    )


def _vote_body() -> tuple[int, VoteValue]:
    body = _json_body()
    statement_id = body.get("statement_id")
    word = body.get("vote")
    if isinstance(statement_id, bool) or not isinstance(statement_id, int):
        raise ApiError(400, "statement_id must be an integer")
    if not isinstance(word, str):
        raise ApiError(400, "vote must be a string: agree, disagree or pass")
    try:
        return statement_id, VoteValue.parse(word)
    except ValueError as exc:
        raise ApiError(422, str(exc), {"field": "vote"}) from None


@bp.post("/phases/<int:phase_id>/votes")
def vote(phase_id: int):
    """The hot path: one database round trip on PostgreSQL (see ``participation.cast_vote``).

    Errors keep the order of the other endpoints: token (401), phase (404), body (400, 422),
    then phase open (409) and statement (404, 409).
    """
    token = _bearer_token()
    try:
        statement_id, value = _vote_body()
    except ApiError:
        participation.require_voter(token, phase_id)
        raise
    participation.cast_vote(phase_id, statement_id, value, token=token)
    return jsonify({"statement_id": statement_id, "vote": value.name.lower()})


@bp.post("/phases/<int:phase_id>/statements")
@token_required
def add_statement(phase_id: int):
    phase = _public_phase(phase_id)
    body = _json_body()
    text = body.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "text must be a string")
    statement = participation.add_statement(phase, g.participant, text)
    return jsonify({"statement": statement_json(statement)}), 201


@bp.get("/statements/<int:statement_id>/disposition")
def statement_disposition(statement_id: int):
    """What became of a statement: theme, decision, rationale, strategy sections, report version."""
    from consult.reports.services import statement_disposition as disposition

    return jsonify(disposition(statement_id))


@bp.get("/me/input")
@token_required
def my_input():
    """Each statement the token's participant wrote or voted on, with its published disposition."""
    from consult.reports.services import participant_input

    items = []
    for item in participant_input(g.participant.id):
        found = item.disposition or {}
        response = found.get("response") or {}
        statement = item.statement
        items.append(
            {
                "statement_id": statement.id,
                "text": statement.text,
                "phase_id": statement.phase_id,
                "moderation": statement.moderation.value,
                "wrote": item.wrote,
                "vote": None if item.vote is None else VoteValue(item.vote).name.lower(),
                "theme": found.get("theme"),
                "decision": response.get("decision"),
                "rationale": response.get("rationale"),
                "responded": found.get("responded"),
                "strategy_sections": found.get("sections", []),
                "report_version": item.report.version if item.report else None,
            }
        )
    return jsonify({"items": items})


@bp.get("/me/data")
@token_required
def my_data():
    """Everything stored about the token's participant (the same as the "My input" download)."""
    from consult.security.privacy import export

    return jsonify(export(g.participant))


@bp.delete("/me")
@token_required
def delete_me():
    """Delete the token's participant: votes, unpublished statements; the token stops working."""
    from consult.security.privacy import delete_participant

    return jsonify(delete_participant(g.participant).to_dict())


@bp.get("/openapi.json")
def openapi():
    from consult.api.openapi import document

    return jsonify(document())
