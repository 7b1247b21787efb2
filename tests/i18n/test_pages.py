"""Every participant-facing page, in French and in Spanish, shows no English interface string.

Pages are rendered for real (home, consultation, phase with its statement card and form in each
state, results with and without an analysis, error pages, sign-in) and compared with the English
source of every catalogue entry. English is allowed only inside elements marked ``lang="en"``:
statements and titles written in English, shown as their authors wrote them.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from babel.messages.pofile import read_po
from sqlalchemy import insert

from consult.analysis.services import recompute
from consult.consultations.models import PhaseState
from consult.consultations.services import set_phase_state
from consult.database import write_transaction
from consult.extensions import db
from consult.i18n import COOKIE_NAME, TRANSLATIONS_DIR
from consult.participation.models import Participant, Vote
from tests.conftest import csrf_from

HTMX = {"HX-Request": "true"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|<[^>]+>")
ENGLISH_ELEMENT = re.compile(r'<(?!html\b)(\w+)\b[^>]*\slang="en"[^>]*>.*?</\1>', re.S)


def _english_fragments(code: str) -> list[str]:
    """Pieces of English interface text (two words or more) that the catalogue translates."""
    with open(TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    fragments = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:
                continue
            for piece in PLACEHOLDER.split(msgid):
                piece = piece.strip(" .,:;()“”—·")
                if len(piece.split()) >= 2 and len(piece) >= 8 and piece not in "".join(strings):
                    fragments.add(piece)
    return sorted(fragments)


def _visible_text(page: str) -> str:
    """What a reader sees or hears: text and labels, minus content marked as English."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = ENGLISH_ELEMENT.sub(" ", page)
    labels = " ".join(re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', page))
    text = re.sub(r"<[^>]+>", " ", page) + " " + labels
    return re.sub(r"\s+", " ", html.unescape(text))


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
    fragments = _english_fragments(code)
    assert len(fragments) > 100  # the check has teeth
    everything = ""
    leftovers = {}
    for name, page in pages:
        if "<html" in page:
            assert f'<html lang="{code}">' in page, name
        text = _visible_text(page)
        everything += text
        found = [f for f in fragments if re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text)]
        if found:
            leftovers[name] = found
    assert not leftovers, f"English left on {code} pages: {leftovers}"
    for phrase in expected:
        assert phrase in everything
