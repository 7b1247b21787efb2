"""A participant types a point that is already there: the hint shows it, one tap votes on it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.model]


def test_duplicate_hint_while_typing(live_server, page, embedder):
    app, base = live_server
    with app.app_context():
        from consult.consultations.services import get_consultation
        from consult.themes.services import refresh_themes

        refresh_themes(get_consultation("demo"))  # embeds the demo statements
    page.goto(base + "/c/demo/phase/1/")
    box = page.get_by_label("Your statement")
    box.press_sequentially("Company ownership registers must be open to everyone", delay=5)
    hints = page.locator("#duplicate-hints")
    expect(hints).to_contain_text("Is your point already here? Vote on it instead", timeout=15000)
    expect(hints).to_contain_text("Registers of who really owns companies should be public")
    expect(hints).not_to_contain_text("Climate")
    assert hints.locator("li").count() <= 3
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "themes-duplicate-hint")

    item = hints.locator("li", has_text="Registers of who really owns companies")
    item.get_by_role("button", name="Agree", exact=True).click()
    expect(item).to_contain_text("Your vote “Agree” was recorded.")
    expect(box).to_have_value("Company ownership registers must be open to everyone")

    box.fill("")
    box.press_sequentially("Rural libraries need longer opening hours at weekends", delay=5)
    expect(hints.locator(".hint-box")).to_have_count(0, timeout=15000)
