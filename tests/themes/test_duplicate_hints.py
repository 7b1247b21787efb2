"""The duplicate hint while typing a statement, and near-duplicate pairs in the moderation queue."""

from __future__ import annotations

import pytest

from consult.database import write_transaction
from consult.extensions import db
from consult.participation.models import Moderation, Origin, Statement, Vote
from consult.themes import services
from consult.themes.jobs import enqueue_refresh
from tests.conftest import csrf_from
from tests.themes.data import PROCUREMENT, YOUTH

pytestmark = pytest.mark.model
HTMX = {"HX-Request": "true"}
PARAPHRASE = "Every contract the government signs should be put online, with its amendments."


class CountingEmbedder:
    def __init__(self, inner):
        self.inner, self.name, self.dimension, self.calls = inner, inner.name, inner.dimension, []

    def embed(self, texts):
        self.calls.append(list(texts))
        return self.inner.embed(texts)


def test_hint_shows_a_paraphrase_and_not_an_unrelated_statement(themed, client, embedder):
    enqueue_refresh(themed.consultation.id)  # embeds the statements into the cache
    token = csrf_from(client.get("/c/themed/phase/1/").text)
    page = client.get("/c/themed/phase/1/")
    assert 'hx-post="/c/themed/phase/1/statements/similar"' in page.text

    response = client.post(
        "/c/themed/phase/1/statements/similar",
        data={"text": PARAPHRASE, "csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Is your point already here? Vote on it instead" in response.text
    assert PROCUREMENT[0] in response.text
    assert YOUTH[0] not in response.text and YOUTH[3] not in response.text
    assert response.text.count('class="hint-vote"') <= 3

    unrelated = client.post(
        "/c/themed/phase/1/statements/similar",
        data={
            "text": "Rural libraries need longer opening hours at weekends.",
            "csrf_token": token,
        },
        headers=HTMX,
    )
    assert unrelated.status_code == 200 and "Is your point already here" not in unrelated.text
    short = client.post(
        "/c/themed/phase/1/statements/similar", data={"text": "contracts", "csrf_token": token}
    )
    assert "Is your point already here" not in short.text


def test_the_typed_text_is_the_only_model_call(themed, app, embedder):
    enqueue_refresh(themed.consultation.id)
    counting = CountingEmbedder(embedder)
    with app.test_request_context():
        first = services.similar_in_phase(themed.phase1, PARAPHRASE, embedder=counting)
        second = services.similar_in_phase(themed.phase1, YOUTH[0] + " Soon.", embedder=counting)
    assert counting.calls == [[PARAPHRASE], [YOUTH[0] + " Soon."]]
    assert first[0].statement.text == PROCUREMENT[0] and first[0].similarity >= 0.5
    assert second[0].statement.text == YOUTH[0]


def test_one_tap_on_a_hint_records_the_vote(themed, client):
    enqueue_refresh(themed.consultation.id)
    token = csrf_from(client.get("/c/themed/phase/1/").text)
    target = themed.id_of(PROCUREMENT[0])
    response = client.post(
        f"/c/themed/phase/1/statements/{target}/hint-vote",
        data={"vote": "agree", "csrf_token": token},
        headers=HTMX,
    )
    assert response.status_code == 200 and "Your vote “Agree” was recorded." in response.text
    votes = db.session.scalars(db.select(Vote).where(Vote.statement_id == target)).all()
    assert [v.value for v in votes] == [1]
    again = client.post(
        "/c/themed/phase/1/statements/similar",
        data={"text": PARAPHRASE, "csrf_token": token},
        headers=HTMX,
    )
    assert "You voted “Agree” on this one." in again.text


def test_moderators_see_near_duplicate_pairs(themed, client, staff):
    with write_transaction(db.session) as session:
        pending = Statement(
            phase_id=themed.phase1.id,
            text=PARAPHRASE,
            language="en",
            origin=Origin.ONLINE,
            moderation=Moderation.PENDING,
        )
        other = Statement(
            phase_id=themed.phase1.id,
            text="Rural libraries need longer opening hours at weekends.",
            language="en",
            origin=Origin.ONLINE,
            moderation=Moderation.PENDING,
        )
        session.add_all([pending, other])
    staff.login("support")
    before = client.get("/moderation/duplicates", headers=HTMX)
    assert "2 waiting statements not compared yet" in before.text
    enqueue_refresh(themed.consultation.id)  # embeds the new statements
    queue = client.get("/moderation/")
    assert 'hx-get="/moderation/duplicates' in queue.text
    found = client.get("/moderation/duplicates", headers=HTMX)
    assert found.status_code == 200 and "<html" not in found.text
    pairs = found.text.split('class="duplicate-pair"')[1:]
    assert len(pairs) == 1
    assert PARAPHRASE in pairs[0] and PROCUREMENT[0] in pairs[0]
    assert "Rural libraries" not in found.text
    standalone = client.get("/moderation/duplicates")
    assert "<html" in standalone.text and PARAPHRASE in standalone.text
