"""Bridging scores: the statement intercept of a one-factor matrix factorisation of the votes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from clustering.bridging import BridgingFactorization, BridgingResult, bridging_scores
from clustering.votes import VoteMatrix


def _two_camps(seed: int = 0, n: int = 80):
    """Two camps; statement 0 both agree, 1 camp A only, 2 camp B only, 3 nobody, 4 split by
    camp but 60 % overall (more A people)."""
    rng = np.random.default_rng(seed)
    camp = (np.arange(n) < int(0.6 * n)).astype(int)  # 1 = A
    p_agree = {
        0: lambda c: 0.9,
        1: lambda c: 0.9 if c else 0.1,
        2: lambda c: 0.1 if c else 0.9,
        3: lambda c: 0.1,
        4: lambda c: 0.95 if c else 0.05,
    }
    rows = []
    for i in range(n):
        for j, p in p_agree.items():
            rows.append((i, j, 1 if rng.random() < p(camp[i]) else -1))
        for j in range(5, 12):  # more axis statements, so the axis is well defined
            rows.append((i, j, 1 if rng.random() < (0.85 if (camp[i] == j % 2) else 0.15) else -1))
    p, s, v = np.array(rows).T
    return VoteMatrix.from_votes(p, s, v), camp


def test_agreement_across_the_divide_scores_highest():
    votes, _ = _two_camps()
    res = bridging_scores(votes)
    score = {int(s): res.score_of(int(s)) for s in votes.statement_ids}
    assert max(score, key=score.get) == 0  # everyone agrees
    assert score[0] > 0.2
    # one-sided support, even by the majority camp, is explained by the axis, not the intercept
    assert score[4] < score[0] - 0.15 and score[1] < score[0] - 0.15
    assert score[3] < 0  # nobody agrees
    # the factor carries the split: axis statements have large |g|, the consensus one small
    g = dict(zip(votes.statement_ids.tolist(), res.factor.tolist(), strict=True))
    assert abs(g[4]) > 3 * abs(g[0])


def test_fit_is_deterministic_for_a_seed_and_converges():
    votes, camp = _two_camps(seed=3)
    a = BridgingFactorization(random_state=7).fit(votes)
    b = BridgingFactorization(random_state=7).fit(votes)
    assert_allclose(a.statement_intercept_, b.statement_intercept_)
    assert 1 < a.n_iter_ < a.max_iter
    # the factor is the camp axis, oriented so that those who agree with the statement that
    # splits most along it sit on the positive side
    assert abs(np.corrcoef(a.participant_factor_, camp)[0, 1]) > 0.8
    j = int(np.argmax(np.abs(a.statement_factor_)))
    cols = votes.indices == j
    agreed = votes.rows()[cols & (votes.values == 1)]
    disagreed = votes.rows()[cols & (votes.values == -1)]
    assert a.participant_factor_[agreed].mean() > 0 > a.participant_factor_[disagreed].mean()


def test_regularisation_pulls_rarely_voted_statements_towards_zero():
    votes, _ = _two_camps(seed=1)
    # statement 99: three people, all agree
    extra = VoteMatrix.from_votes(
        np.concatenate([votes.rows(), [0, 1, 2]]),
        np.concatenate([votes.statement_ids[votes.indices], [99, 99, 99]]),
        np.concatenate([votes.values, [1, 1, 1]]),
    )
    res = bridging_scores(extra)
    assert res.score_of(99) < res.score_of(0)


def test_passes_moderated_statements_and_bad_parameters():
    votes, _ = _two_camps(seed=2)
    moderated = VoteMatrix.from_votes(
        votes.rows(), votes.statement_ids[votes.indices], votes.values, moderated_out=[0]
    )
    res = bridging_scores(moderated)
    assert res.score_of(0) == 0.0 and res.n_ratings[0] == 0
    with pytest.raises(ValueError, match="intercept_reg"):
        BridgingFactorization(intercept_reg=-1).fit(votes)
    with pytest.raises(TypeError, match="VoteMatrix"):
        BridgingFactorization().fit([[1, 0]])


def test_empty_votes_and_json_round_trip():
    empty = VoteMatrix.from_votes([], [], [], all_statement_ids=[1, 2])
    res = bridging_scores(empty)
    assert res.intercept.tolist() == [0.0, 0.0]
    votes, _ = _two_camps()
    res = bridging_scores(votes)
    again = BridgingResult.from_dict(json.loads(json.dumps(res.to_dict())))
    assert_allclose(again.intercept, res.intercept)
    assert again.n_iter == res.n_iter
