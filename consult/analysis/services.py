"""Recompute a phase's opinion analysis from its votes and store it as an immutable snapshot.

This is the boundary between the database and ``clustering``: rows become plain arrays here, the
pure analysis runs, and its result is stored. Pages and reports read snapshots; nothing computes
inside a request.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import exists, select

from clustering.opinion_groups import AnalysisResult, analyze
from clustering.votes import VoteMatrix
from consult.analysis.models import AnalysisSnapshot
from consult.consultations.models import Phase
from consult.database import utcnow, write_transaction
from consult.extensions import db
from consult.participation import routing
from consult.participation.models import Moderation, Statement, Vote
from consult.security.models import Quarantine

RANDOM_STATE = 0


@dataclass(frozen=True)
class PhaseVotes:
    """A phase's latest votes as arrays, with the statements moderated out or marked meta."""

    participant_ids: np.ndarray
    statement_ids: np.ndarray
    values: np.ndarray
    all_statement_ids: list[int]
    moderated_out: frozenset[int]
    meta: frozenset[int]

    def matrix(self) -> VoteMatrix:
        return VoteMatrix.from_votes(
            self.participant_ids,
            self.statement_ids,
            self.values,
            moderated_out=self.moderated_out,
            meta=self.meta,
            all_statement_ids=self.all_statement_ids,
        )

    def digest(self) -> str:
        """SHA-256 of everything the analysis reads: equal inputs, equal digest."""
        order = np.lexsort((self.statement_ids, self.participant_ids))
        sha = hashlib.sha256()
        for array in (self.participant_ids, self.statement_ids, self.values):
            sha.update(np.ascontiguousarray(array[order]).tobytes())
        sha.update(
            json.dumps(
                [
                    self.all_statement_ids,
                    sorted(self.moderated_out),
                    sorted(self.meta),
                    RANDOM_STATE,
                ]
            ).encode()
        )
        return sha.hexdigest()


def phase_votes(phase: Phase) -> PhaseVotes:
    """The phase's latest votes as arrays, and which statements are out of the analysis.

    Statements recorded from community notes but not put to the online vote are left out
    altogether: nobody can vote on them, so they would only be empty columns.
    """
    statements = db.session.execute(
        select(Statement.id, Statement.moderation, Statement.is_meta).where(
            Statement.phase_id == phase.id, Statement.open_for_voting.is_(True)
        )
    ).all()
    # Votes a moderator quarantined (suspicious bursts, consult.security.bursts) stay stored but
    # are left out here, and so out of themes, maps and reports too.
    quarantined = exists(
        select(Quarantine.id).where(
            Quarantine.phase_id == phase.id,
            Quarantine.participant_id == Vote.participant_id,
            Quarantine.released_at.is_(None),
        )
    )
    rows = db.session.execute(
        select(Vote.participant_id, Vote.statement_id, Vote.value)
        .join(Statement, Statement.id == Vote.statement_id)
        .where(Statement.phase_id == phase.id, ~quarantined)
    )
    # fromiter over the flat rows is ~40x faster than np.array on row objects (225k votes: 0.07 s)
    votes = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64).reshape(-1, 3)
    return PhaseVotes(
        participant_ids=votes[:, 0],
        statement_ids=votes[:, 1],
        values=votes[:, 2].astype(np.int8),
        all_statement_ids=sorted(s.id for s in statements if s.moderation != Moderation.REJECTED),
        moderated_out=frozenset(s.id for s in statements if s.moderation == Moderation.REJECTED),
        meta=frozenset(s.id for s in statements if s.is_meta),
    )


def latest_snapshot(phase_id: int) -> AnalysisSnapshot | None:
    return db.session.scalar(
        select(AnalysisSnapshot)
        .where(AnalysisSnapshot.phase_id == phase_id)
        .order_by(AnalysisSnapshot.id.desc())
        .limit(1)
    )


def load_result(snapshot: AnalysisSnapshot) -> AnalysisResult:
    return AnalysisResult.from_dict(snapshot.result())


@dataclass(frozen=True)
class RecomputeOutcome:
    snapshot: AnalysisSnapshot | None
    changed: bool
    reason: str


def recompute(phase: Phase, *, force: bool = False) -> RecomputeOutcome:
    """Analyse the phase's votes; store a new snapshot unless the inputs did not change.

    The previous snapshot warm-starts the analysis, so the map does not flip and opinion groups
    keep their ids. A phase without votes gets no snapshot.
    """
    inputs = phase_votes(phase)
    if len(inputs.values) == 0:
        return RecomputeOutcome(None, False, "no votes yet")
    digest = inputs.digest()
    previous = latest_snapshot(phase.id)
    if previous is not None and previous.inputs_hash == digest and not force:
        return RecomputeOutcome(previous, False, "votes unchanged since the latest analysis")
    db.session.commit()  # end the read transaction before the long computation
    result = analyze(
        inputs.matrix(),
        previous=load_result(previous) if previous is not None else None,
        random_state=RANDOM_STATE,
    )
    snapshot = AnalysisSnapshot(
        phase_id=phase.id,
        inputs_hash=digest,
        params=result.params,
        summary=dict(result.counts),
        priorities={
            str(sid): float(p)
            for sid, p in zip(
                result.statements.ids.tolist(), result.statements.priority.tolist(), strict=True
            )
        },
        timings=dict(result.timings),
        result_json=AnalysisSnapshot.pack(result.to_dict()),
    )
    with write_transaction(db.session) as session:
        session.add(snapshot)
    routing.forget(phase.id)
    return RecomputeOutcome(snapshot, True, "new analysis stored")


def snapshot_age(snapshot: AnalysisSnapshot, now: datetime | None = None) -> str:
    """'3 minutes ago'-style age of a snapshot, for pages, in the reader's language."""
    from flask_babel import format_timedelta
    from flask_babel import gettext as _

    delta = max(timedelta(0), (now or utcnow()) - snapshot.created_at)
    if delta.total_seconds() < 60:
        return _("just now")
    return format_timedelta(-delta, add_direction=True, threshold=1.0)
