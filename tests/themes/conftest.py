"""Fixtures for the themes app tests: a consultation with two phases of clearly distinct topics."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.themes.data import CLIMATE, PROCUREMENT, YOUTH


@dataclass
class Themed:
    consultation: object
    phase1: object
    phase2: object
    ids: dict[str, int]  # statement text → id
    rejected_id: int

    def id_of(self, text: str) -> int:
        return self.ids[text]


@pytest.fixture
def themed(app, embedder):
    """Phase 1 (open): procurement and youth statements, one rejected; phase 2 (open): climate
    statements, one of them imported. The embedding model is the real one, loaded once."""
    from consult.consultations.models import PhaseState
    from consult.consultations.services import add_phase, create_consultation, set_phase_state
    from consult.database import write_transaction
    from consult.extensions import db
    from consult.participation.models import Moderation, Origin, Statement
    from consult.participation.services import add_seed_statement
    from consult.themes.services import forget_cached_vectors

    forget_cached_vectors()  # each test starts from an empty database, and so from no vectors

    consultation = create_consultation("themed", "Themed consultation")
    phase1 = add_phase(consultation, "Relevance and role", "What matters?", strict_moderation=False)
    phase2 = add_phase(consultation, "Directions", "Which directions?", strict_moderation=False)
    for phase in (phase1, phase2):
        set_phase_state(phase, PhaseState.OPEN)
    ids = {}
    for text in PROCUREMENT + YOUTH:
        ids[text] = add_seed_statement(phase1, text).id
    for text in CLIMATE[:-1]:
        ids[text] = add_seed_statement(phase2, text).id
    with write_transaction(db.session) as session:
        imported = Statement(
            phase_id=phase2.id,
            text=CLIMATE[-1],
            language="en",
            origin=Origin.IMPORTED,
            moderation=Moderation.ACCEPTED,
            external_id="notes-1",
        )
        rejected = Statement(
            phase_id=phase1.id,
            text="Buy my miracle product at a discount today, click here.",
            language="en",
            origin=Origin.ONLINE,
            moderation=Moderation.REJECTED,
            moderation_reason="Spam or advertising",
        )
        session.add_all([imported, rejected])
    ids[CLIMATE[-1]] = imported.id
    return Themed(consultation, phase1, phase2, ids, rejected.id)
