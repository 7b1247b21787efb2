"""Faults a production deployment meets, each run for real: a worker killed during a recompute,
Redis restarted, the database cut off. Votes are never lost or half-written, and people get clear
answers (the previous analysis, a 503 with Retry-After) instead of errors."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from consult import create_app
from consult.analysis.jobs import enqueue_recompute
from consult.analysis.services import latest_snapshot, recompute
from consult.database import write_transaction
from consult.extensions import db
from consult.jobs import queue
from consult.jobs.models import Job, JobState
from consult.jobs.services import wait_for
from consult.participation.models import Participant, Vote, VoteHistory
from tests.conftest import csrf_from
from tests.production.conftest import TcpProxy

DONE_OR_FAILED = (JobState.DONE, JobState.FAILED)


def _random_votes(phase, n: int, seed: int) -> None:
    """``n`` participants voting on about 60 % of the phase's statements, written in bulk."""
    rng = np.random.default_rng(seed)
    statements = [s.id for s in phase.statements]
    with write_transaction(db.session) as session:
        ids = session.scalars(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            [{"token_hash": f"faults-{seed}-{i:06d}".ljust(64, "x")} for i in range(n)],
        ).all()
        rows = [
            {"participant_id": p, "statement_id": s, "value": int(rng.integers(-1, 2))}
            for p in ids
            for s in statements
            if rng.random() < 0.6
        ]
        session.execute(insert(Vote), rows)


def _job(job_id: int) -> Job:
    db.session.rollback()
    return db.session.get(Job, job_id, populate_existing=True)


def _vote(client, token: str, phase_id: int, statement_id: int, word: str = "agree"):
    return client.post(
        f"/api/v1/phases/{phase_id}/votes",
        json={"statement_id": statement_id, "vote": word},
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.redis
@pytest.mark.slow
def test_worker_killed_during_a_recompute_the_job_is_retried(
    app, client, make_phase, redis_url, consult_process
):
    app.config.update(REDIS_URL=redis_url, CONSULT_JOBS_INLINE=False)
    phase = make_phase(40, strict=False)
    _random_votes(phase, 400, seed=1)
    previous = recompute(phase).snapshot  # what pages show until a new analysis is stored
    _random_votes(phase, 100, seed=2)  # new votes: the recompute has real work to do
    settings = {
        "REDIS_URL": redis_url,
        "CONSULT_JOB_LEASE_SECONDS": 1.5,
        "CONSULT_JOB_SWEEP_SECONDS": 0.3,
    }
    worker = consult_process("worker", **settings)
    job_id = enqueue_recompute(phase.id)
    assert wait_for(job_id, (JobState.RUNNING, *DONE_OR_FAILED), timeout=60).state == (
        JobState.RUNNING
    ), worker.output()
    worker.kill()
    assert _job(job_id).state == JobState.RUNNING  # killed in the middle of the recompute

    # Votes keep being accepted while no worker runs.
    token = client.post("/api/v1/participants").json["token"]
    for statement in phase.statements[:5]:
        assert _vote(client, token, phase.id, statement.id).status_code == 200
    # The results page shows the previous snapshot and says an update is on its way.
    page = client.get(f"/c/{phase.consultation.slug}/phase/{phase.position}/results")
    assert page.status_code == 200
    assert f"snapshot {previous.id}" in page.text and "an update is being computed" in page.text

    # A new worker's sweeper finds the job's lease expired and runs it again.
    replacement = consult_process("worker", **settings)
    job = wait_for(job_id, DONE_OR_FAILED, timeout=90)
    assert job.state == JobState.DONE, replacement.output()
    assert job.attempts == 2 and "lost during attempt 1: no heartbeat since" in job.error
    latest = latest_snapshot(phase.id)
    assert latest.id == job.result["snapshot_id"] != previous.id
    assert latest.summary["n_participants"] == 400 + 100 + 1  # the votes cast meanwhile count


@pytest.mark.redis
@pytest.mark.slow
def test_redis_restart_web_keeps_serving_and_queues_recover(
    app, client, make_phase, private_redis, consult_process
):
    app.config.update(REDIS_URL=private_redis.url, CONSULT_JOBS_INLINE=False)
    phase = make_phase(6, strict=False)
    _random_votes(phase, 30, seed=3)
    worker = consult_process("worker", REDIS_URL=private_redis.url, CONSULT_JOB_SWEEP_SECONDS=0.3)
    before = enqueue_recompute(phase.id)
    assert wait_for(before, DONE_OR_FAILED, timeout=60).state == JobState.DONE, worker.output()

    private_redis.stop()
    # The web keeps serving: pages, new participants, votes.
    page_url = f"/c/{phase.consultation.slug}/phase/{phase.position}/"
    assert client.get(page_url).status_code == 200
    token = client.post("/api/v1/participants").json["token"]
    for statement in phase.statements:
        assert _vote(client, token, phase.id, statement.id, "disagree").status_code == 200
    # Asking for a recompute (as votes do) succeeds: the job waits in the table.
    during = enqueue_recompute(phase.id)
    assert _job(during).state == JobState.QUEUED and _job(during).dispatched_at is None

    private_redis.start()  # back, empty: it kept nothing across the restart
    job = wait_for(during, DONE_OR_FAILED, timeout=60)
    assert job.state == JobState.DONE, worker.output()
    assert latest_snapshot(phase.id).summary["n_participants"] == 31
    # New jobs go through Redis again at once.
    queue.reset_for_tests()  # this process skips Redis for a few seconds after an error
    after = enqueue_recompute(phase.id, force=True)
    assert _job(after).dispatched_at is not None
    assert wait_for(after, DONE_OR_FAILED, timeout=60).state == JobState.DONE


def _through_proxy(app, proxy: TcpProxy):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxied = url.set(host="127.0.0.1", port=proxy.port, query={"sslmode": "disable"})
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": proxied.render_as_string(hide_password=False),
            "TESTING": True,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "CONSULT_JOBS_INLINE": True,
            "CONSULT_AUTO_RECOMPUTE": False,
        }
    )


