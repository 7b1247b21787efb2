"""The JSON API from a script's point of view: token, next statement, votes, statements, errors."""

from __future__ import annotations

import re

from sqlalchemy import select

from consult.consultations.models import PhaseState
from consult.consultations.services import set_phase_state
from consult.extensions import db
from consult.participation.models import Vote


def _token(client, **body) -> str:
    response = client.post("/api/v1/participants", json=body)
    assert response.status_code == 201
    return response.json["token"]


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_full_flow_vote_replace_then_closed_and_invalid(client, make_phase):
    phase = make_phase(2)
    token = _token(client)
    response = client.get(f"/api/v1/phases/{phase.id}/next-statement", headers=_auth(token))
    assert response.status_code == 200
    statement = response.json["statement"]
    assert set(statement) >= {"id", "text"}
    assert response.json["progress"] == {"voted": 0, "total": 2}

    url = f"/api/v1/phases/{phase.id}/votes"
    first = client.post(
        url, json={"statement_id": statement["id"], "vote": "agree"}, headers=_auth(token)
    )
    assert first.status_code == 200 and first.json["vote"] == "agree"
    again = client.post(
        url, json={"statement_id": statement["id"], "vote": "disagree"}, headers=_auth(token)
    )
    assert again.status_code == 200
    rows = (
        db.session.execute(select(Vote.value).where(Vote.statement_id == statement["id"]))
        .scalars()
        .all()
    )
    assert rows == [-1]

    invalid = client.post(
        url, json={"statement_id": statement["id"], "vote": "maybe"}, headers=_auth(token)
    )
    assert invalid.status_code == 422
    assert "agree, disagree or pass" in invalid.json["error"]

    set_phase_state(phase, PhaseState.CLOSED)
    closed = client.post(
        url, json={"statement_id": statement["id"], "vote": "agree"}, headers=_auth(token)
    )
    assert closed.status_code == 409
    assert closed.json["detail"] == {"state": "closed"}
    db.session.rollback()
    assert db.session.execute(
        select(Vote.value).where(Vote.statement_id == statement["id"])
    ).scalars().all() == [-1]


def test_next_statement_is_204_when_all_voted(client, make_phase):
    phase = make_phase(1)
    token = _token(client)
    statement = client.get(f"/api/v1/phases/{phase.id}/next-statement", headers=_auth(token)).json[
        "statement"
    ]
    client.post(
        f"/api/v1/phases/{phase.id}/votes",
        json={"statement_id": statement["id"], "vote": "pass"},
        headers=_auth(token),
    )
    response = client.get(f"/api/v1/phases/{phase.id}/next-statement", headers=_auth(token))
    assert response.status_code == 204
    assert response.data == b""


def test_errors_have_the_right_status_and_json_shape(client, make_phase):
    phase = make_phase(1)
    token = _token(client)
    votes = f"/api/v1/phases/{phase.id}/votes"
    cases = [
        (client.get(f"/api/v1/phases/{phase.id}/next-statement"), 401),
        (
            client.get(
                f"/api/v1/phases/{phase.id}/next-statement", headers=_auth("not-a-real-token")
            ),
            401,
        ),
        (client.get("/api/v1/phases/99999"), 404),
        (
            client.post(
                votes,
                data="{not json",
                headers={**_auth(token), "Content-Type": "application/json"},
            ),
            400,
        ),
        (client.post(votes, json=["a", "list"], headers=_auth(token)), 400),
        (
            client.post(votes, json={"statement_id": "7", "vote": "agree"}, headers=_auth(token)),
            400,
        ),
        (
            client.post(votes, json={"statement_id": 99999, "vote": "agree"}, headers=_auth(token)),
            404,
        ),
        (
            client.post(
                votes, json={"statement_id": 1, "vote": "x" * 70_000}, headers=_auth(token)
            ),
            413,
        ),
        (
            client.post(
                f"/api/v1/phases/{phase.id}/statements",
                json={"text": "short"},
                headers=_auth(token),
            ),
            422,
        ),
        (client.get("/api/v1/no-such-endpoint"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.path, response.json)
        assert response.is_json and isinstance(response.json["error"], str)
        assert "detail" in response.json


def test_add_statement_and_draft_phases_are_invisible(client, make_phase):
    phase = make_phase(0)
    draft = make_phase(1, state="draft")
    token = _token(client)
    created = client.post(
        f"/api/v1/phases/{phase.id}/statements",
        json={"text": "Publish every contract in an open register."},
        headers=_auth(token),
    )
    assert created.status_code == 201
    assert created.json["statement"]["moderation"] == "pending"
    assert client.get(f"/api/v1/phases/{draft.id}").status_code == 404
    listing = client.get("/api/v1/consultations").json
    slugs = {c["slug"]: c for c in listing}
    assert phase.consultation.slug in slugs and draft.consultation.slug not in slugs
    assert slugs[phase.consultation.slug]["phases"] == [
        {"id": phase.id, "position": 1, "title": phase.title, "state": "open"}
    ]


def test_xid_returns_the_same_participant(client, make_phase):
    phase = make_phase(1)
    first = _token(client, xid="member-42")
    statement = client.get(f"/api/v1/phases/{phase.id}/next-statement", headers=_auth(first)).json[
        "statement"
    ]
    client.post(
        f"/api/v1/phases/{phase.id}/votes",
        json={"statement_id": statement["id"], "vote": "agree"},
        headers=_auth(first),
    )
    second = _token(client, xid="member-42")
    assert second != first
    response = client.get(f"/api/v1/phases/{phase.id}/next-statement", headers=_auth(second))
    assert response.status_code == 204  # same participant: already voted on the only statement


def test_openapi_documents_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    documented = {"/api/v1" + path for path in document["paths"]}
    routes = {
        re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and not rule.rule.endswith("openapi.json")
    }
    assert routes <= documented, routes - documented
