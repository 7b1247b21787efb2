"""Reasoned-response tables: strategy outline versions, responses, settings and the audit trail."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from consult.database import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Decision(enum.StrEnum):
    ADOPTED = "adopted"
    ADAPTED = "adapted"
    NOT_ADOPTED = "not_adopted"
    OUT_OF_SCOPE = "out_of_scope"
    DEFERRED = "deferred"

    @property
    def label(self) -> str:
        """The decision's name in the reader's language (documents keep the English one)."""
        return gettext(DECISION_LABELS[self])


def N_(message: str) -> str:
    """Mark a string for the catalogue; it is translated where it is shown."""
    return message


#: Decision names in English, as report documents store them (``Decision.label`` translates).
DECISION_LABELS = {
    Decision.ADOPTED: N_("Adopted"),
    Decision.ADAPTED: N_("Adapted"),
    Decision.NOT_ADOPTED: N_("Not adopted"),
    Decision.OUT_OF_SCOPE: N_("Out of scope"),
    Decision.DEFERRED: N_("Deferred to the next phase"),
}


class ResponseState(enum.StrEnum):
    DRAFT = "draft"  # being written: never in a report, never shown to the public
    PUBLISHED = "published"  # final: goes into the phase report (public once the report is)


class StrategyOutline(Base):
    """One version of the draft strategy's outline for a phase, as Markdown; never updated.

    Sections are the Markdown headings (see :mod:`consult.responses.outline`); responses link to
    them by key, so a new version keeps the links of every section whose key it keeps.
    """

    __tablename__ = "strategy_outlines"
    __table_args__ = (UniqueConstraint("phase_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    markdown: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResponseSettings(Base):
    """What publishing a phase's report requires, as the Support Unit set it."""

    __tablename__ = "response_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), unique=True)
    # Themes with at least this many statements in the phase need a published response.
    min_theme_size: Mapped[int] = mapped_column(default=3)
    # Steering Committee sign-offs needed on the report before it can be published.
    min_sign_offs: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Response(Base):
    """The Support Unit's answer to one theme (or one statement) of a phase."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("phase_id", "theme_id"),
        UniqueConstraint("phase_id", "statement_id"),
        CheckConstraint("(theme_id IS NULL) <> (statement_id IS NULL)", name="theme_or_statement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[str | None] = mapped_column(String(32))
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE")
    )
    decision: Mapped[Decision] = mapped_column(_enum(Decision))
    rationale: Mapped[str] = mapped_column(Text, default="")
    section_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[ResponseState] = mapped_column(_enum(ResponseState), default=ResponseState.DRAFT)
    # Who wrote the current text; the name is copied so the record survives the account.
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_by_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    @property
    def subject(self) -> str:
        return f"theme {self.theme_id}" if self.theme_id else f"statement {self.statement_id}"

    def fields(self) -> dict[str, Any]:
        """The values the audit trail compares (before → after)."""
        return {
            "decision": self.decision.value,
            "rationale": self.rationale,
            "sections": list(self.section_keys or []),
            "state": self.state.value,
        }


class ResponseChange(Base):
    """One change to a phase's reasoned response: who, when, what, before → after. Never updated.

    Covers responses (created, edited, published, withdrawn), outline versions, the settings,
    closing, sign-offs and publishing, so the audit trail of a phase is one list.
    """

    __tablename__ = "response_changes"
    __table_args__ = (Index("ix_response_changes_phase_time", "phase_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"))
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("responses.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(80))  # "theme t3", "statement 12", "outline", …
    action: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
