"""Jobs coalesce per key, run off the request path, and record failures with their error."""

from __future__ import annotations

import threading

from consult.extensions import db
from consult.jobs import services
from consult.jobs.models import Job, JobState


def test_inline_job_runs_and_records_result(app):
    calls = []

    @services.handler("test.echo")
    def echo(payload):
        calls.append(payload)
        return {"seen": payload["n"]}

    job_id = services.enqueue("test.echo", "k1", {"n": 3})
    job = db.session.get(Job, job_id)
    assert calls == [{"n": 3}]
    assert job.state == JobState.DONE and job.result == {"seen": 3} and job.attempts == 1
    assert job.duration is not None and job.duration >= 0


def test_failure_is_recorded_with_the_error(app):
    @services.handler("test.boom")
    def boom(payload):
        raise ValueError("the vote matrix is empty")

    job_id = services.enqueue("test.boom", "k1")
    job = db.session.get(Job, job_id)
    assert job.state == JobState.FAILED
    assert job.error == "ValueError: the vote matrix is empty"


def test_queued_jobs_coalesce_and_thread_mode_runs_in_background(app):
    started, release = threading.Event(), threading.Event()
    runs = []

    @services.handler("test.slow")
    def slow(payload):
        started.set()
        release.wait(5)
        runs.append(payload)

    app.config["CONSULT_JOBS_INLINE"] = False
    first = services.enqueue("test.slow", "phase:1", {"n": 1})
    assert started.wait(5)  # running in the worker thread while this request goes on
    second = services.enqueue("test.slow", "phase:1", {"n": 2})
    third = services.enqueue("test.slow", "phase:1", {"n": 3})
    assert second == third != first  # one waits behind the running job; the rest coalesce
    release.set()
    services._thread_executor().submit(lambda: None).result(timeout=10)
    services._thread_executor().submit(lambda: None).result(timeout=10)
    db.session.rollback()
    states = [db.session.get(Job, i).state for i in (first, second)]
    assert states == [JobState.DONE, JobState.DONE]
    assert runs == [{"n": 1}, {"n": 2}]
