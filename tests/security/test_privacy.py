"""A participant downloads everything stored about them and deletes it; exports and reports never
carry e-mail addresses or tokens; nothing stores IP addresses or browser details."""

from __future__ import annotations

import csv
import hashlib

import pytest
from sqlalchemy import inspect, select

from consult.analysis.services import phase_votes
from consult.extensions import db
from consult.participation.models import Moderation, Participant, Statement, Vote, VoteHistory
from tests.conftest import csrf_from


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_download_then_delete_through_the_api(client, make_phase):
    phase = make_phase(2, strict=False)
    token = client.post("/api/v1/participants", json={}).json["token"]
    other = client.post("/api/v1/participants", json={}).json["token"]
    ids = [s.id for s in phase.statements]
    for value, sid in zip(("agree", "disagree"), ids, strict=True):
        url = f"/api/v1/phases/{phase.id}/votes"
        assert client.post(url, json={"statement_id": sid, "vote": value}, headers=_auth(token))
    client.post(
        f"/api/v1/phases/{phase.id}/votes",
        json={"statement_id": ids[0], "vote": "pass"},
        headers=_auth(token),
    )
    client.post(
        f"/api/v1/phases/{phase.id}/votes",
        json={"statement_id": ids[0], "vote": "agree"},
        headers=_auth(other),
    )
    kept = client.post(
        f"/api/v1/phases/{phase.id}/statements",
        json={"text": "Accepted: publish budgets monthly"},
        headers=_auth(token),
    ).json["statement"]["id"]
    pending = client.post(
        f"/api/v1/phases/{phase.id}/statements",
        json={"text": "Pending: a statement nobody accepted yet"},
        headers=_auth(token),
    ).json["statement"]["id"]
    statement = db.session.get(Statement, kept)
    statement.moderation = Moderation.ACCEPTED
    db.session.commit()

    data = client.get("/api/v1/me/data", headers=_auth(token)).json
    assert {v["statement_id"]: v["vote"] for v in data["votes"]} == {
        ids[0]: "pass",
        ids[1]: "disagree",
    }
    assert [h["vote"] for h in data["vote_history"] if h["statement_id"] == ids[0]] == [
        "agree",
        "pass",
    ]
    assert {s["statement_id"] for s in data["statements"]} == {kept, pending}
    dumped = str(data)
    assert token not in dumped and hashlib.sha256(token.encode()).hexdigest() not in dumped
    assert phase_votes(phase).participant_ids.size == 3

    deleted = client.delete("/api/v1/me", headers=_auth(token))
    assert deleted.status_code == 200
    assert deleted.json == {
        "votes_deleted": 2,
        "statements_deleted": 1,
        "statements_kept_anonymous": 1,
    }
    assert client.get("/api/v1/me/data", headers=_auth(token)).status_code == 401
    db.session.rollback()
    assert db.session.get(Statement, pending) is None
    assert db.session.get(Statement, kept).author_id is None  # anonymous public input
    assert db.session.scalar(select(VoteHistory).where(VoteHistory.statement_id == ids[1])) is None
    votes = phase_votes(phase)  # the next analysis counts only the other participant
    assert votes.participant_ids.tolist() == [
        db.session.scalar(select(Vote.participant_id).where(Vote.statement_id == ids[0]))
    ]
    assert client.get("/api/v1/me/data", headers=_auth(other)).json["votes"] != []


