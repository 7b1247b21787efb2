"""In a real browser: answer a theme with htmx, close, sign off, publish, read the first screen."""

from __future__ import annotations

import re
import threading

import pytest

from tests.browser.conftest import ARTIFACTS, DESKTOP, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.model]

PASSWORD = "a browser password"


@pytest.fixture(scope="module")
def report_server(tmp_path_factory, embedder):
    """Its own server and database: the demo analysed, with themes (phase 1 gets closed here)."""
    from werkzeug.serving import make_server

    from consult.accounts.services import create_user
    from consult.reports.records import phase_themes
    from consult.responses import services as responses
    from tests.conftest import _make_app, _migrate
    from tests.reports.helpers import OUTLINE, prepare_demo, required_themes

    folder = tmp_path_factory.mktemp("report-live")
    url = f"sqlite:///{folder / 'live.db'}"
    _migrate(url, folder)
    app = _make_app(url)
    with app.app_context():
        phase = prepare_demo(embedder)
        support = create_user("unit@test.example", PASSWORD, "support", "Mariam Support")
        create_user("committee@test.example", PASSWORD, "steering", "Ana Pérez")
        responses.save_outline(phase, OUTLINE, support)
        themes = phase_themes(phase)
        needed = required_themes(phase)
        # Every theme but the first is answered here; the browser answers the first.
        for theme in needed[1:]:
            responses.save_response(
                phase,
                support,
                theme_id=theme.id,
                decision="adapted",
                rationale="Folded into goal 3, with a commitment on feedback.",
                section_keys=["goal-3"],
                publish=True,
                known_theme_ids={t.id for t in themes},
            )
        first = needed[0]
    # Jobs run in the background thread, as in `make run`: closing only queues the freeze.
    app.config["CONSULT_JOBS_INLINE"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", first
    server.shutdown()


def _page(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "422" not in m.text else None,
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_respond_close_sign_off_publish_and_read(browser, report_server):
    base, first = report_server
    phase_url = f"{base}/c/demo/phase/1"
    context, page, errors = _page(browser)
    _login(page, base, "unit@test.example")

    # Answer the first theme in place (htmx swaps the row for the form and back).
    page.goto(f"{phase_url}/responses/")
    page.wait_for_function("window.htmx !== undefined")
    row = page.locator(f"#theme-{first.id}")
    assert "No response yet" in row.inner_text()
    row.get_by_role("link", name="Respond").click()
    form = page.locator(f"form#theme-{first.id}")
    form.wait_for()
    form.get_by_label("Not adopted").check()
    form.get_by_role("button", name="Publish response").click()
    error = page.locator(f"form#theme-{first.id} .field-error")
    error.wait_for()  # the rationale is required: the form comes back with the message
    assert "rationale is required" in error.inner_text()
    form.locator("textarea[name=rationale]").fill("Members asked for it; it needs a mandate first.")
    form.get_by_label("Goal 2 — Protect and expand civic space").check()
    form.get_by_role("button", name="Publish response").click()
    saved = page.locator(f"article#theme-{first.id}")
    saved.wait_for()
    assert "Not adopted" in saved.inner_text() and "Published" in saved.inner_text()
    screenshot(page, "responses-page")

    # Close.
    page.goto(f"{phase_url}/close")
    assert "Every theme that needs a response has a published one." in page.content()
    page.get_by_role("button", name="Close the phase and freeze its record").click()
    # The request only stops input and queues the freeze; the close screen follows the job
    # (queued, running) and reloads itself once the record is frozen.
    page.get_by_text("Phase 1 is closed: it takes no more input.").wait_for()
    assert page.url == f"{phase_url}/close"
    assert page.get_by_role("button", name="Close the phase and freeze its record").count() == 0
    page.get_by_text(re.compile(r"Frozen record [0-9a-f]{16}, closed")).wait_for(timeout=60_000)
    assert page.locator("#close-state").count() == 0, page.inner_text("main")

    # A Steering Committee member signs off.
    other, steering, steering_errors = _page(browser)
    _login(steering, base, "committee@test.example")
    steering.goto(f"{phase_url}/close")
    assert steering.get_by_label("Your name as it will appear in the report").input_value() == (
        "Ana Pérez"
    )
    steering.get_by_role("button", name="Sign off this report").click()
    steering.wait_for_load_state()
    assert "Signed off as Ana Pérez" in steering.inner_text(".flashes")
    other.close()

    # The Support Unit publishes; the report opens.
    page.goto(f"{phase_url}/close")
    assert "Ready to publish." in page.content()
    screenshot(page, "close-screen")
    page.get_by_role("button", name="Publish the report").click()
    page.wait_for_url(f"{phase_url}/report")
    context.close()

    # A first-time reader: within one screen, what, how many, the top three themes, decisions.
    reader, public, public_errors = _page(browser)
    public.goto(f"{phase_url}/report")
    glance = public.locator("section.glance")
    box = glance.bounding_box()
    assert box is not None and box["y"] + box["height"] <= DESKTOP["height"], box
    text = glance.inner_text()
    assert "320" in text and "people took part online" in text
    assert public.locator("section.glance .top-themes > li").count() == 3
    assert public.locator("section.glance .top-themes .decision").count() == 3
    assert "signed off by Ana Pérez" in public.inner_text("article.report > header")
    screenshot(public, "report-full")
    public.screenshot(path=str(ARTIFACTS / "report-first-screen-1280px.png"))  # one screen
    public.get_by_role("link", name="Annex: every statement").click()
    assert public.locator("table.annex tbody tr").count() == 42
    reader.close()
    assert errors == [] and steering_errors == [] and public_errors == []
