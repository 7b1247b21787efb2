"""Job: one background task and what became of it (queued, running, failed with error, done)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.database import Base, utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FAILED = "failed"
    DONE = "done"


class Job(Base):
    """A job row is the truth about a job; Redis (or the thread pool) only carries wake-ups.

    A queued job runs once ``run_after`` has passed (retries wait there with backoff). A running
    job holds a lease that its runner renews through ``heartbeat_at``; a job whose lease ran out
    (its worker died) is queued again by the sweeper, or failed after ``max_attempts``.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_kind_key_state", "kind", "key", "state"),
        Index("ix_jobs_state_run_after", "state", "run_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    # Jobs with the same kind and key coalesce: at most one waits in the queue at a time.
    key: Mapped[str] = mapped_column(String(128))
    state: Mapped[JobState] = mapped_column(
        Enum(
            JobState, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        default=JobState.QUEUED,
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The error of the latest failed attempt (kept while a retry waits, and when it finally fails).
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3, server_default="3")
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Not before: set when a failed attempt waits for its retry.
    run_after: Mapped[datetime | None]
    # When the job was last handed to Redis or the thread pool; NULL means "not yet" (e.g. Redis
    # was unreachable), and the sweeper hands it over later.
    dispatched_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # host:pid of the process running (or that last ran) the job.
    worker: Mapped[str | None] = mapped_column(String(128))

    @property
    def duration(self) -> float | None:
        """Seconds the latest attempt took (None while it runs or before it starts)."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.key} {self.state}>"
