"""Phase records (what closing froze), published report versions, and Steering sign-offs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.database import Base, utcnow


class PhaseRecord(Base):
    """What closing a phase froze; never updated.

    ``payload`` is the compressed canonical JSON of the phase, its statements, the latest analysis
    snapshot, the theme run and the community conversations; ``votes`` the compressed vote arrays
    the analysis read. ``content_hash`` covers both (see :mod:`consult.reports.records`), so any
    change to the record is detected, and every figure of a report can be recomputed from it.
    """

    __tablename__ = "phase_records"
    __table_args__ = (Index("ix_phase_records_phase_latest", "phase_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    analysis_snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("analysis_snapshots.id", ondelete="SET NULL")
    )
    theme_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("theme_runs.id", ondelete="SET NULL")
    )
    format_version: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    votes: Mapped[bytes] = mapped_column(LargeBinary)


class SignOff(Base):
    """A Steering Committee member's approval of one exact report body (by its hash)."""

    __tablename__ = "report_sign_offs"
    __table_args__ = (UniqueConstraint("record_id", "user_id", "body_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("phase_records.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhaseReport(Base):
    """One published version of a phase's report: the complete document, frozen."""

    __tablename__ = "phase_reports"
    __table_args__ = (UniqueConstraint("phase_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("phase_records.id", ondelete="RESTRICT"))
    version: Mapped[int]
    body_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)  # compressed canonical JSON
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
