"""Moderation queue and decisions (single or in bulk), with the reason kept for rejections."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.accounts.models import User
from consult.consultations.models import Consultation, Phase
from consult.database import utcnow, write_transaction
from consult.errors import InvalidInput, NotFound
from consult.extensions import db
from consult.participation.models import Moderation, Statement


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it (it is stored in English)."""
    return message


# Stored in English (the reason is part of the record); pages show them with gettext.
REJECTION_REASONS = (
    N_("Off topic"),
    N_("Duplicate of another statement"),
    N_("Personal attack or abusive language"),
    N_("Contains personal information"),
    N_("More than one idea: please split"),
    N_("Spam or advertising"),
)


def queue(phase_id: int | None = None) -> list[Statement]:
    """Pending statements, oldest first, optionally of one phase."""
    query = (
        select(Statement)
        .options(selectinload(Statement.phase).selectinload(Phase.consultation))
        .where(Statement.moderation == Moderation.PENDING)
        .order_by(Statement.created_at, Statement.id)
    )
    if phase_id is not None:
        query = query.where(Statement.phase_id == phase_id)
    return list(db.session.scalars(query))


def phases_with_pending() -> list[tuple[Phase, int]]:
    """Phases that have pending statements, with how many: for the queue's filter."""
    from sqlalchemy import func

    rows = db.session.execute(
        select(Phase, func.count(Statement.id))
        .join(Statement, Statement.phase_id == Phase.id)
        .join(Consultation)
        .where(Statement.moderation == Moderation.PENDING)
        .group_by(Phase.id)
        .order_by(Phase.consultation_id, Phase.position)
    ).all()
    return [(phase, count) for phase, count in rows]


def decide(
    statement_ids: Sequence[int], decision: Moderation, moderator: User, reason: str = ""
) -> list[Statement]:
    """Accept or reject statements; a rejection needs a reason. All or nothing."""
    if decision not in (Moderation.ACCEPTED, Moderation.REJECTED):
        raise InvalidInput(_("decision must be accept or reject"), field="decision")
    reason = " ".join((reason or "").split())
    if decision == Moderation.REJECTED and not reason:
        raise InvalidInput(
            _("Give a reason for rejecting: participants and reports show it."), field="reason"
        )
    ids = sorted({int(i) for i in statement_ids})
    if not ids:
        raise InvalidInput(_("Select at least one statement."), field="statement_ids")
    with write_transaction(db.session) as session:
        statements = list(session.scalars(select(Statement).where(Statement.id.in_(ids))))
        missing = set(ids) - {s.id for s in statements}
        if missing:
            raise NotFound(
                _(
                    "no statement with id %(ids)s",
                    ids=", ".join(map(str, sorted(missing))),
                )
            )
        now = utcnow()
        for statement in statements:
            statement.moderation = decision
            statement.moderation_reason = reason if decision == Moderation.REJECTED else None
            statement.moderated_by_id = moderator.id
            statement.moderated_at = now
    return statements
