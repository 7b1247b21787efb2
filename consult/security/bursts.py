"""Suspicious bursts: many new participants voting identically within minutes; quarantine.

A burst is a set of at least ``CONSULT_BURST_MIN_PARTICIPANTS`` participants of one phase, each
created within ``CONSULT_BURST_WINDOW_MINUTES`` of the previous one, whose votes in the phase are
identical (same statements, same values) on at least ``CONSULT_BURST_MIN_VOTES`` statements.
Moderators quarantine a burst: its votes stay stored but the analysis (``phase_votes``) and so
the themes, maps and reports leave them out; releasing puts them back.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from consult.analysis.jobs import request_recompute
from consult.consultations.models import Phase
from consult.database import utcnow, write_transaction
from consult.errors import InvalidInput
from consult.extensions import db
from consult.participation.models import Participant, Statement, Vote
from consult.security.models import Quarantine


@dataclass(frozen=True)
class Burst:
    key: str
    participant_ids: tuple[int, ...]
    first_created: datetime
    last_created: datetime
    votes: tuple[tuple[int, int], ...]  # (statement id, value), the shared ballot
    texts: dict[int, str]
    quarantined: int

    @property
    def size(self) -> int:
        return len(self.participant_ids)

    @property
    def minutes(self) -> float:
        return (self.last_created - self.first_created).total_seconds() / 60


def _setting(name: str) -> int:
    return int(current_app.config[name])


def active_quarantine(phase_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Quarantine.participant_id).where(
                Quarantine.phase_id == phase_id, Quarantine.released_at.is_(None)
            )
        )
    )


def find_bursts(phase: Phase, *, now: datetime | None = None) -> list[Burst]:
    """Bursts among the participants created in the look-back period who voted in ``phase``."""
    min_size = _setting("CONSULT_BURST_MIN_PARTICIPANTS")
    window = timedelta(minutes=_setting("CONSULT_BURST_WINDOW_MINUTES"))
    min_votes = _setting("CONSULT_BURST_MIN_VOTES")
    since = (now or utcnow()) - timedelta(days=_setting("CONSULT_BURST_LOOKBACK_DAYS"))
    rows = db.session.execute(
        select(Vote.participant_id, Participant.created_at, Vote.statement_id, Vote.value)
        .join(Participant, Participant.id == Vote.participant_id)
        .join(Statement, Statement.id == Vote.statement_id)
        .where(Statement.phase_id == phase.id, Participant.created_at >= since)
    )
    ballots: dict[int, list[tuple[int, int]]] = defaultdict(list)
    created: dict[int, datetime] = {}
    for pid, created_at, sid, value in rows:
        ballots[pid].append((sid, int(value)))
        created[pid] = created_at
    by_ballot: dict[tuple, list[int]] = defaultdict(list)
    for pid, votes in ballots.items():
        if len(votes) >= min_votes:
            by_ballot[tuple(sorted(votes))].append(pid)
    quarantined = active_quarantine(phase.id)
    found: list[Burst] = []
    for ballot, pids in by_ballot.items():
        if len(pids) < min_size:
            continue
        pids.sort(key=lambda p: (created[p], p))
        run = [pids[0]]
        for pid in pids[1:] + [None]:
            if pid is not None and created[pid] - created[run[-1]] <= window:
                run.append(pid)
                continue
            if len(run) >= min_size:
                found.append(_burst(phase, ballot, run, created, quarantined))
            if pid is not None:
                run = [pid]
    found.sort(key=lambda b: (-b.size, b.first_created))
    return found


def _burst(phase, ballot, run, created, quarantined) -> Burst:
    digest = hashlib.sha256(
        f"{phase.id}:{ballot}:{created[run[0]].isoformat()}".encode()
    ).hexdigest()[:16]
    ids = [sid for sid, _ in ballot]
    texts = dict(
        db.session.execute(select(Statement.id, Statement.text).where(Statement.id.in_(ids))).all()
    )
    return Burst(
        key=digest,
        participant_ids=tuple(run),
        first_created=created[run[0]],
        last_created=created[run[-1]],
        votes=tuple(ballot),
        texts=texts,
        quarantined=sum(1 for p in run if p in quarantined),
    )


def quarantine_burst(phase: Phase, key: str, user, reason: str = "") -> int:
    """Quarantine the votes of the burst ``key`` in ``phase``; returns how many participants."""
    burst = next((b for b in find_bursts(phase) if b.key == key), None)
    if burst is None:
        raise InvalidInput("That burst is no longer found: reload the page.", field="burst")
    now = utcnow()
    with write_transaction(db.session) as session:
        existing = {
            q.participant_id: q
            for q in session.scalars(
                select(Quarantine).where(
                    Quarantine.phase_id == phase.id,
                    Quarantine.participant_id.in_(burst.participant_ids),
                )
            )
        }
        for pid in burst.participant_ids:
            row = existing.get(pid)
            if row is None:
                session.add(
                    Quarantine(
                        phase_id=phase.id,
                        participant_id=pid,
                        burst=key,
                        reason=reason,
                        quarantined_by_id=user.id,
                        quarantined_at=now,
                    )
                )
            elif row.released_at is not None:
                row.burst, row.reason = key, reason
                row.quarantined_by_id, row.quarantined_at = user.id, now
                row.released_at = row.released_by_id = None
    request_recompute(phase.id)
    return burst.size


def release_burst(phase: Phase, key: str, user) -> int:
    """Put the votes of burst ``key`` back into the analysis; returns how many participants."""
    with write_transaction(db.session) as session:
        result = session.execute(
            update(Quarantine)
            .where(
                Quarantine.phase_id == phase.id,
                Quarantine.burst == key,
                Quarantine.released_at.is_(None),
            )
            .values(released_at=utcnow(), released_by_id=user.id)
        )
    request_recompute(phase.id)
    return result.rowcount or 0


@dataclass(frozen=True)
class QuarantinedGroup:
    key: str
    count: int
    since: datetime
    reason: str


def quarantined_groups(phase: Phase) -> list[QuarantinedGroup]:
    rows = db.session.scalars(
        select(Quarantine)
        .where(Quarantine.phase_id == phase.id, Quarantine.released_at.is_(None))
        .order_by(Quarantine.quarantined_at)
    )
    groups: dict[str, list[Quarantine]] = defaultdict(list)
    for row in rows:
        groups[row.burst].append(row)
    return [
        QuarantinedGroup(key, len(items), items[0].quarantined_at, items[0].reason)
        for key, items in groups.items()
    ]
