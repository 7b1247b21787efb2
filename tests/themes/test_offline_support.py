"""Results page: each theme's online and offline support; offline-only themes are flagged."""

from __future__ import annotations

import re

from clustering.themes import Theme, ThemeResult
from consult.database import write_transaction
from consult.extensions import db
from consult.notes.services import import_notes_file
from consult.participation import services as participation
from consult.themes.models import ThemeRun

BUDGETS = (
    "text,votes_for,votes_against\nDistrict budgets should be read out at every baraza.,12,3\n"
)
YOUTH_NORTH = (
    "text\n"
    "Young people should sit on the district planning committee.\n"
    "Youth groups should be told what became of their proposals.\n"
)
YOUTH_COAST = "text\nEvery county should fund a youth council.\n"


def _card(html: str, label: str) -> str:
    match = re.search(rf"<li class=\"card theme-result\">\s*<h3>{label}.*?</li>", html, re.S)
    assert match, f"no card for theme {label}"
    return re.sub(r"\s+", " ", match.group(0))  # no-break spaces too


def test_results_show_online_and_offline_support_and_flag_offline_only_themes(client, make_phase):
    phase = make_phase(1, slug="offline")
    seed = phase.statements[0]
    budgets = import_notes_file(
        phase,
        "budgets.csv",
        BUDGETS.encode(),
        host_organisation="Highlands Civic Forum",
        held_on="2026-03-14",
    )
    north = import_notes_file(
        phase,
        "youth-north.csv",
        YOUTH_NORTH.encode(),
        host_organisation="Northern Youth Network",
        held_on="2026-03-20",
    )
    coast = import_notes_file(
        phase,
        "youth-coast.csv",
        YOUTH_COAST.encode(),
        host_organisation="Coast Youth Caucus",
        held_on="2026-04-02",
    )
    read_out = budgets.created[0][0].id
    youth = [s.id for result in (north, coast) for s, _ in result.created]
    assert len(youth) == 3
    voter = participation.create_participant()[0]
    participation.record_vote(phase, voter, seed.id, participation.VoteValue.AGREE)
    themes = ThemeResult(
        themes=(
            Theme("t1", "Open budgets", ("budget",), (seed.id, read_out), seed.id),
            Theme("t2", "Youth voice", ("youth",), tuple(youth), youth[0]),
        )
    )
    with write_transaction(db.session) as session:
        session.add(
            ThemeRun(
                consultation_id=phase.consultation_id,
                model="hand-made",
                inputs_hash="test",
                n_statements=4,
                n_themes=2,
                result_json=ThemeRun.pack(themes.to_dict()),
            )
        )

    page = client.get("/c/offline/phase/1/results")
    assert page.status_code == 200
    mixed = _card(page.text, "Open budgets")
    assert "1 vote by 1 participant" in mixed
    assert (
        "Raised online: 1 statement · raised offline: 1 statement in 1 community conversation"
        " · 12 people for, 3 against"
    ) in mixed
    assert "raised offline only" not in mixed
    # No online vote at all, and still listed, with the flag in words.
    offline = _card(page.text, "Youth voice")
    assert '<span class="flag">raised offline only</span>' in offline
    assert "3 statements · 0 votes by 0 participants" in offline
    assert (
        "Raised online: 0 statements · raised offline: 3 statements in 2 community conversations"
    ) in offline

    french = _card(
        client.get("/c/offline/phase/1/results", headers={"Accept-Language": "fr"}).text,
        "Youth voice",
    )
    assert '<span class="flag">soulevé hors ligne seulement</span>' in french
    assert (
        "Soulevé en ligne : 0 affirmation · soulevé hors ligne : 3 affirmations"
        " dans 2 conversations communautaires"
    ) in french
