"""An admin changes a staff account's role from /admin/accounts in a real browser: htmx swaps the
row in place (no page load), on a phone and on a desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_change_role_swaps_the_row(live_server, page):
    app, base = live_server
    width = page.viewport_size["width"]
    email = f"role-change-{width}@example.org"
    with app.app_context():
        from consult.accounts.models import Role, User
        from consult.accounts.services import create_user
        from consult.extensions import db

        user = create_user(email, "a long enough password", "host", "Browser Host")
        user_id = user.id

    page.goto(base + "/login")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Password").fill("consult-demo")
    page.get_by_role("button", name=re.compile("Sign in")).click()
    page.get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    page.evaluate("window.__sameDocument = true")  # survives only if no page load happens

    row = page.locator(f"#account-{user_id}")
    row.get_by_label(f"Role of {email}").select_option("steering")
    row.get_by_role("button", name="Change role").click()
    status = page.locator("#account-status")
    expect(status).to_contain_text(f"{email} now has the role Steering Committee")
    expect(page.locator(f"#account-{user_id} select")).to_have_value("steering")
    expect(page.locator(f"#account-{user_id} select")).to_be_focused()
    assert page.evaluate("window.__sameDocument === true")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "accounts-role-changed")
    with app.app_context():
        assert db.session.get(User, user_id).role == Role.STEERING