def _stored(participant_id: int, statement_id: int) -> tuple[int, int]:
    db.session.rollback()
    where = (Vote.participant_id == participant_id, Vote.statement_id == statement_id)
    votes = db.session.scalar(select(func.count()).select_from(Vote).where(*where))
    history = db.session.scalar(
        select(func.count())
        .select_from(VoteHistory)
        .where(
            VoteHistory.participant_id == participant_id,
            VoteHistory.statement_id == statement_id,
        )
    )
    return votes, history


@pytest.mark.postgres
def test_database_unavailable_gives_503_with_retry_after_and_saves_nothing(app, make_phase, staff):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite is a local file: there is no database server to lose")
    phase = make_phase(3, strict=False)
    statements = [s.id for s in phase.statements]
    page_url = f"/c/{phase.consultation.slug}/phase/{phase.position}/"
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    proxied = _through_proxy(app, proxy)
    web = proxied.test_client()
    try:
        token = web.post("/api/v1/participants").json["token"]
        assert _vote(web, token, phase.id, statements[0]).status_code == 200

        proxy.stop()  # the database goes away
        refused = _vote(web, token, phase.id, statements[1])
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert (
            "not reachable" in refused.json["error"]
            and "Nothing was saved" in refused.json["error"]
        )
        page = web.get(page_url)
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert "The database is not reachable right now" in page.text

        proxy.start()  # back
        assert _vote(web, token, phase.id, statements[1]).status_code == 200

        # A form vote whose connection dies after the vote was written, before COMMIT: 503,
        # and the transaction is rolled back: no vote row, no history row.
        form = web.get(page_url)
        csrf = csrf_from(form.text)
        first = web.post(
            f"{page_url}vote",
            data={"statement_id": statements[0], "vote": "agree", "csrf_token": csrf},
        )
        assert first.status_code == 302  # this vote also made the browser a participant
        voter = db.session.scalar(select(func.max(Participant.id)))
        proxy.cut_when(b"COMMIT", after=b"vote_history")
        cut = web.post(
            f"{page_url}vote",
            data={"statement_id": statements[2], "vote": "disagree", "csrf_token": csrf},
        )
        assert proxy.cuts == 1
        assert cut.status_code == 503 and "Nothing was saved" in cut.text
        assert _stored(voter, statements[2]) == (0, 0)
        again = web.post(
            f"{page_url}vote",
            data={"statement_id": statements[2], "vote": "disagree", "csrf_token": csrf},
        )
        assert again.status_code == 302 and _stored(voter, statements[2]) == (1, 1)

        # Signed-in staff get the 503 page too (the page layout cannot load their account).
        staff.client = web
        staff.login("support")
        proxy.stop()
        moderation = web.get("/moderation/")
        assert moderation.status_code == 503 and "not reachable" in moderation.text
    finally:
        proxy.stop()
        with proxied.app_context():
            db.engine.dispose()


def test_unmigrated_sqlite_database_names_the_fix_instead_of_asking_to_retry(tmp_path):
    """A fresh SQLite file that was never upgraded raises the same error class as a lost server;
    the operator must be told to migrate, not to wait and retry."""
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'never-migrated.db'}",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
        }
    )
    web = application.test_client()
    page = web.get("/")
    assert page.status_code == 503 and "Retry-After" not in page.headers
    assert "consult db upgrade" in page.text and "try again in" not in page.text
    api = web.post("/api/v1/participants")
    assert api.status_code == 503 and "consult db upgrade" in api.json["error"]
    with application.app_context():
        db.engine.dispose()
