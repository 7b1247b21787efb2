"""Consensus-map pages: access, read-only, the map, common ground, bridging, robustness, themes."""

from __future__ import annotations

import re
import struct
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from markupsafe import escape
from sqlalchemy import select

from consult.analysis.services import recompute
from consult.extensions import db
from consult.maps import services
from consult.maps.jobs import KIND, enqueue_extras, job_key
from consult.maps.models import MapExtras
from consult.participation.models import Vote
from consult.themes.services import load_theme_result, merge_themes, refresh_themes
from tests.maps.helpers import WordEmbedder, planted_consultation

SLUG = "maps-test"


@pytest.fixture
def planted(app):
    consultation, first, second = planted_consultation(SLUG, two_phases=True)
    snapshots = [recompute(first.phase).snapshot, recompute(second.phase).snapshot]
    services.clear_caches()
    return consultation, first, second, snapshots


def h(text: str) -> str:
    """A text as the page shows it (HTML-escaped)."""
    return str(escape(text))


def url(page: str, position: int = 1) -> str:
    return f"/c/{SLUG}/phase/{position}/{page}"


PAGES = ["map", "common-ground", "bridging", "robustness", "heatmap", "map.svg"]


def test_pages_are_for_steering_and_support_only_and_read_only(planted, client, staff):
    for page in PAGES:
        response = client.get(url(page))
        assert response.status_code == 302 and "/login" in response.location
    staff.login("host", "host@test.example")
    assert client.get(url("map")).status_code == 403
    client.post("/logout", data={"csrf_token": _token(client.get("/").text)})
    staff.login("steering")
    for path in [url(page) for page in PAGES] + [f"/c/{SLUG}/phases/compare", "/maps"]:
        response = client.get(path)
        assert response.status_code == 200, path
        if response.mimetype == "text/html":
            # nothing on these pages writes: the only POST form is "sign out"
            posts = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', response.text)
            assert posts == ["/logout"], path
            assert ' style="' not in response.text  # strict CSP later: no inline styles
    for page in ("map", "common-ground", "heatmap"):
        assert client.post(url(page)).status_code in (400, 405)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_map_draws_every_participant_and_group_and_names_its_snapshot(planted, client, staff):
    _, first, _, (snapshot, _) = planted
    staff.login("steering")
    page = client.get(url("map")).text
    result = services.snapshot_result(snapshot)
    assert f"analysis snapshot {snapshot.id}" in page
    assert page.count("<circle ") == len(result.participants.ids)  # 90 people: all drawn
    for group in result.groups:
        label = "ABCDE"[group.id]
        assert f"Group {label} · {group.size}" in page
        assert f'hx-get="/c/{SLUG}/phase/1/map/group/{group.id}"' in page
    # the text table carries the same information as the figure
    table = page[page.index("map-table") :]
    rep = result.groups[0].representative[0]
    assert h(first.text_of(rep.statement_id)) in table
    share = rep.agree_share if rep.direction == "agree" else rep.disagree_share
    assert f"{round(share * 100)} %" in table


def test_group_detail_is_an_htmx_fragment_with_in_group_against_others_bars(planted, client, staff):
    _, first, _, (snapshot, _) = planted
    staff.login("steering")
    result = services.snapshot_result(snapshot)
    group = result.groups[1]
    fragment = client.get(url(f"map/group/{group.id}"), headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    for rep in group.representative:
        assert h(first.text_of(rep.statement_id)) in fragment.text
        share = rep.agree_share if rep.direction == "agree" else rep.disagree_share
        others = rep.agree_share_others if rep.direction == "agree" else rep.disagree_share_others
        assert f"<strong>{round(share * 100)} %</strong> of group" in fragment.text
        assert f"against {round(others * 100)} % of everyone else" in fragment.text
    assert fragment.text.count('class="share-bar"') == 2 * len(group.representative)
    plain = client.get(url(f"map/group/{group.id}"))
    assert plain.status_code == 303 and plain.location.endswith(f"group={group.id}#group-detail")
    assert "Vary" in plain.headers
    full = client.get(url(f"map?group={group.id}")).text
    assert h(first.text_of(group.representative[0].statement_id)) in full
    assert client.get(url("map/group/17"), headers={"HX-Request": "true"}).status_code == 404


def test_downloads_are_valid_svg_and_png_that_say_their_snapshot(planted, client, staff):
    _, _, _, (snapshot, _) = planted
    staff.login("support")
    svg = client.get(url("map.svg"))
    assert svg.mimetype == "image/svg+xml"
    assert f"snapshot{snapshot.id}.svg" in svg.headers["Content-Disposition"]
    root = ET.fromstring(svg.data)  # well-formed standalone SVG
    assert root.tag.endswith("svg") and root.get("width") == "480"
    assert f"Analysis snapshot {snapshot.id} of phase 1" in svg.text
    assert "hx-get" not in svg.text
    png = client.get(url("map.png"))
    assert png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png.data[16:24])
    assert (width, height) == (960, 2 * int(root.get("height")))


