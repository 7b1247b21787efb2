"""/admin/accounts: admins create accounts, change roles and disable or enable them from the web,
through the same services as the command line (applied, audited, sessions ended)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.accounts.models import Role, User
from consult.extensions import db
from tests.conftest import Staff, csrf_from
from tests.security.conftest import FreshClient

HTMX = {"HX-Request": "true"}


def _audit(action: str):
    from consult.security.models import AuditEntry

    db.session.rollback()  # read what the requests committed
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _user(email: str) -> User:
    db.session.rollback()
    return db.session.scalar(User.by_email(email))


@pytest.fixture
def client(app):
    """Each request starts with an empty ``g``, as on a server: several clients sign in to the
    same app context here, and Flask-Login keeps the signed-in account in ``g``."""
    return FreshClient(app.test_client())


def _csrf(client) -> str:
    return csrf_from(client.get("/admin/accounts").text)


def test_the_page_lists_the_accounts_for_admins_only(client, staff):
    admin = staff.login("admin")
    staff.create("host", "host@test.example", "Hana Host")
    page = client.get("/admin/accounts")
    assert page.status_code == 200
    assert "host@test.example" in page.text and "Hana Host" in page.text
    assert admin.email in page.text
    assert 'href="/admin/accounts"' in client.get("/").text  # the admin's nav link


@pytest.mark.parametrize("role", ["support", "host", "steering"])
def test_non_admins_get_403_on_every_accounts_route(app, role):
    client = FreshClient(app.test_client())
    Staff(client).login(role)
    target = Staff(client).create("host", "target@test.example")
    token = csrf_from(client.get("/").text)
    assert client.get("/admin/accounts").status_code == 403
    assert 'href="/admin/accounts"' not in client.get("/").text
    for url, data in (
        ("/admin/accounts", {"email": "x@test.example", "role": "admin"}),
        (f"/admin/accounts/{target.id}/role", {"role": "admin"}),
        (f"/admin/accounts/{target.id}/active", {"active": "0"}),
    ):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403
    assert _user(target.email).role == Role.HOST and _user(target.email).active
    assert db.session.scalar(select(User).where(User.email == "x@test.example")) is None


def _signed_in_elsewhere(app, user: User) -> FreshClient:
    """Another browser, signed in as ``user``."""
    browser = FreshClient(app.test_client())
    page = browser.get("/login")
    data = {"email": user.email, "password": Staff.PASSWORD, "csrf_token": csrf_from(page.text)}
    browser.post("/login", data=data)
    return browser


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/accounts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_role_change_through_the_page_is_applied_and_audited(app, client, staff):
    admin = staff.login("admin")
    target = staff.create("host", "hana@test.example")
    # The target signed in elsewhere: the new role applies from its next request.
    browser = _signed_in_elsewhere(app, target)
    assert browser.get("/moderation/").status_code == 403

    response = client.post(
        f"/admin/accounts/{target.id}/role",
        data={"role": "support", "csrf_token": _csrf(client)},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert f'<tr id="account-{target.id}"' in response.text  # the row, swapped by htmx
    assert 'id="account-status"' in response.text and "hx-swap-oob" in response.text
    assert "hana@test.example now has the role Support Unit" in response.text
    assert _user(target.email).role == Role.SUPPORT
    assert browser.get("/moderation/").status_code == 200

    [entry] = _audit("accounts.set_role")
    assert entry.target == target.email and entry.channel == "web"
    assert entry.actor == admin.email and entry.actor_role == "admin"
    assert entry.details == {"from": "host", "to": "support"}

    again = client.post(
        f"/admin/accounts/{target.id}/role",
        data={"role": "support", "csrf_token": _csrf(client)},
    )  # without htmx: a message and the page again
    assert again.status_code == 302
    assert "already has the role Support Unit: nothing changed" in client.get(again.location).text
    assert len(_audit("accounts.set_role")) == 1


def test_an_unknown_role_is_refused_with_a_clear_message(client, staff):
    staff.login("admin")
    target = staff.create("host", "hana@test.example")
    response = client.post(
        f"/admin/accounts/{target.id}/role",
        data={"role": "owner", "csrf_token": _csrf(client)},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "role must be one of admin, support, host, steering" in response.text
    assert _user(target.email).role == Role.HOST
    assert _audit("accounts.set_role") == []


def test_disable_through_the_page_ends_that_accounts_session(app, client, staff):
    staff.login("admin")
    target = staff.create("support", "sam@test.example")
    browser = _signed_in_elsewhere(app, target)
    assert browser.get("/moderation/").status_code == 200

    response = client.post(
        f"/admin/accounts/{target.id}/active",
        data={"active": "0", "csrf_token": _csrf(client)},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "sam@test.example is disabled: it cannot sign in, and its sessions have ended." in (
        response.text
    )
    assert browser.get("/moderation/").status_code == 302  # signed out at its next request
    assert not _user(target.email).active
    [entry] = _audit("accounts.disable")
    assert entry.target == target.email and entry.channel == "web"

    enabled = client.post(
        f"/admin/accounts/{target.id}/active",
        data={"active": "1", "csrf_token": _csrf(client)},
        follow_redirects=True,
    )
    assert "sam@test.example is enabled: it can sign in again." in enabled.text
    assert _user(target.email).active
    assert browser.get("/moderation/").status_code == 302  # the old session stays ended
    assert [e.target for e in _audit("accounts.enable")] == [target.email]


def test_an_admin_cannot_demote_or_disable_their_own_account(client, staff):
    admin = staff.login("admin")
    page = client.get("/admin/accounts")
    assert f'action="/admin/accounts/{admin.id}/role"' not in page.text  # no controls on own row
    token = csrf_from(page.text)
    demote = client.post(
        f"/admin/accounts/{admin.id}/role",
        data={"role": "host", "csrf_token": token},
        headers=HTMX,
    )
    assert demote.status_code == 422
    assert "You cannot change the role of your own account" in demote.text
    disable = client.post(
        f"/admin/accounts/{admin.id}/active", data={"active": "0", "csrf_token": token}
    )
    assert disable.status_code == 302
    followed = client.get(disable.location)
    assert "You cannot disable your own account" in followed.text
    me = _user(admin.email)
    assert me.role == Role.ADMIN and me.active
    assert _audit("accounts.set_role") == [] and _audit("accounts.disable") == []
    refused = _audit("account_admin.set_role")  # the request itself is logged as refused
    assert [e.outcome for e in refused] == ["refused"]


def test_create_an_account_with_a_first_password(client, staff):
    staff.login("admin")
    data = {
        "email": "New.Person@Test.example",
        "name": "New Person",
        "role": "steering",
        "password": "a long enough password",
        "password_again": "a long enough password",
        "csrf_token": _csrf(client),
    }
    created = client.post("/admin/accounts", data=data, follow_redirects=True)
    assert created.status_code == 200
    assert "Account new.person@test.example created with the role Steering Committee" in (
        created.text
    )
    user = _user("new.person@test.example")
    assert user.role == Role.STEERING and user.name == "New Person"
    assert user.check_password("a long enough password")
    [entry] = _audit("account_admin.index")
    assert "password" not in entry.details["form"] and "password_again" not in entry.details["form"]

    duplicate = client.post("/admin/accounts", data={**data, "csrf_token": _csrf(client)})
    assert duplicate.status_code == 422
    assert "an account for new.person@test.example already exists" in duplicate.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"role": "owner"}, "role must be one of admin, support, host, steering"),
        ({"password": "short", "password_again": "short"}, "at least 10 characters"),
        ({"password_again": "another long password"}, "The two passwords differ."),
        ({"email": "not-an-address"}, "is not an e-mail address"),
    ],
)
def test_create_refuses_bad_input_with_a_clear_message(client, staff, change, message):
    staff.login("admin")
    data = {
        "email": "someone@test.example",
        "name": "",
        "role": "host",
        "password": "a long enough password",
        "password_again": "a long enough password",
        "csrf_token": _csrf(client),
        **change,
    }
    response = client.post("/admin/accounts", data=data)
    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")
    assert db.session.scalar(User.by_email(data["email"])) is None


def test_every_form_needs_the_csrf_token(app, staff):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    Staff(client).login("admin")
    target = Staff(client).create("host", "hana@test.example")
    for url, data in (
        ("/admin/accounts", {"email": "x@test.example", "role": "admin"}),
        (f"/admin/accounts/{target.id}/role", {"role": "admin"}),
        (f"/admin/accounts/{target.id}/active", {"active": "0"}),
    ):
        assert client.post(url, data=data).status_code == 400, url
    assert _user(target.email).role == Role.HOST and _user(target.email).active
