"""The theme refresh job of a consultation, and the debounced requests that new statements make.

Any committed change to the statements (a new one, a moderation decision, an edited text) asks
for a refresh of its consultation's themes. Requests are debounced per phase: the first waits
``QUIET_SECONDS`` (so a burst of statements costs one job), later ones inside the window are
folded into one enqueue at its end. The enqueue happens on a timer thread, never in the request
that wrote the statement, so voting and writing never wait for the embedding model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from consult.consultations.models import Consultation, Phase
from consult.errors import NotFound
from consult.extensions import db
from consult.jobs.services import enqueue, handler
from consult.participation.models import Statement
from consult.themes.services import refresh_themes

KIND = "themes.refresh"
QUIET_SECONDS = 2.0
DEBOUNCE_SECONDS = 20.0

_lock = threading.Lock()
_last_enqueued: dict[tuple[str, int], float] = {}
_deferred: set[tuple[str, int]] = set()
_DIRTY = "consult_themes_dirty_phases"


def job_key(consultation_id: int) -> str:
    return f"consultation:{consultation_id}"


@handler(KIND)
def run_refresh(payload: dict) -> dict:
    consultation = db.session.get(Consultation, int(payload["consultation_id"]))
    if consultation is None:
        raise NotFound(f"no consultation with id {payload['consultation_id']}")
    outcome = refresh_themes(consultation, force=bool(payload.get("force", False)))
    run = outcome.run
    return {
        "changed": outcome.changed,
        "reason": outcome.reason,
        "run_id": run.id if run else None,
        "n_themes": run.n_themes if run else 0,
        "seconds": run.timings.get("total") if run and outcome.changed else 0.0,
    }


def enqueue_refresh(consultation_id: int, *, force: bool = False) -> int:
    """Queue a refresh now (coalesced with one that already waits); returns the job id."""
    return enqueue(
        KIND, job_key(consultation_id), {"consultation_id": consultation_id, "force": force}
    )


def _auto(app: Flask) -> bool:
    return bool(
        app.config.get("CONSULT_AUTO_THEMES", app.config.get("CONSULT_AUTO_RECOMPUTE", True))
    )


def request_refresh(consultation_id: int) -> None:
    """Ask for a refresh of the consultation's themes soon (debounced, never blocking)."""
    _debounced(("consultation", consultation_id), lambda: consultation_id)


def request_refresh_for_phase(phase_id: int) -> None:
    """Ask for a refresh of the themes of the consultation the phase belongs to."""

    def consultation_of() -> int | None:
        return db.session.scalar(select(Phase.consultation_id).where(Phase.id == phase_id))

    _debounced(("phase", phase_id), consultation_of)


def _debounced(key: tuple[str, int], consultation_of: Callable[[], int | None]) -> None:
    app = current_app._get_current_object()
    if not _auto(app):
        return
    debounce = float(app.config.get("CONSULT_THEMES_DEBOUNCE", DEBOUNCE_SECONDS))
    quiet = float(app.config.get("CONSULT_THEMES_QUIET", QUIET_SECONDS))
    now = time.monotonic()
    with _lock:
        if key in _deferred:
            return
        _deferred.add(key)
        wait = max(quiet, _last_enqueued.get(key, -debounce) + debounce - now)
    timer = threading.Timer(wait, _deferred_enqueue, args=(app, key, consultation_of))
    timer.daemon = True
    timer.start()


def _deferred_enqueue(app: Flask, key: tuple[str, int], consultation_of) -> None:
    with _lock:
        _deferred.discard(key)
        _last_enqueued[key] = time.monotonic()
    with app.app_context():
        try:
            consultation_id = consultation_of()
            if consultation_id is not None:
                enqueue_refresh(consultation_id)
        except Exception:  # the next statement asks again; never kill the timer thread loudly
            app.logger.exception("could not enqueue the theme refresh for %s %s", *key)
        finally:
            db.session.remove()


# --- statements changed → refresh requested ---------------------------------------------------


def _statement_changed(statement: Statement) -> bool:
    state = inspect(statement)
    return any(
        state.attrs[name].history.has_changes() for name in ("moderation", "text", "language")
    )


@event.listens_for(Session, "after_flush")
def _collect_changed_phases(session: Session, flush_context) -> None:
    changed = {s.phase_id for s in session.new if isinstance(s, Statement)}
    changed |= {
        s.phase_id for s in session.dirty if isinstance(s, Statement) and _statement_changed(s)
    }
    changed |= {s.phase_id for s in session.deleted if isinstance(s, Statement)}
    changed.discard(None)
    if changed:
        session.info.setdefault(_DIRTY, set()).update(changed)


@event.listens_for(Session, "after_commit")
def _request_after_commit(session: Session) -> None:
    phases = session.info.pop(_DIRTY, None)
    if not phases or not has_app_context():
        return
    for phase_id in sorted(phases):
        try:
            request_refresh_for_phase(phase_id)
        except Exception:  # asking for a refresh must never break the write that succeeded
            current_app.logger.exception("could not request a theme refresh")


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_DIRTY, None)
