"""Held-out vote prediction: the scoring itself, and our groups vs Pol.is' on real votes.

The real-vote tests use the same scoring as ``benchmarks/group_quality.py``
(``clustering.evaluation.held_out_runs`` and ``group_quality``).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from clustering.evaluation import (
    HeldOut,
    group_quality,
    held_out_runs,
    hide_votes,
    lift,
    log_loss,
)
from clustering.opinion_groups import analyze
from clustering.polis_export import read_export
from clustering.votes import VoteMatrix

CONVERSATIONS = [
    "american-assembly.bowling-green",
    "austria-climate.5twd2jsnkf.2022-08-08",
    "london.youth.policing",
    "scoop-hivemind.ubi",
    "vtaiwan.uberx",
]
# The benchmark's default seeds: one seed is noisy (London has ~64 hidden votes per seed) and the
# per-seed ratio of summed lifts ranges from about 0.85 to 1.6; the target is on the mean.
SEEDS = list(range(10))


def test_log_loss_by_hand():
    # statement 0: participants 0,1 agree, 2,3 disagree; hide participant 0's vote on statement 1
    votes = VoteMatrix.from_votes([0, 1, 2, 3, 0, 1], [0, 0, 0, 0, 1, 1], [1, 1, -1, -1, 1, 1])
    held = hide_votes(votes, fraction=0.0)
    assert held.visible.n_votes == 6 and len(held.values) == 0
    hide = (votes.rows() == 0) & (votes.indices == 1)
    held = HeldOut(votes.without_votes(hide), np.array([0]), np.array([1]), np.array([1], np.int8))
    # no groups: statement 1 has one visible agree -> p(agree) = (1+1)/(1+3)
    assert np.isclose(log_loss(held, None), -np.log(2 / 4))
    # groups {0,1} and {2,3}: the group saw one agree as well -> same probability, lift 0
    assert np.isclose(lift(held, np.array([0, 0, 1, 1])), 0.0)
    # group {0} alone never saw statement 1 -> uniform 1/3, worse than no groups
    assert lift(held, np.array([0, 1, 1, 1])) < 0


def test_hiding_is_seeded():
    votes = VoteMatrix.from_votes(
        np.repeat(np.arange(50), 4), np.tile(np.arange(4), 50), np.ones(200, dtype=int)
    )
    a, b = hide_votes(votes, 0.1, random_state=3), hide_votes(votes, 0.1, random_state=3)
    assert len(a.values) == 20 and np.array_equal(a.rows, b.rows)
    assert a.visible.n_votes == 180


def test_our_groups_predict_hidden_votes_better_than_polis_on_vtaiwan(polis_datasets):
    export = read_export(polis_datasets / "vtaiwan.uberx")
    votes = export.vote_matrix()
    polis = export.group_labels(votes.participant_ids)
    (run,) = held_out_runs(votes, polis, [0])
    cold = analyze(run.held.visible, random_state=0, method="polis")
    lift_cold = lift(run.held, np.asarray(cold.participants.group))
    assert run.lift_ours > run.lift_reference > lift_cold > 0
    assert run.n_groups <= 5
    assert run.clustered_both >= 0.9 * run.clustered_reference


def test_group_quality_figures_sum_over_conversations():
    votes = VoteMatrix.from_votes(
        np.repeat(np.arange(40), 6), np.tile(np.arange(6), 40), np.tile([1, -1, 1, 0, -1, 1], 40)
    )
    halves = np.repeat([0, 1], 20)
    runs = held_out_runs(votes, halves, [0, 1])
    quality = group_quality([runs, runs])
    assert quality.lift_reference == pytest.approx(2 * np.mean([r.lift_reference for r in runs]))
    assert quality.lift_ours == pytest.approx(2 * np.mean([r.lift_ours for r in runs]))
    assert quality.coverage == pytest.approx(np.mean([r.clustered_both for r in runs]) / 40)
    with pytest.raises(ValueError, match="same seeds"):
        group_quality([runs, runs[:1]])


@pytest.mark.slow
def test_issue_target_on_all_five_conversations(polis_datasets):
    """Issue 3: summed lift >= Pol.is', <= 5 groups, >= 90 % of Pol.is' clustered ones clustered."""
    found = sorted(p.name for p in polis_datasets.iterdir() if (p / "comments.csv").is_file())
    assert set(CONVERSATIONS) <= set(found), found
    start = time.perf_counter()
    conversations = []
    for name in CONVERSATIONS:
        export = read_export(polis_datasets / name)
        votes = export.vote_matrix()
        conversations.append(
            held_out_runs(votes, export.group_labels(votes.participant_ids), SEEDS)
        )
    quality = group_quality(conversations)
    elapsed = time.perf_counter() - start
    summary = (
        f"ours {quality.lift_ours:.4f} vs Pol.is {quality.lift_reference:.4f} nats/vote, "
        f"max {quality.max_groups} groups, coverage {quality.coverage:.3f} ({elapsed:.0f} s)"
    )
    assert quality.lift_ours >= quality.lift_reference > 0, summary
    assert quality.max_groups <= 5, summary
    assert quality.coverage >= 0.9, summary
