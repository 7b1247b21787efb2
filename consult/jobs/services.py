"""Enqueue and run jobs: coalescing per (kind, key), retries with backoff, leases, sweeping.

The jobs table is the truth. ``enqueue`` writes a row and then *dispatches* it: it hands the id to
RQ (``REDIS_URL`` set), to the one job thread of this process (embedded mode), or runs it at once
(``CONSULT_JOBS_INLINE``: tests and commands). A dispatch that fails (Redis down) leaves the row
queued; ``sweep`` hands it over later. ``run_job`` claims a queued row atomically, so a job handed
over twice still runs once per attempt. While it runs, a heartbeat renews its lease; ``sweep``
queues again a job whose lease ran out (its worker died) and hands over queued jobs whose retry
time has come. Failed attempts are retried with exponential backoff up to ``max_attempts``.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.engine import Engine

from consult.database import IMMEDIATE, utcnow, write_transaction
from consult.extensions import db
from consult.jobs.models import Job, JobState

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}

# Settings: the app config wins, then the environment, then these defaults.
DEFAULTS: dict[str, float] = {
    "CONSULT_JOB_MAX_ATTEMPTS": 3,  # attempts before a job is marked failed
    "CONSULT_JOB_RETRY_BACKOFF": 10.0,  # seconds before the 1st retry; doubles each time
    "CONSULT_JOB_RETRY_BACKOFF_MAX": 600.0,
    "CONSULT_JOB_LEASE_SECONDS": 30.0,  # a running job without heartbeat this long is lost
    "CONSULT_JOB_SWEEP_SECONDS": 5.0,  # how often the sweeper looks for lost and due jobs
    "CONSULT_JOB_TIMEOUT": 3600.0,  # RQ kills a job running longer than this
}
RQ_QUEUE = "consult"
REDIS_RETRY_AFTER = 5.0  # after a Redis error, skip Redis for this long (the sweeper catches up)


def setting(name: str, app: Flask | None = None) -> float:
    app = app or current_app
    value = app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    return float(value) if value not in (None, "") else DEFAULTS[name]


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- handlers ------------------------------------------------------------------------------------


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def handler_for(kind: str) -> Handler:
    """The handler of ``kind``; imports ``consult.<prefix>.jobs`` and CONSULT_JOB_MODULES first."""
    if kind not in HANDLERS:
        import_job_modules()
        module = f"consult.{kind.split('.', 1)[0]}.jobs"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name not in (module, module.rsplit(".", 1)[0]):
                raise
    if kind not in HANDLERS:
        raise KeyError(f"no handler registered for job kind {kind!r}")
    return HANDLERS[kind]


def import_job_modules() -> None:
    """Import the extra handler modules named in CONSULT_JOB_MODULES (comma-separated)."""
    for name in os.environ.get("CONSULT_JOB_MODULES", "").split(","):
        if name.strip():
            importlib.import_module(name.strip())


# --- enqueue and dispatch ------------------------------------------------------------------------


def mode(app: Flask | None = None) -> str:
    """'inline' (run at once), 'rq' (Redis + ``consult worker``) or 'thread' (embedded)."""
    app = app or current_app
    if app.config.get("CONSULT_JOBS_INLINE"):
        return "inline"
    return "rq" if app.config.get("REDIS_URL") else "thread"


def enqueue(
    kind: str, key: str, payload: dict[str, Any] | None = None, *, max_attempts: int | None = None
) -> int:
    """Queue a job unless one of the same kind and key already waits; returns the job id.

    A job that is already running does not absorb the request: its input may predate the change
    that asked for this one, so a new job is queued behind it ("latest wins"). The row is
    committed before the job is handed to a runner; if that hand-over fails (Redis down), the
    row stays queued and the sweeper hands it over later, so callers never see a Redis error.
    """
    handler_for(kind)
    app = current_app._get_current_object()
    background = mode(app) != "inline"
    with write_transaction(db.session) as session:
        _lock_key(session, kind, key)
        waiting = session.scalar(
            select(Job.id).where(Job.kind == kind, Job.key == key, Job.state == JobState.QUEUED)
        )
        if waiting is not None:
            return waiting
        job = Job(
            kind=kind,
            key=key,
            payload=payload or {},
            max_attempts=max_attempts or int(setting("CONSULT_JOB_MAX_ATTEMPTS", app)),
            dispatched_at=utcnow() if background else None,
        )
        session.add(job)
    dispatch(job.id, attempt=1, app=app)
    return job.id


def _lock_key(session, kind: str, key: str) -> None:
    """Serialise enqueues of one (kind, key) so two requests never queue two jobs.

    SQLite writes are already serial (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped
    advisory lock on the key's hash.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"{kind}\x1f{key}"}
        )


