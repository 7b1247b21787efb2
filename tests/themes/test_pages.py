"""Theme pages: who may curate, edits over htmx, the results-page section."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from consult.database import write_transaction
from consult.extensions import db
from consult.participation.models import Participant, Vote
from consult.themes import services
from consult.themes.jobs import enqueue_refresh
from consult.themes.models import CurationKind, ThemeCuration
from tests.conftest import csrf_from
from tests.themes.data import PROCUREMENT, YOUTH

pytestmark = pytest.mark.model
HTMX = {"HX-Request": "true"}


def test_only_the_support_unit_may_curate(themed, client, staff):
    enqueue_refresh(themed.consultation.id)
    theme_id = services.current_themes(themed.consultation).result.themes[0].id
    urls = ["/themes", "/c/themed/themes", f"/c/themed/themes/{theme_id}/rename"]
    for url in urls + ["/moderation/duplicates"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    anonymous_post = client.post(f"/c/themed/themes/{theme_id}/rename", data={"label": "x"})
    assert anonymous_post.status_code in (302, 400)  # login redirect, or the CSRF check first
    for role in ("host", "steering"):
        staff.login(role)
        for url in urls + ["/moderation/duplicates"]:
            assert client.get(url).status_code == 403, (role, url)
        token = csrf_from(client.get("/c/themed/phase/1/").text)
        forbidden = client.post(
            f"/c/themed/themes/{theme_id}/rename", data={"label": "Mine", "csrf_token": token}
        )
        assert forbidden.status_code == 403
        client.post("/logout", data={"csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(ThemeCuration)) == 0
    staff.login("support", "su@test.example")
    page = client.get("/c/themed/themes")
    assert page.status_code == 200 and "Recompute now" in page.text
    assert client.get("/themes").status_code == 302  # one consultation: straight to its page


def test_edits_over_htmx_show_at_once_and_are_logged(themed, client, staff):
    enqueue_refresh(themed.consultation.id)
    staff.login("support")
    page = client.get("/c/themed/themes")
    token = csrf_from(page.text)
    assignments = services.current_themes(themed.consultation).result.assignments()
    contracts = assignments[themed.id_of(PROCUREMENT[0])]
    youth = assignments[themed.id_of(YOUTH[0])]

    form = client.get(f"/c/themed/themes/{contracts}/rename", headers=HTMX)
    assert 'name="label"' in form.text and "autofocus" in form.text
    empty = client.post(
        f"/c/themed/themes/{contracts}/rename",
        data={"label": "  ", "csrf_token": token},
        headers=HTMX,
    )
    assert empty.status_code == 422 and "Give the theme a name." in empty.text
    assert empty.headers["HX-Retarget"] == f"#theme-label-{contracts}"
    renamed = client.post(
        f"/c/themed/themes/{contracts}/rename",
        data={"label": "Open   contracting", "csrf_token": token},
        headers=HTMX,
    )
    assert renamed.status_code == 200
    assert 'id="theme-list"' in renamed.text and "Open contracting" in renamed.text
    assert "Theme renamed “Open contracting”." in renamed.text  # out-of-band status message

    moved_id = themed.id_of(YOUTH[2])
    moved = client.post(
        "/c/themed/themes/move",
        data={"statement_id": moved_id, "theme_id": contracts, "csrf_token": token},
        headers=HTMX,
    )
    assert moved.status_code == 200
    card = _card(moved.text, contracts)
    assert YOUTH[2] in card and "Open contracting" in card

    chosen = [themed.id_of(PROCUREMENT[1]), themed.id_of(PROCUREMENT[3])]
    split = client.post(
        f"/c/themed/themes/{contracts}/split",
        data={"statement_ids": chosen, "label": "Tenders", "csrf_token": token},
        headers=HTMX,
    )
    assert split.status_code == 200 and "2 statements moved to a new theme." in split.text
    new_id = services.current_themes(themed.consultation).result.assignments()[chosen[0]]
    assert new_id not in (contracts, youth)
    assert PROCUREMENT[1] in _card(split.text, new_id) and "Tenders" in _card(split.text, new_id)
    assert PROCUREMENT[1] not in _card(split.text, contracts)

    merged = client.post(
        f"/c/themed/themes/{contracts}/merge",
        data={"other_id": youth, "csrf_token": token},
        headers=HTMX,
    )
    assert merged.status_code == 200
    assert f'id="theme-{youth}"' not in merged.text
    assert all(text in _card(merged.text, contracts) for text in YOUTH)

    bad = client.post(
        f"/c/themed/themes/{contracts}/split",
        data={"statement_ids": [], "csrf_token": token},
        headers=HTMX,
    )
    assert bad.status_code == 422 and "Choose the statements that go to the new theme." in bad.text
    kinds = db.session.scalars(select(ThemeCuration.kind).order_by(ThemeCuration.id)).all()
    assert kinds == [
        CurationKind.RENAME,
        CurationKind.MOVE,
        CurationKind.SPLIT,
        CurationKind.RENAME,  # the new part's name
        CurationKind.MERGE,
    ]

    # Without JavaScript the same forms work with a redirect back to the page.
    plain = client.post(
        f"/c/themed/themes/{contracts}/rename", data={"label": "Contracts", "csrf_token": token}
    )
    assert plain.status_code == 302
    assert "Theme renamed “Contracts”." in client.get(plain.headers["Location"]).text


def test_page_shows_curation_recorded_after_the_latest_run(themed, client, staff):
    enqueue_refresh(themed.consultation.id)
    user = staff.login("support")
    theme = services.current_themes(themed.consultation).result.themes[0]
    services.rename_theme(themed.consultation, theme.id, "Renamed before any recompute", user)
    page = client.get("/c/themed/themes")
    assert "Renamed before any recompute" in page.text
    assert "Your latest edits are shown" in page.text


def _card(html: str, theme_id: str) -> str:
    match = re.search(rf'<article[^>]*id="theme-{theme_id}".*?</article>', html, re.S)
    assert match, f"no card for theme {theme_id}"
    return match.group(0)


def test_results_page_lists_themes_with_group_figures(themed, client):
    from consult.analysis.services import recompute

    enqueue_refresh(themed.consultation.id)
    phase = themed.phase1
    statements = sorted(s.id for s in phase.statements if s.moderation.value != "rejected")
    rng = np.random.default_rng(3)
    with write_transaction(db.session) as session:
        people = session.scalars(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            [{"token_hash": f"theme-{i}".ljust(64, "x")} for i in range(40)],
        ).all()
        rows = []
        procurement = {themed.id_of(t) for t in PROCUREMENT}
        for k, pid in enumerate(people):
            for sid in statements:
                likes = (sid in procurement) == (k % 2 == 0)
                value = 1 if rng.random() < (0.9 if likes else 0.1) else -1
                rows.append({"participant_id": pid, "statement_id": sid, "value": value})
        session.execute(insert(Vote), rows)
    snapshot = recompute(phase).snapshot
    contracts = services.current_themes(themed.consultation).result.assignments()[
        themed.id_of(PROCUREMENT[0])
    ]
    label = services.current_themes(themed.consultation).result.theme(contracts).label

    page = client.get("/c/themed/phase/1/results")
    assert page.status_code == 200
    section = page.text[page.text.index('id="themes-heading"') :]
    run = services.latest_theme_run(themed.consultation.id)
    assert f"theme run {run.id}" in section and f"analysis snapshot {snapshot.id}" in section
    assert label in section and "Consensus score" in section
    assert "Group A:" in section and "Group B:" in section
    expected = services.phase_theme_statistics(phase, snapshot, _load(snapshot))
    stats = next(s for s in expected.statistics if s.theme_id == contracts)
    assert stats.n_votes == 40 * stats.n_statements and stats.n_participants == 40
    assert f"{stats.n_statements} statements · {stats.n_votes} votes by 40 participants" in section
    assert f"{stats.consensus:.2f}" in section
    assert PROCUREMENT[0] not in section  # figures, not the statements themselves


def _load(snapshot):
    from consult.analysis.services import load_result

    return load_result(snapshot)
