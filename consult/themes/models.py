"""Embedding cache: one vector per (model, text), so each statement is embedded once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.database import Base, utcnow


class Embedding(Base):
    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("model", "text_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(255))
    text_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the exact text embedded
    dimension: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, unit length
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