def dispatch(job_id: int, *, attempt: int, app: Flask | None = None) -> bool:
    """Hand a queued job to its runner; False when that failed (the sweeper retries later)."""
    app = app or current_app._get_current_object()
    how = mode(app)
    if how == "inline":
        run_job(job_id, retry=False)
        return True
    if how == "thread":
        ensure_sweeper(app)
        _thread_executor().submit(_run_in_app, app, job_id)
        return True
    from consult.jobs import queue

    if queue.enqueue_rq(app, job_id, attempt):
        return True
    _mark_undispatched(app, job_id)
    return False


def _mark_undispatched(app: Flask, job_id: int) -> None:
    try:
        with write_transaction(db.session) as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == JobState.QUEUED)
                .values(dispatched_at=None)
                .execution_options(synchronize_session=False)
            )
    except Exception:  # the sweeper re-checks dispatched jobs later anyway
        log.warning("could not mark job %s as not dispatched", job_id, exc_info=True)


# --- the thread runner (embedded mode) -----------------------------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _thread_executor() -> ThreadPoolExecutor:
    """One worker thread per process: jobs run one after another, off the request path."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="consult-job")
        return _executor


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        except Exception:  # never kill the pool thread; the lease brings the job back
            log.exception("job %s could not be run", job_id)
        finally:
            db.session.remove()


# --- running one attempt -------------------------------------------------------------------------


def run_job(job_id: int, *, retry: bool = True) -> JobState:
    """Run one attempt of a queued, due job in the current app context and record its outcome.

    Returns the job's state afterwards. A job that is not queued (already taken by another
    runner, done, failed) or whose retry time has not come is left alone. With ``retry`` a
    failed attempt is queued again with backoff while attempts remain; inline runs (tests,
    commands) make one attempt.
    """
    app = current_app._get_current_object()
    now = utcnow()
    with write_transaction(db.session) as session:
        claimed = session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.state == JobState.QUEUED,
                or_(Job.run_after.is_(None), Job.run_after <= now),
            )
            .values(
                state=JobState.RUNNING,
                started_at=now,
                heartbeat_at=now,
                finished_at=None,
                attempts=Job.attempts + 1,
                worker=worker_identity(),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    job = db.session.get(Job, job_id, populate_existing=True)
    db.session.commit()
    if job is None:
        return JobState.FAILED
    if not claimed:
        return job.state
    attempt = job.attempts
    heartbeat = None
    if mode(app) != "inline":
        heartbeat = Heartbeat(db.engine, job_id, attempt, setting("CONSULT_JOB_LEASE_SECONDS", app))
        heartbeat.start()
    try:
        result = handler_for(job.kind)(dict(job.payload))
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s (%s %s) attempt %s failed", job_id, job.kind, job.key, attempt)
        if heartbeat:
            heartbeat.stop()
        state = _after_failure(app, job, attempt, describe(exc), retry=retry)
    else:
        if heartbeat:
            heartbeat.stop()
        _finish(job_id, attempt, JobState.DONE, result=result)
        state = JobState.DONE
    db.session.expire(job)  # the row changed underneath; the next read reloads it
    return state


def _finish(job_id: int, attempt: int, state: JobState, *, result=None, error=None) -> bool:
    """Record the end of an attempt, unless the job was taken away from this runner meanwhile.

    A job done after a retry keeps the error of the attempt before, for the job list.
    """
    values: dict[str, Any] = {"state": state, "result": result, "finished_at": utcnow()}
    if error is not None:
        values["error"] = error
    with write_transaction(db.session) as session:
        done = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.attempts == attempt)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
    if not done:
        log.warning(
            "job %s attempt %s ended after its lease was lost; a newer attempt owns it",
            job_id,
            attempt,
        )
    return bool(done)


def backoff(app: Flask, attempt: int) -> float:
    """Seconds to wait before the retry that follows failed attempt number ``attempt``."""
    base = setting("CONSULT_JOB_RETRY_BACKOFF", app)
    return min(base * 2 ** (attempt - 1), setting("CONSULT_JOB_RETRY_BACKOFF_MAX", app))


def _after_failure(app: Flask, job: Job, attempt: int, error: str, *, retry: bool) -> JobState:
    """Queue a retry after backoff, or fail the job for good; returns the state it ends in."""
    now = utcnow()
    with write_transaction(db.session) as session:
        mine = (Job.id == job.id, Job.state == JobState.RUNNING, Job.attempts == attempt)
        if not retry or attempt >= job.max_attempts:
            if not retry or job.max_attempts <= 1:
                message = error
            else:
                message = f"{error} (attempt {attempt} of {job.max_attempts}: giving up)"
            values: dict[str, Any] = {
                "state": JobState.FAILED,
                "error": message,
                "finished_at": now,
            }
        else:
            _lock_key(session, job.kind, job.key)
            newer = _queued_sibling(session, job)
            if newer is not None:
                values = {
                    "state": JobState.FAILED,
                    "error": f"{error} (job {newer}, queued for the same key, redoes it)",
                    "finished_at": now,
                }
            else:
                values = {
                    "state": JobState.QUEUED,
                    "error": error,
                    "run_after": now + timedelta(seconds=backoff(app, attempt)),
                    "dispatched_at": None,
                    "heartbeat_at": None,
                    "finished_at": now,
                }
        changed = session.execute(
            update(Job).where(*mine).values(**values).execution_options(synchronize_session=False)
        ).rowcount
    if not changed:
        return db.session.get(Job, job.id, populate_existing=True).state
    return values["state"]


def _queued_sibling(session, job: Job) -> int | None:
    return session.scalar(
        select(Job.id).where(
            Job.kind == job.kind, Job.key == job.key, Job.state == JobState.QUEUED, Job.id != job.id
        )
    )


def describe(exc: BaseException) -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:2000]


class Heartbeat:
    """Renews a running job's lease (``heartbeat_at``) from a daemon thread until stopped.

    It writes through its own connection, so it never touches the handler's transaction.
    """

    def __init__(self, engine: Engine, job_id: int, attempt: int, lease_seconds: float):
        self.engine, self.job_id, self.attempt = engine, job_id, attempt
        self.interval = max(lease_seconds / 3, 0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"consult-job-{job_id}-heartbeat", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.connect() as conn:
                    conn = conn.execution_options(**{IMMEDIATE: True})
                    with conn.begin():
                        conn.execute(
                            update(Job)
                            .where(
                                Job.id == self.job_id,
                                Job.state == JobState.RUNNING,
                                Job.attempts == self.attempt,
                            )
                            .values(heartbeat_at=utcnow())
                        )
            except Exception as exc:  # a missed beat is fine; the lease allows for two
                log.warning("heartbeat of job %s failed: %s", self.job_id, exc)


# --- the sweeper ---------------------------------------------------------------------------------


@dataclass
class SweepReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    dispatched: list[int] = field(default_factory=list)


def sweep(now: datetime | None = None, *, limit: int = 100) -> SweepReport:
    """Recover lost jobs and hand over due ones; safe to run from many processes at once.

    1. A running job whose lease ran out (no heartbeat for CONSULT_JOB_LEASE_SECONDS: its worker
       died or hangs) is queued for another attempt, or failed when none is left, or failed in
       favour of a job already queued for the same key (which redoes the work).
    2. A queued job that is due (no retry wait left) and was never handed over, or was handed
       over a while ago but is not waiting in Redis any more (Redis restarted empty, the process
       that held it died), is handed over again.
    """
    app = current_app._get_current_object()
    now = now or utcnow()
    lease = timedelta(seconds=setting("CONSULT_JOB_LEASE_SECONDS", app))
    report = SweepReport()
    lost = db.session.scalars(
        select(Job)
        .where(
            Job.state == JobState.RUNNING,
            func.coalesce(Job.heartbeat_at, Job.started_at) < now - lease,
        )
        .order_by(Job.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for job in lost:
        _reclaim(app, job, now, lease, report)
    redispatch = now - max(lease, timedelta(seconds=10))
    due = db.session.execute(
        select(Job.id, Job.attempts, Job.dispatched_at)
        .where(
            Job.state == JobState.QUEUED,
            or_(Job.run_after.is_(None), Job.run_after <= now),
            or_(Job.dispatched_at.is_(None), Job.dispatched_at < redispatch),
        )
        .order_by(Job.id)
        .limit(limit)
    ).all()
    db.session.commit()
    how = mode(app)
    if how == "rq":
        from consult.jobs import queue

        if queue.redis_skipped():  # Redis just failed: try the hand-overs next round
            return report
    for job_id, attempts, dispatched_at in due:
        pending = how == "rq" and dispatched_at is not None
        if pending and queue.waiting_in_rq(app, job_id, attempts + 1):
            _touch_dispatched(job_id, now)
            continue
        if how != "inline":
            _touch_dispatched(job_id, now)
        if dispatch(job_id, attempt=attempts + 1, app=app):
            report.dispatched.append(job_id)
    return report


def _touch_dispatched(job_id: int, now: datetime) -> None:
    with write_transaction(db.session) as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )


def _reclaim(app: Flask, job: Job, now: datetime, lease: timedelta, report: SweepReport) -> None:
    seen = job.heartbeat_at or job.started_at
    error = (
        f"worker {job.worker or '?'} lost during attempt {job.attempts}: "
        f"no heartbeat since {seen:%Y-%m-%d %H:%M:%S} UTC"
    )
    with write_transaction(db.session) as session:
        _lock_key(session, job.kind, job.key)
        newer = _queued_sibling(session, job)
        if job.attempts >= job.max_attempts:
            values: dict[str, Any] = {
                "state": JobState.FAILED,
                "error": f"{error} (attempt {job.attempts} of {job.max_attempts}: giving up)",
                "finished_at": now,
            }
        elif newer is not None:
            values = {
                "state": JobState.FAILED,
                "error": f"{error} (job {newer}, queued for the same key, redoes it)",
                "finished_at": now,
            }
        else:
            values = {
                "state": JobState.QUEUED,
                "error": error,
                "run_after": now,
                "dispatched_at": None,
                "heartbeat_at": None,
            }
        changed = session.execute(
            update(Job)
            .where(
                Job.id == job.id,
                Job.state == JobState.RUNNING,
                Job.attempts == job.attempts,
                func.coalesce(Job.heartbeat_at, Job.started_at) < now - lease,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
    if changed:
        log.warning("job %s: %s", job.id, values["error"])
        (report.requeued if values["state"] == JobState.QUEUED else report.failed).append(job.id)


# The sweeper thread of a process (embedded mode: web processes; RQ mode: ``consult worker``).

_sweeper: threading.Thread | None = None
_sweeper_stop = threading.Event()
_sweeper_lock = threading.Lock()


def ensure_sweeper(app: Flask) -> None:
    """Start this process's sweeper thread once (no-op when it runs already)."""
    global _sweeper
    with _sweeper_lock:
        if _sweeper is not None and _sweeper.is_alive():
            return
        _sweeper_stop.clear()
        _sweeper = threading.Thread(
            target=_sweep_forever, args=(app,), name="consult-job-sweeper", daemon=True
        )
        _sweeper.start()


def stop_sweeper() -> None:
    global _sweeper
    with _sweeper_lock:
        thread, _sweeper = _sweeper, None
    if thread is not None:
        _sweeper_stop.set()
        thread.join(timeout=10)


def _sweep_forever(app: Flask) -> None:
    interval = setting("CONSULT_JOB_SWEEP_SECONDS", app)
    while not _sweeper_stop.wait(interval):
        with app.app_context():
            try:
                sweep()
            except Exception as exc:  # database or Redis down: try again next round
                log.warning("job sweep failed: %s", exc)
            finally:
                db.session.remove()


# --- reading -------------------------------------------------------------------------------------


def latest_job(kind: str, key: str) -> Job | None:
    return db.session.scalar(
        select(Job).where(Job.kind == kind, Job.key == key).order_by(Job.id.desc()).limit(1)
    )


def wait_for(job_id: int, states: tuple[JobState, ...], timeout: float = 30.0) -> Job:
    """Poll until the job reaches one of ``states`` (for commands and tests); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is not None and job.state in states:
            return job
        if time.monotonic() > deadline:
            state = job.state.value if job else "missing"
            raise TimeoutError(f"job {job_id} is {state} after {timeout:g} s")
        time.sleep(0.05)
