"""The phase page as a participant uses it: htmx voting, progress, adding a statement, escaping."""

from __future__ import annotations

from sqlalchemy import select

from consult.extensions import db
from consult.participation.models import Statement, Vote
from consult.participation.services import add_seed_statement
from tests.conftest import csrf_from

HTMX = {"HX-Request": "true"}


def _page(client, phase):
    return client.get(f"/c/{phase.consultation.slug}/phase/{phase.position}/")


def test_vote_with_htmx_swaps_in_next_statement_and_sets_cookie(client, make_phase):
    phase = make_phase(2)
    page = _page(client, phase)
    assert page.status_code == 200
    assert "Statement 1 of 2" in page.text
    first = phase.statements[0]
    assert first.text in page.text
    response = client.post(
        f"/c/{phase.consultation.slug}/phase/1/vote",
        data={"statement_id": first.id, "vote": "agree", "csrf_token": csrf_from(page.text)},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "<html" not in response.text  # a fragment, not a page
    assert "Your vote “Agree” was recorded." in response.text
    assert "Statement 2 of 2" in response.text
    assert phase.statements[1].text in response.text
    assert "consult_participant" in response.headers.get("Set-Cookie", "")
    assert db.session.scalars(select(Vote.value)).all() == [1]


def test_end_state_after_all_votes_and_reload_keeps_identity(client, make_phase):
    phase = make_phase(1)
    page = _page(client, phase)
    client.post(
        f"/c/{phase.consultation.slug}/phase/1/vote",
        data={
            "statement_id": phase.statements[0].id,
            "vote": "pass",
            "csrf_token": csrf_from(page.text),
        },
        headers=HTMX,
    )
    again = _page(client, phase)
    assert "You have voted on every statement" in again.text
    assert "all 1 statements" in again.text


def test_vote_without_javascript_redirects_back_with_message(client, make_phase):
    phase = make_phase(1)
    page = _page(client, phase)
    response = client.post(
        f"/c/{phase.consultation.slug}/phase/1/vote",
        data={
            "statement_id": phase.statements[0].id,
            "vote": "disagree",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Your vote “Disagree” was recorded." in response.text


def test_bad_vote_value_shows_an_error_and_stores_nothing(client, make_phase):
    phase = make_phase(1)
    page = _page(client, phase)
    response = client.post(
        f"/c/{phase.consultation.slug}/phase/1/vote",
        data={
            "statement_id": phase.statements[0].id,
            "vote": "maybe",
            "csrf_token": csrf_from(page.text),
        },
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "vote must be agree, disagree or pass" in response.text
    assert db.session.scalars(select(Vote)).all() == []


def test_forms_without_csrf_token_are_refused(client, make_phase):
    phase = make_phase(1)
    response = client.post(
        f"/c/{phase.consultation.slug}/phase/1/vote",
        data={"statement_id": phase.statements[0].id, "vote": "agree"},
    )
    assert response.status_code == 400
    assert "Form expired" in response.text
    assert db.session.scalars(select(Vote)).all() == []


def test_add_statement_errors_then_confirms(client, make_phase):
    phase = make_phase(0)
    page = _page(client, phase)
    token = csrf_from(page.text)
    url = f"/c/{phase.consultation.slug}/phase/1/statements"
    short = client.post(url, data={"text": "too short", "csrf_token": token}, headers=HTMX)
    assert short.status_code == 422
    assert "at least 10 characters (this one has 9)" in short.text
    assert 'aria-invalid="true"' in short.text
    assert "too short" in short.text  # what the participant typed is kept
    ok = client.post(
        url,
        data={"text": "Train procurement officers on open contracting.", "csrf_token": token},
        headers=HTMX,
    )
    assert ok.status_code == 200
    assert "once a moderator has accepted it" in ok.text
    assert db.session.scalars(select(Statement.text)).all() == [
        "Train procurement officers on open contracting."
    ]


def test_user_text_is_escaped(client, make_phase):
    phase = make_phase(0)
    add_seed_statement(phase, '<script>alert("x")</script> & <b>bold</b> claims')
    page = _page(client, phase)
    assert '<script>alert("x")</script>' not in page.text
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page.text
    )


def test_draft_phase_is_not_public_and_closed_phase_says_so(client, make_phase):
    draft = make_phase(1, state="draft")
    assert _page(client, draft).status_code == 404
    closed = make_phase(1, state="closed")
    page = _page(client, closed)
    assert page.status_code == 200
    assert "Voting is not open" in page.text
    assert "Add your own statement" not in page.text


def test_home_and_consultation_pages_list_public_phases(client, make_phase):
    phase = make_phase(1)
    home = client.get("/")
    assert phase.consultation.title in home.text
    assert "Open now: phase 1" in home.text
    page = client.get(f"/c/{phase.consultation.slug}/")
    assert "Take part" in page.text
    assert client.get("/c/no-such-consultation/").status_code == 404
