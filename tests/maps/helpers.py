"""Data for the maps tests: a consultation whose votes have planted groups, common ground and
divides, statements on a few topics (for themes), and a small deterministic text embedder."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from sqlalchemy import insert

from clustering.planted import PlantedConversation, planted_conversation
from consult.consultations.models import PhaseState
from consult.consultations.services import add_phase, create_consultation, set_phase_state
from consult.database import write_transaction
from consult.extensions import db
from consult.participation.models import Participant, Vote
from consult.participation.services import add_seed_statement

# Eight statements on each of four topics (phase 1) and on two old plus one new topic (phase 2).
TOPICS = {
    "procurement": [
        "Publish every public procurement contract online within a week",
        "Open procurement data should list the owners of winning companies",
        "Small firms need simpler procurement rules to bid for contracts",
        "Procurement contracts above a threshold need an independent audit",
        "Citizens should monitor procurement of school meals and contracts",
        "Emergency procurement must still publish contracts and prices",
        "Procurement officers should declare conflicts of interest on contracts",
        "A single procurement portal should hold all contracts and tenders",
    ],
    "climate": [
        "The climate plan needs yearly emissions targets for every city",
        "Climate adaptation funds should go first to flooded districts",
        "Publish the emissions data of every public building and climate plan",
        "Climate budgets must be tracked openly line by line",
        "Citizens' assemblies should review the climate emissions plan",
        "Public transport is the core of the climate and emissions strategy",
        "Climate risk maps must be open data for every district",
        "Companies receiving subsidies should report climate emissions",
    ],
    "youth": [
        "Young people need a youth council with a real budget",
        "Schools should teach youth how local government works",
        "A youth quota on advisory boards would bring new voices",
        "Youth organisations need core funding, not only projects",
        "Online youth consultations should run in every school",
        "The voting age for local youth elections should be sixteen",
        "Youth unemployment programmes need open evaluation",
        "Youth workers should co-design the youth strategy",
    ],
    "digital": [
        "Digital services must work offline and on cheap phones",
        "Algorithms used by government need a public digital register",
        "Digital identity must never be required for basic services",
        "Open source software should be the default for digital government",
        "Personal data in digital services needs strict protection",
        "Digital skills training should reach older people too",
        "Every digital service needs a human contact point",
        "Digital rights should be written into the constitution",
    ],
}
PHASE2 = {
    "procurement": TOPICS["procurement"][:4],
    "climate": TOPICS["climate"][:4],
    "justice": [
        "Court justice decisions should be published for every court",
        "Free legal aid in court justice for people on low incomes",
        "Court justice hearings should be streamed from every court",
        "Judges in court justice should publish their court asset declarations",
    ],
}


class WordEmbedder:
    """Hashed bag of words, unit length: texts that share words are close. Deterministic."""

    name = "test-bag-of-words-64"
    dimension = 64
    STOP = {
        "the",
        "a",
        "of",
        "to",
        "in",
        "and",
        "for",
        "on",
        "be",
        "should",
        "must",
        "need",
        "needs",
        "every",
        "all",
        "is",
        "with",
        "by",
        "so",
        "not",
        "only",
        "their",
        "too",
    }

    def embed(self, texts):
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().replace(",", " ").split():
                if word not in self.STOP:
                    out[i, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


@dataclass
class Planted:
    phase: object
    conversation: PlantedConversation
    statement_ids: list[int]  # planted statement index -> database id

    def ids_of(self, kind: str) -> set[int]:
        return {self.statement_ids[j] for j in self.conversation.ids_of(kind)}

    def text_of(self, statement_id: int) -> str:
        from consult.participation.models import Statement

        return db.session.get(Statement, statement_id).text


def add_planted_votes(phase, texts: list[str], *, seed: int = 0, sizes=(60, 45, 35), **kinds):
    """Seed ``texts`` as the phase's statements and insert planted votes on them."""
    statements = [add_seed_statement(phase, t) for t in texts]
    counts = {
        "n_consensus_agree": 4,
        "n_consensus_disagree": 2,
        "n_divisive": 5,
        "n_partisan": 15,
        "n_split": 6,
    }
    counts.update(kinds)
    if sum(counts.values()) != len(statements):
        raise ValueError("planted kinds must add up to the number of statements")
    pc = planted_conversation(sizes, seed=seed, **counts)
    ids = [s.id for s in statements]
    with write_transaction(db.session) as session:
        people = session.scalars(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            [{"token_hash": f"maps-{phase.id}-{i}".ljust(64, "x")} for i in range(sum(sizes))],
        ).all()
        session.execute(
            insert(Vote),
            [
                {"participant_id": people[p], "statement_id": ids[s], "value": int(v)}
                for p, s, v in zip(pc.participant_ids, pc.statement_ids, pc.values, strict=True)
            ],
        )
    return Planted(phase, pc, ids)


def planted_consultation(slug: str = "maps-test", *, two_phases: bool = False, seed: int = 0):
    """A consultation with phase 1 (32 statements on 4 topics, planted votes) and optionally a
    phase 2 (12 statements: two continuing topics and a new one)."""
    consultation = create_consultation(slug, "Open government strategy 2027")
    phase1 = add_phase(consultation, "Relevance and role", "What matters?")
    set_phase_state(phase1, PhaseState.OPEN)
    texts = [t for topic in TOPICS.values() for t in topic]
    first = add_planted_votes(phase1, texts, seed=seed)
    if not two_phases:
        return consultation, first, None
    phase2 = add_phase(consultation, "Strategic directions", "Which directions?")
    set_phase_state(phase2, PhaseState.OPEN)
    texts2 = [t for topic in PHASE2.values() for t in topic]
    second = add_planted_votes(
        phase2,
        texts2,
        seed=seed + 1,
        n_consensus_agree=3,
        n_consensus_disagree=1,
        n_divisive=3,
        n_partisan=4,
        n_split=1,
    )
    return consultation, first, second
