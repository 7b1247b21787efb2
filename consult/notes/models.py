"""Community conversations, their uploaded notes, and where each imported statement came from."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.database import Base, utcnow

if TYPE_CHECKING:
    from consult.accounts.models import User
    from consult.consultations.models import Phase
    from consult.participation.models import Statement


class CommunityConversation(Base):
    """A session a community host ran offline (or online, outside Consult) during a phase."""

    __tablename__ = "community_conversations"
    __table_args__ = (
        CheckConstraint(
            "participant_count IS NULL OR participant_count >= 0", name="participant_count"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    host_organisation: Mapped[str] = mapped_column(String(200))
    # The host account that records it; None when imported from the command line.
    host_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    held_on: Mapped[date]
    online: Mapped[bool] = mapped_column(default=False)
    place: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(16))
    participant_count: Mapped[int | None] = mapped_column(Integer)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)  # free tags: youth, government…
    consent_to_publish: Mapped[bool] = mapped_column(default=False)  # raw notes may be published
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    phase: Mapped[Phase] = relationship()
    host_user: Mapped[User | None] = relationship()
    uploads: Mapped[list[NoteUpload]] = relationship(
        back_populates="conversation",
        order_by="NoteUpload.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def where(self) -> str:
        """'Online', the place, or both ('Online (from Lakeview)')."""
        if self.online:
            return f"Online ({self.place})" if self.place else "Online"
        return self.place or ""

    @classmethod
    def of_phase(cls, phase_id: int):
        return select(cls).where(cls.phase_id == phase_id).order_by(cls.held_on, cls.id)

    def __repr__(self) -> str:
        return f"<CommunityConversation {self.id} {self.title!r}>"


class UploadState(enum.StrEnum):
    DRAFT = "draft"  # parsed, being reviewed in the preview
    IMPORTED = "imported"  # confirmed: its statements exist


class NoteUpload(Base):
    """A notes file: its text (kept for publication), and the candidates reviewed in the preview."""

    __tablename__ = "note_uploads"
    __table_args__ = (UniqueConstraint("conversation_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("community_conversations.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    file_type: Mapped[str] = mapped_column(String(8))  # txt, md, docx, csv
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    encoding: Mapped[str] = mapped_column(String(32))
    encoding_note: Mapped[str | None] = mapped_column(Text)
    raw_text: Mapped[str] = mapped_column(Text)
    state: Mapped[UploadState] = mapped_column(
        Enum(
            UploadState,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=UploadState.DRAFT,
    )
    # The preview: a list of candidate dicts (see consult.notes.services); kept after import as
    # the record of what the host edited, merged, dropped or added.
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    skipped: Mapped[list[str]] = mapped_column(JSON, default=list)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_at: Mapped[datetime | None]
    open_for_voting: Mapped[bool] = mapped_column(default=True)
    created_count: Mapped[int] = mapped_column(default=0)  # new statements
    linked_count: Mapped[int] = mapped_column(default=0)  # points added to existing statements

    conversation: Mapped[CommunityConversation] = relationship(back_populates="uploads")

    def __repr__(self) -> str:
        return f"<NoteUpload {self.id} {self.filename!r} {self.state}>"


class StatementSource(Base):
    """Where a statement was raised offline: conversation, file, line and the passage itself.

    Offline counts (people in the room for / against the point) live here, apart from online
    votes: they never enter the vote matrix.
    """

    __tablename__ = "statement_sources"
    __table_args__ = (
        CheckConstraint("votes_for IS NULL OR votes_for >= 0", name="votes_for"),
        CheckConstraint("votes_against IS NULL OR votes_against >= 0", name="votes_against"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("community_conversations.id", ondelete="CASCADE"), index=True
    )
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("note_uploads.id", ondelete="CASCADE"), index=True
    )
    location: Mapped[str] = mapped_column(String(120))  # "line 12", "paragraph 4", "row 7", …
    line_number: Mapped[int | None]  # first line / paragraph / row
    passage: Mapped[str | None] = mapped_column(Text)  # as in the file; None for added points
    section: Mapped[str | None] = mapped_column(String(200))
    speaker_group: Mapped[str | None] = mapped_column(String(120))
    votes_for: Mapped[int | None]
    votes_against: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    statement: Mapped[Statement] = relationship()
    conversation: Mapped[CommunityConversation] = relationship()
    upload: Mapped[NoteUpload | None] = relationship()

    def __repr__(self) -> str:
        return f"<StatementSource {self.statement_id} ← {self.conversation_id} {self.location}>"