def test_my_input_page_downloads_and_deletes(client, make_phase):
    phase = make_phase(1, strict=False)
    url = f"/c/{phase.consultation.slug}/phase/1/"
    csrf = csrf_from(client.get(url).text)
    client.post(
        url + "vote",
        data={"vote": "agree", "statement_id": phase.statements[0].id, "csrf_token": csrf},
    )
    page = client.get("/my-input")
    assert "Download everything stored about me" in page.text
    download = client.get("/my-input/data.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.json["votes"][0]["vote"] == "agree"
    confirm = client.get("/my-input/delete")
    assert "Delete my data for good" in confirm.text
    done = client.post(
        "/my-input/delete", data={"csrf_token": csrf_from(confirm.text)}, follow_redirects=True
    )
    assert "Your data is deleted: 1 votes removed" in done.text
    assert client.get("/my-input/data.json").status_code == 404
    assert db.session.scalar(select(Participant)) is None
    # Without the form's CSRF token, nobody can delete a participant from another site.
    client.post(
        url + "vote",
        data={"vote": "agree", "statement_id": phase.statements[0].id, "csrf_token": csrf},
    )
    assert client.post("/my-input/delete").status_code == 400
    assert db.session.scalar(select(Participant)) is not None


def test_exports_never_carry_emails_or_tokens(world):
    """Every public export of the published demo: no staff e-mail, no token, no token hash."""
    from consult.accounts.models import User

    with world.app.app_context():
        emails = [u.email for u in db.session.scalars(select(User))]
        hashes = list(db.session.scalars(select(Participant.token_hash).limit(50)))
    client = world.app.test_client()
    token = client.post("/api/v1/participants", json={}).json["token"]
    bodies = [
        client.get(f"/c/demo/phase/1/report.{fmt}").get_data(as_text=True)
        for fmt in ("json", "csv", "html")
    ]
    bodies.append(client.get("/c/demo/phase/1/report").text)
    bodies.append(client.get("/api/v1/consultations").text)
    bodies.append(client.get(f"/api/v1/statements/{world.statement_id}/disposition").text)
    bodies.append(client.get("/api/v1/me/input", headers=_auth(token)).text)
    for body in bodies:
        assert "@" not in body or not any(e in body for e in emails)
        assert token not in body
        assert not any(h in body for h in hashes)
        assert "token_hash" not in body


def test_nothing_stores_ip_addresses_or_user_agents(app):
    suspicious = ("ip", "remote_addr", "user_agent", "agent", "address")
    columns = [
        f"{table}.{column['name']}"
        for table in inspect(db.engine).get_table_names()
        for column in inspect(db.engine).get_columns(table)
        if column["name"].lower() in suspicious or column["name"].lower().endswith("_ip")
    ]
    assert columns == []
    from consult.production.server import gunicorn_options

    assert gunicorn_options("127.0.0.1", 8000, 1, 1)["accesslog"] is None  # off unless asked


def _export_ids(runner, tmp_path, name: str) -> dict[str, set[str]]:
    """``consult export-polis demo 1``: the participant ids each of its files names."""
    out = tmp_path / name
    result = runner.invoke(args=["export-polis", "demo", "1", str(out)])
    assert result.exit_code == 0, result.output

    def column(file: str, header: str) -> set[str]:
        with (out / file).open(encoding="utf-8") as fh:
            return {row[header] for row in csv.DictReader(fh)} - {""}

    return {
        "participants": column("participants-votes.csv", "participant"),
        "voters": column("votes.csv", "voter-id"),
        "authors": column("comments.csv", "author-id"),
    }


@pytest.mark.model
def test_deleting_a_participant_keeps_the_published_report_verifiable(
    app, runner, embedder, tmp_path
):
    """After a published report, a participant deletes their data: ``consult report verify``
    still passes (the report and its frozen record keep their aggregates) and the Pol.is
    export no longer names them."""
    from consult.analysis.services import recompute
    from consult.security.privacy import delete_participant
    from tests.reports.helpers import publish_demo

    phase = publish_demo(embedder)
    author = db.session.scalar(
        select(Participant)
        .join(Statement, Statement.author_id == Participant.id)
        .join(Vote, Vote.participant_id == Participant.id)
        .where(Statement.phase_id == phase.id)
        .limit(1)
    )
    pid = str(author.id)
    before = _export_ids(runner, tmp_path, "before")
    assert all(pid in ids for ids in before.values())  # voted and wrote a statement

    delete_participant(author)
    recompute(phase)  # the analysis the deletion asks for
    verified = runner.invoke(args=["report", "verify", "demo", "1"])
    assert verified.exit_code == 0, verified.output
    assert "ok   version 1: report figures" in verified.output and "FAIL" not in verified.output

    after = _export_ids(runner, tmp_path, "after")
    assert all(pid not in ids for ids in after.values())
    assert after["participants"] == before["participants"] - {pid}
