"""Enqueue and run jobs: coalescing per (kind, key), state kept in the jobs table."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from consult.database import utcnow, write_transaction
from consult.extensions import db
from consult.jobs.models import Job, JobState

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}
_executor: ThreadPoolExecutor | None = None


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def enqueue(kind: str, key: str, payload: dict[str, Any] | None = None) -> int:
    """Queue a job unless one of the same kind and key already waits; returns the job id.

    A job that is already running does not absorb the request: its input may predate the change
    that asked for this one, so a new job is queued behind it ("latest wins").
    """
    if kind not in HANDLERS:
        raise KeyError(f"no handler registered for job kind {kind!r}")
    with write_transaction(db.session) as session:
        waiting = session.scalar(
            select(Job.id).where(Job.kind == kind, Job.key == key, Job.state == JobState.QUEUED)
        )
        if waiting is not None:
            return waiting
        job = Job(kind=kind, key=key, payload=payload or {})
        session.add(job)
    _dispatch(job.id)
    return job.id


def _dispatch(job_id: int) -> None:
    app = current_app._get_current_object()
    if app.config.get("CONSULT_JOBS_INLINE"):
        run_job(job_id)
        return
    _thread_executor().submit(_run_in_app, app, job_id)


def _thread_executor() -> ThreadPoolExecutor:
    """One worker thread per process: jobs run one after another, off the request path."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="consult-job")
    return _executor


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def run_job(job_id: int) -> JobState:
    """Run a queued job in the current app context and record how it ended."""
    with write_transaction(db.session) as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(state=JobState.RUNNING, started_at=utcnow(), attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
    job = db.session.get(Job, job_id, populate_existing=True)
    if not claimed or job is None:
        return job.state if job else JobState.FAILED
    try:
        result = HANDLERS[job.kind](dict(job.payload))
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s (%s %s) failed", job_id, job.kind, job.key)
        _finish(job_id, JobState.FAILED, error=_describe(exc))
        return JobState.FAILED
    _finish(job_id, JobState.DONE, result=result)
    return JobState.DONE


def _finish(job_id: int, state: JobState, *, result=None, error: str | None = None) -> None:
    with write_transaction(db.session) as session:
        job = session.get(Job, job_id)
        job.state, job.result, job.error, job.finished_at = state, result, error, utcnow()


def _describe(exc: BaseException) -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:2000]


def latest_job(kind: str, key: str) -> Job | None:
    return db.session.scalar(
        select(Job).where(Job.kind == kind, Job.key == key).order_by(Job.id.desc()).limit(1)
    )