def test_common_ground_lists_the_planted_statements_with_n_and_intervals(planted, client, staff):
    _, first, _, (snapshot, _) = planted
    staff.login("steering")
    page = client.get(url("common-ground")).text
    assert "are not computed yet" in page  # robustness needs the background job
    agree = _section(page, "agree-heading", "disagree-heading")
    disagree = _section(page, "disagree-heading", "divided-heading")
    divided = _section(page, "divided-heading", "</main>")
    for sid in first.ids_of("consensus_agree"):
        assert h(first.text_of(sid)) in agree
    for sid in first.ids_of("consensus_disagree"):
        assert h(first.text_of(sid)) in disagree
    listed = re.findall(r'<p class="statement-quote">([^<]+)</p>', divided)
    planted_divides = {h(first.text_of(s)) for s in first.ids_of("divisive")}
    assert listed and len(set(listed) & planted_divides) / len(listed) >= 0.9
    # each group's n and 90 % interval, from the snapshot's per-group counts
    result = services.snapshot_result(snapshot)
    st = result.statements
    sid = sorted(first.ids_of("consensus_agree"))[0]
    j = st.index_of(sid)
    n0 = int(st.group_votes[0, j])
    block = agree[agree.index(h(first.text_of(sid))) :]
    assert f"n={n0})" in block.split("</figure>")[0]
    assert re.search(r"\(\d+ %–\d+ %, n=\d+\)", block)

    services.compute_extras(snapshot.id)
    page = client.get(url("common-ground")).text
    assert "Holds with 2, 3, 4 or 5 groups" in page


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def test_bridging_and_robustness_appear_once_the_job_has_run(planted, client, staff):
    _, first, _, (snapshot, _) = planted
    staff.login("steering")
    assert "are not computed yet" in client.get(url("bridging")).text
    job_id = enqueue_extras(snapshot.id)  # inline in tests
    from consult.jobs.models import Job, JobState

    job = db.session.get(Job, job_id)
    assert job.state == JobState.DONE and job.kind == KIND and job.key == job_key(snapshot.id)
    page = client.get(url("bridging")).text
    rows = re.findall(r'<th scope="row" class="statement-cell">([^<]+)</th>', page)
    agreed = {h(first.text_of(s)) for s in first.ids_of("consensus_agree")}
    assert set(rows[: len(agreed)]) == agreed  # planted common ground bridges best
    assert "Group-informed consensus" in page and "needs no groups" in page
    page = client.get(url("robustness")).text
    assert "✓ holds" in page
    extras = services.extras_for(snapshot)
    holds = extras.robustness.holds
    held = {int(s) for s in extras.robustness.statement_ids[holds]}
    planted_cg = first.ids_of("consensus_agree") | first.ids_of("consensus_disagree")
    assert held and held <= planted_cg
    assert page.count("✓ holds") == len(held)
    # computing again is a no-op
    assert services.compute_extras(snapshot.id).reason == "already computed"


def test_a_new_snapshot_gets_its_extras_in_the_background(planted, app):
    _, first, _, _ = planted
    app.config["CONSULT_AUTO_MAPS"] = True
    try:
        db.session.execute(
            Vote.__table__.update()
            .where(Vote.statement_id == first.statement_ids[0])
            .values(value=1)
        )
        db.session.commit()
        snapshot = recompute(first.phase).snapshot
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.rollback()
            found = db.session.scalar(select(MapExtras).where(MapExtras.snapshot_id == snapshot.id))
            if found is not None:
                break
            time.sleep(0.2)
        assert found is not None and found.params["exact_inputs"] is True
    finally:
        app.config["CONSULT_AUTO_MAPS"] = False


