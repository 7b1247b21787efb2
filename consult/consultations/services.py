"""Finding consultations and phases, creating them, and moving a phase through its states."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.consultations.models import PHASE_TRANSITIONS, Consultation, Phase, PhaseState
from consult.database import write_transaction
from consult.errors import Conflict, InvalidInput, NotFound
from consult.extensions import db

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def list_consultations(*, include_drafts: bool = False) -> list[Consultation]:
    """Consultations with their phases; the public sees those with at least one non-draft phase."""
    consultations = db.session.scalars(
        select(Consultation).options(selectinload(Consultation.phases)).order_by(Consultation.id)
    ).all()
    if include_drafts:
        return list(consultations)
    return [c for c in consultations if any(p.is_public for p in c.phases)]


def get_consultation(slug: str) -> Consultation:
    consultation = db.session.scalar(Consultation.by_slug(slug))
    if consultation is None:
        raise NotFound(f"no consultation named {slug!r}")
    return consultation


def get_phase(slug: str, position: int) -> Phase:
    """A phase named as on the command line: consultation slug and phase position (1-based)."""
    phase = db.session.scalar(
        select(Phase)
        .join(Consultation)
        .where(Consultation.slug == slug, Phase.position == position)
    )
    if phase is None:
        raise NotFound(f"consultation {slug!r} has no phase {position}")
    return phase


def get_phase_by_id(phase_id: int) -> Phase:
    phase = db.session.get(Phase, phase_id)
    if phase is None:
        raise NotFound(f"no phase with id {phase_id}")
    return phase


def create_consultation(
    slug: str, title: str, description: str = "", languages: list[str] | None = None
) -> Consultation:
    if not SLUG_RE.match(slug):
        raise InvalidInput(
            "slug must be lower-case letters, digits and dashes (at most 64)", field="slug"
        )
    if not title.strip():
        raise InvalidInput("title is required", field="title")
    with write_transaction(db.session) as session:
        if session.scalar(Consultation.by_slug(slug)) is not None:
            raise Conflict(f"a consultation named {slug!r} already exists", field="slug")
        consultation = Consultation(
            slug=slug, title=title.strip(), description=description, languages=languages or ["en"]
        )
        session.add(consultation)
    return consultation


def add_phase(
    consultation: Consultation,
    title: str,
    purpose: str = "",
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    strict_moderation: bool = True,
) -> Phase:
    if not title.strip():
        raise InvalidInput("title is required", field="title")
    if opens_at and closes_at and closes_at <= opens_at:
        raise InvalidInput("the phase must close after it opens", field="closes_at")
    with write_transaction(db.session) as session:
        position = len(consultation.phases) + 1
        phase = Phase(
            consultation=consultation,
            position=position,
            title=title.strip(),
            purpose=purpose,
            opens_at=opens_at,
            closes_at=closes_at,
            strict_moderation=strict_moderation,
        )
        session.add(phase)
    return phase


def set_phase_state(phase: Phase, state: PhaseState) -> Phase:
    """Move a phase to ``state`` if that move is allowed (draft → open → closed → published)."""
    if state == phase.state:
        return phase
    if state not in PHASE_TRANSITIONS[phase.state]:
        allowed = ", ".join(s.value for s in PHASE_TRANSITIONS[phase.state]) or "nothing"
        raise Conflict(
            f"a {phase.state.value} phase cannot become {state.value} (it can become: {allowed})"
        )
    with write_transaction(db.session):
        phase.state = state
    return phase
