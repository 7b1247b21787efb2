"""Theme tables: the embedding cache, immutable theme runs, and the curation log."""

from __future__ import annotations

import enum
import json
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.database import Base, utcnow


class Embedding(Base):
    """Embedding cache: one vector per (model, text), so each statement is embedded once."""

    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("model", "text_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(255))
    text_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the exact text embedded
    dimension: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, unit length
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThemeRun(Base):
    """One immutable theme extraction over every statement of a consultation (all phases).

    ``result_json`` is the compressed JSON of :class:`clustering.themes.ThemeResult` (themes with
    their ids "t1", "t2"… and "other", labels, keywords, members, and the events of this run);
    ``constraints`` the Support Unit's curation that was applied. Theme ids are stable across
    runs, so responses and reports refer to a theme by (consultation, theme id).
    """

    __tablename__ = "theme_runs"
    __table_args__ = (Index("ix_theme_runs_consultation_latest", "consultation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    model: Mapped[str] = mapped_column(String(255))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    n_statements: Mapped[int]
    n_themes: Mapped[int]
    constraints: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timings: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    result_json: Mapped[bytes] = mapped_column(LargeBinary)

    @staticmethod
    def pack(result: dict[str, Any]) -> bytes:
        return zlib.compress(json.dumps(result, separators=(",", ":")).encode(), 6)

    def result(self) -> dict[str, Any]:
        return json.loads(zlib.decompress(self.result_json))


class CurationKind(enum.StrEnum):
    RENAME = "rename"
    MERGE = "merge"
    SPLIT = "split"
    MOVE = "move"


class ThemeCuration(Base):
    """One manual edit of the themes by the Support Unit; all of them, in order, are the
    constraints every later theme run must respect (renames, merges, splits, moved statements)."""

    __tablename__ = "theme_curations"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CurationKind] = mapped_column(
        Enum(
            CurationKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
