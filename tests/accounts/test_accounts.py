"""Staff accounts: the create-user command, signing in and out, and safe redirects."""

from __future__ import annotations

from consult.accounts.models import Role, User
from consult.extensions import db
from tests.conftest import csrf_from


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
