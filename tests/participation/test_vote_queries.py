"""What a vote costs the database: a few small queries (issue 8). Adding one fails these tests.

Counted: every statement the app sends to the database for one request (SELECT, INSERT, ...),
except the BEGIN that opens a SQLite transaction. The requests are served by an app whose
requests each run in a fresh app context, as in production (no participant or statement is left
in ``g`` or the session by the request before), with the abuse limits on.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from consult.extensions import db
from tests.conftest import _make_app, csrf_from

HTMX = {"HX-Request": "true"}

# The htmx vote: the phase (with its consultation), the participant, the vote (on SQLite the vote
# and its history row are two statements; PostgreSQL writes both with one), the statements shown
# with what the participant voted on (progress and candidates), and the next statement.
HTMX_VOTE = {"sqlite": 6, "postgresql": 5}
# The API vote: the vote alone (on SQLite, two statements in one transaction).
API_VOTE = {"sqlite": 2, "postgresql": 1}


@pytest.fixture
def counted(app, monkeypatch):
    """(app serving the same database, list of the SQL statements it sends)."""
    from consult.participation import routing

    # The look for a newer analysis snapshot runs once per RECHECK_SECONDS and process, not per
    # vote; keep it out of these counts (its cache is tested in tests/analysis).
    monkeypatch.setattr(routing, "RECHECK_SECONDS", 3600.0)
    served = _make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
    )
    with served.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield served, statements
    event.remove(engine, "before_cursor_execute", record)
    engine.dispose()


def test_htmx_vote_is_a_few_small_queries(app, counted, make_phase):
    served, statements = counted
    phase = make_phase(3)
    first, second, third = phase.statements
    client = served.test_client()
    url = f"/c/{phase.consultation.slug}/phase/{phase.position}/"
    csrf = csrf_from(client.get(url).text)  # the page also looks for a snapshot, cached since

    def vote(statement):
        statements.clear()
        answer = client.post(
            url + "vote",
            data={"statement_id": statement.id, "vote": "agree", "csrf_token": csrf},
            headers=HTMX,
        )
        assert answer.status_code == 200, answer.text
        return answer

    limit = HTMX_VOTE[db.engine.dialect.name]
    new_participant = vote(first)  # creates the participant instead of looking it up
    assert "Statement 2 of 3" in new_participant.text
    assert len(statements) <= limit, statements
    returning = vote(second)
    assert "Statement 3 of 3" in returning.text and third.text in returning.text
    assert len(statements) <= limit, statements


def test_api_vote_is_one_statement_on_postgresql(app, counted, make_phase):
    served, statements = counted
    phase = make_phase(2)
    client = served.test_client()
    token = client.post("/api/v1/participants", json={}).json["token"]
    statements.clear()
    answer = client.post(
        f"/api/v1/phases/{phase.id}/votes",
        json={"statement_id": phase.statements[0].id, "vote": "pass"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    assert len(statements) <= API_VOTE[db.engine.dialect.name], statements
