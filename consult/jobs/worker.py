"""``consult worker``: an RQ worker that runs jobs by id, with the job sweeper beside it."""

from __future__ import annotations

import logging
import signal
import sys
import time

from flask import Flask
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker

from consult.extensions import db
from consult.jobs.services import (
    RQ_QUEUE,
    ensure_sweeper,
    import_job_modules,
    run_job,
    stop_sweeper,
)

log = logging.getLogger(__name__)

_app: Flask | None = None


def perform(job_id: int) -> str:
    """What RQ runs: one attempt of job ``job_id`` in this worker's app; returns its state."""
    global _app
    if _app is None:
        from consult import create_app

        _app = create_app()
    with _app.app_context():
        try:
            return run_job(job_id).value
        finally:
            db.session.remove()


def run_worker(
    app: Flask, *, burst: bool = False, max_jobs: int | None = None, name: str | None = None
) -> None:
    """Work the queue until stopped (SIGTERM: after the current job; SIGKILL: the lease of the
    current job runs out and a sweeper gives it to another worker). A lost Redis connection is
    retried with backoff instead of ending the process.

    Jobs run in this process (RQ's SimpleWorker): the app and its caches (the embedding model)
    are built once, and a worker that dies takes only its current job with it.
    """
    global _app
    from consult.jobs.queue import redis_connection

    _app = app
    import_job_modules()
    ensure_sweeper(app)
    wait = 1.0
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                connection = redis_connection(app.config["REDIS_URL"], worker=True)
                worker = SimpleWorker(
                    [Queue(RQ_QUEUE, connection=connection)], connection=connection, name=name
                )
                try:
                    worker.work(burst=burst, max_jobs=max_jobs, logging_level="INFO")
                finally:
                    _exit_on_signals()  # RQ's own handlers need a live worker
                stopped = worker._stop_requested or worker._shutdown_requested_date is not None
                if burst or max_jobs or stopped:
                    return
                log.warning("the RQ worker stopped on an error; starting it again in %.0f s", wait)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                log.warning("Redis unreachable (%s); trying again in %.0f s", exc, wait)
            time.sleep(wait)
            wait = min(wait * 2, 10.0)
    finally:
        stop_sweeper()
        for signum, previous in handlers.items():
            signal.signal(signum, previous)


def _exit_on_signals() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
