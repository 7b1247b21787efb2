"""Recomputing a phase's analysis: snapshots, no-change detection, warm start, pages, routing."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, insert, select

from consult.analysis.jobs import KIND, enqueue_recompute, job_key
from consult.analysis.models import AnalysisSnapshot
from consult.analysis.services import latest_snapshot, load_result, recompute
from consult.database import write_transaction
from consult.extensions import db
from consult.jobs.models import JobState
from consult.jobs.services import latest_job
from consult.participation import services as participation
from consult.participation.models import Participant, Vote
from consult.participation.routing import phase_priorities


def _planted_votes(phase, n_per_group=30, seed=1):
    """Two planted groups that agree on opposite halves of the statements."""
    rng = np.random.default_rng(seed)
    statements = [s.id for s in phase.statements]
    half = len(statements) // 2
    rows, participants = [], []
    with write_transaction(db.session) as session:
        ids = session.scalars(
            insert(Participant).returning(Participant.id, sort_by_parameter_order=True),
            [{"token_hash": f"{seed}-{i}".ljust(64, "x")} for i in range(2 * n_per_group)],
        ).all()
        for k, pid in enumerate(ids):
            group = k % 2
            participants.append((pid, group))
            for j, sid in enumerate(statements):
                likes = (j < half) == (group == 0)
                value = 1 if rng.random() < (0.9 if likes else 0.1) else -1
                rows.append({"participant_id": pid, "statement_id": sid, "value": value})
        session.execute(insert(Vote), rows)
    return participants


def test_recompute_stores_snapshot_and_skips_unchanged(make_phase):
    phase = make_phase(10)
    planted = _planted_votes(phase)
    first = recompute(phase)
    assert first.changed and first.snapshot.summary["n_groups"] == 2
    result = load_result(first.snapshot)
    from collections import Counter

    found = {pid: result.participants.group_of(pid) for pid, _ in planted}
    majority = {
        g: Counter(found[p] for p, h in planted if h == g).most_common(1)[0][0] for g in (0, 1)
    }
    assert majority[0] != majority[1]
    recovered = sum(found[p] == majority[h] for p, h in planted) / len(planted)
    assert recovered >= 0.95  # 10 noisy votes each: a participant or two may look like the other
    again = recompute(phase)
    assert not again.changed and again.snapshot.id == first.snapshot.id
    assert db.session.scalar(select(func.count()).select_from(AnalysisSnapshot)) == 1


def test_group_ids_are_kept_when_votes_arrive(make_phase):
    phase = make_phase(10)
    planted = _planted_votes(phase)
    first = load_result(recompute(phase).snapshot)
    voter, _ = participation.create_participant()
    for statement in phase.statements[:6]:
        participation.record_vote(phase, voter, statement.id, participation.VoteValue.AGREE)
    second = load_result(recompute(phase).snapshot)
    for pid, _ in planted:
        assert first.participants.group_of(pid) == second.participants.group_of(pid)


def test_routing_uses_priorities_of_latest_snapshot(make_phase):
    phase = make_phase(6)
    _planted_votes(phase, n_per_group=10)
    assert phase_priorities(phase.id) is None
    snapshot = recompute(phase).snapshot
    priorities = phase_priorities(phase.id)
    assert set(priorities) == {s.id for s in phase.statements}
    assert priorities == {int(k): v for k, v in snapshot.priorities.items()}


def test_routing_sees_another_process_snapshot_within_its_recheck_time(make_phase, monkeypatch):
    from consult.participation import routing

    phase = make_phase(6)
    _planted_votes(phase, n_per_group=10)
    monkeypatch.setattr(routing, "RECHECK_SECONDS", 3600.0)  # however slow the recompute below
    assert phase_priorities(phase.id) is None  # no analysis yet: remembered a few seconds
    monkeypatch.setattr(routing, "forget", lambda phase_id: None)  # as if a worker computed it
    snapshot = recompute(phase).snapshot
    assert phase_priorities(phase.id) is None  # no query for it before RECHECK_SECONDS
    monkeypatch.setattr(routing, "RECHECK_SECONDS", 0.0)
    assert phase_priorities(phase.id) == {int(k): v for k, v in snapshot.priorities.items()}


def test_job_runs_recompute_and_results_page_shows_groups(client, make_phase):
    phase = make_phase(10)
    _planted_votes(phase)
    job_id = enqueue_recompute(phase.id)
    job = latest_job(KIND, job_key(phase.id))
    assert job.id == job_id and job.state == JobState.DONE and job.result["changed"]
    page = client.get(f"/c/{phase.consultation.slug}/phase/1/results")
    assert page.status_code == 200
    assert "Group A" in page.text and "Group B" in page.text
    assert "of everyone else" in page.text
    assert f"snapshot {latest_snapshot(phase.id).id}" in page.text


def test_failed_recompute_keeps_previous_snapshot_and_says_so(client, make_phase, monkeypatch):
    phase = make_phase(10)
    _planted_votes(phase)
    good = recompute(phase).snapshot
    voter, _ = participation.create_participant()
    participation.record_vote(phase, voter, phase.statements[0].id, participation.VoteValue.PASS)

    def broken(*args, **kwargs):
        raise MemoryError("out of memory while clustering")

    monkeypatch.setattr("consult.analysis.services.analyze", broken)
    enqueue_recompute(phase.id)
    assert latest_job(KIND, job_key(phase.id)).state == JobState.FAILED
    assert latest_snapshot(phase.id).id == good.id
    page = client.get(f"/c/{phase.consultation.slug}/phase/1/results")
    assert "The latest update of this analysis failed" in page.text
    assert "out of memory while clustering" in page.text
    assert "Group A" in page.text
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 601


def test_results_page_before_any_vote(client, make_phase):
    phase = make_phase(2)
    page = client.get(f"/c/{phase.consultation.slug}/phase/1/results")
    assert page.status_code == 200 and "There is no analysis of this phase yet" in page.text


def test_analyze_command(runner, make_phase):
    phase = make_phase(10)
    _planted_votes(phase)
    result = runner.invoke(args=["analyze", phase.consultation.slug, "1"])
    assert result.exit_code == 0, result.output
    assert "60 participants (60 in 2 opinion groups), 10 statements, 600 votes" in result.output
    again = runner.invoke(args=["analyze", phase.consultation.slug])
    assert "votes unchanged" in again.output
    missing = runner.invoke(args=["analyze", "nope", "1"])
    assert missing.exit_code != 0 and "no phase 1" in missing.output


def test_votes_ask_for_one_debounced_recompute_off_the_request(app, make_phase, monkeypatch):
    import time

    from consult.analysis import jobs
    from consult.jobs.models import Job

    monkeypatch.setattr(jobs, "DEBOUNCE_SECONDS", 0.5)
    app.config["CONSULT_AUTO_RECOMPUTE"] = True
    phase = make_phase(4)
    voters = [participation.create_participant()[0] for _ in range(3)]

    def recompute_jobs() -> int:
        db.session.rollback()
        return db.session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.kind == KIND, Job.key == job_key(phase.id))
        )

    for voter in voters:  # a burst: the first vote asks at once, the rest join the next window
        for statement in phase.statements:
            participation.record_vote(phase, voter, statement.id, participation.VoteValue.AGREE)
    deadline = time.monotonic() + 10
    while recompute_jobs() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.7)  # nothing more is queued once the burst is over
    assert recompute_jobs() == 2
    assert latest_snapshot(phase.id).summary["n_votes"] == 12  # the last votes were analysed
