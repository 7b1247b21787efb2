"""Closing from the close screen: input stops at once, a ``reports.close`` job freezes the record.

The freeze (which may recompute the analysis) never runs in the request. These tests use
planted votes, so they need no embedding model and run on both databases.
"""

from __future__ import annotations

from sqlalchemy import func, select

from consult.consultations.models import PhaseState
from consult.extensions import db
from consult.jobs import services as jobs
from consult.jobs.models import Job, JobState
from consult.reports import services as reports
from consult.reports.models import PhaseRecord
from tests.conftest import Staff, csrf_from
from tests.maps.helpers import planted_consultation
from tests.reports.helpers import FreshClient

CLOSED_TEXT = "Phase 1 is closed: it takes no more input."


def _support(app):
    client = FreshClient(app.test_client())
    Staff(client).login("support")
    return client


def _records(phase) -> int:
    return db.session.scalar(select(func.count()).where(PhaseRecord.phase_id == phase.id))


def _close(client, base: str):
    token = csrf_from(client.get(f"{base}/close").text)
    return client.post(f"{base}/close", data={"csrf_token": token})


def _hold_jobs(app) -> None:
    """Jobs are queued but not run: Redis is unreachable, so they wait for the sweeper."""
    app.config.update(CONSULT_JOBS_INLINE=False, REDIS_URL="redis://127.0.0.1:9/0")


def _run_held(app, job_id: int) -> JobState:
    app.config.update(CONSULT_JOBS_INLINE=True, REDIS_URL=None)
    return jobs.run_job(job_id, retry=False)


def test_closing_from_the_page_queues_the_freeze_and_it_freezes_the_record(app):
    _, planted, _ = planted_consultation()
    phase = planted.phase
    base = f"/c/{phase.consultation.slug}/phase/1"
    client = _support(app)

    answer = _close(client, base)  # CONSULT_JOBS_INLINE: the job runs before the redirect
    assert answer.status_code == 302
    job = db.session.scalar(select(Job).where(Job.kind == "reports.close"))
    assert job is not None and job.key == f"phase:{phase.id}" and job.state == JobState.DONE
    db.session.refresh(phase)
    assert phase.state == PhaseState.CLOSED
    record = reports.current_record(phase)
    assert record is not None and job.result["record"] == record.content_hash
    screen = client.get(answer.headers["Location"]).text
    assert f"its record {record.content_hash[:12]} is frozen" in screen
    assert "Frozen record" in screen and 'id="close-state"' not in screen
    assert "no theme run existed: the report has no themes" in screen.replace(
        "No theme", "no theme"
    )
    # Closing again is refused: the record is frozen.
    again = client.get(_close(client, base).headers["Location"]).text
    assert "is already closed" in again
    assert _records(phase) == 1


def test_a_vote_after_close_is_refused_before_the_job_runs(app):
    _, planted, _ = planted_consultation()
    phase = planted.phase
    base = f"/c/{phase.consultation.slug}/phase/1"
    voter = FreshClient(app.test_client())
    token = voter.post("/api/v1/participants", json={}).json["token"]
    auth = {"Authorization": f"Bearer {token}"}
    votes = f"/api/v1/phases/{phase.id}/votes"
    statement_id = planted.statement_ids[0]
    assert voter.post(votes, json={"statement_id": statement_id, "vote": "agree"}, headers=auth)
    client = _support(app)

    _hold_jobs(app)
    answer = _close(client, base)
    assert answer.status_code == 302
    job = db.session.scalar(select(Job).where(Job.kind == "reports.close"))
    assert job.state == JobState.QUEUED and job.payload["phase_id"] == phase.id
    db.session.refresh(phase)
    assert phase.state == PhaseState.CLOSED and _records(phase) == 0
    refused = voter.post(votes, json={"statement_id": statement_id, "vote": "pass"}, headers=auth)
    assert refused.status_code == 409

    # The close screen says the freeze is queued, polls, and offers no publishing yet.
    screen = client.get(answer.headers["Location"]).text
    assert CLOSED_TEXT in screen
    assert "Freezing its record is queued" in screen and 'hx-trigger="every 2s"' in screen
    assert "Publishing waits for the frozen record." in screen
    assert "Close the phase and freeze its record" not in screen
    state = client.get(f"{base}/close/state", headers={"HX-Request": "true"})
    assert 'role="status"' in state.text and "HX-Refresh" not in state.headers
    assert reports.publish_blockers(phase) and reports.draft_document(phase) is None
    # A second click while it waits queues nothing more.
    _close(client, base)
    assert db.session.scalar(select(func.count()).where(Job.kind == "reports.close")) == 1

    assert _run_held(app, job.id) == JobState.DONE
    db.session.refresh(phase)
    assert phase.state == PhaseState.CLOSED and _records(phase) == 1
    record = reports.current_record(phase)
    assert (
        record.payload["analysis"]["result"]["counts"]["n_votes"]
        == len(planted.conversation.values) + 1
    )
    # The polled fragment tells the page to reload, which now shows the record.
    state = client.get(f"{base}/close/state", headers={"HX-Request": "true"})
    assert state.headers["HX-Refresh"] == "true"
    screen = client.get(f"{base}/close").text
    assert record.content_hash[:16] in screen and "Freezing its record" not in screen


