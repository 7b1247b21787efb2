"""The Support Unit renames a theme and moves a statement in a real browser, phone and desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.model]


def _login(page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill("support@example.org")
    page.get_by_label("Password").fill("consult-demo")
    page.get_by_role("button", name=re.compile("Sign in")).click()
    expect(page.get_by_role("button", name=re.compile("Sign out"))).to_be_visible()


def test_rename_and_move_without_page_loads(live_server, page, embedder):
    app, base = live_server
    with app.app_context():
        from consult.consultations.services import get_consultation
        from consult.themes.services import refresh_themes

        refresh_themes(get_consultation("demo"))
    _login(page, base)
    # The live server is shared by the session's browser tests, and others add consultations:
    # go to the demo's themes directly rather than through the "Themes" link's one-consultation
    # shortcut.
    page.goto(base + "/c/demo/themes")
    expect(page.get_by_role("heading", level=1)).to_have_text("Themes")
    page.evaluate("window.__sameDocument = true")  # survives only if no page load happens
    width = page.viewport_size["width"]

    cards = page.locator("article.theme-card:not(.theme-other)")
    first, second = cards.nth(0), cards.nth(1)
    first_id = first.get_attribute("id")
    second_id = second.get_attribute("id")
    new_label = f"Voice of the Partnership ({width}px)"
    first.get_by_role("link", name=re.compile("^Rename theme")).click()
    field = first.get_by_label("Name of the theme")
    expect(field).to_be_focused()
    field.fill(new_label)
    first.get_by_role("button", name="Save name").click()
    heading = page.locator(f"#{first_id} .theme-title")
    expect(heading).to_contain_text(new_label)
    expect(heading).to_be_focused()
    expect(page.locator("#theme-status")).to_contain_text(f"Theme renamed “{new_label}”.")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    )  # no sideways scroll
    screenshot(page, "themes-renamed")

    second_card = page.locator(f"#{second_id}")
    second_card.locator("summary", has_text="Statements").click()
    statement = second_card.locator("li.theme-statement").first
    text = statement.locator(".statement-quote").inner_text()
    statement.get_by_role("combobox", name=re.compile("^Move statement")).select_option(
        label=new_label
    )
    statement.get_by_role("button", name=re.compile("^Move statement")).click()
    expect(page.locator("#theme-status")).to_contain_text(f"moved to “{new_label}”")
    target = page.locator(f"#{first_id}")
    expect(target.locator(".statement-quote", has_text=text)).to_have_count(1)
    expect(page.locator(f"#{second_id} .statement-quote", has_text=text)).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "themes-moved")

    page.reload()  # the edits are stored, and the recompute kept them
    expect(page.locator(f"#{first_id} .theme-title")).to_contain_text(new_label)
    expect(page.locator(f"#{first_id} .statement-quote", has_text=text)).to_have_count(1)
