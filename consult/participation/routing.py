"""Routing priorities for the phase page, read from the latest analysis snapshot and cached."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from consult.analysis.models import AnalysisSnapshot
from consult.extensions import db

# How long a web process routes by the snapshot it knows before it looks for a newer one.
# Priorities only weight the draw among the statements a participant may vote on (which
# statements are shown is read fresh on every request), and recomputes run at most every 10 s,
# so a few seconds' delay changes nothing a participant could notice. A recompute run by this
# process clears its entry at once (``forget``).
RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class _Entry:
    snapshot: tuple | None  # (id, created_at) of the latest snapshot, None without one
    priorities: dict[int, float] | None
    checked_at: float


def _cache() -> dict[int, _Entry]:
    """This app's entries by phase id (another app, such as a test's, has a database of its own)."""
    return current_app.extensions.setdefault("consult_routing", {})


def phase_priorities(phase_id: int) -> dict[int, float] | None:
    """Statement id → Pol.is priority from the phase's latest snapshot, or None if none exists.

    At most every ``RECHECK_SECONDS`` one small indexed query finds the latest snapshot; its
    priorities are loaded only when that snapshot changes.
    """
    cache = _cache()
    entry = cache.get(phase_id)
    now = time.monotonic()
    if entry is not None and now - entry.checked_at < RECHECK_SECONDS:
        return entry.priorities
    latest = db.session.execute(
        select(AnalysisSnapshot.id, AnalysisSnapshot.created_at)
        .where(AnalysisSnapshot.phase_id == phase_id)
        .order_by(AnalysisSnapshot.id.desc())
        .limit(1)
    ).first()
    snapshot = tuple(latest) if latest is not None else None
    if snapshot is None:
        priorities = None
    elif entry is not None and entry.snapshot == snapshot:
        priorities = entry.priorities
    else:
        raw = db.session.scalar(
            select(AnalysisSnapshot.priorities).where(AnalysisSnapshot.id == latest.id)
        )
        priorities = {int(k): float(v) for k, v in (raw or {}).items()}
    cache[phase_id] = _Entry(snapshot, priorities, now)
    return priorities


def forget(phase_id: int) -> None:
    """A new snapshot of the phase was stored: route by it from the next request on."""
    _cache().pop(phase_id, None)
