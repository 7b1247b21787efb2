"""Import a Pol.is export directory into a consultation phase, in one transaction, idempotently.

Statements keep their Pol.is comment id (``external_id``), participants their voter id (as the
xid ``polis:<source>:<voter-id>``), so running the import again updates moderation states and adds
only what is new: no statement, participant or vote is ever duplicated.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from clustering.polis_export import PolisExport, read_export
from consult.consultations.models import Consultation, Phase, PhaseState
from consult.database import insert_rows, utcnow, write_transaction
from consult.errors import InvalidInput
from consult.extensions import db
from consult.participation.models import (
    Moderation,
    Origin,
    Participant,
    Statement,
    Vote,
    VoteHistory,
)
from consult.participation.services import hash_token

CHUNK = 5000
MODERATION = {-1: Moderation.REJECTED, 0: Moderation.PENDING, 1: Moderation.ACCEPTED}

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportReport:
    consultation: str
    phase_position: int
    created_consultation: bool
    statements_added: int
    statements_updated: int
    participants_added: int
    votes_written: int
    votes_source: str

    def describe(self) -> str:
        return (
            f"{'Created' if self.created_consultation else 'Filled'} consultation "
            f"{self.consultation!r}, phase {self.phase_position}: "
            f"{self.statements_added} statements added, {self.statements_updated} updated; "
            f"{self.participants_added} participants added; {self.votes_written} votes new or "
            f"changed (from {self.votes_source})."
        )


def source_key(export: PolisExport) -> str:
    """A stable name for the conversation: its pol.is URL when known, else the folder name."""
    url = export.summary.get("url", "").strip()
    if url:
        return "polis:" + re.sub(r"^https?://", "", url).rstrip("/")
    return "polis:" + export.directory.name


def default_slug(directory: Path) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", directory.name.lower()).strip("-")
    return slug[:64] or "polis-import"


def _when(ms: float | int | None) -> datetime | None:
    if ms is None or not np.isfinite(ms):
        return None
    seconds = ms / 1000 if ms > 1e11 else ms  # exports use milliseconds; old ones seconds
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def import_polis(
    directory: str | Path,
    slug: str | None = None,
    *,
    total: Callable[[int], None] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the export in ``directory``; raises InvalidInput (naming file, row, column) on bad
    files, before anything is written."""
    path = Path(directory)
    try:
        export = read_export(path)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    slug = slug or default_slug(path)
    source = source_key(export)
    steps = len(export.statements) + len(np.unique(export.participant_ids)) + len(export.values)
    if total:
        total(steps)
    advance = progress or (lambda n: None)
    with write_transaction(db.session) as session:
        consultation = session.scalar(Consultation.by_slug(slug))
        created = consultation is None
        if created:
            topic = export.summary.get("topic", "").strip() or path.name
            consultation = Consultation(
                slug=slug,
                title=topic[:200],
                description=export.summary.get("conversation-description", "").strip(),
                languages=["en"],
            )
            session.add(consultation)
            session.flush()
        phase = session.scalar(
            select(Phase).where(
                Phase.consultation_id == consultation.id, Phase.import_source == source
            )
        )
        if phase is None:
            position = 1 + max((p.position for p in consultation.phases), default=0)
            phase = Phase(
                consultation_id=consultation.id,
                position=position,
                title=(export.summary.get("topic", "") or "Imported Pol.is conversation")[:200],
                purpose=f"Imported from the Pol.is conversation {source.removeprefix('polis:')}.",
                state=PhaseState.CLOSED,
                strict_moderation=False,
                import_source=source,
            )
            session.add(phase)
            session.flush()
        added, updated, statement_ids = _statements(session, phase, export)
        advance(len(export.statements))
        participants_added, participant_ids = _participants(session, source, export, advance)
        votes = _votes(session, export, statement_ids, participant_ids, advance)
    return ImportReport(
        slug,
        phase.position,
        created,
        added,
        updated,
        participants_added,
        votes,
        export.votes_source,
    )


