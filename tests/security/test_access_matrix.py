"""The access matrix, proved: every route of the URL map, called as each of the six identities,
answers as consult/security/access.py says; plus the object-level rules (hosts, drafts, tokens)."""

from __future__ import annotations

import re

import pytest

from consult.security.access import ACCESS, IDENTITIES, lookup
from tests.security.conftest import CSRF_HEADER, FreshClient, login

pytestmark = pytest.mark.slow

LOGIN_REDIRECT = re.compile(r"^/login(\?|$)")


def _samples(world) -> dict[str, object]:
    from consult.accounts.models import User
    from consult.extensions import db

    # The second host's account: the admin walk posts empty forms to it, which change nothing.
    other_host = db.session.scalar(User.by_email("host2@world.example"))
    return {
        "slug": "demo",
        "position": 1,
        "phase_id": world.phase_id,
        "statement_id": world.statement_id,
        "conversation_id": world.conversation_id,
        "upload_id": world.upload_id,
        "key": world.candidate_key,
        "theme_id": world.report_theme_id,
        "response_id": world.response_id,
        "group_id": 0,
        "job_id": 1,
        "fmt": "json",
        "code": "fr",
        "filename": "consult.css",
        "user_id": other_host.id,
    }


# Per-endpoint values where the default sample would not name a real object.
OVERRIDES = {
    "themes.label": {"theme_id": "curation"},
    "themes.rename_form": {"theme_id": "curation"},
    "themes.rename": {"theme_id": "curation"},
    "themes.merge": {"theme_id": "curation"},
    "themes.split": {"theme_id": "curation"},
}
# Form fields a POST needs so that an allowed caller reaches the view's own answer (kept
# harmless: empty or invalid values, so the walk changes as little as possible).
FORMS = {
    "security.quarantine": {"phase_id": "{phase_id}", "burst": "none"},
    "security.release": {"phase_id": "{phase_id}", "burst": "none"},
    "reports.sign_off": {"name": ""},
}
# Routes left to the end of a walk: they end the identity (sign out, delete the participant).
LAST = ("accounts.logout", "security.delete_me POST", "api.delete_me")


def _url(app, rule, values: dict) -> str:
    from flask import url_for

    with app.test_request_context():
        args = {name: values[name] for name in rule.arguments}
        return url_for(rule.endpoint, **args)


