"""Finding consultations and phases, creating them, and moving a phase through its states."""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

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
        raise NotFound(_("no consultation named %(slug)r", slug=slug))
    return consultation


def get_phase(slug: str, position: int) -> Phase:
    """A phase named as on the command line: consultation slug and phase position (1-based)."""
    phase = db.session.scalar(
        select(Phase)
        .join(Consultation)
        .options(contains_eager(Phase.consultation))  # pages use it: no second query for it
        .where(Consultation.slug == slug, Phase.position == position)
    )
    if phase is None:
        raise NotFound(
            _("consultation %(slug)r has no phase %(position)d", slug=slug, position=position)
        )
    return phase


def get_phase_by_id(phase_id: int) -> Phase:
    phase = db.session.get(Phase, phase_id)
    if phase is None:
        raise NotFound(_("no phase with id %(id)d", id=phase_id))
    return phase


def create_consultation(
    slug: str, title: str, description: str = "", languages: list[str] | None = None
) -> Consultation:
    if not SLUG_RE.match(slug):
        raise InvalidInput(
            _("slug must be lower-case letters, digits and dashes (at most 64)"), field="slug"
        )
    if not title.strip():
        raise InvalidInput(_("title is required"), field="title")
    with write_transaction(db.session) as session:
        if session.scalar(Consultation.by_slug(slug)) is not None:
            raise Conflict(
                _("a consultation named %(slug)r already exists", slug=slug), field="slug"
            )
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
        raise InvalidInput(_("title is required"), field="title")
    if opens_at and closes_at and closes_at <= opens_at:
        raise InvalidInput(_("the phase must close after it opens"), field="closes_at")
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
        allowed = ", ".join(s.value for s in PHASE_TRANSITIONS[phase.state]) or _("nothing")
        raise Conflict(
            _(
                "a %(state)s phase cannot become %(new)s (it can become: %(allowed)s)",
                state=phase.state.value,
                new=state.value,
                allowed=allowed,
            )
        )
    with write_transaction(db.session):
        phase.state = state
    return phase


TRANSLATABLE = {"consultation": ("title", "description"), "phase": ("title", "purpose")}


def set_translation(target: Consultation | Phase, language: str, **fields: str | None):
    """Store ``target``'s title and description (consultation) or purpose (phase) in ``language``.

    Only the given fields change; an empty string removes that field's translation. Pages show
    the translation to readers of ``language`` and fall back to the original otherwise.
    """
    kind = "consultation" if isinstance(target, Consultation) else "phase"
    allowed = TRANSLATABLE[kind]
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidInput(
            _("a %(kind)s has no field %(field)s to translate", kind=kind, field=unknown[0])
        )
    code = (language or "").strip().lower()
    if not re.match(r"^[a-z]{2,3}$", code):
        raise InvalidInput(
            _("Choose a language code of two or three letters, such as en, fr or es."),
            field="language",
        )
    current = dict(target.translations or {})
    entry = dict(current.get(code) or {})
    for name, value in fields.items():
        if value is None:
            continue
        text = value.strip()
        if text:
            entry[name] = text
        else:
            entry.pop(name, None)
    if entry:
        current[code] = entry
    else:
        current.pop(code, None)
    with write_transaction(db.session):
        target.translations = current  # a new dict, so the JSON column is written
    return target