def _statements(session, phase: Phase, export: PolisExport):
    existing = {
        s.external_id: s
        for s in session.scalars(select(Statement).where(Statement.phase_id == phase.id))
        if s.external_id
    }
    added = updated = 0
    now = utcnow()
    for item in export.statements:
        key = str(item.id)
        moderation = MODERATION.get(item.moderated, Moderation.PENDING)
        statement = existing.get(key)
        if statement is None:
            statement = Statement(
                phase_id=phase.id,
                text=item.text,
                language=None,
                origin=Origin.SEED if item.is_seed else Origin.IMPORTED,
                moderation=moderation,
                moderated_at=now if moderation != Moderation.PENDING else None,
                moderation_reason="Rejected in Pol.is"
                if moderation == Moderation.REJECTED
                else None,
                is_meta=item.is_meta,
                external_id=key,
                created_at=_when(item.timestamp) or now,
            )
            session.add(statement)
            existing[key] = statement
            added += 1
        elif statement.moderation != moderation or statement.is_meta != item.is_meta:
            statement.moderation, statement.is_meta = moderation, item.is_meta
            updated += 1
    session.flush()
    return added, updated, {int(k): s.id for k, s in existing.items()}


def _participants(session, source: str, export: PolisExport, advance: Progress):
    voters = np.unique(export.participant_ids).tolist()
    xids = {voter: f"{source}:{voter}" for voter in voters}
    known: dict[str, int] = {}
    values = list(xids.values())
    for start in range(0, len(values), CHUNK):
        rows = session.execute(
            select(Participant.xid, Participant.id).where(
                Participant.xid.in_(values[start : start + CHUNK])
            )
        )
        known.update(dict(rows.all()))
    new = [x for x in values if x not in known]
    for start in range(0, len(new), CHUNK):
        chunk = new[start : start + CHUNK]
        ids = session.scalars(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            [{"xid": x, "token_hash": hash_token(secrets.token_urlsafe(32))} for x in chunk],
        ).all()
        known.update(zip(chunk, ids, strict=True))
        advance(len(chunk))
    advance(len(voters) - len(new))
    return len(new), {voter: known[xid] for voter, xid in xids.items()}


def _votes(session, export: PolisExport, statement_ids, participant_ids, advance: Progress) -> int:
    matrix = export.vote_matrix()
    rows = matrix.rows()
    voters = matrix.participant_ids[rows].tolist()
    comments = matrix.statement_ids[matrix.indices].tolist()
    values = matrix.values.tolist()
    latest_time: dict[tuple[int, int], datetime | None] = {}
    history = []
    times = export.timestamps
    for k, (voter, comment, value) in enumerate(
        zip(
            export.participant_ids.tolist(),
            export.statement_ids.tolist(),
            export.values.tolist(),
            strict=True,
        )
    ):
        when = _when(times[k]) if times is not None else None
        pair = (participant_ids[voter], statement_ids[comment])
        latest_time[pair] = when
        history.append(
            {
                "participant_id": pair[0],
                "statement_id": pair[1],
                "value": int(value),
                "created_at": when or utcnow(),
            }
        )
    existing = {
        (p, t): v
        for p, t, v in session.execute(
            select(Vote.participant_id, Vote.statement_id, Vote.value).where(
                Vote.statement_id.in_(list(statement_ids.values()))
            )
        )
    }
    now = utcnow()
    changed = []
    for voter, comment, value in zip(voters, comments, values, strict=True):
        pair = (participant_ids[voter], statement_ids[comment])
        if existing.get(pair) == value:
            continue
        when = latest_time.get(pair) or now
        changed.append(
            {
                "participant_id": pair[0],
                "statement_id": pair[1],
                "value": int(value),
                "created_at": when,
                "updated_at": when,
            }
        )
    for start in range(0, len(changed), CHUNK):
        insert_rows(
            session,
            Vote,
            changed[start : start + CHUNK],
            conflict_keys=("participant_id", "statement_id"),
            update=("value", "updated_at"),
        )
        advance(min(CHUNK, len(changed) - start))
    fresh = [h for h in history if (h["participant_id"], h["statement_id"]) not in existing]
    insert_rows(session, VoteHistory, fresh)
    advance(len(export.values) - len(changed))
    return len(changed)
