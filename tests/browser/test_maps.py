"""A Steering Committee member reads the consensus maps in a real browser: map, group details by
tap and hover (htmx), common ground, heatmap, phase comparison; screenshots at phone and desktop
widths, and axe-core finds no serious or critical accessibility issue on any of these pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
SLUG = "maps-browser"
EMAIL = "steering-maps@test.example"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def maps_data(live_server):
    """A two-phase consultation with planted opinions, analysed, with map extras and themes."""
    app, base = live_server
    with app.app_context():
        from consult.accounts.services import create_user
        from consult.analysis.services import recompute
        from consult.maps.services import compute_extras
        from consult.themes.services import load_theme_result, merge_themes, refresh_themes
        from tests.maps.helpers import WordEmbedder, planted_consultation

        consultation, first, second = planted_consultation(SLUG, two_phases=True)
        snapshots = [recompute(p.phase).snapshot for p in (first, second)]
        for snapshot in snapshots:
            compute_extras(snapshot.id)
        run = refresh_themes(consultation, embedder=WordEmbedder()).run
        digital = [t.id for t in load_theme_result(run).themes if "digital" in t.label]
        if len(digital) == 2:
            merge_themes(consultation, digital[0], digital[1], None)
            refresh_themes(consultation, embedder=WordEmbedder())
        create_user(EMAIL, PASSWORD, "steering", "Steering member")
        return base, [s.id for s in snapshots]


def _sign_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("load")


def _axe(page) -> list[dict]:
    """Serious and critical axe-core violations of the current page (axe injected by the test)."""
    # Evaluated through the DevTools protocol: the page's CSP forbids inline <script> tags.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_opinion_map_with_group_details_by_tap_and_hover(maps_data, page):
    base, (snapshot_id, _) = maps_data
    _sign_in(page, base)
    page.goto(f"{base}/c/{SLUG}/phase/1/map")
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opinion map")
    figure = page.locator(".map-frame svg")
    expect(figure).to_be_visible()
    expect(page.locator(".source-line")).to_contain_text(f"analysis snapshot {snapshot_id}")
    box = figure.bounding_box()
    assert box["width"] <= page.viewport_size["width"]  # no sideways scrolling of the map
    assert page.locator(".map-frame circle").count() == 140
    page.evaluate("window.__sameDocument = true")

    # tap a group (the chip: keyboard and touch) → its statements appear without a page load
    chip = page.locator(".group-chip").nth(1)
    label = re.search(r"Group [A-E]", chip.inner_text()).group(0)
    chip.click()
    detail = page.locator("#group-detail .group-detail")
    expect(detail.locator("h3")).to_contain_text(label)
    expect(detail.locator(".share-bar").first).to_be_visible()
    expect(detail).to_contain_text("of everyone else")
    # hover a group's label on the map, then tap a group's outline
    tag = page.locator(".opinion-map .group-tag").first
    tag.hover()
    expect(detail.locator("h3")).to_contain_text(
        "Group " + "ABCDE"[int(tag.get_attribute("data-group"))]
    )
    hull = page.locator(".opinion-map path.hull").last
    hull.dispatch_event("click")
    expect(detail.locator("h3")).to_contain_text(
        "Group " + "ABCDE"[int(hull.get_attribute("data-group"))]
    )
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "maps-opinion-map")

    page.goto(f"{base}/c/{SLUG}/phase/1/map?statements=1")
    expect(page.locator(".overlay-key li").first).to_be_visible()
    screenshot(page, "maps-opinion-map-statements")
    assert _axe(page) == []


def test_common_ground_bridging_and_robustness_pages(maps_data, page):
    base, (snapshot_id, _) = maps_data
    _sign_in(page, base)
    page.goto(f"{base}/c/{SLUG}/phase/1/common-ground")
    expect(page.locator("#agree-heading")).to_be_visible()
    expect(page.locator(".statement-figure").first).to_contain_text("n=")
    expect(page.locator(".badge-robust").first).to_have_text("Holds with 2, 3, 4 or 5 groups")
    screenshot(page, "maps-common-ground")
    assert _axe(page) == []
    page.get_by_role("link", name="Bridging").click()
    expect(page.locator(".bridging-table tbody tr")).to_have_count(15)
    assert _axe(page) == []
    page.get_by_role("link", name="Robustness").click()
    expect(page.locator(".robustness-table")).to_contain_text("✓ holds")
    screenshot(page, "maps-robustness")
    assert _axe(page) == []


def test_theme_heatmap_and_downloads(maps_data, page):
    base, (snapshot_id, _) = maps_data
    _sign_in(page, base)
    page.goto(f"{base}/c/{SLUG}/phase/1/heatmap")
    expect(page.locator(".heatmap-frame svg:visible")).to_have_count(1)
    expect(page.locator(".heatmap-figure figcaption")).to_contain_text(
        f"Analysis snapshot {snapshot_id}"
    )
    expect(page.locator(".heatmap-table tbody tr").first).to_contain_text("%")
    screenshot(page, "maps-heatmap")
    assert _axe(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PNG").click()
    assert download.value.suggested_filename.endswith(f"snapshot{snapshot_id}.png")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download SVG").click()
    path = download.value.path()
    assert b"theme run" in Path(path).read_bytes()


def test_phase_comparison(maps_data, page):
    base, snapshots = maps_data
    _sign_in(page, base)
    page.goto(f"{base}/c/{SLUG}/phases/compare")
    expect(page.get_by_role("heading", level=1)).to_have_text("Themes from phase 1 to phase 2")
    table = page.locator(".compare-table")
    expect(table.locator(".status-new").first).to_be_visible()
    expect(table.locator(".status-continuing").first).to_be_visible()
    expect(table.locator(".status-retired").first).to_be_visible()
    expect(table).to_contain_text("points")
    for snapshot_id in snapshots:
        expect(page.locator(".compare-table + figcaption, figcaption")).to_contain_text(
            f"Analysis snapshot {snapshot_id}"
        )
    screenshot(page, "maps-phase-comparison")
    assert _axe(page) == []
