"""Participation rules: who may vote on what, recording votes, routing, adding statements."""

from __future__ import annotations

import hashlib
import random
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from consult.analysis.jobs import request_recompute
from consult.consultations.models import Phase
from consult.database import utcnow, write_transaction
from consult.errors import Conflict, InvalidInput, NotFound
from consult.extensions import db
from consult.participation.models import (
    Moderation,
    Origin,
    Participant,
    Statement,
    Vote,
    VoteHistory,
    VoteValue,
)

TEXT_MIN = 10
TEXT_MAX = 280


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_participant(xid: str | None = None) -> tuple[Participant, str]:
    """Create an anonymous participant; returns it with its secret token (shown once, never stored).

    With an ``xid`` that already exists, that participant gets a fresh token (the embedding site
    vouches for the identity); its votes are kept.
    """
    token = secrets.token_urlsafe(32)
    with write_transaction(db.session) as session:
        participant = None
        if xid:
            xid = xid.strip()
            if not 1 <= len(xid) <= 255:
                raise InvalidInput("xid must be 1 to 255 characters", field="xid")
            participant = session.scalar(select(Participant).where(Participant.xid == xid))
        if participant is None:
            participant = Participant(token_hash=hash_token(token), xid=xid or None)
            session.add(participant)
        else:
            participant.token_hash = hash_token(token)
    return participant, token


def participant_for_token(token: str | None) -> Participant | None:
    if not token:
        return None
    return db.session.scalar(select(Participant).where(Participant.token_hash == hash_token(token)))


def visible_condition(phase: Phase):
    """SQL condition for statements shown to voters in ``phase``.

    Strict moderation shows accepted statements only; otherwise pending ones are shown too.
    Rejected statements are never shown, nor those not open for online voting (points imported
    from community notes that are recorded but not put to the vote).
    """
    if phase.strict_moderation:
        return and_(Statement.moderation == Moderation.ACCEPTED, Statement.open_for_voting)
    return and_(Statement.moderation != Moderation.REJECTED, Statement.open_for_voting)


def require_open(phase: Phase) -> None:
    if not phase.accepts_input():
        raise Conflict(
            f"phase {phase.position} is {phase.state.value}: "
            "it does not take votes or statements now",
            detail={"state": phase.state.value},
        )


def _upsert(session: Session):
    """INSERT … ON CONFLICT DO UPDATE for the votes table, in the dialect of the session."""
    dialect = session.get_bind().dialect.name
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert_fn(Vote.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["participant_id", "statement_id"],
        set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
    )


def record_vote(
    phase: Phase, participant: Participant, statement_id: int, value: VoteValue
) -> None:
    """Store the participant's vote; a new vote on the same statement replaces the old one.

    The vote row is written with one INSERT … ON CONFLICT DO UPDATE, so parallel duplicate votes
    leave exactly one row; every vote cast is also appended to the vote history.
    """
    require_open(phase)
    statement = db.session.get(Statement, statement_id)
    if statement is None or statement.phase_id != phase.id:
        raise NotFound(f"statement {statement_id} is not part of this phase")
    votable = statement.open_for_voting and (
        statement.moderation == Moderation.ACCEPTED
        or (statement.moderation == Moderation.PENDING and not phase.strict_moderation)
    )
    if not votable:
        raise Conflict(f"statement {statement_id} is not open for voting")
    now = utcnow()
    row = {
        "participant_id": participant.id,
        "statement_id": statement_id,
        "value": int(value),
        "created_at": now,
    }
    with write_transaction(db.session) as session:
        session.execute(_upsert(session), [{**row, "updated_at": now}])
        session.execute(insert(VoteHistory), [row])
    request_recompute(phase.id)


@dataclass(frozen=True)
class Progress:
    voted: int
    total: int

    @property
    def remaining(self) -> int:
        return max(self.total - self.voted, 0)