def test_heatmap_shows_each_groups_agreement_per_theme(planted, client, staff):
    consultation, first, _, (snapshot, _) = planted
    staff.login("steering")
    assert "no themes yet" in client.get(url("heatmap")).text
    run = refresh_themes(consultation, embedder=WordEmbedder()).run
    page = client.get(url("heatmap")).text
    assert f"theme run {run.id}" in page and f"Analysis snapshot {snapshot.id}" in page
    themes = load_theme_result(run)
    theme = next(t for t in themes.themes if "procurement" in t.label)
    result = services.snapshot_result(snapshot)
    # expected: the share of agree votes by in-conversation members of each group, from the votes
    rows = db.session.execute(
        select(Vote.participant_id, Vote.statement_id, Vote.value).where(
            Vote.statement_id.in_([s for s in theme.statement_ids if s in first.statement_ids])
        )
    ).all()
    group_of = dict(
        zip(result.participants.ids.tolist(), result.participants.group.tolist(), strict=True)
    )
    table = _section(page, "hm-table-heading", "</table>")
    line = table[table.index(theme.label) :].split("</tr>")[0]
    cells = re.findall(r'<td class="num"[^>]*>(\d+) %', line)
    for i, group in enumerate(result.groups):
        mine = [v for p, _, v in rows if group_of.get(p) == group.id]
        assert int(cells[i]) == round(100 * sum(v == 1 for v in mine) / len(mine))
    svg = client.get(url("heatmap.svg"))
    assert f"theme run {run.id}" in svg.text and ET.fromstring(svg.data).tag.endswith("svg")
    assert client.get(url("heatmap.png")).data[:4] == b"\x89PNG"


def test_phase_comparison_reports_new_continuing_merged_and_retired_themes(planted, client, staff):
    consultation, first, second, (s1, s2) = planted
    run = refresh_themes(consultation, embedder=WordEmbedder()).run
    themes = load_theme_result(run)
    digital = [t.id for t in themes.themes if "digital" in t.label]
    assert len(digital) == 2  # the bag-of-words embedder splits digital into two themes
    merge_themes(consultation, digital[0], digital[1], None)
    refresh_themes(consultation, embedder=WordEmbedder())
    staff.login("steering")
    page = client.get(f"/c/{SLUG}/phases/compare").text
    assert "Themes from phase 1 to phase 2" in page
    rows = {
        re.sub(r"<[^>]+>", "", label).strip(): status
        for label, status in re.findall(
            r'<th scope="row">(.*?)</th>\s*<td><span class="status status-(\w+)">', page, re.S
        )
    }

    def status_of(word: str) -> str:
        return next(
            s
            for label, s in rows.items()
            if label.startswith(word) or f" {word}" in label.split("absorbed")[0]
        )

    assert status_of("court") == "new"
    assert status_of("youth") == "retired"
    assert status_of("procurement") == "continuing"
    assert "merged" in rows.values() and "absorbed" in page
    assert f"Analysis snapshot {s1.id}" in page and f"Analysis snapshot {s2.id}" in page
    # the agreement moved: the procurement row shows both phases and the change in points
    line = page[page.index("procurement") :].split("</tr>")[0]
    assert re.search(r"[+-]\d+ points", line)
    result = services.snapshot_result(s1)
    assert np.isfinite(result.statements.group_informed_consensus).all()


def test_a_phase_without_analysis_says_so(app, client, staff, make_phase):
    phase = make_phase(3)
    staff.login("steering")
    slug = phase.consultation.slug
    page = client.get(f"/c/{slug}/phase/1/map")
    assert page.status_code == 200 and "no analysis of this phase yet" in page.text
    assert client.get(f"/c/{slug}/phase/1/map.png").status_code == 404
    assert client.get(f"/c/{slug}/phase/9/map").status_code == 404
    assert client.get("/maps").status_code == 200
