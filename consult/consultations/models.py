"""Consultation and Phase: a consultation runs in ordered phases, each open for input a while."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.database import Base, utcnow

if TYPE_CHECKING:
    from consult.participation.models import Statement


class PhaseState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


# Allowed forward moves of a phase; reopening a closed phase is allowed until it is published.
PHASE_TRANSITIONS: dict[PhaseState, tuple[PhaseState, ...]] = {
    PhaseState.DRAFT: (PhaseState.OPEN,),
    PhaseState.OPEN: (PhaseState.CLOSED,),
    PhaseState.CLOSED: (PhaseState.OPEN, PhaseState.PUBLISHED),
    PhaseState.PUBLISHED: (),
}


class Consultation(Base):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    # Title and description in other languages: {"fr": {"title": ..., "description": ...}}.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    phases: Mapped[list[Phase]] = relationship(
        back_populates="consultation", order_by="Phase.position", cascade="all, delete-orphan"
    )

    @property
    def default_language(self) -> str:
        return self.languages[0] if self.languages else "en"

    @classmethod
    def by_slug(cls, slug: str):
        return select(cls).where(cls.slug == slug)

    def __repr__(self) -> str:
        return f"<Consultation {self.slug}>"


class Phase(Base):
    __tablename__ = "phases"
    __table_args__ = (
        UniqueConstraint("consultation_id", "position"),
        UniqueConstraint("consultation_id", "import_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    state: Mapped[PhaseState] = mapped_column(
        Enum(
            PhaseState, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        default=PhaseState.DRAFT,
    )
    strict_moderation: Mapped[bool] = mapped_column(default=True)
    # Where an imported phase came from (e.g. "polis:pol.is/9xxwa9jpkm"); re-imports fill it again.
    import_source: Mapped[str | None] = mapped_column(String(255))
    # Title and purpose in other languages: {"es": {"title": ..., "purpose": ...}}.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )

    consultation: Mapped[Consultation] = relationship(back_populates="phases")
    statements: Mapped[list[Statement]] = relationship(
        back_populates="phase", cascade="all, delete-orphan", passive_deletes=True
    )

    def accepts_input(self, now: datetime | None = None) -> bool:
        """True while participants may vote and add statements."""
        now = now or utcnow()
        if self.state != PhaseState.OPEN:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)

    @property
    def is_public(self) -> bool:
        return self.state != PhaseState.DRAFT

    def __repr__(self) -> str:
        return f"<Phase {self.consultation_id}/{self.position} {self.state}>"
