"""Every participant-facing page, in French and in Spanish, shows no English interface string.

Pages are rendered for real (home, consultation, phase with its statement card and form in each
state, results with and without an analysis, error pages, sign-in) and compared with the English
source of every catalogue entry. English is allowed only inside elements marked ``lang="en"``:
statements and titles written in English, shown as their authors wrote them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select

from consult.analysis.services import recompute
from consult.consultations.models import PhaseState
from consult.consultations.services import set_phase_state
from consult.database import write_transaction
from consult.extensions import db
from consult.i18n import COOKIE_NAME
from consult.participation.models import Moderation, Participant, Vote
from tests.conftest import csrf_from
from tests.i18n.helpers import (
    english_fragments,
    found_in,
    report_user_text,
    theme_labels,
    visible_text,
    without,
)

HTMX = {"HX-Request": "true"}


def _planted_votes(phase, n=40, seed=3):
    rng = np.random.default_rng(seed)
    ids = [s.id for s in phase.statements]
    with write_transaction(db.session) as session:
        people = session.scalars(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            [{"token_hash": f"walk-{seed}-{i}".ljust(64, "x")} for i in range(n)],
        ).all()
        rows = []
        for k, pid in enumerate(people):
            for j, sid in enumerate(ids):
                likes = (j % 2 == 0) == (k % 2 == 0)
                value = int(rng.choice([1, -1, 0], p=[0.8, 0.1, 0.1] if likes else [0.1, 0.8, 0.1]))
                rows.append({"participant_id": pid, "statement_id": sid, "value": value})
        session.execute(insert(Vote), rows)


def _walk(client, staff, make_phase) -> list[tuple[str, str]]:
    """(name, html) of every participant-facing page and fragment, in the current language."""
    pages = []

    def get(name, url, **kwargs):
        response = client.get(url, **kwargs)
        pages.append((name, response.text))
        return response

    phase = make_phase(6, strict=True)
    slug = phase.consultation.slug
    base = f"/c/{slug}/phase/1"
    get("home", "/")
    get("consultation", f"/c/{slug}/")
    get("results, no analysis yet", f"{base}/results")
    page = get("phase, statement card", f"{base}/")
    token = csrf_from(page.text)
    first = phase.statements[0].id
    voted = client.post(
        f"{base}/vote",
        data={"statement_id": first, "vote": "agree"},
        headers=HTMX | {"X-CSRFToken": token},
    )
    pages.append(("card after a vote", voted.text))
    wrong = client.post(
        f"{base}/vote",
        data={"statement_id": first, "vote": "maybe"},
        headers=HTMX | {"X-CSRFToken": token},
    )
    pages.append(("card with a vote error", wrong.text))
    short = client.post(
        f"{base}/statements", data={"text": "Too short"}, headers=HTMX | {"X-CSRFToken": token}
    )
    assert short.status_code == 422
    pages.append(("form with an error", short.text))
    long = client.post(
        f"{base}/statements", data={"text": "x" * 300}, headers=HTMX | {"X-CSRFToken": token}
    )
    pages.append(("form, too long", long.text))
    added = client.post(
        f"{base}/statements",
        data={"text": "A fresh statement written during the walk."},
        headers=HTMX | {"X-CSRFToken": token},
    )
    pages.append(("form after a statement", added.text))
    again = client.post(
        f"{base}/statements",
        data={"text": "A fresh statement written during the walk."},
        headers=HTMX | {"X-CSRFToken": token},
    )
    pages.append(("form, duplicate", again.text))
    client.post(f"{base}/vote", data={"statement_id": first, "vote": "pass", "csrf_token": token})
    get("phase after a vote without htmx (flash)", f"{base}/")
    for statement in phase.statements[1:]:
        client.post(
            f"{base}/vote",
            data={"statement_id": statement.id, "vote": "disagree"},
            headers=HTMX | {"X-CSRFToken": token},
        )
    get("phase, every statement voted", f"{base}/")
    _planted_votes(phase)
    recompute(phase)
    get("results with an analysis", f"{base}/results")
    set_phase_state(phase, PhaseState.CLOSED)
    get("closed phase", f"{base}/")
    closed_vote = client.post(
        f"{base}/vote",
        data={"statement_id": first, "vote": "agree"},
        headers=HTMX | {"X-CSRFToken": token},
    )
    pages.append(("vote on a closed phase", closed_vote.text))
    get("empty phase", f"/c/{make_phase(0).consultation.slug}/phase/1/")
    get("404 page", "/no/such/page")
    get("unknown consultation", "/c/no-such-consultation/")
    get("405 page", f"{base}/vote")
    no_token = client.post(f"{base}/vote", data={"statement_id": first, "vote": "agree"})
    pages.append(("form expired (CSRF)", no_token.text))
    login = get("sign-in page", "/login")
    failed = client.post(
        "/login",
        data={
            "email": "nobody@example.org",
            "password": "wrong",
            "csrf_token": csrf_from(login.text),
        },
    )
    pages.append(("sign-in refused", failed.text))
    empty = client.post(
        "/login", data={"email": "", "password": "", "csrf_token": csrf_from(login.text)}
    )
    pages.append(("sign-in, empty fields", empty.text))
    staff.login("host")
    pages.append(("moderation queue, forbidden to hosts", client.get("/moderation/").text))
    return pages


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr", ["Affirmation 1 sur 6", "D'accord", "Groupes d'opinion"]),
        ("es", ["Afirmación 1 de 6", "De acuerdo", "Grupos de opinión"]),
    ],
)
def test_participant_pages_have_no_english_left(client, staff, make_phase, code, expected):
    client.set_cookie(COOKIE_NAME, code)
    pages = _walk(client, staff, make_phase)
    fragments = english_fragments(code)
    assert len(fragments) > 100  # the check has teeth
    everything = ""
    leftovers = {}
    for name, page in pages:
        if "<html" in page:
            assert f'<html lang="{code}">' in page, name
        text = visible_text(page)
        everything += text
        found = found_in(text, fragments)
        if found:
            leftovers[name] = found
    assert not leftovers, f"English left on {code} pages: {leftovers}"
    for phrase in expected:
        assert phrase in everything


NOTES = Path(__file__).resolve().parents[1] / "data" / "notes"


def _walk_demo(client, embedder) -> tuple[list[tuple[str, str]], dict]:
    """(name, html) of the pages of community conversations, themes, the report and "my input",
    on the demo's phase 1 taken from open to published; and the published report document."""
    from consult.moderation.services import decide
    from consult.notes.models import CommunityConversation
    from consult.notes.services import import_notes_file
    from consult.reports import services as reports
    from consult.themes.services import forget_cached_vectors
    from tests.reports.helpers import prepare_demo, respond_to_all, staff_user

    forget_cached_vectors()
    pages = []
    base = "/c/demo/phase/1"

    def get(name, url):
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        pages.append((name, response.text))
        return response

    def take_part(phase):
        """This browser votes and writes; a youth session's notes come in, published."""
        accepted = [s for s in phase.statements if s.moderation == Moderation.ACCEPTED]
        token = csrf_from(client.get(f"{base}/").text)
        for statement, vote in zip(accepted[:3], ("agree", "disagree", "pass"), strict=True):
            client.post(
                f"{base}/vote",
                data={"statement_id": statement.id, "vote": vote},
                headers=HTMX | {"X-CSRFToken": token},
            )
        client.post(
            f"{base}/statements",
            data={"text": "Un texte écrit pendant la visite, en attente de modération."},
            headers=HTMX | {"X-CSRFToken": token},
        )
        result = import_notes_file(
            phase,
            "youth-session-votes.csv",
            (NOTES / "youth-session-votes.csv").read_bytes(),
            host_organisation="Red Juvenil Costera",
            held_on="2026-03-02",
            title="Sesión juvenil, costa",
            region="Costa",
            participant_count=38,
            groups="youth, students",
            consent_to_publish=True,
            open_for_voting=False,
        )
        decide([s.id for s, _ in result.created], Moderation.ACCEPTED, staff_user("support", "Mo"))

    phase = prepare_demo(embedder, before_analysis=take_part)
    get("my input, phase open", "/my-input")
    get("results with themes", f"{base}/results")
    token = csrf_from(client.get(f"{base}/").text)
    typed = [s for s in phase.statements if s.moderation == Moderation.ACCEPTED][5].text
    hints = client.post(
        f"{base}/statements/similar",
        data={"text": typed},
        headers=HTMX | {"X-CSRFToken": token},
    )
    assert 'class="hint-vote"' in hints.text
    pages.append(("duplicate hints", hints.text))
    hinted = int(re.search(r'id="hint-(\d+)"', hints.text).group(1))
    voted = client.post(
        f"{base}/statements/{hinted}/hint-vote",
        data={"vote": "agree"},
        headers=HTMX | {"X-CSRFToken": token},
    )
    pages.append(("vote from a hint", voted.text))
    wrong = client.post(
        f"{base}/statements/{hinted}/hint-vote",
        data={"vote": "maybe"},
        headers=HTMX | {"X-CSRFToken": token},
    )
    pages.append(("vote from a hint, refused", wrong.text))

    support = staff_user("support", "Sam Support")
    respond_to_all(phase, support)
    reports.close_phase(phase, support)
    reports.sign_off(phase, staff_user("steering", "Ana Pérez"))
    reports.publish(phase, support)
    conversation = db.session.scalars(select(CommunityConversation)).one()
    get("community conversations", f"{base}/conversations/")
    get("a community conversation", f"{base}/conversations/{conversation.id}")
    get("published report", f"{base}/report")
    get("my input, report published", "/my-input")
    get("results after the report", f"{base}/results")
    document = reports.load_document(reports.latest_published(phase.id))
    return pages, document


