"""Routing priorities for the phase page, read from the latest analysis snapshot and cached."""

from __future__ import annotations

import threading

from sqlalchemy import select

from consult.analysis.models import AnalysisSnapshot
from consult.extensions import db

_cache: dict[int, tuple[tuple, dict[int, float]]] = {}
_lock = threading.Lock()


def phase_priorities(phase_id: int) -> dict[int, float] | None:
    """Statement id → Pol.is priority from the phase's latest snapshot, or None if none exists.

    One small indexed query per call finds the latest snapshot id; its priorities are loaded
    only when that id changes.
    """
    latest = db.session.execute(
        select(AnalysisSnapshot.id, AnalysisSnapshot.created_at)
        .where(AnalysisSnapshot.phase_id == phase_id)
        .order_by(AnalysisSnapshot.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    key = tuple(latest)
    cached = _cache.get(phase_id)
    if cached and cached[0] == key:
        return cached[1]
    raw = db.session.scalar(
        select(AnalysisSnapshot.priorities).where(AnalysisSnapshot.id == latest.id)
    )
    priorities = {int(k): float(v) for k, v in (raw or {}).items()}
    with _lock:
        _cache[phase_id] = (key, priorities)
    return priorities
