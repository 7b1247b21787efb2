"""Shared set-up for the reasoned-response and report tests: the demo, analysed, with themes."""

from __future__ import annotations

from sqlalchemy import select

from clustering.themes import extract_themes
from consult.analysis.services import recompute
from consult.consultations.models import Consultation, Phase
from consult.consultations.services import get_phase
from consult.database import write_transaction
from consult.extensions import db
from consult.participation.models import Moderation, Statement
from consult.reports.records import phase_themes
from consult.responses import services as responses
from consult.themes.embeddings import embed_texts
from consult.themes.models import ThemeRun

OUTLINE = """# Strategy 2027–2031

The Partnership's draft strategy, for comment.

## Goal 1 — Open budgets and public money {#goal-1}
Budgets, contracts and beneficial ownership that anyone can follow.

## Goal 2 — Protect and expand civic space {#goal-2}
Speak up when civil society is under pressure.

## Goal 3 — Participation that counts {#goal-3}
National action plans co-created with the public, and feedback on every input.

## How we work {#how-we-work}
"""


def store_theme_run(consultation: Consultation, embedder) -> ThemeRun:
    """Themes of every accepted statement of the consultation, from the real embedding model."""
    rows = db.session.execute(
        select(Statement.id, Statement.text, Statement.language)
        .join(Phase)
        .where(
            Phase.consultation_id == consultation.id, Statement.moderation == Moderation.ACCEPTED
        )
        .order_by(Statement.id)
    ).all()
    vectors = embed_texts([r.text for r in rows], embedder)
    result = extract_themes(
        vectors,
        [r.id for r in rows],
        [r.text for r in rows],
        [r.language for r in rows],
        model=embedder.name,
        random_state=0,
    )
    run = ThemeRun(
        consultation_id=consultation.id,
        model=embedder.name,
        inputs_hash="test",
        n_statements=len(rows),
        n_themes=sum(1 for t in result.themes if not t.is_other),
        result_json=ThemeRun.pack(result.to_dict()),
    )
    with write_transaction(db.session) as session:
        session.add(run)
    return run


def prepare_demo(embedder, before_analysis=None) -> Phase:
    """The demo loaded, phase 1 analysed and its themes stored (``before_analysis`` runs first)."""
    from consult.demo.loader import load_demo

    load_demo()
    phase = get_phase("demo", 1)
    if before_analysis is not None:
        before_analysis(phase)
    recompute(phase)
    store_theme_run(phase.consultation, embedder)
    return phase


def required_themes(phase: Phase):
    settings = responses.settings_for(phase.id)
    return [t for t in phase_themes(phase) if not t.is_other and t.size >= settings.min_theme_size]


def respond_to_all(phase: Phase, user, *, publish: bool = True, skip: int = 0) -> list[str]:
    """Answer every theme that needs a response (but the last ``skip``); returns their ids."""
    if responses.latest_outline(phase.id) is None:
        responses.save_outline(phase, OUTLINE, user)
    themes = phase_themes(phase)
    needed = required_themes(phase)
    answered = []
    for i, theme in enumerate(needed[: len(needed) - skip]):
        responses.save_response(
            phase,
            user,
            theme_id=theme.id,
            decision="adopted" if i % 2 == 0 else "adapted",
            rationale=""
            if i % 2 == 0
            else f"Merged into goal 3 with the statements on {theme.label}.",
            section_keys=["goal-3"] if i % 2 else ["goal-1"],
            publish=publish,
            known_theme_ids={t.id for t in themes},
        )
        answered.append(theme.id)
    return answered


class FreshClient:
    """A test client whose every request starts with an empty ``g``, as on a real server.

    The test's app context stays pushed during requests, so ``g`` (Flask-Login's user, the CSRF
    token, the participant) would otherwise carry over from one client's request to another's.
    """

    def __init__(self, client) -> None:
        self._client = client

    def _fresh(self, method):
        def call(*args, **kwargs):
            from flask import g

            for key in list(g):
                g.pop(key)
            return method(*args, **kwargs)

        return call

    def __getattr__(self, name: str):
        attribute = getattr(self._client, name)
        return self._fresh(attribute) if name in ("get", "post", "open") else attribute


def staff_user(role: str, name: str):
    from consult.accounts.services import create_user

    return create_user(
        f"{role}-{name.split()[0].lower()}@test.example", "a long password", role, name
    )


def publish_demo(embedder, before_analysis=None):
    """The demo's phase 1 answered, closed, signed off and published (version 1)."""
    from consult.reports import services as reports

    phase = prepare_demo(embedder, before_analysis)
    support = staff_user("support", "Sam Support")
    respond_to_all(phase, support)
    reports.close_phase(phase, support)
    reports.sign_off(phase, staff_user("steering", "Ana Pérez"))
    reports.publish(phase, support)
    return phase
