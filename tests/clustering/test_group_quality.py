"""Held-out vote prediction: the scoring itself, and our groups vs Pol.is' on real votes."""

from __future__ import annotations

import numpy as np

from clustering.evaluation import HeldOut, hide_votes, lift, log_loss
from clustering.opinion_groups import analyze
from clustering.polis_export import read_export
from clustering.votes import VoteMatrix


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
    held = hide_votes(votes, 0.1, random_state=0)
    ours = analyze(held.visible, random_state=0)
    cold = analyze(held.visible, random_state=0, method="polis")
    labels = np.asarray(ours.participants.group)
    lift_ours, lift_polis = lift(held, labels), lift(held, polis)
    assert lift_ours > lift_polis > lift(held, np.asarray(cold.participants.group)) > 0
    assert ours.counts["n_groups"] <= 5
    assert ((labels >= 0) & (polis >= 0)).sum() >= 0.9 * (polis >= 0).sum()
