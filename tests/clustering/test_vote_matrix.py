"""VoteMatrix: latest vote wins, passes are votes, zeroed columns, in-conv rule, input errors."""

from __future__ import annotations

import numpy as np
import pytest

from clustering.votes import VoteInputError, VoteMatrix, in_conv_mask


def dense(votes: VoteMatrix) -> np.ndarray:
    """Votes as a dense float matrix with NaN for "not voted" (test helper only)."""
    out = np.full(votes.shape, np.nan)
    out[votes.rows(), votes.indices] = votes.values
    return out


def test_latest_vote_wins_by_order_not_by_row_position():
    votes = VoteMatrix.from_votes(
        participant_ids=[7, 7, 7, 8],
        statement_ids=[1, 1, 1, 1],
        values=[1, -1, 0, -1],
        order=[300, 100, 200, 50],  # the first row is the latest
    )
    assert votes.participant_ids.tolist() == [7, 8]
    assert dense(votes).tolist() == [[1.0], [-1.0]]
    assert votes.n_votes == 2


def test_without_order_the_later_row_wins_and_passes_are_votes():
    votes = VoteMatrix.from_votes([1, 1, 2], [5, 5, 6], [1, 0, -1])
    m = dense(votes)
    assert m[0, 0] == 0.0  # the pass replaced the agree
    assert np.isnan(m[0, 1])  # participant 1 never saw statement 6
    assert votes.votes_per_participant().tolist() == [1, 1]
    assert votes.indicator(0).sum() == 1


def test_string_participant_ids_and_unvoted_statements():
    votes = VoteMatrix.from_votes(
        ["bob", "alice", "bob"], [2, 2, 3], [1, 1, -1], all_statement_ids=[9]
    )
    assert votes.participant_ids.tolist() == ["alice", "bob"]
    assert votes.statement_ids.tolist() == [2, 3, 9]
    assert votes.voted_mask().tolist() == [True, True, False]


def test_moderated_and_meta_columns_are_zeroed_but_raw_votes_kept():
    votes = VoteMatrix.from_votes([1, 2, 2], [1, 2, 3], [1, -1, 1], moderated_out={2}, meta=[3])
    assert votes.zeroed_mask().tolist() == [False, True, True]
    assert votes.values.tolist() == [1, -1, 1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"participant_ids": [1, 2], "statement_ids": [1], "values": [1]}, "differ in length"),
        ({"participant_ids": [1, 2], "statement_ids": [1, 1], "values": [1, 2]}, "vote #1"),
        ({"participant_ids": [1], "statement_ids": [1], "values": [np.nan]}, "vote #0"),
        ({"participant_ids": [1], "statement_ids": ["x"], "values": [1]}, "integers"),
        ({"participant_ids": [1], "statement_ids": [1.5], "values": [1]}, "non-integer"),
        ({"participant_ids": [1], "statement_ids": [1], "values": ["yes"]}, "numbers"),
    ],
)
def test_bad_input_is_reported_clearly(kwargs, message):
    with pytest.raises(VoteInputError, match=message):
        VoteMatrix.from_votes(**kwargs)


def test_bad_order_and_moderation_ids():
    with pytest.raises(VoteInputError, match="order"):
        VoteMatrix.from_votes([1, 2], [1, 1], [1, 1], order=[1])
    with pytest.raises(VoteInputError, match="moderated_out"):
        VoteMatrix.from_votes([1], [1], [1], moderated_out=["x"])


def test_in_conv_threshold_top_up_and_stickiness():
    rng = np.random.default_rng(0)
    pids, sids = [], []
    counts = [10] * 14 + [6, 5, 3, 1]  # 14 qualify with >= 7 votes
    for p, c in enumerate(counts):
        chosen = rng.choice(20, size=c, replace=False)
        pids += [p] * c
        sids += chosen.tolist()
    votes = VoteMatrix.from_votes(pids, sids, np.ones(len(pids), dtype=int))
    mask = in_conv_mask(votes)
    # 14 by the rule, then the top voter (6 votes) tops it up to 15
    assert mask.sum() == 15 and mask[14] and not mask[15:].any()
    assert in_conv_mask(votes, min_participants=0).sum() == 14
    sticky = np.zeros(len(counts), dtype=bool)
    sticky[17] = True
    assert in_conv_mask(votes, sticky=sticky)[17]


def test_in_conv_threshold_is_capped_by_the_number_of_statements():
    votes = VoteMatrix.from_votes([1, 1, 1, 2], [1, 2, 3, 1], [1, 1, 1, 1])
    assert in_conv_mask(votes, min_participants=0).tolist() == [True, False]


def test_without_votes_keeps_rows_and_columns_aligned():
    votes = VoteMatrix.from_votes([1, 1, 2, 3], [1, 2, 1, 2], [1, -1, 0, 1])
    hidden = votes.without_votes(np.array([True, False, False, True]))
    assert hidden.shape == votes.shape
    assert hidden.votes_per_participant().tolist() == [1, 1, 0]
    assert dense(hidden)[0].tolist()[1] == -1.0
