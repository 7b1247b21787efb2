"""Load the demo consultation: phases, statements, staff accounts and simulated votes."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
from sqlalchemy import func, insert, select

from consult.accounts.models import Role, User
from consult.consultations.models import Consultation, Phase, PhaseState
from consult.database import utcnow, write_transaction
from consult.demo import content
from consult.demo import translations as demo_translations
from consult.extensions import db
from consult.participation.models import (
    Moderation,
    Origin,
    Participant,
    Statement,
    StatementTranslation,
    Vote,
    VoteHistory,
)

SEED = 2027


def is_loaded() -> bool:
    return db.session.scalar(select(func.count()).select_from(Consultation)) > 0


def load_demo(*, seed: int = SEED) -> dict[str, int]:
    """Create the demo in one transaction; returns counts of what was created."""
    rng = np.random.default_rng(seed)
    now = utcnow()
    with write_transaction(db.session) as session:
        consultation = Consultation(
            **content.CONSULTATION, translations=demo_translations.CONSULTATION
        )
        session.add(consultation)
        for position, spec in enumerate(content.PHASES, start=1):
            phase = Phase(
                consultation=consultation,
                position=position,
                title=spec["title"],
                purpose=spec["purpose"],
                state=PhaseState(spec["state"]),
                opens_at=now - timedelta(days=14) if position == 1 else None,
                strict_moderation=True,
                translations=demo_translations.PHASES[position - 1],
            )
            session.add(phase)
        session.flush()
        phase1 = consultation.phases[0]
        seeds = [
            Statement(
                phase_id=phase1.id,
                text=text,
                language="en",
                origin=Origin.SEED,
                moderation=Moderation.ACCEPTED,
                moderated_at=now - timedelta(days=14),
                created_at=now - timedelta(days=14),
            )
            for _, text, _ in content.STATEMENTS
        ]
        session.add_all(seeds)
        participants = _simulated_participants(rng, now)
        ids = session.scalars(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            participants,
        ).all()
        votes = _simulated_votes(rng, ids, [s.id for s in seeds], now)
        session.execute(insert(Vote), votes)
        session.execute(
            insert(VoteHistory),
            [
                {k: v[k] for k in ("participant_id", "statement_id", "value", "created_at")}
                for v in votes
            ],
        )
        authors = rng.choice(ids, size=len(content.PENDING) + 1, replace=False)
        for author, text in zip(authors, content.PENDING, strict=False):
            session.add(
                Statement(
                    phase_id=phase1.id,
                    text=text,
                    language="en",
                    origin=Origin.ONLINE,
                    author_id=int(author),
                )
            )
        text, reason = content.REJECTED
        session.add(
            Statement(
                phase_id=phase1.id,
                text=text,
                language="en",
                origin=Origin.ONLINE,
                author_id=int(authors[-1]),
                moderation=Moderation.REJECTED,
                moderation_reason=reason,
                moderated_at=now,
            )
        )
        for email, role, name in content.DEMO_USERS:
            if session.scalar(User.by_email(email)) is None:
                user = User(email=email, role=Role(role), name=name)
                user.set_password(content.DEMO_PASSWORD)
                session.add(user)
        session.flush()
        translator = session.scalar(select(User).where(User.role == Role.SUPPORT).limit(1))
        for statement, (fr, es) in zip(seeds, demo_translations.STATEMENTS, strict=True):
            for language, text in (("fr", fr), ("es", es)):
                session.add(
                    StatementTranslation(
                        statement_id=statement.id,
                        language=language,
                        text=text,
                        entered_by_id=translator.id if translator else None,
                        entered_by_role=Role.SUPPORT.value,
                        created_at=now - timedelta(days=14),
                        updated_at=now - timedelta(days=14),
                    )
                )
    return {
        "statements": len(seeds) + len(content.PENDING) + 1,
        "participants": len(participants),
        "votes": len(votes),
    }


def _simulated_participants(rng: np.random.Generator, now) -> list[dict]:
    total = sum(content.GROUP_SIZES)
    return [
        {
            # Random hashes of tokens nobody holds: simulated participants cannot be signed in as.
            "token_hash": hashlib.sha256(rng.bytes(32)).hexdigest(),
            "xid": None,
            "created_at": now - timedelta(days=14) + timedelta(minutes=int(m)),
        }
        for m in sorted(rng.integers(0, 14 * 24 * 60, size=total))
    ]


def _simulated_votes(rng: np.random.Generator, participant_ids, statement_ids, now) -> list[dict]:
    """Each simulated participant votes on 40–100 % of the statements, leaning as their group."""
    leanings = np.array([p for _, _, p in content.STATEMENTS])  # statements × groups
    groups = np.repeat(np.arange(len(content.GROUP_SIZES)), content.GROUP_SIZES)
    rng.shuffle(groups)
    rows = []
    for pid, group in zip(participant_ids, groups, strict=True):
        n = int(rng.integers(int(0.4 * len(statement_ids)), len(statement_ids) + 1))
        for j in rng.choice(len(statement_ids), size=n, replace=False):
            if rng.random() < 0.1:
                value = 0  # pass
            else:
                value = 1 if rng.random() < leanings[j, group] else -1
            when = now - timedelta(minutes=int(rng.integers(0, 13 * 24 * 60)))
            rows.append(
                {
                    "participant_id": int(pid),
                    "statement_id": statement_ids[j],
                    "value": value,
                    "created_at": when,
                    "updated_at": when,
                }
            )
    return rows


def load_conversations(phase: Phase) -> int:
    """Import the demo's community-conversation notes into ``phase``, hosted by the demo host.

    The imported points wait in the moderation queue, as real ones would.
    """
    from pathlib import Path

    from consult.notes.services import import_notes_file

    host = db.session.scalar(User.by_email(content.DEMO_USERS[2][0]))
    folder = Path(__file__).parent / "notes"
    created = 0
    for (
        name,
        organisation,
        title,
        region,
        place,
        people,
        groups,
        language,
        days,
    ) in content.CONVERSATIONS:
        result = import_notes_file(
            phase,
            name,
            (folder / name).read_bytes(),
            host_organisation=organisation,
            held_on=(utcnow() - timedelta(days=days)).date(),
            title=title,
            region=region,
            place=place,
            participant_count=people,
            language=language,
            groups=groups,
            consent_to_publish=True,
            host_user=host,
        )
        created += len(result.created)
    return created
