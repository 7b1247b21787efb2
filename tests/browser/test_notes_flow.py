"""A host records a community conversation, previews its notes with htmx, and imports them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.notes.samples import DATA

pytestmark = [pytest.mark.browser, pytest.mark.model]

# One notes file per viewport: both runs share the live server and its demo phase.
NOTES = {
    390: ("regional-dialogue-north.md", "en", "Highlands Civic Forum"),
    1280: ("dialogue-regional-sud.txt", "fr", "Réseau citoyen pour la transparence"),
}


def sign_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill("host@example.org")
    page.get_by_label("Password").fill("consult-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flash-success")).to_contain_text("Signed in as")


def test_record_preview_and_import_notes(live_server, page, embedder):
    _, base = live_server
    width = page.viewport_size["width"]
    filename, language, host = NOTES[width]
    sign_in(page, base)
    page.get_by_role("link", name="Community conversations").click()
    page.get_by_role("link", name="Record a conversation").click()

    # The form refuses a date in the future and says so next to the field.
    title = f"Community dialogue ({width}px)"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Host organisation").fill(host)
    page.get_by_label("Date").fill("2099-03-14")
    page.get_by_label("Place").fill("Community hall")
    page.get_by_label("Region").fill("North")
    page.get_by_label("Number of participants").fill("41")
    page.get_by_label("Language of the notes").fill(language)
    page.get_by_label("youth", exact=True).check()
    page.get_by_label("The participants agreed that the raw notes are published").check()
    page.get_by_role("button", name="Record the conversation").click()
    expect(page.locator("#held_on-error")).to_contain_text("is in the future")
    expect(page.get_by_label("Date")).to_be_focused()
    page.get_by_label("Date").fill("2026-03-14")
    page.get_by_role("button", name="Record the conversation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    # An unsupported file is refused with a message; then the real notes go through.
    bad = DATA.parent / "duplicate_pairs.csv"
    page.get_by_label("Notes file", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("#upload-error")).to_contain_text("no 'text' column")
    page.get_by_label("Notes file", exact=True).set_input_files(str(DATA / filename))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Check the points in {filename}")
    page.wait_for_load_state("load")  # htmx (a deferred script) must run before the edits
    page.wait_for_function("() => window.htmx !== undefined")
    summary = page.locator("#preview-summary")
    kept = page.locator("li.candidate:not(.is-dropped)")
    total_kept = kept.count()
    expect(summary).to_contain_text(f"{total_kept} of")
    expect(page.locator("pre.passage").first).to_be_visible()  # each source passage is shown
    screenshot(page, f"notes-preview-{language}")
    page.evaluate("window.__sameDocument = true")  # survives only if no page load happens

    # Edit the first kept point, with the keyboard: Enter opens the form, focus is in the text.
    first = kept.nth(0)
    first_id = first.get_attribute("id")
    first.get_by_role("button", name=re.compile(r"^Edit point")).focus()
    page.keyboard.press("Enter")
    textarea = page.locator(f"#{first_id} textarea")
    expect(textarea).to_be_focused()
    textarea.fill("Short")
    page.locator(f"#{first_id}").get_by_role("button", name=re.compile("^Save point")).click()
    expect(page.locator(f"#{first_id} .field-error")).to_contain_text("at least 10 characters")
    page.locator(f"#{first_id}").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, f"notes-editing-{language}")), full_page=False)
    new_text = f"Publish the district budget as a one-page summary ({width}px)."
    page.locator(f"#{first_id} textarea").fill(new_text)
    page.locator(f"#{first_id}").get_by_role("button", name=re.compile("^Save point")).click()
    expect(page.locator(f"#{first_id} .candidate-text")).to_have_text(new_text)

    # Drop the second kept point, merge the next two, add one the notes missed.
    second = kept.nth(1)
    second_id = second.get_attribute("id")
    second.get_by_role("button", name=re.compile(r"^Drop point")).click()
    expect(page.locator(f"#{second_id}")).to_have_class(re.compile("is-dropped"))
    expect(summary).to_contain_text(f"{total_kept - 1} of")
    pair = [kept.nth(1), kept.nth(2)]  # the list of kept points shifted by one
    labels = [p.locator(".pick span").inner_text() for p in pair]
    for p in pair:
        p.locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Merge ticked points").click()
    expect(summary).to_contain_text(f"2 points merged into {labels[0].lower()}.")
    page.get_by_label("Point to add").fill(
        f"Translate the action plan into local languages ({width})."
    )
    page.get_by_role("button", name="Add point").click()
    expect(page.locator("li.candidate").last).to_contain_text("Added by you")
    expected = total_kept - 1  # one dropped, two merged into one, one added
    expect(page.locator("#confirm-button")).to_have_text(f"Import {expected} points")
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, f"notes-preview-edited-{language}")

    page.locator("#confirm-button").click()
    flash = page.locator(".flash-success")
    expect(flash).to_contain_text(f"Imported from {filename}: {expected} new statements")
    statements = page.locator("#imported li.candidate")
    expect(statements).to_have_count(expected)
    expect(page.locator("#imported")).to_contain_text(new_text)
    expect(page.locator("#imported")).to_contain_text("added in the preview")
    screenshot(page, f"notes-imported-{language}")

    # The same file again: nothing new, and the page says so.
    page.get_by_label("Notes file", exact=True).set_input_files(str(DATA / filename))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator(".flash-warning")).to_contain_text("nothing new was imported")

    # The public page lists the conversation and its raw notes, as text.
    page.goto(base + "/c/demo/phase/1/conversations/")
    card = page.locator("li.card", has_text=title)
    expect(card).to_contain_text(host)
    expect(card).to_contain_text("41")
    card.get_by_role("link", name="Read the raw notes").click()
    raw = page.locator("pre.raw-notes")
    expect(raw).to_contain_text((DATA / filename).read_text().splitlines()[0])
    screenshot(page, f"notes-public-{language}")
