"""Consensus labels with the groups forced to k = 2…5."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clustering.opinion_groups import analyze
from clustering.planted import planted_conversation
from clustering.robustness import RobustnessResult, consensus_robustness
from clustering.votes import VoteMatrix


@pytest.fixture(scope="module")
def planted():
    pc = planted_conversation(seed=0)
    votes = VoteMatrix.from_votes(pc.participant_ids, pc.statement_ids, pc.values)
    return pc, votes, analyze(votes, random_state=0)


def test_planted_consensus_holds_at_every_k_and_nothing_else_does(planted):
    pc, votes, result = planted
    rb = consensus_robustness(votes, result)
    assert rb.ks == (2, 3, 4, 5)
    assert rb.n_groups == (2, 3, 4, 5)
    truth = pc.ids_of("consensus_agree") | pc.ids_of("consensus_disagree")
    holds = set(rb.statement_ids[rb.holds].tolist())
    assert holds and holds <= truth
    assert len(holds) >= len(truth) - 1
    for sid in holds:
        expected = "agree" if sid in pc.ids_of("consensus_agree") else "disagree"
        assert set(rb.labels_of(sid).values()) <= {expected, expected + "?"}
        assert rb.labels_of(sid)[2] == expected  # sure with two large groups


def test_a_label_that_appears_only_when_groups_are_merged_is_fragile():
    # Two large groups agree, a small third group disagrees. With k = 2 the small group is merged
    # into a large one and "every group agrees" appears; with 3 or more groups it does not.
    pc = planted_conversation((150, 120, 40), n_divisive=8, seed=0)
    votes = VoteMatrix.from_votes(pc.participant_ids, pc.statement_ids, pc.values)
    result = analyze(votes, random_state=0)
    assert len(result.groups) == 3
    rb = consensus_robustness(votes, result)
    outvoted = [
        j
        for j in pc.ids_of("divisive")
        if pc.stance[0, j, 0] > 0.5 and pc.stance[1, j, 0] > 0.5 and pc.stance[2, j, 1] > 0.5
    ]
    assert outvoted
    fragile = set(rb.statement_ids[rb.fragile].tolist())
    for sid in outvoted:
        assert rb.labels_of(sid)[2] == "agree" and rb.labels_of(sid)[3] == ""
        assert sid in fragile
    assert not set(rb.statement_ids[rb.holds].tolist()) & pc.ids_of("divisive")


def test_deterministic_round_trip_and_mismatched_inputs(planted):
    pc, votes, result = planted
    a = consensus_robustness(votes, result, ks=(2, 3))
    b = consensus_robustness(votes, result, ks=(2, 3))
    assert a.labels.tolist() == b.labels.tolist()
    again = RobustnessResult.from_dict(json.loads(json.dumps(a.to_dict())))
    assert again.holds.tolist() == a.holds.tolist() and again.ks == (2, 3)
    other = VoteMatrix.from_votes(
        pc.participant_ids[pc.participant_ids > 0],
        pc.statement_ids[pc.participant_ids > 0],
        pc.values[pc.participant_ids > 0],
    )
    with pytest.raises(ValueError, match="different participants"):
        consensus_robustness(other, result)
    with pytest.raises(ValueError, match="k must be"):
        consensus_robustness(votes, result, ks=(0,))


def test_a_k_that_forms_no_groups_is_left_out_of_holds():
    rb = RobustnessResult(
        statement_ids=np.array([1, 2]),
        ks=(2, 5),
        n_groups=(2, 1),
        group_sizes=((10, 8), (18,)),
        labels=np.array([["agree", ""], ["", "agree"]]),
        threshold=0.5,
        level=0.9,
    )
    assert rb.formed.tolist() == [True, False]
    assert rb.holds.tolist() == [True, False]
    assert rb.fragile.tolist() == [False, False]


def test_a_label_unsure_with_small_groups_still_holds_but_a_contradicted_one_does_not():
    rb = RobustnessResult(
        statement_ids=np.array([1, 2, 3]),
        ks=(2, 3),
        n_groups=(2, 3),
        group_sizes=((10, 8), (8, 6, 4)),
        labels=np.array([["agree", "agree", "disagree"], ["agree?", "", "agree?"]]),
        threshold=0.5,
        level=0.9,
    )
    assert rb.holds.tolist() == [True, False, False]
    assert rb.fragile.tolist() == [False, True, True]
