"""Choosing the interface language: browser preference, the switcher's cookie, the API, formats."""

from __future__ import annotations

from datetime import datetime

import pytest

from consult.i18n import (
    COOKIE_NAME,
    format_date_filter,
    format_datetime_filter,
    format_number_filter,
    format_percent_filter,
)


def test_accept_language_picks_among_en_fr_es_else_english(client, make_phase):
    make_phase(1)
    french = client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in french.text and "Donnez votre avis" in french.text
    assert french.headers["Content-Language"] == "fr"
    assert "Accept-Language" in french.headers["Vary"]
    spanish = client.get("/", headers={"Accept-Language": "es-419,es;q=0.8"})
    assert '<html lang="es">' in spanish.text and "Dé su opinión" in spanish.text
    german = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="en">' in german.text and "Have your say" in german.text
    assert '<html lang="en">' in client.get("/").text


def test_switcher_remembers_the_choice_over_the_browser_language(client, make_phase):
    phase = make_phase(1)
    page_url = f"/c/{phase.consultation.slug}/phase/1/"
    page = client.get(page_url, headers={"Accept-Language": "fr"})
    # Every page carries the switcher: plain links back to this page, no JavaScript needed.
    assert f'href="/language/es?next={page_url}"' in page.text
    switched = client.get(f"/language/es?next={page_url}")
    assert switched.status_code == 303 and switched.headers["Location"] == page_url
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None and cookie.value == "es" and cookie.http_only
    again = client.get(page_url, headers={"Accept-Language": "fr"})
    assert '<html lang="es">' in again.text and "De acuerdo" in again.text
    assert 'aria-current="true" lang="es"' in again.text
    client.get("/language/en?next=/")
    assert "Agree" in client.get(page_url, headers={"Accept-Language": "fr"}).text


def test_switcher_ignores_unknown_languages_and_foreign_redirects(client, make_phase):
    make_phase(1)
    unknown = client.get("/language/xx?next=/")
    assert unknown.status_code == 303 and client.get_cookie(COOKIE_NAME) is None
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.get("/language/fr", query_string={"next": target})
        assert response.headers["Location"] == "/", target


def test_api_errors_stay_english_whatever_the_browser_says(client, make_phase):
    phase = make_phase(1, state="closed")
    token = client.post("/api/v1/participants").json["token"]
    response = client.post(
        f"/api/v1/phases/{phase.id}/votes",
        json={"statement_id": phase.statements[0].id, "vote": "agree"},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "fr"},
    )
    assert response.status_code == 409
    assert "does not take votes or statements now" in response.json["error"]
    client.set_cookie(COOKIE_NAME, "es")
    missing = client.get("/api/v1/phases/99999", headers={"Accept-Language": "es"})
    assert missing.status_code == 404 and "no phase with id 99999" in missing.json["error"]


@pytest.mark.parametrize(
    ("language", "day", "moment", "number", "share"),
    [
        ("en", "March 5, 2026", "Mar 5, 2026, 14:30 UTC", "12,345", "42%"),
        ("fr", "5 mars 2026", "5 mars 2026, 14:30 UTC", "12\u202f345", "42\u00a0%"),
        ("es", "5 de marzo de 2026", "5 mar 2026, 14:30 UTC", "12.345", "42\u00a0%"),
    ],
)
def test_dates_and_numbers_follow_the_locale(app, language, day, moment, number, share):
    from flask_babel import force_locale

    when = datetime(2026, 3, 5, 14, 30)
    with app.test_request_context("/"), force_locale(language):
        assert format_date_filter(when) == day
        assert format_datetime_filter(when) == moment
        assert format_number_filter(12345) == number
        assert format_percent_filter(0.4213) == share
        # Older templates pass strftime formats: still localised month names.
        assert (
            format_date_filter(when, "%-d %B %Y").split()[1]
            in {
                "en": ["March"],
                "fr": ["mars"],
                "es": ["marzo"],
            }[language]
        )
