"""Every cookie Consult sets is HttpOnly and SameSite=Lax; with CONSULT_SECURE_COOKIES=1 each is
also Secure and every answer carries HSTS."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from

COOKIES = {"session", "remember_token", "consult_participant", "consult_lang"}


def _set_cookies(response) -> list[tuple[str, set[str]]]:
    """Each Set-Cookie header as (name, its attributes in lower case: "httponly", "secure"…)."""
    cookies = []
    for header in response.headers.getlist("Set-Cookie"):
        name, *attributes = header.split(";")
        cookies.append((name.split("=", 1)[0], {a.strip().lower() for a in attributes}))
    return cookies


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_cookies_are_httponly_samesite_and_secure_behind_https(
    another_app, make_phase, staff, monkeypatch, secure
):
    monkeypatch.setenv("CONSULT_SECURE_COOKIES", "1" if secure else "0")
    monkeypatch.delenv("CONSULT_HSTS", raising=False)
    phase = make_phase(1, strict=False)
    user = staff.create("support")
    client = another_app().test_client()  # built from the environment above
    answers = []

    def keep(response):
        answers.append(response)
        return response

    url = f"/c/{phase.consultation.slug}/phase/1/"
    csrf = csrf_from(keep(client.get(url)).text)  # the session cookie (CSRF token)
    keep(client.post(url + "statements", data={"text": "Open the budget", "csrf_token": csrf}))
    keep(client.get("/language/fr?next=/"))
    login = keep(client.get("/login"))
    data = {"email": user.email, "password": staff.PASSWORD, "csrf_token": csrf_from(login.text)}
    assert keep(client.post("/login", data=data)).status_code == 302
    # Sign-in offers no "remember me"; ask Flask-Login for the cookie as login_user(remember=True)
    # would, so that it is checked too should the option ever come.
    with client.session_transaction() as session:
        session["_remember"] = "set"
    keep(client.get("/"))

    cookies = [cookie for response in answers for cookie in _set_cookies(response)]
    assert {name for name, _ in cookies} == COOKIES
    for name, attributes in cookies:
        assert "httponly" in attributes, name
        assert "samesite=lax" in attributes, name
        assert ("secure" in attributes) == secure, name
    for response in answers:
        assert ("Strict-Transport-Security" in response.headers) == secure
    if secure:
        assert answers[0].headers["Strict-Transport-Security"].startswith("max-age=31536000")
