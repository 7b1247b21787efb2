"""Participation rules: who may vote on what, recording votes, routing, adding statements."""

from __future__ import annotations

import hashlib
import random
import secrets
from dataclasses import dataclass
from typing import NoReturn

from flask_babel import gettext as _
from sqlalchemy import (
    DateTime,
    SmallInteger,
    and_,
    bindparam,
    false,
    func,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite

from consult.analysis.jobs import request_recompute
from consult.consultations.models import Phase, PhaseState
from consult.database import IMMEDIATE, utcnow, write_transaction
from consult.errors import Conflict, ConsultError, InvalidInput, NotFound
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
from consult.participation.translations import statement_language
from consult.security import invitations

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
                raise InvalidInput(_("xid must be 1 to 255 characters"), field="xid")
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


def state_name(state: str) -> str:
    """A phase state as a word of the reader's language (draft, open, closed, published)."""
    names = {
        "draft": _("a draft"),
        "open": _("open"),
        "closed": _("closed"),
        "published": _("published"),
    }
    return names.get(state, state)


def require_open(phase: Phase) -> None:
    if not phase.accepts_input():
        raise Conflict(
            _(
                "phase %(position)d is %(state)s: it does not take votes or statements now",
                position=phase.position,
                state=state_name(phase.state.value),
            ),
            detail={"state": phase.state.value},
        )


class UnknownParticipant(ConsultError):
    """A participant token that names nobody (HTTP 401)."""

    status = 401


def _votable(now):
    """SQL conditions under which the joined statement and phase take a vote at ``now``.

    The same rules as ``require_open`` and the statement checks in ``_refuse_vote``: the phase is
    open and inside its dates; the statement is open for online voting and accepted, or pending
    in a phase without strict moderation.
    """
    return (
        Phase.state == PhaseState.OPEN,
        or_(Phase.opens_at.is_(None), Phase.opens_at <= now),
        or_(Phase.closes_at.is_(None), Phase.closes_at > now),
        Statement.open_for_voting.is_(true()),
        or_(
            Statement.moderation == Moderation.ACCEPTED,
            and_(
                Statement.moderation == Moderation.PENDING,
                Phase.strict_moderation.is_(false()),
            ),
        ),
    )


_VOTE_COLUMNS = ["participant_id", "statement_id", "value", "created_at", "updated_at"]
_vote_statements: dict[tuple[str, str], tuple] = {}


def _vote_sql(dialect: str, who: str) -> tuple:
    """The statements that write one vote, built once per dialect and voter lookup.

    ``who`` is "token" (the voter is found by ``token_hash``) or "id" (by ``participant_id``).
    The vote is written by one INSERT … SELECT … ON CONFLICT DO UPDATE whose SELECT yields a row
    only if the participant exists and the statement may be voted on now, so checking and writing
    is one round trip. On PostgreSQL the history row is appended by the same statement (a
    data-modifying WITH); SQLite, which has no such WITH, appends it with a second INSERT.
    """
    key = (dialect, who)
    if key not in _vote_statements:
        now = bindparam("now", type_=DateTime())
        value = bindparam("value", type_=SmallInteger())
        voter = (
            Participant.token_hash == bindparam("token_hash")
            if who == "token"
            else Participant.id == bindparam("participant_id")
        )
        target = (
            select(Participant.id, Statement.id, value, now, now)
            .select_from(Participant)
            .join(Statement, Statement.id == bindparam("statement_id"))
            .join(Phase, Phase.id == Statement.phase_id)
            .where(
                voter,
                Statement.phase_id == bindparam("phase_id"),
                *_votable(now),
                invitations.vote_condition(),
            )
        )
        insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = insert_fn(Vote).from_select(_VOTE_COLUMNS, target)
        upsert = upsert.on_conflict_do_update(
            index_elements=["participant_id", "statement_id"],
            set_={"value": upsert.excluded.value, "updated_at": upsert.excluded.updated_at},
        )
        if dialect == "postgresql":
            written = upsert.returning(
                Vote.participant_id, Vote.statement_id, Vote.value, Vote.updated_at
            ).cte("written")
            history = (
                insert(VoteHistory)
                .from_select(
                    ["participant_id", "statement_id", "value", "created_at"], select(written)
                )
                .returning(VoteHistory.participant_id)
            )
            _vote_statements[key] = (history, None)
        else:
            _vote_statements[key] = (upsert.returning(Vote.participant_id), insert(VoteHistory))
    return _vote_statements[key]


def _write_vote(connection, who: str, params: dict) -> int | None:
    """Write the vote and its history row; the participant's id, or None if nothing was written."""
    first, history = _vote_sql(connection.dialect.name, who)
    participant_id = connection.execute(first, params).scalar()
    if participant_id is not None and history is not None:
        connection.execute(
            history,
            {
                "participant_id": participant_id,
                "statement_id": params["statement_id"],
                "value": params["value"],
                "created_at": params["now"],
            },
        )
    return participant_id


def record_vote(
    phase: Phase, participant: Participant, statement_id: int, value: VoteValue
) -> None:
    """Store the participant's vote; a new vote on the same statement replaces the old one.

    The vote row is written with one INSERT … ON CONFLICT DO UPDATE, so parallel duplicate votes
    leave exactly one row; every vote cast is also appended to the vote history, in the same
    transaction. A vote the rules refuse raises NotFound or Conflict and writes nothing.
    """
    params = {
        "participant_id": participant.id,
        "phase_id": phase.id,
        "statement_id": statement_id,
        "value": int(value),
        "now": utcnow(),
    }
    with write_transaction(db.session) as session:
        written = _write_vote(session.connection(), "id", params)
    if written is None:
        _refuse_vote(phase.id, statement_id, participant_id=participant.id)
    request_recompute(phase.id)


def cast_vote(phase_id: int, statement_id: int, value: VoteValue, *, token: str) -> None:
    """Store a vote sent with a participant token: the API's hot path, as few round trips as can be.

    On PostgreSQL this is one statement in autocommit (so, one transaction): it finds the
    participant by the hash of the token, checks the statement and phase, upserts the vote and
    appends the history row. On SQLite it is one BEGIN IMMEDIATE transaction of two statements.
    Only when nothing was written does a second look find out why: UnknownParticipant (401),
    NotFound (404: phase, draft phase or statement) or Conflict (409: phase or statement closed).
    """
    params = {
        "token_hash": hash_token(token),
        "phase_id": phase_id,
        "statement_id": statement_id,
        "value": int(value),
        "now": utcnow(),
    }
    if db.session().in_transaction():  # like write_transaction: later reads see this vote
        db.session.commit()
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            written = _write_vote(connection, "token", params)
        else:
            connection = connection.execution_options(**{IMMEDIATE: True})
            with connection.begin():
                written = _write_vote(connection, "token", params)
    if written is None:
        _refuse_vote(phase_id, statement_id, token=token)
    request_recompute(phase_id)


def require_voter(token: str, phase_id: int) -> Phase:
    """The public phase ``phase_id`` if ``token`` names a participant; else 401 or 404."""
    if participant_for_token(token) is None:
        raise UnknownParticipant("unknown participant token")
    phase = db.session.get(Phase, phase_id)
    if phase is None or not phase.is_public:
        raise NotFound(f"no phase with id {phase_id}")
    return phase


def _refuse_vote(
    phase_id: int,
    statement_id: int,
    *,
    token: str | None = None,
    participant_id: int | None = None,
) -> NoReturn:
    """Raise the error that explains why a vote was not written (the rare, slow path)."""
    db.session.rollback()  # read what is committed now
    if token is not None:
        phase = require_voter(token, phase_id)
    else:
        phase = db.session.get(Phase, phase_id)
        if phase is None:
            raise NotFound(_("no phase with id %(id)d", id=phase_id))
    require_open(phase)
    statement = db.session.get(Statement, statement_id)
    if statement is None or statement.phase_id != phase.id:
        raise NotFound(_("statement %(id)d is not part of this phase", id=statement_id))
    voter = participant_for_token(token) if token is not None else None
    if token is None and participant_id is not None:
        voter = db.session.get(Participant, participant_id)
    invitations.require_invited(phase, voter)
    votable = statement.open_for_voting and (
        statement.moderation == Moderation.ACCEPTED
        or (statement.moderation == Moderation.PENDING and not phase.strict_moderation)
    )
    if not votable:
        raise Conflict(_("statement %(id)d is not open for voting", id=statement_id))
    # Only a change between the write and this look gets here (e.g. the phase just reopened).
    raise Conflict(_("the vote could not be recorded just now; please send it again"))


@dataclass(frozen=True)
class Progress:
    voted: int
    total: int

    @property
    def remaining(self) -> int:
        return max(self.total - self.voted, 0)


def _shown_statements(phase: Phase, participant: Participant | None) -> list[tuple[int, bool]]:
    """(id, voted on by the participant) of every statement shown in the phase, in id order."""
    if participant is None:
        query = select(Statement.id, false())
    else:
        voted = Vote.statement_id.is_not(None)
        query = select(Statement.id, voted).outerjoin(
            Vote, and_(Vote.statement_id == Statement.id, Vote.participant_id == participant.id)
        )
    query = query.where(Statement.phase_id == phase.id, visible_condition(phase))
    return [(id_, bool(voted)) for id_, voted in db.session.execute(query.order_by(Statement.id))]


def progress(phase: Phase, participant: Participant | None) -> Progress:
    """How many of the statements shown in this phase the participant has voted on."""
    shown = _shown_statements(phase, participant)
    return Progress(voted=sum(voted for _id, voted in shown), total=len(shown))


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
    return next_card(phase, participant, priorities=priorities, rng=rng)[0]


def next_card(
    phase: Phase,
    participant: Participant | None,
    *,
    priorities: dict[int, float] | None = None,
    rng: random.Random | None = None,
) -> tuple[Statement | None, Progress]:
    """The next statement to show (as ``next_statement``) and the participant's progress.

    Two small queries: the ids of the statements shown, each with whether the participant voted
    on it (which gives the progress and the candidates), then the statement chosen (none when
    nothing is left to vote on).
    """
    shown = _shown_statements(phase, participant)
    done = Progress(voted=sum(voted for _id, voted in shown), total=len(shown))
    candidates = [id_ for id_, voted in shown if not voted]
    if not candidates:
        return None, done
    if priorities is None:
        return _least_voted(phase, participant), done
    while candidates:
        weights = [priorities.get(id_, UNSEEN_PRIORITY) for id_ in candidates]
        if sum(weights) <= 0:
            chosen = candidates[0]
        else:
            chosen = (rng or random).choices(candidates, weights=weights, k=1)[0]
        statement = db.session.get(Statement, chosen)
        if statement is not None:
            return statement, done
        candidates.remove(chosen)  # deleted since the first query
    return None, done


def _least_voted(phase: Phase, participant: Participant | None) -> Statement | None:
    """The shown statement with the fewest votes that the participant has not voted on."""
    query = select(Statement).where(Statement.phase_id == phase.id, visible_condition(phase))
    if participant is not None:
        voted = select(Vote.statement_id).where(Vote.participant_id == participant.id)
        query = query.where(Statement.id.not_in(voted))
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


# Pol.is priority of a statement with no votes and no extremity: ((1 - 1/2) * 1 * 1/2 * 9) ** 2.
UNSEEN_PRIORITY = (0.25 * 9) ** 2


def validate_text(text: object) -> str:
    """Normalise whitespace and check the length rule; raises InvalidInput with a clear message."""
    if not isinstance(text, str):
        raise InvalidInput(_("text must be a string"), field="text")
    text = " ".join(text.split())
    if len(text) < TEXT_MIN:
        raise InvalidInput(
            _(
                "A statement needs at least %(min)d characters (this one has %(length)d).",
                min=TEXT_MIN,
                length=len(text),
            ),
            field="text",
        )
    if len(text) > TEXT_MAX:
        raise InvalidInput(
            _(
                "A statement can have at most %(max)d characters (this one has %(length)d).",
                max=TEXT_MAX,
                length=len(text),
            ),
            field="text",
        )
    return text


def add_statement(phase: Phase, participant: Participant, text: object) -> Statement:
    """A participant's statement: pending moderation; shown at once unless moderation is strict."""
    require_open(phase)
    invitations.require_invited(phase, participant)
    clean = validate_text(text)
    with write_transaction(db.session) as session:
        duplicate = session.scalar(
            select(Statement).where(Statement.phase_id == phase.id, Statement.text == clean)
        )
        if duplicate is not None:
            raise Conflict(
                _("This statement is already in the conversation: vote on it instead."),
                field="text",
                detail={"statement_id": duplicate.id},
            )
        statement = Statement(
            phase_id=phase.id,
            text=clean,
            language=statement_language(clean, phase.consultation),
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
            language=language or statement_language(clean, phase.consultation),
            origin=Origin.SEED,
            moderation=Moderation.ACCEPTED,
            moderated_at=utcnow(),
        )
        session.add(statement)
    return statement
