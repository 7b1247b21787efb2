"""Moderation: only the Support Unit, decisions with reasons, bulk actions, effect on voters."""

from __future__ import annotations

from consult.participation import services
from consult.participation.models import Moderation
from tests.conftest import csrf_from


def _pending(phase, n=2):
    author, _ = services.create_participant()
    return [
        services.add_statement(phase, author, f"Participant statement number {i} for review.")
        for i in range(n)
    ]


def test_queue_requires_support_role(client, staff, make_phase):
    make_phase(0)
    anonymous = client.get("/moderation/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    staff.login("host")
    assert client.get("/moderation/").status_code == 403


def test_accept_one_with_htmx_then_voters_see_it(client, staff, make_phase):
    phase = make_phase(0)
    pending = _pending(phase, 1)[0]
    staff.login("support")
    page = client.get("/moderation/")
    assert pending.text in page.text
    response = client.post(
        "/moderation/decide",
        data={"statement_ids": pending.id, "action": "accept", "single": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_from(page.text)},
    )
    assert response.status_code == 200
    assert "Accepted:" in response.text
    voter, _ = services.create_participant()
    assert services.next_statement(phase, voter).id == pending.id


def test_reject_needs_a_reason_and_bulk_is_all_or_nothing(client, staff, make_phase):
    phase = make_phase(0)
    first, second = _pending(phase, 2)
    staff.login("support")
    token = csrf_from(client.get("/moderation/").text)
    no_reason = client.post(
        "/moderation/decide",
        data={"statement_ids": [first.id, second.id], "action": "reject", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Give a reason for rejecting" in no_reason.text
    from consult.extensions import db

    db.session.expire_all()
    assert {first.moderation, second.moderation} == {Moderation.PENDING}
    done = client.post(
        "/moderation/decide",
        data={
            "statement_ids": [first.id, second.id],
            "action": "reject",
            "reason": "Off topic",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "2 statements rejected." in done.text
    db.session.expire_all()
    assert first.moderation == Moderation.REJECTED and first.moderation_reason == "Off topic"
    assert "Nothing waits for moderation" in done.text
