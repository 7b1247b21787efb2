"""The job that computes a snapshot's bridging scores and robustness, asked for when one is stored.

Every committed new :class:`AnalysisSnapshot` asks for its :class:`MapExtras` (when
``CONSULT_AUTO_MAPS`` is on; it defaults to ``CONSULT_AUTO_RECOMPUTE``). The request is made on a
short timer thread after the commit, never inside the transaction that stored the snapshot, and
the job runs off the request path like every other job. Pages that find no extras for the
snapshot they show say so (and ask for the job, in case the request was lost).
"""

from __future__ import annotations

import threading

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from consult.analysis.models import AnalysisSnapshot
from consult.extensions import db
from consult.jobs.services import enqueue, handler

KIND = "maps.extras"
_NEW = "consult_maps_new_snapshots"


def job_key(snapshot_id: int) -> str:
    return f"snapshot:{snapshot_id}"


@handler(KIND)
def run_extras(payload: dict) -> dict:
    from consult.maps.services import compute_extras

    outcome = compute_extras(int(payload["snapshot_id"]))
    return {"computed": outcome.computed, "reason": outcome.reason}


def enqueue_extras(snapshot_id: int) -> int:
    """Queue the extras of a snapshot (coalesced with one that already waits)."""
    return enqueue(KIND, job_key(snapshot_id), {"snapshot_id": snapshot_id})


def auto_maps(app: Flask) -> bool:
    return bool(app.config.get("CONSULT_AUTO_MAPS", app.config.get("CONSULT_AUTO_RECOMPUTE", True)))


def _enqueue_later(app: Flask, snapshot_ids: list[int]) -> None:
    with app.app_context():
        try:
            for snapshot_id in snapshot_ids:
                enqueue_extras(snapshot_id)
        except Exception:  # a page asks again when it finds the extras missing
            app.logger.exception("could not enqueue map extras for snapshots %s", snapshot_ids)
        finally:
            db.session.remove()


@event.listens_for(Session, "after_flush")
def _collect_new_snapshots(session: Session, flush_context) -> None:
    new = [s.id for s in session.new if isinstance(s, AnalysisSnapshot) and s.id is not None]
    if new:
        session.info.setdefault(_NEW, []).extend(new)


@event.listens_for(Session, "after_commit")
def _request_after_commit(session: Session) -> None:
    new = session.info.pop(_NEW, None)
    if not new or not has_app_context():
        return
    app = current_app._get_current_object()
    if not auto_maps(app):
        return
    timer = threading.Timer(0.1, _enqueue_later, args=(app, sorted(set(new))))
    timer.daemon = True
    timer.start()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_NEW, None)
