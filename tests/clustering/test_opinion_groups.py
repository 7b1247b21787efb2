"""The analyze() pipeline: planted groups, determinism, JSON round trip, warm start, stable ids."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from clustering.opinion_groups import AnalysisResult, OpinionGroups, analyze
from clustering.votes import VoteMatrix


def planted(n=600, m=60, groups=3, votes_per=25, seed=0, moderated=(), meta=()):
    """Participants in ``groups`` camps voting 90 % with their camp's stance on each statement."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, groups, n)
    stance = rng.choice([1, -1], size=(groups, m))
    stance[:, :5] = 1  # everybody agrees with statements 0-4
    pids, sids, vals = [], [], []
    for p in range(n):
        for s in rng.choice(m, size=votes_per, replace=False):
            r = rng.random()
            v = stance[truth[p], s] if r < 0.85 else (-stance[truth[p], s] if r < 0.9 else 0)
            pids.append(p)
            sids.append(int(s))
            vals.append(int(v))
    votes = VoteMatrix.from_votes(pids, sids, vals, moderated_out=moderated, meta=meta)
    planted.stance = stance  # the camps' stances, for assertions
    return votes, truth


def comparable(result: AnalysisResult) -> str:
    d = result.to_dict()
    d.pop("timings")
    return json.dumps(d, sort_keys=True)


@pytest.fixture(scope="module")
def three_camps():
    votes, truth = planted(moderated=(10,), meta=(11,))
    return votes, truth, analyze(votes, random_state=0)


def test_recovers_planted_groups_with_representative_statements(three_camps):
    votes, truth, result = three_camps
    p = result.participants
    assert result.counts["n_groups"] == 3
    assert adjusted_rand_score(truth[p.ids[p.in_conv]], p.group[p.in_conv]) > 0.95
    for g in result.groups:
        assert g.size > 150
        assert 1 <= len(g.representative) <= 5
        for r in g.representative:
            share, other = (
                (r.agree_share, r.agree_share_others)
                if r.direction == "agree"
                else (r.disagree_share, r.disagree_share_others)
            )
            assert share > other  # what sets the group apart
    shared = {s for s in range(60) if (planted.stance[:, s] == 1).all()} - {10, 11}
    assert {c.statement_id for c in result.consensus_agree} <= shared
    assert len(result.consensus_agree) == 5
    assert result.divisive and result.divisive[0].divisiveness > 0.5


def test_moderated_and_meta_statements_are_never_listed(three_camps):
    votes, truth, result = three_camps
    listed = {r.statement_id for g in result.groups + result.subgroups for r in g.representative}
    listed |= {c.statement_id for c in result.consensus_agree + result.consensus_disagree}
    listed |= {d.statement_id for d in result.divisive} | {
        u.statement_id for u in result.uncertainty
    }
    assert not listed & {10, 11}
    st = result.statements
    assert st.priority[st.index_of(11)] == 49.0
    assert st.moderated_out[st.index_of(10)] and st.meta[st.index_of(11)]


def test_same_random_state_same_result_and_json_round_trip(three_camps):
    votes, truth, result = three_camps
    again = analyze(votes, random_state=0)
    assert comparable(again) == comparable(result)
    restored = AnalysisResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert comparable(restored) == comparable(result)
    assert (
        restored.participants.group_of(int(result.participants.ids[0]))
        == result.group(int(result.participants.group[0])).id
    )


def test_records_have_the_documented_shape(three_camps):
    votes, truth, result = three_camps
    rec = json.loads(json.dumps(result.to_records(), allow_nan=False))
    assert set(rec) >= {
        "participants",
        "groups",
        "statements",
        "consensus",
        "divisive",
        "uncertainty",
        "timings",
        "params",
        "counts",
        "subgroups",
    }
    assert set(rec["participants"][0]) >= {"id", "group", "x", "y"}
    g = rec["groups"][0]
    assert set(g) >= {"id", "size", "representative"}
    assert set(g["representative"][0]) >= {"statement_id", "direction", "agree_share"}
    assert set(rec["statements"][0]) >= {"id", "group_informed_consensus", "extremity", "priority"}
    assert set(rec["consensus"]) == {"agree", "disagree"}
    assert {"pca", "groups", "statistics", "total"} <= set(rec["timings"])


