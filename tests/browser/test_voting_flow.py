"""A person votes in a real browser, without page loads between votes: a few of the demo phase's
statements, then every statement of a small phase until the end-of-statements card."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

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


SMALL_PHASE = [
    "Publish every grant decision with the reasons for it.",
    "Hold one open assembly in each region every year.",
    "Translate all consultation papers into minority languages.",
    "Let young people elect their own member of the committee.",
]


@pytest.fixture(scope="module")
def small_phase(live_server):
    """A consultation of its own on the shared live server, with one open phase of 4 statements."""
    from consult.consultations.models import PhaseState
    from consult.consultations.services import add_phase, create_consultation, set_phase_state
    from consult.extensions import db
    from consult.participation.services import add_seed_statement

    app, base = live_server
    with app.app_context():
        consultation = create_consultation("small-phase", "Small phase")
        phase = add_phase(consultation, "Four statements", "Vote on all four.")
        ids = {add_seed_statement(phase, text).id: text for text in SMALL_PHASE}
        set_phase_state(phase, PhaseState.OPEN)
        db.session.remove()
    return app, f"{base}/c/small-phase/phase/1/", ids


def _votes(app, statement_ids) -> dict[int, tuple[int, int]]:
    """Vote id -> (statement id, value) of every vote on these statements."""
    from consult.extensions import db
    from consult.participation.models import Vote

    with app.app_context():
        rows = db.session.execute(
            select(Vote.id, Vote.statement_id, Vote.value).where(
                Vote.statement_id.in_(statement_ids)
            )
        ).all()
        db.session.remove()
    return {vote_id: (statement_id, value) for vote_id, statement_id, value in rows}


def test_vote_through_every_statement_to_the_end_card(small_phase, page):
    app, url, statements = small_phase
    before = _votes(app, statements)
    page.goto(url)
    page.wait_for_load_state("load")  # htmx (a deferred script) must be running before we vote
    progress = page.locator(".progress-label")
    expect(progress).to_have_text(f"Statement 1 of {len(SMALL_PHASE)}")
    page.evaluate("window.__sameDocument = true")  # survives only if no page load happens

    buttons = {"Agree": 1, "Disagree": -1, "Pass / unsure": 0}
    cast = {}  # statement id -> value clicked
    for n in range(1, len(SMALL_PHASE) + 1):
        button = list(buttons)[n % 3]
        statement_id = int(page.locator("input[name=statement_id]").get_attribute("value"))
        assert statement_id not in cast, "a statement came back after it was voted on"
        expect(page.locator("#current-statement")).to_have_text(statements[statement_id])
        cast[statement_id] = buttons[button]
        page.get_by_role("button", name=button, exact=True).click()
        label = button.split(" /")[0]
        expect(page.locator(".vote-confirmation")).to_have_text(
            f"Your vote “{label}” was recorded."
        )
        if n < len(SMALL_PHASE):
            expect(progress).to_have_text(f"Statement {n + 1} of {len(SMALL_PHASE)}")

    card = page.locator("#statement-card")
    expect(card.get_by_role("heading", level=2)).to_have_text("You have voted on every statement")
    expect(card.locator(".done p")).to_have_text(
        f"Thank you: you voted on all {len(SMALL_PHASE)} statements of this phase. New statements "
        "arrive as people add them, so come back later — or add your own below."
    )
    expect(card.get_by_role("button")).to_have_count(0)  # nothing left to vote on
    expect(progress).to_have_count(0)
    expect(page.get_by_label("Your statement")).to_be_visible()  # "add your own below"
    assert page.evaluate("window.__sameDocument") is True
    assert set(cast) == set(statements)
    screenshot(page, "phase-end-card")

    # Every click was stored once, with the value clicked.
    new = {k: v for k, v in _votes(app, statements).items() if k not in before}
    assert sorted(new.values()) == sorted(cast.items())

    page.reload()  # the cookie keeps the participant: the end card stays
    expect(
        page.get_by_role("heading", level=2, name="You have voted on every statement")
    ).to_be_visible()
    expect(page.locator("#statement-card").get_by_role("button")).to_have_count(0)