def progress(phase: Phase, participant: Participant | None) -> Progress:
    """How many of the statements shown in this phase the participant has voted on."""
    total = db.session.scalar(
        select(func.count())
        .select_from(Statement)
        .where(Statement.phase_id == phase.id, visible_condition(phase))
    )
    voted = 0
    if participant is not None:
        voted = db.session.scalar(
            select(func.count())
            .select_from(Vote)
            .join(Statement, Statement.id == Vote.statement_id)
            .where(
                Vote.participant_id == participant.id,
                Statement.phase_id == phase.id,
                visible_condition(phase),
            )
        )
    return Progress(voted=voted or 0, total=total or 0)


def next_statement(
    phase: Phase,
    participant: Participant | None,
    *,
    priorities: dict[int, float] | None = None,
    rng: random.Random | None = None,
) -> Statement | None:
    """The next statement to show, or None when the participant has voted on all of them.

    Without an analysis (``priorities`` is None) the least-voted statement comes first, oldest on
    ties. With one, a statement is drawn at random weighted by its Pol.is priority; statements
    newer than the analysis get the priority of a statement nobody has voted on yet.
    """
    query = select(Statement).where(Statement.phase_id == phase.id, visible_condition(phase))
    if participant is not None:
        voted = select(Vote.statement_id).where(Vote.participant_id == participant.id)
        query = query.where(Statement.id.not_in(voted))
    if priorities is None:
        counts = (
            select(Vote.statement_id, func.count().label("n"))
            .join(Statement, Statement.id == Vote.statement_id)
            .where(Statement.phase_id == phase.id)
            .group_by(Vote.statement_id)
            .subquery()
        )
        query = (
            query.outerjoin(counts, counts.c.statement_id == Statement.id)
            .order_by(func.coalesce(counts.c.n, 0), Statement.id)
            .limit(1)
        )
        return db.session.scalar(query)
    candidates = list(db.session.scalars(query))
    if not candidates:
        return None
    weights = [priorities.get(s.id, UNSEEN_PRIORITY) for s in candidates]
    if sum(weights) <= 0:
        return candidates[0]
    return (rng or random).choices(candidates, weights=weights, k=1)[0]


# Pol.is priority of a statement with no votes and no extremity: ((1 - 1/2) * 1 * 1/2 * 9) ** 2.
UNSEEN_PRIORITY = (0.25 * 9) ** 2


def validate_text(text: object) -> str:
    """Normalise whitespace and check the length rule; raises InvalidInput with a clear message."""
    if not isinstance(text, str):
        raise InvalidInput("text must be a string", field="text")
    text = " ".join(text.split())
    if len(text) < TEXT_MIN:
        raise InvalidInput(
            f"A statement needs at least {TEXT_MIN} characters (this one has {len(text)}).",
            field="text",
        )
    if len(text) > TEXT_MAX:
        raise InvalidInput(
            f"A statement can have at most {TEXT_MAX} characters (this one has {len(text)}).",
            field="text",
        )
    return text


def add_statement(phase: Phase, participant: Participant, text: object) -> Statement:
    """A participant's statement: pending moderation; shown at once unless moderation is strict."""
    require_open(phase)
    clean = validate_text(text)
    with write_transaction(db.session) as session:
        duplicate = session.scalar(
            select(Statement).where(Statement.phase_id == phase.id, Statement.text == clean)
        )
        if duplicate is not None:
            raise Conflict(
                "This statement is already in the conversation: vote on it instead.",
                field="text",
                detail={"statement_id": duplicate.id},
            )
        statement = Statement(
            phase_id=phase.id,
            text=clean,
            language=phase.consultation.default_language,
            origin=Origin.ONLINE,
            author_id=participant.id,
            moderation=Moderation.PENDING,
        )
        session.add(statement)
    return statement


def add_seed_statement(phase: Phase, text: str, language: str | None = None) -> Statement:
    """A statement written by the Support Unit to start the conversation: accepted at once."""
    clean = validate_text(text)
    with write_transaction(db.session) as session:
        statement = Statement(
            phase_id=phase.id,
            text=clean,
            language=language or phase.consultation.default_language,
            origin=Origin.SEED,
            moderation=Moderation.ACCEPTED,
            moderated_at=utcnow(),
        )
        session.add(statement)
    return statement
