"""A person switches the demo phase page to French, then Spanish, and votes in each language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _vote_value(app, participant_votes_before: set, statement_id: int):
    from consult.extensions import db
    from consult.participation.models import Vote

    with app.app_context():
        rows = db.session.execute(
            select(Vote.id, Vote.value).where(Vote.statement_id == statement_id)
        ).all()
        db.session.remove()
    new = [value for vote_id, value in rows if vote_id not in participant_votes_before]
    return new


def _vote_ids(app, statement_id: int) -> set:
    from consult.extensions import db
    from consult.participation.models import Vote

    with app.app_context():
        ids = set(db.session.scalars(select(Vote.id).where(Vote.statement_id == statement_id)))
        db.session.remove()
    return ids


def test_switch_to_french_and_spanish_and_vote(live_server, page):
    app, base = live_server
    page.goto(base + "/c/demo/phase/1/")
    page.wait_for_load_state("load")  # htmx (a deferred script) must run before we vote
    switcher = page.locator("nav.language-switcher")  # labelled in the page's language

    switcher.get_by_role("link", name="Français").click()
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pertinence et rôle")
    expect(switcher).to_have_attribute("aria-label", "Langue")
    expect(switcher.get_by_role("link", name="Français")).to_have_attribute("aria-current", "true")
    progress = page.locator(".progress-label")
    expect(progress).to_have_text(re.compile(r"Affirmation 1 sur \d+"))
    statement = page.locator("#current-statement")
    expect(statement).to_have_attribute("lang", "fr")
    statement_id = int(page.locator("input[name=statement_id]").get_attribute("value"))
    before = _vote_ids(app, statement_id)
    # The original is one tap away, in a native disclosure, marked as English.
    original = page.locator("#statement-original blockquote")
    expect(original).to_be_hidden()
    page.get_by_text("Voir l'original (anglais)").click()
    expect(original).to_be_visible()
    expect(original).to_have_attribute("lang", "en")
    screenshot(page, "languages-fr-original")

    page.get_by_role("button", name="D'accord", exact=True).click()
    expect(page.locator(".vote-confirmation")).to_have_text(
        re.compile(r"Votre vote «\s?D'accord\s?» a été enregistré\.")
    )
    expect(progress).to_have_text(re.compile(r"Affirmation 2 sur \d+"))
    assert _vote_value(app, before, statement_id) == [1]  # counted for the original statement
    screenshot(page, "languages-fr-voted")

    switcher.get_by_role("link", name="Español").click()
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pertinencia y papel")
    expect(progress).to_have_text(re.compile(r"Afirmación 2 de \d+"))  # the same participant
    expect(page.locator("#current-statement")).to_have_attribute("lang", "es")
    statement_id = int(page.locator("input[name=statement_id]").get_attribute("value"))
    before = _vote_ids(app, statement_id)
    page.get_by_role("button", name="En desacuerdo", exact=True).click()
    expect(page.locator(".vote-confirmation")).to_have_text(
        "Su voto «En desacuerdo» se ha registrado."
    )
    expect(progress).to_have_text(re.compile(r"Afirmación 3 de \d+"))
    assert _vote_value(app, before, statement_id) == [-1]
    screenshot(page, "languages-es-voted")

    page.reload()  # the choice is remembered
    expect(page.locator("html")).to_have_attribute("lang", "es")
    switcher.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Relevance and role")
