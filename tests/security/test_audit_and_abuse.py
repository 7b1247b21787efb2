"""The audit log records administrative actions (web and command line), admins read it, nobody
edits it; suspicious bursts are quarantined out of the analysis and released; invitation-only
consultations take input from invited xids only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DatabaseError

from consult.analysis.services import phase_votes
from consult.database import utcnow
from consult.extensions import db
from consult.participation.models import Participant, Statement
from consult.security.models import AuditEntry
from tests.conftest import csrf_from


def _entries():
    db.session.rollback()
    return list(db.session.query(AuditEntry).order_by(AuditEntry.id))


def test_admin_actions_are_recorded_and_only_admins_read_them(client, staff, runner, make_phase):
    phase = make_phase(1, strict=True)
    token = client.post("/api/v1/participants", json={}).json["token"]
    client.post(
        f"/api/v1/phases/{phase.id}/statements",
        json={"text": "A statement for the moderators"},
        headers={"Authorization": f"Bearer {token}"},
    )
    pending = db.session.query(Statement).filter(Statement.author_id.is_not(None)).one()
    support = staff.login("support")
    queue = client.get("/moderation/")
    client.post(
        "/moderation/decide",
        data={
            "action": "reject",
            "statement_ids": str(pending.id),
            "reason": "Off topic",
            "csrf_token": csrf_from(queue.text),
        },
    )
    client.post(
        "/moderation/decide", data={"action": "accept", "csrf_token": csrf_from(queue.text)}
    )
    result = runner.invoke(args=["phase", "close", phase.consultation.slug, "1"])
    entries = _entries()
    decided = [e for e in entries if e.action == "moderation.decide"]
    assert [e.outcome for e in decided] == ["ok", "refused"]
    assert decided[0].actor == support.email and decided[0].actor_role == "support"
    assert decided[0].details["form"]["reason"] == "Off topic"
    assert "csrf_token" not in decided[0].details["form"]
    assert decided[1].details["messages"]  # why it was refused
    cli = [e for e in entries if e.channel == "cli"]
    assert cli and cli[-1].action == "cli phase close" and phase.consultation.slug in cli[-1].target
    assert cli[-1].outcome == ("ok" if result.exit_code == 0 else "refused")
    # Support cannot read the log; an admin can, and sees who did what.
    assert client.get("/admin/audit").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(queue.text)})
    staff.login("admin", "boss@test.example")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert "moderation.decide" in page.text and support.email in page.text


def test_the_audit_log_cannot_be_changed_or_deleted(app):
    from consult.security.audit import record

    record("test.action", target="x", actor="tester", channel="cli")
    with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as connection:
        connection.execute(update(AuditEntry).values(actor="someone else"))
    with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))
    assert [e.actor for e in _entries()] == ["tester"]


def test_create_user_and_exports_are_audited(runner, client, staff, make_phase):
    runner.invoke(
        args=["create-user", "new@test.example", "--role", "host", "--password-stdin"],
        input="a long enough password\n",
    )
    created = [e for e in _entries() if e.action == "cli create-user"]
    assert created and "new@test.example" in created[0].target
    assert "password" not in str(created[0].details)


def _burst(phase, n: int, minutes_apart: float = 1.0, hours_ago: float = 0.5):
    """``n`` new participants, created minutes apart, all voting agree on every statement."""
    from consult.participation.models import VoteValue
    from consult.participation.services import create_participant, record_vote

    ids = []
    start = utcnow() - timedelta(hours=hours_ago)
    for i in range(n):
        participant, _ = create_participant()
        db.session.execute(
            update(Participant)
            .where(Participant.id == participant.id)
            .values(created_at=start + timedelta(minutes=i * minutes_apart))
        )
        db.session.commit()
        for statement in phase.statements:
            record_vote(phase, participant, statement.id, VoteValue.AGREE)
        ids.append(participant.id)
    return ids


def test_a_burst_is_found_quarantined_out_of_the_analysis_and_released(client, staff, make_phase):
    phase = make_phase(3)
    bots = _burst(phase, 6)
    spread = _burst(
        phase, 5, minutes_apart=30, hours_ago=72
    )  # identical, but not within minutes: no burst
    staff.login("support")
    page = client.get(f"/moderation/bursts?phase={phase.id}")
    assert "6 participants" in page.text and "5 participants" not in page.text
    key = page.text.split('name="burst" value="')[1].split('"')[0]
    assert len(set(phase_votes(phase).participant_ids.tolist())) == 11
    client.post(
        "/moderation/bursts/quarantine",
        data={
            "phase_id": phase.id,
            "burst": key,
            "reason": "bot",
            "csrf_token": csrf_from(page.text),
        },
    )
    counted = set(phase_votes(phase).participant_ids.tolist())
    assert counted == set(spread)  # the burst's votes are kept but not analysed
    assert db.session.query(Participant).count() == 11
    page = client.get(f"/moderation/bursts?phase={phase.id}")
    assert "Release" in page.text
    client.post(
        "/moderation/bursts/release",
        data={"phase_id": phase.id, "burst": key, "csrf_token": csrf_from(page.text)},
    )
    assert set(phase_votes(phase).participant_ids.tolist()) == set(bots) | set(spread)
    actions = [e.action for e in _entries()]
    assert "security.quarantine" in actions and "security.release" in actions


def test_invitation_only_consultations(client, staff, make_phase, app):
    phase = make_phase(1, strict=False)
    slug = phase.consultation.slug
    staff.login("support")
    page = client.get(f"/c/{slug}/invitations")
    csrf = csrf_from(page.text)
    client.post(
        f"/c/{slug}/invitations",
        data={"action": "add", "xids": "code-a\ncode-b", "csrf_token": csrf},
    )
    client.post(f"/c/{slug}/invitations", data={"action": "enable", "csrf_token": csrf})
    client.post("/logout", data={"csrf_token": csrf})
    sid = phase.statements[0].id
    vote = {"statement_id": sid, "vote": "agree"}
    stranger = client.post("/api/v1/participants", json={}).json["token"]
    refused = client.post(
        f"/api/v1/phases/{phase.id}/votes",
        json=vote,
        headers={"Authorization": f"Bearer {stranger}"},
    )
    assert refused.status_code == 403 and "invited participants only" in refused.json["error"]
    statement = client.post(
        f"/api/v1/phases/{phase.id}/statements",
        json={"text": "Not invited but writing anyway"},
        headers={"Authorization": f"Bearer {stranger}"},
    )
    assert statement.status_code == 403
    invited = client.post("/api/v1/participants", json={"xid": "code-a"}).json["token"]
    ok = client.post(
        f"/api/v1/phases/{phase.id}/votes",
        json=vote,
        headers={"Authorization": f"Bearer {invited}"},
    )
    assert ok.status_code == 200
    # In the browser: the phase page asks for the code; a wrong code is refused, a right one joins.
    url = f"/c/{slug}/phase/1/"
    page = client.get(url + "?xid=code-b")
    assert 'id="invitation"' in page.text and 'value="code-b"' in page.text
    csrf = csrf_from(page.text)
    wrong = client.post(
        f"/c/{slug}/join",
        data={"xid": "guess", "next": url, "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "not valid for this consultation" in wrong.text
    joined = client.post(
        f"/c/{slug}/join",
        data={"xid": "code-b", "next": url, "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "your invitation is accepted" in joined.text and 'id="invitation"' not in joined.text
    voted = client.post(
        url + "vote",
        data={"vote": "agree", "statement_id": sid, "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "was recorded" in voted.text


def test_signed_xids_when_a_secret_is_set(app, client):
    from consult.security.invitations import xid_signature

    app.config["CONSULT_XID_SECRET"] = "site-secret"
    assert client.post("/api/v1/participants", json={"xid": "m-1"}).status_code == 403
    forged = {"xid": "m-1", "xid_signature": xid_signature("other", "m-1")}
    assert client.post("/api/v1/participants", json=forged).status_code == 403
    signed = {"xid": "m-1", "xid_signature": xid_signature("site-secret", "m-1")}
    assert client.post("/api/v1/participants", json=signed).status_code == 201
    assert client.post("/api/v1/participants", json={}).status_code == 201  # anonymous still works
