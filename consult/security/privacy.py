"""A participant's own data: download everything stored about them, or delete it.

Deleting removes the participant, every vote they cast (current and history) and their
quarantine marks, so no later analysis, theme run, map or report counts them. What they wrote:

* statements a moderator accepted stay, as anonymous public input (the link to the participant
  is removed): others have voted on them, themes and responses refer to them, and published
  reports quote them;
* statements still pending or rejected are deleted (with any votes on them).

Published reports, and the frozen records of closed phases behind them, keep their aggregate
figures; a frozen record holds votes under internal numbers only, which no longer lead to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update

from consult.analysis.jobs import request_recompute
from consult.consultations.models import Phase
from consult.database import write_transaction
from consult.extensions import db
from consult.participation.models import (
    Moderation,
    Participant,
    Statement,
    Vote,
    VoteHistory,
    VoteValue,
)
from consult.security.models import Invitation, Quarantine

NOT_STORED = (
    "Consult stores no e-mail address, name, IP address or browser details for participants. "
    "Your secret token is stored only as a SHA-256 hash, which is not included here."
)


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def _word(value: int) -> str:
    return VoteValue(value).name.lower()


def _phase_ref(phase: Phase) -> dict[str, Any]:
    return {
        "consultation": phase.consultation.slug,
        "phase_id": phase.id,
        "position": phase.position,
        "title": phase.title,
    }


def export(participant: Participant) -> dict[str, Any]:
    """Everything stored about the participant, as JSON-ready data."""
    pid = participant.id
    written = list(
        db.session.scalars(
            select(Statement).where(Statement.author_id == pid).order_by(Statement.id)
        )
    )
    votes = db.session.execute(
        select(Vote, Statement)
        .join(Statement, Statement.id == Vote.statement_id)
        .where(Vote.participant_id == pid)
        .order_by(Vote.statement_id)
    ).all()
    history = db.session.execute(
        select(VoteHistory.statement_id, VoteHistory.value, VoteHistory.created_at)
        .where(VoteHistory.participant_id == pid)
        .order_by(VoteHistory.created_at, VoteHistory.id)
    ).all()
    quarantined = db.session.execute(
        select(Quarantine.phase_id, Quarantine.quarantined_at).where(
            Quarantine.participant_id == pid, Quarantine.released_at.is_(None)
        )
    ).all()
    invited = []
    if participant.xid:
        invited = list(
            db.session.scalars(
                select(Invitation.consultation_id).where(Invitation.xid == participant.xid)
            )
        )
    return {
        "about": "Everything Consult stores about you, the participant of this browser or token.",
        "not_stored": NOT_STORED,
        "participant": {
            "created_at": _iso(participant.created_at),
            "xid": participant.xid,
            "invited_to_consultations": invited,
        },
        "statements": [
            {
                "statement_id": s.id,
                **_phase_ref(s.phase),
                "text": s.text,
                "language": s.language,
                "moderation": s.moderation.value,
                "moderation_reason": s.moderation_reason,
                "created_at": _iso(s.created_at),
            }
            for s in written
        ],
        "votes": [
            {
                "statement_id": s.id,
                **_phase_ref(s.phase),
                "statement_text": s.text if s.moderation == Moderation.ACCEPTED else None,
                "vote": _word(v.value),
                "first_cast_at": _iso(v.created_at),
                "last_changed_at": _iso(v.updated_at),
            }
            for v, s in votes
        ],
        "vote_history": [
            {"statement_id": sid, "vote": _word(value), "cast_at": _iso(at)}
            for sid, value, at in history
        ],
        "votes_left_out_of_the_analysis": [
            {"phase_id": phase_id, "since": _iso(at)} for phase_id, at in quarantined
        ],
    }


@dataclass(frozen=True)
class Deletion:
    votes: int
    statements_deleted: int
    statements_kept_anonymous: int

    def to_dict(self) -> dict[str, int]:
        return {
            "votes_deleted": self.votes,
            "statements_deleted": self.statements_deleted,
            "statements_kept_anonymous": self.statements_kept_anonymous,
        }


def delete_participant(participant: Participant) -> Deletion:
    """Delete the participant and what is theirs (see the module docstring); one transaction."""
    pid = participant.id
    with write_transaction(db.session) as session:
        phases = set(
            session.scalars(
                select(Statement.phase_id)
                .join(Vote, Vote.statement_id == Statement.id)
                .where(Vote.participant_id == pid)
                .distinct()
            )
        )
        votes = session.execute(delete(Vote).where(Vote.participant_id == pid)).rowcount or 0
        session.execute(delete(VoteHistory).where(VoteHistory.participant_id == pid))
        kept = (
            session.execute(
                update(Statement)
                .where(Statement.author_id == pid, Statement.moderation == Moderation.ACCEPTED)
                .values(author_id=None)
            ).rowcount
            or 0
        )
        removed_phases = set(
            session.scalars(select(Statement.phase_id).where(Statement.author_id == pid))
        )
        removed = session.execute(delete(Statement).where(Statement.author_id == pid)).rowcount or 0
        session.execute(delete(Quarantine).where(Quarantine.participant_id == pid))
        session.execute(delete(Participant).where(Participant.id == pid))
    if participant in session:
        session.expunge(participant)
    for phase_id in sorted(phases | removed_phases):
        request_recompute(phase_id)
    return Deletion(votes=votes, statements_deleted=removed, statements_kept_anonymous=kept)
