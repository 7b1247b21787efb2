"""Theme statistics on a toy phase whose every figure was worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clustering.opinion_groups import (
    AnalysisResult,
    BaseClusterTable,
    Group,
    ParticipantTable,
    PCAState,
    StatementTable,
)
from clustering.themes import Theme, ThemeResult
from consult.themes.statistics import ThemeStatistics, theme_statistics


def toy_themes() -> ThemeResult:
    return ThemeResult(
        themes=(
            # statement 5 belongs to another phase: it never counts here
            Theme("t1", "Open contracting", ("contract",), (1, 2, 5), 1),
            Theme("t2", "Youth", ("youth",), (3,), 3),
            Theme("other", "Other", (), (4,), 4),
        )
    )


# participant, statement, value (1 agree, -1 disagree, 0 pass)
VOTES = [
    (10, 1, 1), (10, 2, 1), (10, 3, -1), (10, 4, 0),
    (11, 1, -1), (11, 2, 0), (11, 3, -1),
    (12, 1, 1), (12, 3, 1),
]  # fmt: skip


def toy_analysis() -> AnalysisResult:
    """Two groups (ids 0 and 1) over statements 1-4; statement 4 is a meta statement."""
    ids = np.array([1, 2, 3, 4])
    empty = np.zeros(4)
    statements = StatementTable(
        ids=ids,
        x=empty,
        y=empty,
        extremity=empty,
        priority=empty,
        mean=empty,
        group_informed_consensus=np.array([0.5, 0.3, 0.2, 0.1]),
        group_informed_consensus_disagree=empty,
        divisiveness=np.array([0.1, 0.3, 0.6, 0.0]),
        pass_share=empty,
        n_agree=np.array([2, 1, 1, 0]),
        n_disagree=np.array([1, 0, 2, 0]),
        n_pass=np.array([0, 1, 0, 1]),
        n_votes=np.array([3, 2, 3, 1]),
        moderated_out=np.zeros(4, bool),
        meta=np.array([False, False, False, True]),
        group_ids=np.array([0, 1]),
        group_agree=np.array([[2, 1, 0, 0], [0, 0, 1, 0]]),
        group_disagree=np.array([[0, 0, 1, 0], [1, 0, 1, 0]]),
        group_votes=np.array([[2, 1, 1, 1], [1, 1, 2, 0]]),
    )
    three = np.zeros(3)
    participants = ParticipantTable(
        ids=np.array([10, 11, 12]),
        x=three,
        y=three,
        group=np.array([0, 1, 1]),
        subgroup=np.array([-1, -1, -1]),
        base_cluster=np.array([0, 1, 1]),
        in_conv=np.ones(3, bool),
        n_votes=np.array([4, 3, 2]),
    )
    return AnalysisResult(
        params={},
        counts={"n_participants": 3},
        participants=participants,
        statements=statements,
        groups=(Group(0, 1, 0.0, 0.0), Group(1, 2, 0.0, 0.0)),
        subgroups=(),
        consensus_agree=(),
        consensus_disagree=(),
        divisive=(),
        uncertainty=(),
        pca=PCAState(ids, empty, np.zeros((2, 4)), np.zeros(2)),
        base_clusters=BaseClusterTable(
            np.array([0, 1]), np.zeros(2), np.zeros(2), np.array([1, 2])
        ),
    )


def test_figures_match_the_hand_computation():
    votes = tuple(np.array(column) for column in zip(*VOTES, strict=True))
    offline = {
        1: {"conversations": [{"id": 7}, {"id": 8}], "votes_for": 12, "votes_against": None},
        2: {"conversations": [{"id": 7}], "votes_for": 3, "votes_against": 2},
        3: {"conversations": [], "votes_for": None, "votes_against": None},
    }
    t1, t2, other = theme_statistics(
        toy_themes(), toy_analysis(), votes, [1, 2, 3, 4], offline=offline
    )

    assert (t1.theme_id, t1.statement_ids, t1.n_statements) == ("t1", (1, 2), 2)
    assert (t1.n_votes, t1.n_agree, t1.n_disagree, t1.n_pass) == (5, 3, 1, 1)
    assert (t1.n_participants, t1.online_support) == (3, 2)  # 10 and 12 agreed with something
    assert t1.agree_share == pytest.approx(3 / 5) and t1.disagree_share == pytest.approx(1 / 5)
    g0, g1 = t1.groups
    assert (g0.group_id, g0.n_votes, g0.n_agree, g0.n_disagree) == (0, 3, 3, 0)
    assert (g1.group_id, g1.n_votes, g1.n_agree, g1.n_disagree) == (1, 2, 0, 1)
    assert g0.agree_share == 1.0 and g1.agree_share == 0.0
    assert t1.n_analysed == 2
    assert t1.consensus == pytest.approx((0.5 + 0.3) / 2)
    assert t1.divisiveness == pytest.approx((0.1 + 0.3) / 2)
    assert t1.group_spread == pytest.approx(1.0)
    assert t1.offline_support.to_dict() == {
        "statements": 2,
        "conversations": 2,
        "votes_for": 15,
        "votes_against": 2,
    }
    # both of t1's statements came up in a conversation: raised only offline (votes or not)
    assert t1.n_raised_online == 0 and t1.raised_only_offline

    assert (t2.n_votes, t2.n_agree, t2.n_disagree, t2.n_pass) == (3, 1, 2, 0)
    assert (t2.n_participants, t2.online_support) == (3, 1)
    assert [(g.n_votes, g.n_agree) for g in t2.groups] == [(1, 0), (2, 1)]
    assert t2.group(1).agree_share == 0.5
    assert t2.consensus == pytest.approx(0.2) and t2.divisiveness == pytest.approx(0.6)
    assert t2.group_spread == pytest.approx(0.5)
    assert t2.offline_support.to_dict() == {
        "statements": 0,
        "conversations": 0,
        "votes_for": None,
        "votes_against": None,
    }
    assert t2.n_raised_online == 1 and not t2.raised_only_offline

    # "other" holds only the meta statement 4: counted as votes, left out of group figures
    assert other.is_other and (other.n_votes, other.n_pass, other.n_participants) == (1, 1, 1)
    assert other.online_support == 0 and other.n_analysed == 0
    assert other.consensus is None and other.divisiveness is None
    assert [g.n_votes for g in other.groups] == [0, 0] and other.group_spread is None
    assert other.offline_support.statements == 0 and other.n_raised_online == 1


def test_without_analysis_or_notes_the_vote_figures_remain():
    t1, t2, other = theme_statistics(toy_themes(), None, VOTES_AS_OBJECT, {1, 2, 3})
    assert (t1.n_votes, t1.n_agree, t1.n_participants) == (5, 3, 3)
    assert t1.groups == () and t1.consensus is None and t1.offline_support is None
    assert t1.n_raised_online is None and not t1.raised_only_offline  # not known without notes
    assert other.n_statements == 0 and other.n_votes == 0 and other.agree_share is None


class _PhaseVotes:
    participant_ids = np.array([v[0] for v in VOTES])
    statement_ids = np.array([v[1] for v in VOTES])
    values = np.array([v[2] for v in VOTES], dtype=np.int8)


VOTES_AS_OBJECT = _PhaseVotes()


def test_statistics_round_trip_through_json():
    offline = {2: {"conversations": [{"id": 7}], "votes_for": 3, "votes_against": None}}
    stats = theme_statistics(
        toy_themes(), toy_analysis(), VOTES_AS_OBJECT, [1, 2, 3, 4], offline=offline
    )
    again = [ThemeStatistics.from_dict(json.loads(json.dumps(s.to_dict()))) for s in stats]
    assert again == stats


def test_bad_votes_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="differ in length"):
        theme_statistics(toy_themes(), None, ([1, 2], [1], [1, 1]), [1])
    with pytest.raises(ValueError, match="vote value 2"):
        theme_statistics(toy_themes(), None, ([1], [1], [2]), [1])
