"""Per-group intervals and the cautious consensus / divided rules of clustering.uncertainty."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import beta

from clustering.uncertainty import (
    GroupAgreement,
    consensus_labels,
    divided_mask,
    group_agreement,
    share_interval,
)


def test_wilson_interval_matches_hand_computed_values():
    # 8 of 10 at 90 %: z = 1.6449; centre = (0.8 + z²/20) / (1 + z²/10), half width as Wilson.
    low, high = share_interval([8], [10], level=0.9)
    z = 1.6448536269514722
    centre = (0.8 + z * z / 20) / (1 + z * z / 10)
    half = z * np.sqrt(0.8 * 0.2 / 10 + z * z / 400) / (1 + z * z / 10)
    assert_allclose([low[0], high[0]], [centre - half, centre + half], rtol=1e-12)
    assert 0.5 < low[0] < 0.6 and 0.9 < high[0] < 0.95  # Wilson 90 %: about (0.541, 0.932)


def test_jeffreys_interval_is_the_beta_posterior_quantiles():
    low, high = share_interval([3, 0, 5], [10, 5, 5], level=0.9, method="jeffreys")
    assert_allclose(low[0], beta.ppf(0.05, 3.5, 7.5))
    assert_allclose(high[0], beta.ppf(0.95, 3.5, 7.5))
    assert low[1] == 0.0 and high[2] == 1.0  # no successes / all successes hit the bound


def test_intervals_narrow_with_more_votes_and_cover_everything_without_votes():
    low, high = share_interval([6, 60, 600, 0], [10, 100, 1000, 0])
    widths = high - low
    assert widths[0] > widths[1] > widths[2]
    assert (low[3], high[3]) == (0.0, 1.0)


def test_bad_inputs_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="between 0 and trials"):
        share_interval([5], [3])
    with pytest.raises(ValueError, match="level"):
        share_interval([1], [3], level=1.5)
    with pytest.raises(ValueError, match="method"):
        share_interval([1], [3], method="bayes")
    with pytest.raises(ValueError, match="inconsistent"):
        group_agreement([1], [0], [[5]], [[5]], [[8]])


def test_consensus_needs_every_groups_lower_bound_above_the_threshold():
    # statement 0: both groups 90 % agree with many votes -> agree consensus
    # statement 1: big group 90 %, small group 3 of 4 -> the small group's interval blocks it
    # statement 2: both groups 85 % disagree -> disagree consensus
    # statement 3: one group agrees, the other disagrees -> divided, no consensus
    agree = [[90, 90, 5, 90], [45, 3, 3, 4]]
    disagree = [[5, 5, 85, 5], [3, 1, 43, 44]]
    votes = [[100, 100, 100, 100], [50, 4, 50, 50]]
    labels = consensus_labels(agree, disagree, votes)
    assert labels.tolist() == ["agree", "", "disagree", ""]
    assert divided_mask(agree, disagree, votes).tolist() == [False, False, False, True]


def test_ineligible_statements_get_no_label_and_one_group_is_never_divided():
    labels = consensus_labels([[90]], [[5]], [[100]], eligible=[False])
    assert labels.tolist() == [""]
    assert not divided_mask([[90]], [[5]], [[100]]).any()


def test_group_agreement_orders_lists_and_round_trips_through_json():
    ga = group_agreement(
        [11, 12, 13],
        [0, 2],
        [[95, 70, 10], [90, 80, 60]],
        [[2, 20, 85], [5, 10, 30]],
        [[100, 100, 100], [100, 100, 100]],
    )
    assert ga.consensus_ids("agree") == [11, 12]  # 11 has the higher smallest lower bound
    assert ga.divided_ids() == [13]
    assert_allclose(ga.agree_share[:, 0], [0.95, 0.90])
    again = GroupAgreement.from_dict(json.loads(json.dumps(ga.to_dict())))
    assert (
        again.consensus_ids("agree") == [11, 12] and again.divided.tolist() == ga.divided.tolist()
    )
    assert_allclose(again.agree_low, ga.agree_low)
    with pytest.raises(ValueError, match="lacks or mangles"):
        GroupAgreement.from_dict({"statement_ids": [1]})
