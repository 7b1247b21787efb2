"""The job list: who may see it, and that it shows each state with errors, attempts, durations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult.database import utcnow, write_transaction
from consult.extensions import db
from consult.jobs import services
from consult.jobs.models import Job, JobState
from tests.conftest import csrf_from


def _jobs() -> dict[str, int]:
    now = utcnow()
    rows = {
        "queued": Job(kind="analysis.recompute", key="phase:1", payload={"phase_id": 1}),
        "retrying": Job(
            kind="themes.embed",
            key="phase:2",
            attempts=1,
            error="ConnectionError: model server unreachable",
            run_after=now + timedelta(minutes=2),
        ),
        "running": Job(
            kind="analysis.recompute",
            key="phase:3",
            state=JobState.RUNNING,
            attempts=1,
            started_at=now - timedelta(seconds=40),
            heartbeat_at=now - timedelta(seconds=3),
            worker="worker-2:77",
        ),
        "failed": Job(
            kind="analysis.recompute",
            key="phase:4",
            payload={"phase_id": 4},
            state=JobState.FAILED,
            attempts=3,
            error="ValueError: the vote matrix is empty (attempt 3 of 3: giving up)",
            started_at=now - timedelta(seconds=10),
            finished_at=now - timedelta(seconds=8, milliseconds=500),
        ),
        "done": Job(
            kind="analysis.recompute",
            key="phase:5",
            state=JobState.DONE,
            attempts=1,
            started_at=now - timedelta(seconds=5),
            finished_at=now - timedelta(seconds=2, milliseconds=750),
            worker="worker-1:12",
        ),
    }
    with write_transaction(db.session) as session:
        session.add_all(rows.values())
    return {name: job.id for name, job in rows.items()}


def test_only_support_and_admin_see_the_job_list(client, staff):
    assert client.get("/admin/jobs/").status_code == 302  # to the sign-in page
    staff.login("host")
    assert client.get("/admin/jobs/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})
    staff.login("support", email="support@test.example")
    assert client.get("/admin/jobs/").status_code == 200


def test_job_list_shows_every_state_with_error_attempts_and_duration(client, staff):
    ids = _jobs()
    staff.login("admin")
    page = client.get("/admin/jobs/").text
    sections = {
        state: page.split(f'id="jobs-{state}"', 1)[1].split("</section>", 1)[0]
        for state in ("running", "queued", "failed", "done")
    }
    assert f'id="job-{ids["queued"]}"' in sections["queued"]
    assert "waiting to be handed over" in sections["queued"]
    assert "retry at" in sections["queued"] and "model server unreachable" in sections["queued"]
    assert "worker-2:77" in sections["running"] and "40." in sections["running"]
    assert "the vote matrix is empty (attempt 3 of 3: giving up)" in sections["failed"]
    assert "1.50 s" in sections["failed"] and "3 / 3" in sections["failed"]
    assert "2.25 s" in sections["done"] and "worker-1:12" in sections["done"]
    assert "Jobs run at once" in page  # the test app runs jobs inline


def test_retry_button_queues_a_failed_job_again(client, staff):
    ran = []
    services.handler("test.page_retry")(lambda payload: ran.append(payload) or {"ok": 1})
    ids = _jobs()
    with write_transaction(db.session) as session:
        failed = Job(
            kind="test.page_retry",
            key="phase:4",
            payload={"phase_id": 4},
            state=JobState.FAILED,
            attempts=3,
            error="OSError: disk full",
        )
        session.add(failed)
    staff.login("support")
    page = client.get("/admin/jobs/")
    token = csrf_from(page.text)
    assert (
        client.post(f"/admin/jobs/{failed.id}/retry", data={"csrf_token": token}).status_code == 302
    )
    flashed = client.get("/admin/jobs/").text
    assert f"Job {failed.id} (test.page_retry) queued again as job" in flashed
    assert ran == [{"phase_id": 4}]  # the test app runs jobs inline: it ran at once
    assert (
        client.post(f"/admin/jobs/{ids['done']}/retry", data={"csrf_token": token}).status_code
        == 302
    )
    assert "is not a failed job" in client.get("/admin/jobs/").text


def test_job_list_says_how_jobs_run_and_whether_redis_answers(client, staff, app):
    staff.login("support")
    app.config.update(CONSULT_JOBS_INLINE=False, REDIS_URL="redis://127.0.0.1:9/0")
    page = client.get("/admin/jobs/").text
    assert "Jobs run on RQ workers" in page and "Redis is unreachable" in page
    app.config["REDIS_URL"] = None
    assert "in a background thread of each web process" in client.get("/admin/jobs/").text


@pytest.mark.redis
def test_job_list_shows_the_rq_queue(client, staff, app, redis_url):
    services.handler("test.page_rq")(lambda payload: None)
    app.config.update(CONSULT_JOBS_INLINE=False, REDIS_URL=redis_url)
    services.enqueue("test.page_rq", "phase:1")
    staff.login("support")
    page = client.get("/admin/jobs/").text
    assert "Redis: 1 waiting in the queue, 0 workers alive" in page