def test_a_failed_freeze_leaves_a_closed_phase_the_support_unit_freezes_again(app, monkeypatch):
    _, planted, _ = planted_consultation()
    phase = planted.phase
    base = f"/c/{phase.consultation.slug}/phase/1"
    client = _support(app)
    from consult.reports import services as module

    def broken(phase):
        raise OSError("disk full")

    monkeypatch.setattr(module, "build_record", broken)
    answer = _close(client, base)
    job = db.session.scalar(select(Job).where(Job.kind == "reports.close"))
    assert job.state == JobState.FAILED and "disk full" in job.error
    db.session.refresh(phase)
    assert phase.state == PhaseState.CLOSED and _records(phase) == 0  # input stays stopped
    screen = client.get(answer.headers["Location"]).text
    assert "Freezing the record failed: OSError: disk full." in screen
    assert "The phase stays closed and takes no input" in screen
    assert "Freeze the record again" in screen
    state = client.get(f"{base}/close/state", headers={"HX-Request": "true"})
    assert "HX-Refresh" not in state.headers and "hx-trigger" not in state.text  # stops polling
    assert "Freeze the record again" in state.text

    monkeypatch.undo()
    retried = client.get(_close(client, base).headers["Location"]).text
    assert "is frozen" in retried and "Freezing the record failed" not in retried
    assert _records(phase) == 1
    assert [j.state for j in db.session.scalars(select(Job).order_by(Job.id))] == [
        JobState.FAILED,
        JobState.DONE,
    ]


def test_a_closed_phase_without_a_record_is_frozen_from_the_command_line_too(app, runner):
    _, planted, _ = planted_consultation()
    phase = planted.phase
    client = _support(app)
    _hold_jobs(app)
    _close(client, f"/c/{phase.consultation.slug}/phase/1")
    app.config.update(CONSULT_JOBS_INLINE=True, REDIS_URL=None)
    result = runner.invoke(args=["phase", "close", phase.consultation.slug, "1"])
    assert result.exit_code == 0, result.output
    assert "Frozen record" in result.output
    job = db.session.scalar(select(Job).where(Job.kind == "reports.close"))
    assert jobs.run_job(job.id, retry=False) == JobState.DONE  # nothing left to freeze
    assert job.result == {"skipped": "closed"} and _records(phase) == 1


def test_a_phase_that_refuses_to_close_is_open_again_with_the_reason(app, make_phase):
    phase = make_phase(3)  # no votes: nothing to freeze
    base = f"/c/{phase.consultation.slug}/phase/1"
    client = _support(app)
    screen = client.get(_close(client, base).headers["Location"]).text
    db.session.refresh(phase)
    assert phase.state == PhaseState.OPEN and _records(phase) == 0
    assert "The phase could not be closed: phase 1 has no votes" in screen
    assert "It is open again and takes input." in screen
    assert "Close the phase and freeze its record" in screen


def test_a_phase_closed_again_after_a_reopen_stands_on_no_record_until_the_new_one(app):
    from consult.reports.records import frozen_row

    _, planted, _ = planted_consultation()
    phase = planted.phase
    base = f"/c/{phase.consultation.slug}/phase/1"
    client = _support(app)
    _close(client, base)
    first = frozen_row(phase)
    assert first is not None

    reports.reopen_phase(phase, None)
    assert frozen_row(phase) is None  # an open phase stands on its live analysis and themes
    _hold_jobs(app)
    _close(client, base)
    db.session.refresh(phase)
    assert phase.state == PhaseState.CLOSED and _records(phase) == 1
    assert frozen_row(phase) is None and reports.current_record(phase) is None
    assert reports.publish_blockers(phase)

    job = db.session.scalar(
        select(Job).where(Job.kind == "reports.close").order_by(Job.id.desc()).limit(1)
    )
    assert _run_held(app, job.id) == JobState.DONE
    second = frozen_row(phase)
    assert second is not None and second.id != first.id


def test_the_support_unit_reopens_a_phase_closed_too_early_from_the_close_screen(app):
    _, planted, _ = planted_consultation()
    phase = planted.phase
    base = f"/c/{phase.consultation.slug}/phase/1"
    client = _support(app)
    _close(client, base)
    screen = client.get(f"{base}/close").text
    assert "Reopen the phase…" in screen

    answer = client.post(f"{base}/reopen", data={"csrf_token": csrf_from(screen)})
    page = client.get(answer.headers["Location"]).text
    assert "Phase 1 is open again and takes input." in page
    db.session.refresh(phase)
    assert phase.state == PhaseState.OPEN and _records(phase) == 1  # the record is kept
    assert "Close the phase and freeze its record" in page and "Reopen the phase…" not in page
    trail = client.get(f"{base}/responses/audit").text
    assert "reopened" in trail

    # Refused for an open phase, and while a freeze is queued (it would finish on an open phase).
    again = client.post(f"{base}/reopen", data={"csrf_token": csrf_from(page)})
    assert "Not reopened: only a closed phase can be reopened." in client.get(again.location).text
    _hold_jobs(app)
    _close(client, base)
    screen = client.get(f"{base}/close").text
    assert "Reopen the phase…" not in screen
    refused = client.post(f"{base}/reopen", data={"csrf_token": csrf_from(screen)})
    assert "wait until that is done" in client.get(refused.location).text
    db.session.refresh(phase)
    assert phase.state == PhaseState.CLOSED