def _routes(app):
    """(key, rule, method) for every route and method of the URL map."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            specific = f"{rule.endpoint} {method}"
            key = specific if specific in ACCESS else rule.endpoint
            yield key, rule, method


def test_every_route_is_in_the_table(world):
    app = world.app
    missing = sorted(
        f"{method} {rule.rule} ({rule.endpoint})"
        for _key, rule, method in _routes(app)
        if lookup(rule.endpoint, method) is None
    )
    assert missing == [], "routes missing from consult/security/access.py: " + "; ".join(missing)
    known = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = sorted(k for k in ACCESS if k.split(" ")[0] not in known)
    assert stale == [], f"table entries for routes that no longer exist: {stale}"


def _client_as(world, identity: str):
    """A client that is ``identity``, and the bearer token it sends to the API (if any)."""
    client = FreshClient(world.app.test_client())
    token = None
    if identity in ("host", "support", "steering", "admin"):
        email = world.host_email if identity == "host" else f"{identity}@world.example"
        login(client, email)
    elif identity == "participant":
        token = client.post("/api/v1/participants", json={}).json["token"]
        page = client.get("/c/demo/phase/1/")
        csrf = CSRF_HEADER.search(page.text).group(1)
        # A statement gives this browser its participant cookie (the phase is published, so the
        # answer is a refusal, but the participant is created first).
        client.post(
            "/c/demo/phase/1/statements",
            data={"text": "A statement from the access walk", "csrf_token": csrf},
        )
        assert client.get("/my-input/data.json").status_code == 200
    return client, token


def _call(world, client, token, key, rule, method):
    app = world.app
    values = _samples(world)
    for name, value in OVERRIDES.get(rule.endpoint, {}).items():
        values[name] = world.curation_theme_id if value == "curation" else value
    url = _url(app, rule, values)
    headers = {}
    if token is not None and rule.rule.startswith("/api/"):
        headers["Authorization"] = f"Bearer {token}"
    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        page = client.get("/")
        headers["X-CSRFToken"] = CSRF_HEADER.search(page.text).group(1)
        form = {k: v.format(**values) for k, v in FORMS.get(rule.endpoint, {}).items()}
        if rule.rule.startswith("/api/"):
            response = client.open(url, method=method, json={}, headers=headers)
        else:
            response = client.open(url, method=method, data=form, headers=headers)
    response.get_data()
    response.close()
    return url, response


def _refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code in (301, 302, 303, 307, 308):
        return bool(LOGIN_REDIRECT.match(response.headers.get("Location", "")))
    return False


@pytest.mark.parametrize("identity", IDENTITIES)
def test_each_route_answers_as_the_table_says(world, identity):
    client, token = _client_as(world, identity)
    routes = sorted(_routes(world.app), key=lambda r: (r[0] in LAST, r[2] != "GET", r[0]))
    wrong = []
    for key, rule, method in routes:
        access = lookup(rule.endpoint, method)
        url, response = _call(world, client, token, key, rule, method)
        if identity != "participant":  # a first vote or statement would make it a participant
            client.client.delete_cookie("consult_participant")
        allowed = identity in access.allowed
        refused = _refused(response)
        if allowed and refused:
            wrong.append(f"{method} {url} ({key}): allowed but got {response.status_code}")
        elif not allowed and not refused:
            wrong.append(f"{method} {url} ({key}): denied but got {response.status_code}")
        elif not allowed and response.status_code >= 300 and response.status_code < 400:
            assert identity in ("anonymous", "participant"), f"{key}: staff sent to sign in"
        if response.status_code >= 500:
            wrong.append(f"{method} {url} ({key}): server error {response.status_code}")
    assert wrong == [], f"as {identity}:\n" + "\n".join(wrong)


# --- object-level rules --------------------------------------------------------------------------


def test_a_host_sees_and_edits_only_their_own_conversations(world):
    mine = FreshClient(world.app.test_client())
    login(mine, world.host_email)
    other = FreshClient(world.app.test_client())
    login(other, "host2@world.example")
    base = f"/notes/{world.conversation_id}"
    assert mine.get(base + "/").status_code == 200
    assert "Youth" in mine.get("/notes/").text
    assert "Youth" not in other.get("/notes/").text  # not even listed
    for url in (base + "/", base + "/edit", f"{base}/uploads/{world.upload_id}/"):
        assert other.get(url).status_code == 404, url
    page = other.get("/notes/")
    csrf = CSRF_HEADER.search(page.text).group(1)
    edit = other.post(
        base + "/edit", data={"title": "Taken over", "csrf_token": csrf}, follow_redirects=False
    )
    assert edit.status_code == 404
    assert "Taken over" not in mine.get(base + "/").text


def test_drafts_and_unpublished_responses_are_invisible_to_the_public(world):
    from consult.consultations.services import get_phase
    from consult.extensions import db

    public = FreshClient(world.app.test_client())
    phase2 = get_phase("demo", 2)  # a draft phase
    for url in ("/c/demo/phase/2/", "/c/demo/phase/2/results", "/c/demo/phase/2/report"):
        assert public.get(url).status_code == 404, url
    assert public.get(f"/api/v1/phases/{phase2.id}").status_code == 404
    listed = public.get("/api/v1/consultations").json
    demo = next(c for c in listed if c["slug"] == "demo")
    assert [p["position"] for p in demo["phases"]] == [1]
    # An unpublished (draft) response never reaches the public report or the disposition API.
    from consult.accounts.models import User
    from consult.responses import services as responses

    support = db.session.scalar(User.by_email("support@world.example"))
    secret = "Draft rationale the public must not read yet"
    responses.save_response(
        get_phase("demo", 1),
        support,
        statement_id=world.statement_id,
        decision="deferred",
        rationale=secret,
        section_keys=[],
        publish=False,
    )
    report = public.get("/c/demo/phase/1/report.json").text
    assert secret not in report
    assert secret not in public.get("/c/demo/phase/1/report").text
    assert secret not in public.get(f"/api/v1/statements/{world.statement_id}/disposition").text
    # Asking for the draft gets the public the published version, never the draft.
    assert public.get("/c/demo/phase/1/report.json?draft=1").text == report


def test_a_participant_token_reaches_only_that_participants_data(world):
    client = FreshClient(world.app.test_client())
    a = client.post("/api/v1/participants", json={}).json["token"]
    b = client.post("/api/v1/participants", json={}).json["token"]
    assert a != b
    statement = "Participant A only: a statement about local budgets"
    from consult.consultations.models import PhaseState
    from consult.consultations.services import add_phase, create_consultation, set_phase_state

    consultation = create_consultation("token-walk", "Token walk")
    phase = add_phase(consultation, "One", "", strict_moderation=False)
    set_phase_state(phase, PhaseState.OPEN)
    created = client.post(
        f"/api/v1/phases/{phase.id}/statements",
        json={"text": statement},
        headers={"Authorization": f"Bearer {a}"},
    )
    assert created.status_code == 201
    mine = client.get("/api/v1/me/data", headers={"Authorization": f"Bearer {a}"}).json
    theirs = client.get("/api/v1/me/data", headers={"Authorization": f"Bearer {b}"}).json
    assert [s["text"] for s in mine["statements"]] == [statement]
    assert theirs["statements"] == [] and theirs["votes"] == []
    assert (
        client.get("/api/v1/me/data", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    assert client.get("/api/v1/me/data").status_code == 401
    # A cookie from another browser does not reach A's data either.
    assert FreshClient(world.app.test_client()).get("/my-input/data.json").status_code == 404
