"""Jobs on Redis + RQ: hand-over, a real RQ worker, retries, coalescing, Redis unreachable."""

from __future__ import annotations

import time

import pytest
from redis import Redis
from rq import Queue

from consult.extensions import db
from consult.jobs import queue, services
from consult.jobs.models import Job, JobState
from consult.jobs.worker import run_worker

pytestmark = pytest.mark.redis

CLOSED_PORT_URL = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


@pytest.fixture
def rq_app(app, redis_url):
    app.config.update(CONSULT_JOBS_INLINE=False, REDIS_URL=redis_url, CONSULT_JOB_RETRY_BACKOFF=0.2)
    return app


def _job(job_id: int) -> Job:
    db.session.rollback()
    return db.session.get(Job, job_id, populate_existing=True)


def _rq_queue(url: str) -> Queue:
    return Queue(services.RQ_QUEUE, connection=Redis.from_url(url))


def test_enqueue_hands_the_job_to_rq_and_a_worker_runs_it(rq_app, redis_url):
    seen = []
    services.handler("test.rq_echo")(lambda payload: seen.append(payload) or {"n": payload["n"]})
    job_id = services.enqueue("test.rq_echo", "phase:1", {"n": 5})
    assert _job(job_id).state == JobState.QUEUED and _job(job_id).dispatched_at is not None
    assert _rq_queue(redis_url).job_ids == [queue.rq_job_id(job_id, 1)]

    run_worker(rq_app, burst=True)
    job = _job(job_id)
    assert seen == [{"n": 5}]
    assert job.state == JobState.DONE and job.result == {"n": 5} and job.attempts == 1
    assert job.worker and job.duration is not None
    assert _rq_queue(redis_url).count == 0


def test_queued_jobs_coalesce_per_kind_and_key(rq_app, redis_url):
    services.handler("test.rq_echo")(lambda payload: {"n": payload["n"]})
    ids = [services.enqueue("test.rq_echo", "phase:1", {"n": n}) for n in range(3)]
    other = services.enqueue("test.rq_echo", "phase:2", {"n": 9})
    assert ids == [ids[0]] * 3 and other != ids[0]
    assert _rq_queue(redis_url).count == 2
    run_worker(rq_app, burst=True)
    assert [_job(i).result for i in (ids[0], other)] == [{"n": 0}, {"n": 9}]


def test_failed_attempt_is_retried_after_backoff_by_the_worker(rq_app):
    rq_app.config["CONSULT_JOB_RETRY_BACKOFF"] = 1.5
    calls = []

    @services.handler("test.rq_flaky")
    def flaky(payload):
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("model server timed out")
        return {"calls": len(calls)}

    job_id = services.enqueue("test.rq_flaky", "k")
    run_worker(rq_app, burst=True)
    waiting = _job(job_id)
    assert waiting.state == JobState.QUEUED and waiting.attempts == 1
    assert waiting.error == "TimeoutError: model server timed out"
    assert services.sweep().dispatched == []  # the retry is not due yet
    time.sleep(max(0.0, (waiting.run_after - services.utcnow()).total_seconds()) + 0.05)
    assert services.sweep().dispatched == [job_id]
    run_worker(rq_app, burst=True)
    job = _job(job_id)
    assert job.state == JobState.DONE and job.attempts == 2 and job.result == {"calls": 2}


def test_enqueue_with_redis_unreachable_keeps_the_job_queued_until_it_is_back(rq_app, redis_url):
    services.handler("test.rq_echo")(lambda payload: {"n": payload["n"]})
    rq_app.config["REDIS_URL"] = CLOSED_PORT_URL
    started = time.monotonic()
    job_id = services.enqueue("test.rq_echo", "phase:1", {"n": 1})
    second = services.enqueue("test.rq_echo", "phase:2", {"n": 2})  # Redis skipped: no wait
    assert time.monotonic() - started < 2.5
    assert [_job(i).state for i in (job_id, second)] == [JobState.QUEUED, JobState.QUEUED]
    assert _job(job_id).dispatched_at is None and _job(second).dispatched_at is None

    rq_app.config["REDIS_URL"] = redis_url  # Redis is back
    queue.reset_for_tests()
    assert services.sweep().dispatched == [job_id, second]
    run_worker(rq_app, burst=True)
    assert [_job(i).state for i in (job_id, second)] == [JobState.DONE, JobState.DONE]


def test_sweeper_hands_over_again_a_job_redis_lost(rq_app, redis_url):
    """Redis restarted empty: a job handed over long ago but no longer in RQ is sent again."""
    services.handler("test.rq_echo")(lambda payload: {"n": payload["n"]})
    job_id = services.enqueue("test.rq_echo", "phase:1", {"n": 1})
    Redis.from_url(redis_url).flushdb()  # what a restart without persistence leaves
    assert services.sweep().dispatched == []  # handed over just now: give RQ time
    later = services.utcnow().replace(microsecond=0)
    from datetime import timedelta

    assert services.sweep(later + timedelta(minutes=5)).dispatched == [job_id]
    run_worker(rq_app, burst=True)
    assert _job(job_id).state == JobState.DONE


def test_worker_command_needs_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output
