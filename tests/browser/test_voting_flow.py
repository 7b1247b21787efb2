"""A person votes through the demo phase in a real browser, without page loads between votes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_vote_and_add_statement(live_server, page):
    _, base = live_server
    page.goto(base + "/")
    page.get_by_role("link", name=re.compile("Open Futures Partnership")).click()
    page.get_by_role("link", name="Take part").click()
    page.wait_for_load_state("load")  # htmx (a deferred script) must be running before we vote
    expect(page.get_by_role("heading", level=1)).to_have_text("Relevance and role")
    progress = page.locator(".progress-label")
    expect(progress).to_have_text(re.compile(r"Statement 1 of \d+"))
    total = int(progress.inner_text().split()[-1])
    page.evaluate("window.__sameDocument = true")  # survives only if no page load happens

    seen = []
    for n, button in enumerate(["Agree", "Disagree", "Pass / unsure"], start=1):
        statement = page.locator("#current-statement").inner_text()
        seen.append(statement)
        page.get_by_role("button", name=button, exact=True).click()
        expect(progress).to_have_text(f"Statement {n + 1} of {total}")
        label = button.split(" /")[0]
        expect(page.locator(".vote-confirmation")).to_have_text(
            f"Your vote “{label}” was recorded."
        )
        expect(page.locator("#current-statement")).not_to_have_text(statement)
    assert page.evaluate("window.__sameDocument") is True
    assert len(set(seen)) == 3
    screenshot(page, "phase-voting")

    textarea = page.get_by_label("Your statement")
    textarea.fill("Too short")
    page.get_by_role("button", name="Submit statement").click()
    expect(page.locator("#statement-error")).to_contain_text("at least 10 characters")
    width = page.viewport_size["width"]
    page.get_by_label("Your statement").fill(f"Publish minutes of every national forum ({width}).")
    page.get_by_role("button", name="Submit statement").click()
    expect(page.locator("#add-statement")).to_contain_text("Thank you! Your statement was received")

    page.reload()  # the cookie keeps the participant: progress continues where it was
    expect(progress).to_have_text(f"Statement 4 of {total}")
