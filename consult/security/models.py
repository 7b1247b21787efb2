"""Security tables: the append-only audit log, invitation lists, and quarantined votes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.database import Base, utcnow


class AuditEntry(Base):
    """One administrative action: who, when, what. Rows are only ever inserted.

    No code path updates or deletes a row, and database triggers (migration 0010) refuse UPDATE
    and DELETE on SQLite and PostgreSQL. The actor is copied as text (no foreign key), so removing
    an account never has to touch the log.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The staff account (its id, e-mail and role when the action ran), or the command line.
    actor_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(300))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))  # "web" or "cli"
    action: Mapped[str] = mapped_column(String(120), index=True)
    # What it was done to, e.g. "/c/demo/phase/1/close" or "phase demo 1".
    target: Mapped[str] = mapped_column(String(500), default="")
    # "ok" or "refused" (the action was tried and not carried out), with the status / message.
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class InvitationList(Base):
    """A consultation that takes votes and statements from invited participants only."""

    __tablename__ = "invitation_lists"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Invitation(Base):
    """An external id (xid) invited to a consultation: an invitation code or a member id."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("consultation_id", "xid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    xid: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Quarantine(Base):
    """A participant's votes in one phase, kept but left out of the analysis and the reports.

    Set by a moderator from the suspicious-bursts view; ``released_at`` puts the votes back.
    """

    __tablename__ = "quarantines"
    __table_args__ = (UniqueConstraint("phase_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    burst: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    quarantined_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    quarantined_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    released_at: Mapped[datetime | None]
