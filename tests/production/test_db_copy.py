"""``consult db copy --to URL``: every table copied and counted, sequences reset, refusals."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from consult.accounts.services import create_user
from consult.analysis.services import recompute
from consult.database import write_transaction
from consult.extensions import db
from consult.jobs.models import Job, JobState
from consult.participation import services as participation
from consult.participation.models import Participant, VoteValue

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; its URL as a user would type it."""
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set: the copy target needs PostgreSQL")
    base = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    name = f"consult_copy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL unusable: {exc}")
    yield base.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pilot(make_phase) -> None:
    """A small pilot: votes (one replaced), a statement, a staff user, a snapshot, two jobs."""
    phase = make_phase(4, strict=False)
    voters = [participation.create_participant()[0] for _ in range(6)]
    for i, voter in enumerate(voters):
        for j, statement in enumerate(phase.statements):
            value = VoteValue.AGREE if (i + j) % 3 else VoteValue.DISAGREE
            participation.record_vote(phase, voter, statement.id, value)
    participation.record_vote(phase, voters[0], phase.statements[0].id, VoteValue.PASS)
    participation.add_statement(phase, voters[1], "Publish the minutes of every meeting online.")
    create_user("support@pilot.example", "a long enough password", "support", "Sam")
    recompute(phase)
    with write_transaction(db.session) as session:
        session.add(Job(kind="analysis.recompute", key="phase:1", state=JobState.DONE))
        session.add(Job(kind="analysis.recompute", key="phase:2", result={"changed": False}))


def _dump(engine, tables) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in tables
        }


def test_copy_moves_every_row_checks_counts_and_resets_sequences(
    app, runner, make_phase, empty_postgres
):
    _pilot(make_phase)
    db.session.commit()
    result = runner.invoke(args=["db", "copy", "--to", empty_postgres])
    assert result.exit_code == 0, result.output
    assert "counts match on both sides" in result.output
    assert "vote_history" in result.output and "25 rows (source 25)" in result.output

    tables = db.metadata.sorted_tables
    target = create_engine(make_url(empty_postgres).set(drivername="postgresql+psycopg"))
    try:
        assert _dump(target, tables) == _dump(db.engine, tables)  # row for row, value for value
        with target.begin() as conn:
            highest = conn.scalar(select(func.max(Participant.id)))
            insert_one = "INSERT INTO participants (token_hash, created_at) VALUES (:h, now())"
            new_id = conn.execute(text(insert_one + " RETURNING id"), {"h": "n" * 64}).scalar()
            assert new_id == highest + 1  # the sequence was moved past the copied ids
            # A job without result stays SQL NULL (not JSON null) in the target.
            assert conn.scalar(text("SELECT count(*) FROM jobs WHERE result IS NULL")) == 1
    finally:
        target.dispose()


def test_copy_refuses_a_target_that_has_rows(app, runner, make_phase, empty_postgres):
    _pilot(make_phase)
    db.session.commit()
    assert runner.invoke(args=["db", "copy", "--to", empty_postgres]).exit_code == 0
    again = runner.invoke(args=["db", "copy", "--to", empty_postgres])
    assert again.exit_code == 1
    assert "the target database is not empty (rows in" in again.output
    target = create_engine(make_url(empty_postgres).set(drivername="postgresql+psycopg"))
    with target.connect() as conn:  # nothing was added the second time
        assert conn.scalar(text("SELECT count(*) FROM participants")) == 6
    target.dispose()


def test_copy_refuses_itself_and_says_when_the_target_is_unreachable(app, runner):
    itself = runner.invoke(args=["db", "copy", "--to", app.config["SQLALCHEMY_DATABASE_URI"]])
    assert itself.exit_code == 1 and "the configured database itself" in itself.output
    closed = runner.invoke(args=["db", "copy", "--to", "postgresql://consult@127.0.0.1:9/none"])
    assert closed.exit_code == 1 and "cannot reach the database" in closed.output
    garbage = runner.invoke(args=["db", "copy", "--to", "not a url"])
    assert garbage.exit_code == 1 and "not a database URL" in garbage.output


def test_a_row_the_target_refuses_stops_the_copy_with_nothing_written(
    app, runner, make_phase, empty_postgres
):
    """SQLite does not enforce column lengths; PostgreSQL does. The copy names the table and
    rolls back, leaving the target empty."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL as a source enforces the same lengths as the target")
    make_phase(2)
    with write_transaction(db.session) as session:
        session.execute(
            text(
                "INSERT INTO consultations (slug, title, description, languages, created_at) "
                "VALUES (:slug, 'Too long', '', '[\"en\"]', '2026-01-01 00:00:00')"
            ),
            {"slug": "s" * 80},  # the column is VARCHAR(64)
        )
    result = runner.invoke(args=["db", "copy", "--to", empty_postgres])
    assert result.exit_code == 1
    assert "table consultations: the target refused a row" in result.output
    assert "nothing was committed" in result.output
    target = create_engine(make_url(empty_postgres).set(drivername="postgresql+psycopg"))
    with target.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM consultations")) == 0
        assert conn.scalar(text("SELECT count(*) FROM statements")) == 0
    target.dispose()
