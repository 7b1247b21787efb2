"""Staff accounts: the create-user command, signing in and out, and safe redirects."""

from __future__ import annotations

from sqlalchemy import select

from consult.accounts.models import Role, User
from consult.extensions import db
from tests.conftest import Staff, csrf_from
from tests.security.conftest import FreshClient


def test_create_user_command_with_password_stdin(runner):
    result = runner.invoke(
        args=["create-user", "Lead@Example.org", "--role", "support", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created support account lead@example.org" in result.output
    user = db.session.scalar(User.by_email("lead@example.org"))
    assert user.role == Role.SUPPORT and user.check_password("a long enough password")
    again = runner.invoke(
        args=["create-user", "lead@example.org", "--role", "host", "--password-stdin"],
        input="a long enough password\n",
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_user_refuses_short_password(runner):
    result = runner.invoke(
        args=["create-user", "x@example.org", "--role", "host", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0 and "at least 10 characters" in result.output


def test_login_wrong_password_then_right_and_logout(client, staff):
    user = staff.create("steering")
    page = client.get("/login")
    wrong = client.post(
        "/login",
        data={
            "email": user.email,
            "password": "nope nope nope",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert wrong.status_code == 401 and "E-mail or password is not right." in wrong.text
    right = client.post(
        "/login?next=/c/x/",
        data={"email": user.email, "password": staff.PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert right.status_code == 302 and right.headers["Location"] == "/c/x/"
    home = client.get("/")
    assert "Sign out" in home.text
    out = client.post("/logout", data={"csrf_token": csrf_from(home.text)}, follow_redirects=True)
    assert "Signed out." in out.text and "Staff sign in" in out.text


def test_login_never_redirects_off_site(client, staff):
    user = staff.create("support")
    page = client.get("/login")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": user.email, "password": staff.PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.headers["Location"] == "/moderation/"


def _audit(action: str):
    from consult.security.models import AuditEntry

    db.session.rollback()  # read what the commands committed
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_set_role_applies_at_the_next_request_and_is_audited(runner, client, staff):
    user = staff.login("host")
    assert client.get("/moderation/").status_code == 403
    result = runner.invoke(args=["user", "set-role", user.email, "support"])
    assert result.exit_code == 0, result.output
    assert "role changed from host to support" in result.output
    assert client.get("/moderation/").status_code == 200  # the same session, the new role
    [entry] = _audit("accounts.set_role")
    assert entry.target == user.email and entry.channel == "cli"
    assert entry.details == {"from": "host", "to": "support"}
    assert entry.actor.startswith("command line (")
    again = runner.invoke(args=["user", "set-role", user.email.upper(), "support"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert len(_audit("accounts.set_role")) == 1  # no change, no entry


def test_set_role_refuses_an_unknown_account_or_role_and_changes_nothing(runner, staff):
    user = staff.create("host")
    unknown = runner.invoke(args=["user", "set-role", "nobody@test.example", "admin"])
    assert unknown.exit_code == 1
    assert "there is no account for nobody@test.example" in unknown.output
    bad_role = runner.invoke(args=["user", "set-role", user.email, "owner"])
    assert bad_role.exit_code == 2
    assert "'owner' is not one of 'admin', 'support', 'host', 'steering'" in bad_role.output
    for command in ("disable", "enable"):
        refused = runner.invoke(args=["user", command, "nobody@test.example"])
        assert refused.exit_code == 1 and "there is no account" in refused.output
    db.session.rollback()
    assert db.session.get(User, user.id).role == Role.HOST
    from consult.security.models import AuditEntry

    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action.like("accounts.%"))) is None


def test_a_failed_audit_entry_leaves_the_role_unchanged(runner, staff, monkeypatch):
    """The change and its entry are one transaction: no entry, no change."""
    from consult.security import audit

    user = staff.create("host")

    def broken(action, **fields):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "entry", broken)
    result = runner.invoke(args=["user", "set-role", user.email, "admin"])
    assert result.exit_code != 0
    db.session.rollback()
    assert db.session.get(User, user.id).role == Role.HOST


def _sign_in(browser, email: str):
    page = browser.get("/login")
    data = {"email": email, "password": Staff.PASSWORD, "csrf_token": csrf_from(page.text)}
    return browser.post("/login", data=data)


def test_disable_ends_sessions_and_refuses_sign_in_until_enabled(app, runner, staff):
    user = staff.create("support")
    # Two browsers signed in as the account; each request starts with an empty ``g``, as on a
    # server, so the account is loaded from the session every time.
    first, second = FreshClient(app.test_client()), FreshClient(app.test_client())
    for browser in (first, second):
        assert _sign_in(browser, user.email).status_code == 302
        assert browser.get("/moderation/").status_code == 200

    result = runner.invoke(args=["user", "disable", user.email])
    assert result.exit_code == 0, result.output
    assert "is disabled" in result.output
    for browser in (first, second):  # both sessions end at their next request
        assert browser.get("/moderation/").status_code == 302
        assert "Sign out" not in browser.get("/").text
    refused = _sign_in(second, user.email)
    assert refused.status_code == 401 and "E-mail or password is not right." in refused.text

    assert runner.invoke(args=["user", "enable", user.email]).exit_code == 0
    # The old session stays ended; signing in again works.
    assert first.get("/moderation/").status_code == 302
    assert _sign_in(second, user.email).status_code == 302
    assert second.get("/moderation/").status_code == 200

    assert [e.details for e in _audit("accounts.disable")] == [{"role": "support"}]
    assert [e.target for e in _audit("accounts.enable")] == [user.email]
    twice = runner.invoke(args=["user", "enable", user.email])
    assert twice.exit_code == 0 and "already enabled: nothing changed" in twice.output
    assert len(_audit("accounts.enable")) == 1


def test_sessions_from_before_session_versions_stay_signed_in_until_disabled(runner, staff):
    """A session cookie written before the upgrade holds a bare user id: it is version 0."""
    from consult.accounts.services import session_user

    user = staff.create("support")
    assert user.session_version == 0 and session_user(str(user.id)) == user
    assert session_user(f"{user.id}:0") == user and session_user(f"{user.id}:x") is None
    assert runner.invoke(args=["user", "disable", user.email]).exit_code == 0
    db.session.refresh(user)
    assert session_user(str(user.id)) is None
