"""Freezing a phase at close: the record every figure of its report is computed (and checked) from.

A record holds the phase's latest analysis snapshot and theme run *with their inputs*: the latest
vote of every participant on every statement (as arrays), the statements, the community
conversations and their offline counts. Its content hash is::

    sha256("consult-phase-record/1\\n" + sha256(payload JSON) + "\\n" + sha256(vote arrays))

over the canonical JSON of the payload (sorted keys, no spaces, UTF-8) and the raw vote arrays
(participant ids, statement ids as little-endian int64, values as int8, sorted by participant then
statement). Compression is not hashed, so the hash names the content, not its encoding.
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select

from clustering.opinion_groups import AnalysisResult
from clustering.themes import OTHER_ID, ThemeResult
from consult.accounts.models import User
from consult.analysis.services import PhaseVotes, latest_snapshot, phase_votes, recompute
from consult.consultations.models import Phase, PhaseState
from consult.database import utcnow, write_transaction
from consult.errors import Conflict
from consult.extensions import db
from consult.jobs.services import latest_job
from consult.participation.models import Moderation, Statement
from consult.reports.models import PhaseRecord
from consult.themes.services import latest_theme_run, load_theme_result

RECORD_FORMAT = 1
VOTES_MAGIC = b"consult-votes/1\n"
_LOADED_LOCK = threading.Lock()


class RecordError(Exception):
    """A stored record cannot be read or does not match its content hash."""


def canonical_json(data: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def iso(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def pack_votes(participant_ids: np.ndarray, statement_ids: np.ndarray, values: np.ndarray) -> bytes:
    """Raw bytes of the vote arrays in canonical order (participant, then statement)."""
    pids = np.asarray(participant_ids, dtype="<i8")
    sids = np.asarray(statement_ids, dtype="<i8")
    vals = np.asarray(values, dtype="<i1")
    order = np.lexsort((sids, pids))
    return b"".join(
        (
            VOTES_MAGIC,
            struct.pack("<Q", len(pids)),
            pids[order].tobytes(),
            sids[order].tobytes(),
            vals[order].tobytes(),
        )
    )


def unpack_votes(raw: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not raw.startswith(VOTES_MAGIC):
        raise RecordError("the vote arrays of the record are not in the expected format")
    start = len(VOTES_MAGIC)
    (n,) = struct.unpack_from("<Q", raw, start)
    start += 8
    if len(raw) != start + 17 * n:
        raise RecordError(f"the vote arrays of the record are truncated ({len(raw)} bytes)")
    pids = np.frombuffer(raw, dtype="<i8", count=n, offset=start).astype(np.int64)
    sids = np.frombuffer(raw, dtype="<i8", count=n, offset=start + 8 * n).astype(np.int64)
    vals = np.frombuffer(raw, dtype="<i1", count=n, offset=start + 16 * n).astype(np.int8)
    return pids, sids, vals


def content_hash(payload_bytes: bytes, votes_raw: bytes) -> str:
    head = f"consult-phase-record/{RECORD_FORMAT}\n".encode()
    parts = hashlib.sha256(payload_bytes).hexdigest() + "\n" + hashlib.sha256(votes_raw).hexdigest()
    return hashlib.sha256(head + parts.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class FrozenRecord:
    """A phase record in memory: the payload and the vote arrays, plus its content hash."""

    payload: dict[str, Any]
    participant_ids: np.ndarray
    statement_ids: np.ndarray
    values: np.ndarray
    content_hash: str
    record_id: int | None = None

    @property
    def statements(self) -> list[dict[str, Any]]:
        return self.payload["statements"]

    def phase_votes(self) -> PhaseVotes:
        """The votes as the analysis read them (same class, so the same matrix and digest)."""
        columns = self.payload["analysis"]["columns"]
        return PhaseVotes(
            participant_ids=self.participant_ids,
            statement_ids=self.statement_ids,
            values=self.values,
            all_statement_ids=columns["all_statement_ids"],
            moderated_out=frozenset(columns["moderated_out"]),
            meta=frozenset(columns["meta"]),
        )

    def analysis(self) -> AnalysisResult | None:
        block = self.payload.get("analysis")
        return AnalysisResult.from_dict(block["result"]) if block else None

    def themes(self) -> ThemeResult | None:
        block = self.payload.get("themes")
        return ThemeResult.from_dict(block["result"]) if block else None


def _statement_rows(phase: Phase) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Statement).where(Statement.phase_id == phase.id).order_by(Statement.id)
    )
    out = []
    for s in rows:
        accepted = s.moderation == Moderation.ACCEPTED
        out.append(
            {
                "id": s.id,
                # Only accepted statements are public: the others keep no text in the record.
                "text": s.text if accepted else None,
                "language": s.language,
                "origin": s.origin.value,
                "moderation": s.moderation.value,
                "is_meta": bool(s.is_meta),
                "author_id": s.author_id,
                "created_at": iso(s.created_at),
            }
        )
    return out


def _community(phase: Phase, statement_ids: list[int]) -> tuple[bool, list, dict]:
    """Community conversations and offline support, when the notes package is installed."""
    try:
        from consult.notes import services as notes
    except ImportError:
        return False, [], {}
    if "community_conversations" not in db.metadata.tables:
        return False, [], {}
    conversations = [c.to_dict() for c in notes.conversations_for_phase(phase)]
    offline = {
        str(sid): support
        for sid, support in notes.offline_support(statement_ids).items()
        if support["conversations"]
    }
    return True, conversations, offline


def build_record(phase: Phase) -> FrozenRecord:
    """Gather the phase's record from the database (without storing it).

    The latest analysis snapshot must have been computed from exactly the current votes; when it
    was not (or there is none), the analysis is recomputed first.
    """
    votes = phase_votes(phase)
    if len(votes.values) == 0:
        raise Conflict(
            f"phase {phase.position} has no votes: there is nothing to analyse or report yet"
        )
    snapshot = latest_snapshot(phase.id)
    if snapshot is None or snapshot.inputs_hash != votes.digest():
        snapshot = recompute(phase).snapshot
        votes = phase_votes(phase)
    statements = _statement_rows(phase)
    run = latest_theme_run(phase.consultation_id)
    accepted = [s["id"] for s in statements if s["moderation"] == "accepted"]
    notes_available, conversations, offline = _community(phase, accepted)
    consultation = phase.consultation
    payload: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "consultation": {
            "slug": consultation.slug,
            "title": consultation.title,
            "description": consultation.description,
        },
        "phase": {
            "id": phase.id,
            "position": phase.position,
            "title": phase.title,
            "purpose": phase.purpose,
            "opens_at": iso(phase.opens_at),
            "closes_at": iso(phase.closes_at),
        },
        "statements": statements,
        "analysis": {
            "snapshot_id": snapshot.id,
            "inputs_hash": snapshot.inputs_hash,
            "created_at": iso(snapshot.created_at),
            # The statement columns exactly as the analysis read them (see phase_votes).
            "columns": {
                "all_statement_ids": list(votes.all_statement_ids),
                "moderated_out": sorted(votes.moderated_out),
                "meta": sorted(votes.meta),
            },
            "result": snapshot.result(),
        },
        "themes": (
            {
                "run_id": run.id,
                "created_at": iso(run.created_at),
                "model": run.model,
                "result": run.result(),
            }
            if run is not None
            else None
        ),
        "closed_at": iso(utcnow()),
        "notes_available": notes_available,
        "conversations": conversations,
        "offline": offline,
    }
    # Round-trip through JSON so the in-memory payload is exactly what a reader gets back.
    payload_bytes = canonical_json(payload)
    payload = json.loads(payload_bytes)
    raw = pack_votes(votes.participant_ids, votes.statement_ids, votes.values)
    pids, sids, vals = unpack_votes(raw)
    return FrozenRecord(payload, pids, sids, vals, content_hash(payload_bytes, raw))


def store_record(phase: Phase, record: FrozenRecord, user: User | None) -> PhaseRecord:
    payload_bytes = canonical_json(record.payload)
    raw = pack_votes(record.participant_ids, record.statement_ids, record.values)
    row = PhaseRecord(
        phase_id=phase.id,
        closed_by_id=user.id if user else None,
        analysis_snapshot_id=record.payload["analysis"]["snapshot_id"],
        theme_run_id=(record.payload["themes"] or {}).get("run_id"),
        format_version=RECORD_FORMAT,
        content_hash=record.content_hash,
        payload=zlib.compress(payload_bytes, 6),
        votes=zlib.compress(raw, 6),
    )
    with write_transaction(db.session) as session:
        session.add(row)
    return row


def load_record(row: PhaseRecord, *, check: bool = True) -> FrozenRecord:
    """Read a stored record; with ``check``, refuse one whose content no longer has its hash."""
    try:
        payload_bytes = zlib.decompress(row.payload)
        raw = zlib.decompress(row.votes)
        payload = json.loads(payload_bytes)
    except (zlib.error, ValueError) as exc:
        raise RecordError(f"record {row.id} cannot be read: {exc}") from None
    actual = content_hash(canonical_json(payload), raw)
    if check and actual != row.content_hash:
        raise RecordError(
            f"record {row.id} was changed after it was frozen: its content hash is {actual}, "
            f"the stored hash is {row.content_hash}"
        )
    pids, sids, vals = unpack_votes(raw)
    return FrozenRecord(payload, pids, sids, vals, actual, row.id)


_LOADED: OrderedDict[tuple[int, str, int, int], FrozenRecord] = OrderedDict()
_LOADED_SIZE = 4


def load_record_cached(row: PhaseRecord) -> FrozenRecord:
    """:func:`load_record` (checked), kept in memory for pages: records never change.

    The key includes checksums of the stored bytes, so a record changed in the database is read
    (and checked) again. ``consult report verify`` never uses this cache.
    """
    key = (row.id, row.content_hash, zlib.crc32(row.payload), zlib.crc32(row.votes))
    with _LOADED_LOCK:
        found = _LOADED.get(key)
        if found is not None:
            _LOADED.move_to_end(key)
            return found
    record = load_record(row)
    with _LOADED_LOCK:
        _LOADED[key] = record
        while len(_LOADED) > _LOADED_SIZE:
            _LOADED.popitem(last=False)
    return record


def latest_record(phase_id: int) -> PhaseRecord | None:
    return db.session.scalar(
        select(PhaseRecord)
        .where(PhaseRecord.phase_id == phase_id)
        .order_by(PhaseRecord.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class PhaseTheme:
    """A theme as the response pages list it: its statements in this phase."""

    id: str
    label: str
    keywords: tuple[str, ...]
    statement_ids: tuple[int, ...]
    central_statement_id: int | None

    @property
    def size(self) -> int:
        return len(self.statement_ids)

    @property
    def is_other(self) -> bool:
        return self.id == OTHER_ID


def themes_in_phase(themes: ThemeResult | None, statement_ids: list[int]) -> list[PhaseTheme]:
    """The themes with at least one of the phase's statements, largest first, "other" last.

    Statements the theme run does not cover (added after it) are put in "other".
    """
    if themes is None:
        return []
    wanted = set(statement_ids)
    covered: set[int] = set()
    out: list[PhaseTheme] = []
    other: PhaseTheme | None = None
    for theme in themes.themes:
        ids = tuple(int(s) for s in theme.statement_ids if s in wanted)
        covered.update(ids)
        item = PhaseTheme(
            theme.id,
            theme.label,
            tuple(theme.keywords),
            tuple(sorted(ids)),
            theme.central_statement_id if theme.central_statement_id in ids else None,
        )
        if theme.id == OTHER_ID:
            other = item
        elif ids:
            out.append(item)
    missing = tuple(sorted(wanted - covered))
    if other is not None or missing:
        base = other.statement_ids if other else ()
        out.append(PhaseTheme(OTHER_ID, "Other", (), tuple(sorted(base + missing)), None))
    out.sort(key=lambda t: (t.is_other, -t.size, _theme_order(t.id)))
    return [t for t in out if t.size or not t.is_other]


def _theme_order(theme_id: str) -> tuple[int, str]:
    digits = theme_id[1:]
    return (int(digits), "") if theme_id[:1] == "t" and digits.isdigit() else (1 << 30, theme_id)


CLOSE_JOB = "reports.close"


def close_job_key(phase_id: int) -> str:
    return f"phase:{phase_id}"


def freeze_pending(phase: Phase) -> bool:
    """Whether a closed phase still waits for its record to be frozen.

    That is a closed phase without any record, or one whose latest close job (queued, running or
    failed) was asked for after its latest record: a phase closed again after a reopen keeps its
    earlier record until the job freezes the new one.
    """
    if phase.state != PhaseState.CLOSED:
        return False
    row = latest_record(phase.id)
    if row is None:
        return True
    job = latest_job(CLOSE_JOB, close_job_key(phase.id))
    return job is not None and job.payload.get("after") == row.id


def frozen_row(phase: Phase) -> PhaseRecord | None:
    """The record a closed or published phase stands on; None while it is open, or while the
    record of its latest close is still being frozen."""
    if phase.state not in (PhaseState.CLOSED, PhaseState.PUBLISHED) or freeze_pending(phase):
        return None
    return latest_record(phase.id)


def phase_themes(phase: Phase) -> list[PhaseTheme]:
    """The phase's themes: frozen ones once the phase is closed, else the latest theme run's."""
    statement_ids = list(
        db.session.scalars(
            select(Statement.id).where(
                Statement.phase_id == phase.id, Statement.moderation == Moderation.ACCEPTED
            )
        )
    )
    row = frozen_row(phase)
    if row is not None:
        record = load_record_cached(row)
        accepted = [s["id"] for s in record.statements if s["moderation"] == "accepted"]
        return themes_in_phase(record.themes(), accepted)
    run = latest_theme_run(phase.consultation_id)
    return themes_in_phase(load_theme_result(run) if run else None, statement_ids)