@pytest.mark.model
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "fr",
            [
                "Votre point figure-t-il déjà ici",
                "Conversations communautaires",
                "Notes brutes",
                "Rapport de la phase 1",
                "Ce que sont devenues mes contributions",
                "Thèmes",
            ],
        ),
        (
            "es",
            [
                "¿Ya está aquí su idea?",
                "Conversaciones comunitarias",
                "Notas sin editar",
                "Informe de la fase 1",
                "Qué pasó con mis aportaciones",
                "Temas",
            ],
        ),
    ],
)
def test_conversation_theme_and_report_pages_have_no_english_left(client, embedder, code, expected):
    client.set_cookie(COOKIE_NAME, code)
    pages, document = _walk_demo(client, embedder)
    fragments = english_fragments(code)
    # Reports show people's words without marking their language: leave them out there. Theme
    # labels (keywords from the statements) show on the results page too.
    people_wrote, labels = report_user_text(document), theme_labels(document)
    everything = ""
    leftovers = {}
    for name, page in pages:
        if "<html" in page:
            assert f'<html lang="{code}">' in page, name
        text = without(visible_text(page), people_wrote if "report" in name else labels)
        everything += text
        found = found_in(text, fragments)
        if found:
            leftovers[name] = found
    assert not leftovers, f"English left on {code} pages: {leftovers}"
    for phrase in expected:
        assert phrase in everything
