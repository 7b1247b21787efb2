"""Participant, Statement, Vote and VoteHistory: the rows the opinion analysis is computed from."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.consultations.models import Phase
from consult.database import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Origin(enum.StrEnum):
    ONLINE = "online"  # written by a participant on the phase page or through the API
    SEED = "seed"  # written by the Support Unit to start the conversation
    IMPORTED = "imported"  # brought in from community-conversation notes or a Pol.is export


class Moderation(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class VoteValue(enum.IntEnum):
    AGREE = 1
    PASS = 0
    DISAGREE = -1

    @classmethod
    def parse(cls, word: str) -> VoteValue:
        """'agree' / 'disagree' / 'pass' → value; raises ValueError on anything else."""
        try:
            return cls[word.strip().upper()]
        except (KeyError, AttributeError):
            raise ValueError(f"vote must be agree, disagree or pass, not {word!r}") from None


class Participant(Base):
    """Someone who votes or writes. Anonymous: an unguessable token, never an e-mail address.

    Only the SHA-256 of the token is stored, so a copy of the database cannot be used to act as a
    participant. ``xid`` is an optional identifier from an embedding site or an import.
    """

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    xid: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Statement(Base):
    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("phase_id", "external_id"),
        Index("ix_statements_phase_moderation", "phase_id", "moderation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    origin: Mapped[Origin] = mapped_column(_enum(Origin), default=Origin.ONLINE)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    moderation: Mapped[Moderation] = mapped_column(_enum(Moderation), default=Moderation.PENDING)
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None]
    # Pol.is "meta" statements (about the conversation itself) are kept out of the opinion analysis.
    is_meta: Mapped[bool] = mapped_column(default=False)
    # Identifier in the source this statement was imported from (e.g. a Pol.is comment-id).
    external_id: Mapped[str | None] = mapped_column(String(64))
    # False for points imported from community notes that are recorded but not put to online vote.
    open_for_voting: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    phase: Mapped[Phase] = relationship(back_populates="statements")
    author: Mapped[Participant | None] = relationship()
    translations: Mapped[list[StatementTranslation]] = relationship(
        back_populates="statement",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StatementTranslation.language",
    )

    def __repr__(self) -> str:
        return f"<Statement {self.id} {self.moderation}>"


class StatementTranslation(Base):
    """A statement in another language, entered by the Support Unit or a community host.

    Participants reading in ``language`` see this text; their votes still go to the statement
    (there is no vote on a translation). ``entered_by_role`` keeps who vouched for the text even
    if the account is later removed.
    """

    __tablename__ = "statement_translations"
    __table_args__ = (UniqueConstraint("statement_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_by_role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    statement: Mapped[Statement] = relationship(back_populates="translations")


class Vote(Base):
    """The latest vote of a participant on a statement: one row per pair, replaced on a new vote."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("participant_id", "statement_id"),
        CheckConstraint("value IN (-1, 0, 1)", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class VoteHistory(Base):
    """Every vote as cast, superseded ones included (what Pol.is exports as votes.csv)."""

    __tablename__ = "vote_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