def test_warm_start_keeps_ids_map_orientation_and_k(three_camps):
    votes, truth, first = three_camps
    # a different seed finds the same camps but may number them differently; previous fixes ids
    second = analyze(votes, previous=first, random_state=7)
    assert np.array_equal(second.participants.group, first.participants.group)
    np.testing.assert_allclose(second.pca.components, first.pca.components, atol=1e-8)
    # k smoothing: a previous k is kept until a new best k has won k_buffer times in a row
    assert second.k_smoother.smoothed_k == 3


def test_ids_survive_new_votes_and_new_participants(three_camps):
    votes, truth, first = three_camps
    more, more_truth = planted(n=660, seed=0)  # the same 600 participants (same votes) + 60 new
    result = analyze(more, previous=first, random_state=1)
    old = np.isin(result.participants.ids, first.participants.ids)
    same = result.participants.group[old] == first.participants.group
    assert same.mean() > 0.97


def test_in_conv_is_sticky_across_recomputes(three_camps):
    votes, truth, first = three_camps
    keep = votes.votes_per_participant() > 0
    hide = np.zeros(votes.n_votes, dtype=bool)
    hide[votes.indptr[0] : votes.indptr[1] - 2] = True  # participant 0 drops to 2 votes
    fewer = votes.without_votes(hide)
    assert keep[0]
    cold = analyze(fewer, random_state=0)
    warm = analyze(fewer, previous=first, random_state=0)
    assert not cold.participants.in_conv[0] and warm.participants.in_conv[0]


def test_polis_method_and_fixed_groups(three_camps):
    votes, truth, result = three_camps
    polis = analyze(votes, method="polis", random_state=0)
    assert 2 <= polis.counts["n_groups"] <= 5
    given = {int(p): int(t) + 10 for p, t in zip(votes.participant_ids, truth, strict=True)}
    fixed = analyze(votes, fixed_groups=given, subgroups=False)
    assert [g.id for g in fixed.groups] == [10, 11, 12]
    assert fixed.statements.group_votes.sum() == votes.n_votes


def test_parameters_are_validated_and_follow_sklearn_conventions():
    est = OpinionGroups(method="polis", max_groups=4)
    assert est.get_params()["max_groups"] == 4
    est.set_params(n_init=3)
    assert est.n_init == 3
    votes, _ = planted(n=60, m=30)
    with pytest.raises(ValueError, match="method"):
        OpinionGroups(method="nope").fit(votes)
    with pytest.raises(ValueError, match="max_groups"):
        OpinionGroups(max_groups=1).fit(votes)
    with pytest.raises(TypeError, match="VoteMatrix"):
        OpinionGroups().fit([[1, 0]])
    with pytest.raises(ValueError, match="format_version"):
        AnalysisResult.from_dict({"format_version": 99})


@pytest.mark.parametrize("method", ["consult", "polis"])
def test_degenerate_conversations_do_not_crash(method):
    empty = VoteMatrix.from_votes([], [], [])
    result = analyze(empty, method=method)
    assert result.counts["n_groups"] == 0 and result.groups == ()
    alone = analyze(VoteMatrix.from_votes([1, 1], [1, 2], [1, -1]), method=method)
    assert alone.counts["n_participants"] == 1
    same = analyze(
        VoteMatrix.from_votes(
            np.repeat(np.arange(20), 3), np.tile([1, 2, 3], 20), np.ones(60, dtype=int)
        ),
        method=method,
    )
    assert same.counts["n_groups"] <= 1
    for r in (result, alone, same):
        json.dumps(r.to_dict(), allow_nan=False)
        json.dumps(r.to_records(), allow_nan=False)
