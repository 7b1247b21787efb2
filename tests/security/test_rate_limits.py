"""Abuse limits: a clear 429 with Retry-After (JSON for the API, a page or fragment for browsers),
limits from the config, and the sign-in lockout per account and per address."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from

LIMITS = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "CONSULT_RATELIMIT_PARTICIPANTS": "3 per minute",
    "CONSULT_RATELIMIT_VOTES": "2 per minute",
    "CONSULT_RATELIMIT_STATEMENTS": "1 per minute",
    "CONSULT_LOGIN_MAX_FAILURES": 3,
    "CONSULT_LOGIN_MAX_FAILURES_PER_IP": 5,
    "CONSULT_LOGIN_LOCKOUT_MINUTES": 15,
}


@pytest.fixture
def limited(another_app):
    """The same database as ``app``, served by an app with small limits switched on."""
    from consult.extensions import db

    limited_app = another_app(**LIMITS)
    with limited_app.app_context():
        yield limited_app
        db.session.remove()


def test_limits_are_off_under_testing_unless_asked(app, client):
    assert app.extensions["consult_limiter"].enabled is False
    for _ in range(70):
        assert client.post("/api/v1/participants", json={}).status_code == 201


def test_api_participant_creation_and_votes_get_429_with_retry_after(limited, make_phase):
    phase = make_phase(3)
    client = limited.test_client()
    tokens = [client.post("/api/v1/participants", json={}).json["token"] for _ in range(3)]
    refused = client.post("/api/v1/participants", json={})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json["error"].startswith("Too many new participants")
    assert refused.json["detail"]["retry_after"] == int(refused.headers["Retry-After"])

    auth = {"Authorization": f"Bearer {tokens[0]}"}
    ids = [s.id for s in phase.statements]
    url = f"/api/v1/phases/{phase.id}/votes"
    assert (
        client.post(url, json={"statement_id": ids[0], "vote": "agree"}, headers=auth).status_code
        == 200
    )
    assert (
        client.post(url, json={"statement_id": ids[1], "vote": "agree"}, headers=auth).status_code
        == 200
    )
    third = client.post(url, json={"statement_id": ids[2], "vote": "agree"}, headers=auth)
    assert third.status_code == 429 and "Retry-After" in third.headers
    assert set(third.json) == {"error", "detail"}
    # Another participant still votes: the vote limit is per participant.
    other = {"Authorization": f"Bearer {tokens[1]}"}
    assert (
        client.post(url, json={"statement_id": ids[2], "vote": "pass"}, headers=other).status_code
        == 200
    )


def test_page_statements_get_a_clear_429_page_and_htmx_alert(limited, make_phase):
    phase = make_phase(1, strict=False)
    client = limited.test_client()
    url = f"/c/{phase.consultation.slug}/phase/1/"
    csrf = csrf_from(client.get(url).text)
    # The first statement creates the participant (counted under the address), the second is
    # the participant's one statement a minute, the third is refused.
    for text in ("A first statement of mine", "A second statement of mine"):
        answer = client.post(url + "statements", data={"text": text, "csrf_token": csrf})
        assert answer.status_code == 302
    second = client.post(
        url + "statements", data={"text": "A third statement of mine", "csrf_token": csrf}
    )
    assert second.status_code == 429
    assert "Too many requests" in second.text and "added many statements" in second.text
    assert int(second.headers["Retry-After"]) >= 1
    htmx = client.post(
        url + "statements",
        data={"text": "A fourth statement of mine", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 429 and htmx.headers["HX-Retarget"] == "#main"
    assert 'role="alert"' in htmx.text and "Please try again in" in htmx.text


def test_login_lockout_per_account_then_per_address(limited, staff):
    from consult.accounts.services import create_user

    user = create_user("locked@test.example", "correct horse battery", "support", "L")
    client = limited.test_client()
    csrf = csrf_from(client.get("/login").text)

    def attempt(email, password):
        return client.post(
            "/login", data={"email": email, "password": password, "csrf_token": csrf}
        )

    for _ in range(2):
        assert attempt(user.email, "wrong password!").status_code == 401
    locked = attempt(user.email, "wrong password!")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 60
    assert "locked for a while" in locked.text and "minutes" in locked.text
    # While locked, even the right password is not accepted (nor checked).
    right = attempt(user.email, "correct horse battery")
    assert right.status_code == 429 and "Sign out" not in right.text
    # Other accounts from the same address: two more failures reach the address limit (5).
    for _ in range(1):
        assert attempt("nobody@test.example", "wrong password!").status_code == 401
    paused = attempt("nobody2@test.example", "wrong password!")
    assert paused.status_code == 429 and "from your network" in paused.text
    from consult.extensions import db
    from consult.security.models import AuditEntry

    db.session.rollback()  # read what the requests committed
    actions = [e.action for e in db.session.query(AuditEntry)]
    assert "accounts.lockout" in actions


@pytest.mark.redis
def test_two_processes_sharing_redis_count_together(
    another_app, redis_url, monkeypatch, make_phase, staff
):
    """Two apps (two web processes) on CONSULT_RATELIMIT_STORAGE count every limit together:
    new participants per address, votes per participant, and failed sign-ins per account."""
    monkeypatch.setenv("CONSULT_RATELIMIT_STORAGE", redis_url)
    shared = {k: v for k, v in LIMITS.items() if k != "RATELIMIT_STORAGE_URI"}
    first, second = (another_app(**shared).test_client() for _ in range(2))
    answers = [c.post("/api/v1/participants", json={}) for c in (first, second, first)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    for client in (second, first):  # 3 per minute from this address, whichever process
        assert client.post("/api/v1/participants", json={}).status_code == 429

    phase = make_phase(3)
    auth = {"Authorization": f"Bearer {answers[0].json['token']}"}
    url = f"/api/v1/phases/{phase.id}/votes"
    votes = [
        client.post(url, json={"statement_id": s.id, "vote": "agree"}, headers=auth)
        for client, s in zip((first, second, first), phase.statements, strict=True)
    ]
    assert [v.status_code for v in votes] == [200, 200, 429]  # 2 per minute per participant

    user = staff.create("support")
    for client, expected in ((first, 401), (second, 401), (first, 429), (second, 429)):
        csrf = csrf_from(client.get("/login").text)
        data = {"email": user.email, "password": "wrong password!", "csrf_token": csrf}
        assert client.post("/login", data=data).status_code == expected  # 3 failures lock

    # A deployment with its own key prefix on the same Redis counts apart: not locked there.
    elsewhere = another_app(**shared, RATELIMIT_KEY_PREFIX="other-deployment").test_client()
    csrf = csrf_from(elsewhere.get("/login").text)
    data = {"email": user.email, "password": "wrong password!", "csrf_token": csrf}
    assert elsewhere.post("/login", data=data).status_code == 401
