"""The recompute job of a phase, and the debounced request that votes make for it."""

from __future__ import annotations

import threading
import time

from flask import current_app

from consult.analysis.services import recompute
from consult.consultations.services import get_phase_by_id
from consult.extensions import db
from consult.jobs.services import enqueue, handler

KIND = "analysis.recompute"
DEBOUNCE_SECONDS = 10.0

_lock = threading.Lock()
_last_enqueued: dict[int, float] = {}
_deferred: set[int] = set()


def job_key(phase_id: int) -> str:
    return f"phase:{phase_id}"


@handler(KIND)
def run_recompute(payload: dict) -> dict:
    outcome = recompute(
        get_phase_by_id(int(payload["phase_id"])), force=payload.get("force", False)
    )
    snapshot = outcome.snapshot
    return {
        "changed": outcome.changed,
        "reason": outcome.reason,
        "snapshot_id": snapshot.id if snapshot else None,
    }


def enqueue_recompute(phase_id: int, *, force: bool = False) -> int:
    return enqueue(KIND, job_key(phase_id), {"phase_id": phase_id, "force": force})


def request_recompute(phase_id: int) -> None:
    """Ask for a fresh analysis after new votes, at most once per DEBOUNCE_SECONDS per process.

    The job is enqueued from a timer thread, at once or at the end of the current window, never
    in the request: a vote costs no extra query, and a database hiccup while enqueuing cannot
    fail a vote that is already stored. Requests while one is pending join it, so many votes
    cost one job and the last votes of a burst are always analysed.
    """
    app = current_app._get_current_object()
    if not app.config.get("CONSULT_AUTO_RECOMPUTE", True):
        return
    with _lock:
        if phase_id in _deferred:
            return
        _deferred.add(phase_id)
        last = _last_enqueued.get(phase_id, -DEBOUNCE_SECONDS)
        wait = max(0.0, last + DEBOUNCE_SECONDS - time.monotonic())
    timer = threading.Timer(wait, _deferred_enqueue, args=(app, phase_id))
    timer.daemon = True
    timer.start()


def _deferred_enqueue(app, phase_id: int) -> None:
    with _lock:
        _deferred.discard(phase_id)
        _last_enqueued[phase_id] = time.monotonic()
    with app.app_context():
        try:
            enqueue_recompute(phase_id)
        except Exception:  # the next vote asks again; never kill the timer thread loudly
            app.logger.exception("could not enqueue the recompute of phase %s", phase_id)
        finally:
            db.session.remove()  # this thread's session: give its connection back
