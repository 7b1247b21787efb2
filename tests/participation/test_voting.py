"""Votes: one row per participant and statement, history of every change, and the phase rules."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from consult.consultations.models import PhaseState
from consult.consultations.services import set_phase_state
from consult.errors import Conflict, NotFound
from consult.extensions import db
from consult.participation import services
from consult.participation.models import Moderation, Statement, Vote, VoteHistory, VoteValue


def _votes(participant_id: int) -> list[tuple[int, int]]:
    rows = db.session.execute(
        select(Vote.statement_id, Vote.value).where(Vote.participant_id == participant_id)
    )
    return sorted(tuple(r) for r in rows)


def test_new_vote_replaces_old_and_history_keeps_both(make_phase):
    phase = make_phase(2)
    participant, _ = services.create_participant()
    first = phase.statements[0]
    services.record_vote(phase, participant, first.id, VoteValue.AGREE)
    services.record_vote(phase, participant, first.id, VoteValue.DISAGREE)
    assert _votes(participant.id) == [(first.id, -1)]
    history = db.session.scalars(
        select(VoteHistory.value)
        .where(VoteHistory.participant_id == participant.id)
        .order_by(VoteHistory.id)
    ).all()
    assert history == [1, -1]


def test_votes_refused_when_phase_not_open(make_phase):
    phase = make_phase(1, state="closed")
    participant, _ = services.create_participant()
    with pytest.raises(Conflict, match="closed"):
        services.record_vote(phase, participant, phase.statements[0].id, VoteValue.AGREE)
    assert _votes(participant.id) == []


def test_vote_on_statement_of_another_phase_is_not_found(make_phase):
    phase, other = make_phase(1), make_phase(1)
    participant, _ = services.create_participant()
    with pytest.raises(NotFound):
        services.record_vote(phase, participant, other.statements[0].id, VoteValue.AGREE)


def test_pending_statement_is_votable_only_without_strict_moderation(make_phase):
    strict, relaxed = make_phase(0, strict=True), make_phase(0, strict=False)
    author, _ = services.create_participant()
    voter, _ = services.create_participant()
    pending_strict = services.add_statement(
        strict, author, "A pending statement in a strict phase."
    )
    pending_relaxed = services.add_statement(relaxed, author, "A pending statement, relaxed phase.")
    with pytest.raises(Conflict, match="not open for voting"):
        services.record_vote(strict, voter, pending_strict.id, VoteValue.AGREE)
    services.record_vote(relaxed, voter, pending_relaxed.id, VoteValue.AGREE)
    assert _votes(voter.id) == [(pending_relaxed.id, 1)]


def test_next_statement_least_voted_first_then_none(make_phase):
    phase = make_phase(3)
    s1, s2, s3 = phase.statements
    others = [services.create_participant()[0] for _ in range(2)]
    services.record_vote(phase, others[0], s1.id, VoteValue.AGREE)
    services.record_vote(phase, others[1], s1.id, VoteValue.AGREE)
    services.record_vote(phase, others[0], s2.id, VoteValue.PASS)
    me, _ = services.create_participant()
    seen = []
    while (statement := services.next_statement(phase, me)) is not None:
        seen.append(statement.id)
        services.record_vote(phase, me, statement.id, VoteValue.PASS)
    assert seen == [s3.id, s2.id, s1.id]
    assert services.progress(phase, me) == services.Progress(voted=3, total=3)


def test_next_statement_follows_priorities(make_phase):
    import random

    phase = make_phase(3)
    s1, s2, s3 = phase.statements
    priorities = {s1.id: 0.0, s2.id: 100.0, s3.id: 0.0}
    drawn = {
        services.next_statement(phase, None, priorities=priorities, rng=random.Random(i)).id
        for i in range(20)
    }
    assert drawn == {s2.id}


def test_strict_moderation_hides_pending_and_rejected(make_phase):
    phase = make_phase(1, strict=True)
    author, _ = services.create_participant()
    services.add_statement(phase, author, "Something the moderators have not seen yet.")
    voter, _ = services.create_participant()
    assert services.progress(phase, voter).total == 1
    phase.strict_moderation = False
    db.session.commit()
    assert services.progress(phase, voter).total == 2
    statement = db.session.scalar(select(Statement).where(Statement.author_id == author.id))
    statement.moderation = Moderation.REJECTED
    db.session.commit()
    assert services.progress(phase, voter).total == 1


def test_statement_length_rule(make_phase):
    phase = make_phase(0)
    author, _ = services.create_participant()
    with pytest.raises(services.InvalidInput, match="at least 10"):
        services.add_statement(phase, author, "Too short")
    with pytest.raises(services.InvalidInput, match="at most 280"):
        services.add_statement(phase, author, "x" * 281)
    statement = services.add_statement(phase, author, "  Exactly   fine\n statement text  ")
    assert statement.text == "Exactly fine statement text"
    assert statement.moderation == Moderation.PENDING
    with pytest.raises(Conflict, match="already in the conversation"):
        services.add_statement(phase, author, "Exactly fine statement text")


def test_fifty_identical_votes_in_parallel_store_one_row(app, make_phase):
    """A race of duplicate votes from many threads leaves exactly one row (UNIQUE + upsert)."""
    phase = make_phase(1)
    participant, _ = services.create_participant()
    statement_id = phase.statements[0].id
    phase_id = phase.id
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def cast() -> None:
        with app.app_context():
            try:
                from consult.consultations.services import get_phase_by_id
                from consult.participation.models import Participant

                local_phase = get_phase_by_id(phase_id)
                local_participant = db.session.get(Participant, participant.id)
                db.session.commit()  # hand the connection back to the pool before the race
                barrier.wait()
                services.record_vote(local_phase, local_participant, statement_id, VoteValue.AGREE)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=cast) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.rollback()  # end this thread's read snapshot, taken before the race
    count = db.session.scalar(
        select(func.count()).select_from(Vote).where(Vote.statement_id == statement_id)
    )
    assert count == 1
    history = db.session.scalar(
        select(func.count())
        .select_from(VoteHistory)
        .where(VoteHistory.statement_id == statement_id)
    )
    assert history == 50


def test_phase_state_machine(make_phase):
    phase = make_phase(0, state="draft")
    with pytest.raises(Conflict, match="cannot become published"):
        set_phase_state(phase, PhaseState.PUBLISHED)
    set_phase_state(phase, PhaseState.OPEN)
    assert phase.accepts_input()
    set_phase_state(phase, PhaseState.CLOSED)
    assert not phase.accepts_input()
