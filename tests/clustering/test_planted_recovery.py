"""Planted common ground and planted divides are what the maps report (precision ≥ 0.9).

A synthetic conversation (three opinion groups of 120, 90 and 60 participants, 40 statements,
80 % of votes cast) plants 7 consensus statements (5 agreed and 2 rejected by every group),
6 divisive ones (one camp of groups agrees, the other disagrees) and 27 others (one group leans,
the rest are split; or everyone is split). The full pipeline runs on the votes alone: opinion
groups are found by ``analyze``, not given.
"""

from __future__ import annotations

import numpy as np

from clustering.bridging import bridging_scores
from clustering.opinion_groups import analyze
from clustering.planted import planted_conversation
from clustering.uncertainty import group_agreement
from clustering.votes import VoteMatrix

SEEDS = (0, 1, 2)


def _run(seed: int):
    pc = planted_conversation(seed=seed)
    votes = VoteMatrix.from_votes(pc.participant_ids, pc.statement_ids, pc.values)
    result = analyze(votes, random_state=0)
    st = result.statements
    ga = group_agreement(st.ids, st.group_ids, st.group_agree, st.group_disagree, st.group_votes)
    return pc, votes, ga


def test_planted_consensus_and_divides_are_recovered_with_precision_of_at_least_0_9():
    hits = {"consensus": [0, 0, 0], "divided": [0, 0, 0]}  # true positives, reported, planted
    for seed in SEEDS:
        pc, _, ga = _run(seed)
        found = {
            "consensus": set(ga.consensus_ids("agree")) | set(ga.consensus_ids("disagree")),
            "divided": set(ga.divided_ids()),
        }
        truth = {
            "consensus": pc.ids_of("consensus_agree") | pc.ids_of("consensus_disagree"),
            "divided": pc.ids_of("divisive"),
        }
        for name in hits:
            hits[name][0] += len(found[name] & truth[name])
            hits[name][1] += len(found[name])
            hits[name][2] += len(truth[name])
        # the direction of a recovered consensus is the planted one
        assert set(ga.consensus_ids("agree")) & pc.ids_of("consensus_disagree") == set()
    for name, (tp, reported, planted) in hits.items():
        precision, recall = tp / reported, tp / planted
        print(f"{name}: precision {precision:.3f}, recall {recall:.3f} over seeds {SEEDS}")
        assert precision >= 0.9, name
        assert recall >= 0.8, name


def test_bridging_ranks_the_planted_agreed_statements_first():
    tp = total = 0
    for seed in SEEDS:
        pc, votes, _ = _run(seed)
        scores = bridging_scores(votes, random_state=0)
        agreed = pc.ids_of("consensus_agree")
        top = set(votes.statement_ids[np.argsort(-scores.intercept)[: len(agreed)]].tolist())
        tp += len(top & agreed)
        total += len(agreed)
        divisive = list(pc.ids_of("divisive"))
        assert max(scores.score_of(j) for j in divisive) < min(scores.score_of(j) for j in agreed)
    assert tp / total >= 0.9
