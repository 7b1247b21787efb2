"""MapExtras: bridging scores and robustness across k, computed once per analysis snapshot."""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from consult.database import Base, utcnow


class MapExtras(Base):
    """What the maps need beyond the snapshot and is too slow for a request; never updated.

    ``result_json`` is the compressed JSON ``{"bridging": BridgingResult.to_dict(),
    "robustness": RobustnessResult.to_dict()}`` computed from the same votes as the snapshot.
    """

    __tablename__ = "map_extras"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_snapshots.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timings: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    result_json: Mapped[bytes] = mapped_column(LargeBinary)

    @staticmethod
    def pack(result: dict[str, Any]) -> bytes:
        return zlib.compress(json.dumps(result, separators=(",", ":")).encode(), 6)

    def result(self) -> dict[str, Any]:
        return json.loads(zlib.decompress(self.result_json))
