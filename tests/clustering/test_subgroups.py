"""Subgroups on planted nested opinions: two groups, each made of two subgroups.

Everyone in group A agrees with the "top" statements that group B rejects (and the reverse).
Inside A, subgroup A1 agrees with A's "inner" statements that A2 rejects, while B is split at
random on them; inside B likewise. Subgroups must be found inside the right group, with the
planted membership, and be set apart (their representative statements) by their group's inner
statements. With the planted groups given (so that only the subgroup step is tested, free to
choose 1 to 5 subgroups), every such group must split into exactly its two planted subgroups,
and the groups of ``planted_conversation`` (no structure inside a group) must not split at all.
Scoring the number of subgroups on the votes the partition was fitted to (before subgroups were
judged on held-out votes) cut a group of 1 of these 10 nested conversations into 3 pieces and split
a group in 6 of the 10 unstructured ones into 2 to 5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.metrics import adjusted_rand_score

from clustering.opinion_groups import AnalysisResult, analyze
from clustering.planted import planted_conversation
from clustering.votes import VoteMatrix

AGREE = (0.85, 0.075, 0.075)  # (agree, disagree, pass)
DISAGREE = (0.075, 0.85, 0.075)
SPLIT = (0.4, 0.4, 0.2)


@dataclass(frozen=True)
class Nested:
    votes: VoteMatrix
    group: NDArray[np.int64]  # planted group (0 = A, 1 = B) of participant id i
    subgroup: NDArray[np.int64]  # planted subgroup 0..3 (A1, A2, B1, B2) of participant id i
    inner: dict[int, set[int]]  # planted group -> statement ids that split it in two


def nested(per_subgroup: int = 60, n_top: int = 20, n_inner: int = 12, seed: int = 0) -> Nested:
    rng = np.random.default_rng(seed)
    subgroup = np.repeat(np.arange(4), per_subgroup)
    stances, inner = [], {0: set(), 1: set()}
    for j in range(n_top):
        a, d = (AGREE, DISAGREE) if j % 2 else (DISAGREE, AGREE)
        stances.append([a, a, d, d])
    for j in range(n_inner):
        a, d = (AGREE, DISAGREE) if j % 2 else (DISAGREE, AGREE)
        inner[0].add(len(stances))
        stances.append([a, d, SPLIT, SPLIT])
        inner[1].add(len(stances))
        stances.append([SPLIT, SPLIT, a, d])
    probs = np.array(stances)[:, subgroup].transpose(1, 0, 2)  # (participant, statement, outcome)
    draw = rng.random(probs.shape[:2])[..., None] > probs.cumsum(2)
    values = np.array([1, -1, 0])[draw.sum(2).clip(max=2)]
    voted = rng.random(values.shape) < 0.8
    rows, cols = np.nonzero(voted)
    votes = VoteMatrix.from_votes(rows, cols, values[rows, cols])
    return Nested(votes, subgroup // 2, subgroup, inner)


def _members(result: AnalysisResult, parent: int, subgroup: int) -> NDArray[np.bool_]:
    p = result.participants
    return (np.asarray(p.group) == parent) & (np.asarray(p.subgroup) == subgroup)


@pytest.mark.parametrize("random_state", [0, 1])
def test_planted_subgroups_are_found_inside_their_group(random_state):
    planted = nested()
    result = analyze(planted.votes, max_groups=2, random_state=random_state)
    ids = np.asarray(result.participants.ids)
    assert ids.tolist() == list(range(len(planted.group)))
    group = np.asarray(result.participants.group)
    assert result.counts["n_groups"] == 2
    assert adjusted_rand_score(planted.group, group) >= 0.95

    for g in result.groups:
        members = group == g.id
        planted_parent = int(np.bincount(planted.group[members]).argmax())
        subs = [s for s in result.subgroups if s.parent_id == g.id]
        assert len(subs) == 2, f"group {g.id}: {[(s.id, s.size) for s in subs]}"
        found = np.asarray(result.participants.subgroup)[members]
        assert (found >= 0).all()  # every member of a split group is in one of its subgroups
        assert adjusted_rand_score(planted.subgroup[members], found) >= 0.9
        for s in subs:
            assert _members(result, g.id, s.id).sum() == s.size
            # What sets a subgroup apart from its sibling is its own group's inner statements.
            shown = {r.statement_id for r in s.representative}
            assert shown, f"subgroup {g.id}.{s.id} has no representative statements"
            assert shown <= planted.inner[planted_parent]


@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_subgroups_of_given_groups_never_mix_planted_subgroups(random_state):
    """With the planted groups given, every subgroup found lies inside one planted subgroup."""
    planted = nested(seed=1)
    given = dict(enumerate(planted.group.tolist()))
    result = analyze(planted.votes, fixed_groups=given, random_state=random_state)
    assert sorted({s.parent_id for s in result.subgroups}) == [0, 1]
    for s in result.subgroups:
        members = _members(result, s.parent_id, s.id)
        assert (planted.group[members] == s.parent_id).all()
        purity = np.bincount(planted.subgroup[members]).max() / members.sum()
        assert purity >= 0.95, f"subgroup {s.parent_id}.{s.id} mixes planted subgroups"
    assert (np.asarray(result.participants.subgroup) >= 0).all()


@pytest.mark.parametrize("seed", range(10))
def test_each_nested_group_splits_into_exactly_its_two_planted_subgroups(seed):
    planted = nested(seed=seed)
    given = dict(enumerate(planted.group.tolist()))
    result = analyze(planted.votes, fixed_groups=given, random_state=seed)
    group = np.asarray(result.participants.group)
    subgroup = np.asarray(result.participants.subgroup)
    for parent in (0, 1):
        sizes = sorted(s.size for s in result.subgroups if s.parent_id == parent)
        assert len(sizes) == 2, f"group {parent} split into {sizes}"
        members = group == parent
        assert adjusted_rand_score(planted.subgroup[members], subgroup[members]) >= 0.9


@pytest.mark.parametrize("seed", range(10))
def test_groups_without_internal_structure_are_not_split(seed):
    pc = planted_conversation(seed=seed)
    votes = VoteMatrix.from_votes(pc.participant_ids, pc.statement_ids, pc.values)
    given = dict(enumerate(pc.planted_group.tolist()))
    result = analyze(votes, fixed_groups=given, random_state=seed)
    assert result.counts["n_groups"] == 3
    assert [(s.parent_id, s.size) for s in result.subgroups] == []
    assert (np.asarray(result.participants.subgroup) == -1).all()
