"""RQ on Redis: hand job ids to ``consult worker`` processes; skip Redis briefly when it is down."""

from __future__ import annotations

import logging
import socket
import threading
import time

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job as RqJob
from rq.job import JobStatus

from consult.jobs.services import REDIS_RETRY_AFTER, RQ_QUEUE, setting

log = logging.getLogger(__name__)

_connections: dict[tuple[str, bool], Redis] = {}
_lock = threading.Lock()
_skip_until = 0.0  # monotonic time before which enqueues do not even try Redis

# Probe an idle connection after 30 s, every 10 s, give up after 3 unanswered probes.
_KEEPALIVE = {
    getattr(socket, name): value
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3))
    if hasattr(socket, name)
}
PENDING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def redis_connection(url: str, *, worker: bool = False) -> Redis:
    """A shared client per URL. Web processes get short timeouts, so a dead Redis costs a
    request at most a second; the worker blocks on its queue and needs no read timeout."""
    with _lock:
        client = _connections.get((url, worker))
        if client is None:
            options: dict = {"socket_connect_timeout": 2, "health_check_interval": 15}
            if worker:  # blocks on the queue: TCP keepalive notices a Redis that vanished
                options.update(socket_keepalive=True, socket_keepalive_options=_KEEPALIVE)
            else:
                options.update(socket_connect_timeout=1, socket_timeout=2)
            client = _connections[(url, worker)] = Redis.from_url(url, **options)
        return client


def rq_job_id(job_id: int, attempt: int) -> str:
    """RQ's id for one attempt of a job: a re-sent attempt overwrites, never doubles, it."""
    return f"consult-job-{job_id}-{attempt}"


def redis_skipped() -> bool:
    """True for a few seconds after Redis failed: hand-overs wait instead of timing out again."""
    return time.monotonic() < _skip_until


def enqueue_rq(app: Flask, job_id: int, attempt: int) -> bool:
    """Put the job on the RQ queue; False (and Redis skipped for a few seconds) if Redis fails."""
    global _skip_until
    if redis_skipped():
        return False
    try:
        queue = Queue(RQ_QUEUE, connection=redis_connection(app.config["REDIS_URL"]))
        queue.enqueue(
            "consult.jobs.worker.perform",
            job_id,
            job_id=rq_job_id(job_id, attempt),
            description=f"consult job {job_id}, attempt {attempt}",
            job_timeout=int(setting("CONSULT_JOB_TIMEOUT", app)),
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
    except RedisError as exc:
        _skip_until = time.monotonic() + REDIS_RETRY_AFTER
        log.warning("Redis unreachable, job %s stays queued for the sweeper: %s", job_id, exc)
        return False
    return True


def waiting_in_rq(app: Flask, job_id: int, attempt: int) -> bool:
    """Whether RQ still holds this attempt (queued or started); True when Redis cannot say."""
    try:
        job = RqJob.fetch(
            rq_job_id(job_id, attempt), connection=redis_connection(app.config["REDIS_URL"])
        )
        return job.get_status(refresh=False) in PENDING
    except NoSuchJobError:
        return False
    except RedisError:
        return True


def queue_status(app: Flask) -> dict:
    """For the admin page: RQ queue length and live workers, or the error reaching Redis."""
    try:
        connection = redis_connection(app.config["REDIS_URL"])
        from rq import Worker

        queue = Queue(RQ_QUEUE, connection=connection)
        return {
            "reachable": True,
            "queued": queue.count,
            "workers": [w.name for w in Worker.all(queue=queue)],
            "failed": queue.failed_job_registry.count,
        }
    except RedisError as exc:
        return {"reachable": False, "error": str(exc)}


def reset_for_tests() -> None:
    global _skip_until
    _skip_until = 0.0
    with _lock:
        for client in _connections.values():
            client.close()
        _connections.clear()
