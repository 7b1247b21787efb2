"""Retries with backoff, leases renewed by heartbeats, and the sweeper that recovers lost jobs."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select, update

from consult.database import utcnow, write_transaction
from consult.extensions import db
from consult.jobs import services
from consult.jobs.models import Job, JobState


def _job(job_id: int) -> Job:
    db.session.rollback()
    return db.session.get(Job, job_id, populate_existing=True)


def _flaky(name: str, failures: int):
    """Register a handler that fails ``failures`` times, then succeeds; returns its call log."""
    calls: list[dict] = []

    @services.handler(name)
    def flaky(payload):
        calls.append(payload)
        if len(calls) <= failures:
            raise ConnectionError(f"embedding service unreachable (call {len(calls)})")
        return {"calls": len(calls)}

    return calls


def _run_due(job_id: int) -> JobState:
    """What a worker does when handed the job: one attempt, with retries enabled."""
    return services.run_job(job_id)


def test_failed_attempt_waits_with_backoff_then_succeeds(app):
    app.config.update(CONSULT_JOBS_INLINE=False, CONSULT_JOB_RETRY_BACKOFF=0.3)
    calls = _flaky("test.flaky", failures=1)
    with write_transaction(db.session) as session:
        job = Job(kind="test.flaky", key="phase:1", payload={"n": 1}, max_attempts=3)
        session.add(job)
    assert _run_due(job.id) == JobState.QUEUED
    waiting = _job(job.id)
    assert waiting.attempts == 1 and waiting.dispatched_at is None
    assert waiting.error == "ConnectionError: embedding service unreachable (call 1)"
    assert waiting.run_after > utcnow()
    assert _run_due(job.id) == JobState.QUEUED and len(calls) == 1  # not due yet: untouched

    time.sleep(0.35)
    report = services.sweep()
    assert report.dispatched == [job.id]  # handed to the job thread, which runs it
    services._thread_executor().submit(lambda: None).result(timeout=10)
    done = _job(job.id)
    assert done.state == JobState.DONE and done.attempts == 2 and done.result == {"calls": 2}
    assert len(calls) == 2


def test_backoff_doubles_and_the_last_attempt_fails_for_good(app):
    app.config.update(CONSULT_JOBS_INLINE=False, CONSULT_JOB_RETRY_BACKOFF=10)
    assert [services.backoff(app, n) for n in (1, 2, 3)] == [10, 20, 40]
    app.config["CONSULT_JOB_RETRY_BACKOFF"] = 0
    calls = _flaky("test.broken", failures=99)
    with write_transaction(db.session) as session:
        job = Job(kind="test.broken", key="k", payload={}, max_attempts=2)
        session.add(job)
    assert _run_due(job.id) == JobState.QUEUED
    assert _run_due(job.id) == JobState.FAILED
    failed = _job(job.id)
    assert failed.attempts == 2 and len(calls) == 2
    assert failed.error == (
        "ConnectionError: embedding service unreachable (call 2) (attempt 2 of 2: giving up)"
    )
    assert failed.duration is not None


def test_retry_gives_way_to_a_job_queued_for_the_same_key(app):
    app.config.update(CONSULT_JOBS_INLINE=False, CONSULT_JOB_RETRY_BACKOFF=0)
    started, release = threading.Event(), threading.Event()

    @services.handler("test.fail_late")
    def fail_late(payload):
        started.set()
        release.wait(5)
        raise RuntimeError("the vote matrix changed shape")

    first = services.enqueue("test.fail_late", "phase:7")
    assert started.wait(5)
    second = services.enqueue("test.fail_late", "phase:7")  # queued behind the running one
    services.HANDLERS["test.fail_late"] = lambda payload: {"ok": True}
    release.set()
    services._thread_executor().submit(lambda: None).result(timeout=10)
    services._thread_executor().submit(lambda: None).result(timeout=10)
    old, new = _job(first), _job(second)
    assert old.state == JobState.FAILED
    assert old.error == (
        f"RuntimeError: the vote matrix changed shape (job {second}, queued for the same key, "
        "redoes it)"
    )
    assert new.state == JobState.DONE and new.result == {"ok": True}


def _orphan(kind: str, key: str, *, attempts: int = 1, max_attempts: int = 3, age: float = 60):
    """A job left running by a worker that died ``age`` seconds after its last heartbeat."""
    seen = utcnow() - timedelta(seconds=age)
    with write_transaction(db.session) as session:
        job = Job(
            kind=kind,
            key=key,
            payload={"phase_id": 3},
            state=JobState.RUNNING,
            attempts=attempts,
            max_attempts=max_attempts,
            started_at=seen - timedelta(seconds=5),
            heartbeat_at=seen,
            worker="web-1:4242",
        )
        session.add(job)
    return job.id


def test_sweeper_requeues_a_job_whose_worker_died_and_it_completes(app):
    app.config.update(CONSULT_JOBS_INLINE=False, CONSULT_JOB_LEASE_SECONDS=30)
    services.handler("test.recover")(lambda payload: {"phase": payload["phase_id"]})
    lost = _orphan("test.recover", "phase:3", age=60)
    alive = _orphan("test.recover", "phase:4", age=5)  # within its lease: left alone

    report = services.sweep()
    assert report.requeued == [lost] and report.dispatched == [lost]
    services._thread_executor().submit(lambda: None).result(timeout=10)
    job = _job(lost)
    assert job.state == JobState.DONE and job.attempts == 2 and job.result == {"phase": 3}
    assert job.error.startswith("worker web-1:4242 lost during attempt 1: no heartbeat since")
    assert _job(alive).state == JobState.RUNNING


def test_lost_job_without_attempts_left_or_with_a_newer_one_queued_fails(app):
    app.config.update(CONSULT_JOBS_INLINE=False)
    services.handler("test.recover")(lambda payload: None)
    exhausted = _orphan("test.recover", "a", attempts=3, max_attempts=3)
    superseded = _orphan("test.recover", "b")
    with write_transaction(db.session) as session:
        newer = Job(kind="test.recover", key="b", payload={}, run_after=utcnow() + timedelta(1))
        session.add(newer)
    report = services.sweep()
    assert sorted(report.failed) == sorted([exhausted, superseded])
    assert _job(exhausted).error.endswith("(attempt 3 of 3: giving up)")
    assert _job(superseded).error.endswith(f"(job {newer.id}, queued for the same key, redoes it)")


def test_heartbeat_keeps_a_long_job_alive_past_its_lease(app):
    """A job running three leases long is not taken away while its worker beats."""
    app.config.update(CONSULT_JOBS_INLINE=False, CONSULT_JOB_LEASE_SECONDS=0.4)
    started, finish = threading.Event(), threading.Event()

    @services.handler("test.long")
    def long_job(payload):
        started.set()
        finish.wait(5)
        return {"ok": True}

    job_id = services.enqueue("test.long", "k")
    assert started.wait(5)
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:
        assert services.sweep().requeued == []
        time.sleep(0.1)
    beat = _job(job_id).heartbeat_at
    assert (utcnow() - beat).total_seconds() < 0.4
    finish.set()
    services._thread_executor().submit(lambda: None).result(timeout=10)
    job = _job(job_id)
    assert job.state == JobState.DONE and job.attempts == 1


def test_a_late_runner_cannot_overwrite_a_newer_attempt(app):
    """A worker presumed dead that wakes up finds its attempt taken over: its outcome is dropped."""
    app.config.update(CONSULT_JOBS_INLINE=False)
    job_id = _orphan("test.recover", "k", attempts=1)
    with write_transaction(db.session) as session:  # the sweeper gave attempt 2 to someone else
        session.execute(update(Job).where(Job.id == job_id).values(attempts=2))
    assert not services._finish(job_id, 1, JobState.DONE, result={"stale": True})
    job = _job(job_id)
    assert job.state == JobState.RUNNING and job.result is None


def test_parallel_enqueues_of_one_key_queue_one_job(app):
    """Twenty requests asking at once for the same recompute leave one queued job (on PostgreSQL
    an advisory lock per key serialises them; on SQLite, BEGIN IMMEDIATE)."""
    app.config.update(CONSULT_JOBS_INLINE=False, REDIS_URL="redis://127.0.0.1:9/0")  # no Redis
    services.handler("test.parallel")(lambda payload: None)
    barrier = threading.Barrier(20)
    ids: list[int] = []
    errors: list[BaseException] = []

    def ask() -> None:
        with app.app_context():
            try:
                barrier.wait()
                ids.append(services.enqueue("test.parallel", "phase:9"))
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(ids) == 20 and len(set(ids)) == 1
    db.session.rollback()
    queued = db.session.scalars(select(Job).where(Job.kind == "test.parallel")).all()
    assert [job.state for job in queued] == [JobState.QUEUED]


def test_jobs_commands_list_and_sweep(app, runner):
    """`consult jobs sweep` recovers a lost job and, without Redis, runs what is due right there;
    `consult jobs list` shows the outcome."""
    app.config.update(CONSULT_JOBS_INLINE=False)
    services.handler("test.cli")(lambda payload: {"ok": True})
    lost = _orphan("test.cli", "phase:1")
    with write_transaction(db.session) as session:
        waiting = Job(kind="test.cli", key="phase:2", payload={})
        session.add(waiting)
    result = runner.invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0, result.output
    assert "requeued 1, failed 0, dispatched 2" in result.output
    assert [_job(i).state for i in (lost, waiting.id)] == [JobState.DONE, JobState.DONE]
    listing = runner.invoke(args=["jobs", "list", "--state", "done"])
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert len(lines) == 2 and all(" done " in line and "test.cli" in line for line in lines)
    assert "attempts 2/3" in listing.output and "lost during attempt 1" in listing.output
