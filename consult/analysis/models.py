"""AnalysisSnapshot: one immutable result of the opinion analysis of a phase."""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from consult.database import Base, utcnow


class AnalysisSnapshot(Base):
    """What the clustering computed from a phase's votes at one moment; never updated.

    The full result (participants, groups, statement statistics) is stored as compressed JSON;
    routing priorities and a summary are kept apart so pages can read them without the blob.
    """

    __tablename__ = "analysis_snapshots"
    __table_args__ = (Index("ix_analysis_snapshots_phase_latest", "phase_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    priorities: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    timings: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    result_json: Mapped[bytes] = mapped_column(LargeBinary)

    @staticmethod
    def pack(result: dict[str, Any]) -> bytes:
        return zlib.compress(json.dumps(result, separators=(",", ":")).encode(), 6)

    def result(self) -> dict[str, Any]:
        return json.loads(zlib.decompress(self.result_json))
