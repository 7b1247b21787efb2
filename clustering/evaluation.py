"""How well opinion groups explain votes: held-out vote prediction ("lift").

Hide a seeded random 10 % of the votes, find groups on the rest, then predict every hidden vote
from the +1-smoothed agree/disagree/pass distribution of the participant's group on that statement,
``p(v) = (n_{g,j,v} + 1) / (n_{g,j} + 3)`` (counts over visible votes). Participants without a
group are predicted from everybody's distribution on the statement, which is also the "no groups"
baseline. ``lift = log-loss(no groups) − log-loss(groups)`` in nats per hidden vote: the larger,
the more the groups tell about how their members vote.

Any labelling can be scored the same way (e.g. the groups Pol.is exported), so comparisons are
like for like. :func:`held_out_runs` does this for one conversation over several hiding seeds, and
:func:`group_quality` sums the figures over conversations the way issue 3's target states them
(summed lift, most groups, share of the reference's clustered participants we cluster too);
``benchmarks/group_quality.py`` and ``tests/clustering/test_group_quality.py`` both use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import check_random_state

from clustering.opinion_groups import AnalysisResult, analyze
from clustering.votes import VoteMatrix

__all__ = [
    "HeldOut",
    "hide_votes",
    "log_loss",
    "lift",
    "HeldOutRun",
    "held_out_runs",
    "GroupQuality",
    "group_quality",
]


@dataclass(frozen=True, eq=False)
class HeldOut:
    """A split of a vote matrix into visible votes and hidden (row, column, value) triples."""

    visible: VoteMatrix
    rows: NDArray[np.int64]
    columns: NDArray[np.int64]
    values: NDArray[np.int8]


def hide_votes(votes: VoteMatrix, fraction: float = 0.1, random_state: int | None = 0) -> HeldOut:
    """Hide ``round(fraction · n_votes)`` votes chosen uniformly at random (seeded)."""
    rng = check_random_state(random_state)
    n_hide = int(round(fraction * votes.n_votes))
    hide = np.zeros(votes.n_votes, dtype=bool)
    hide[rng.choice(votes.n_votes, size=n_hide, replace=False)] = True
    rows = votes.rows()
    return HeldOut(
        visible=votes.without_votes(hide),
        rows=rows[hide],
        columns=votes.indices[hide].astype(np.int64),
        values=votes.values[hide],
    )


def _outcome(values: NDArray) -> NDArray[np.int64]:
    # agree -> 0, disagree -> 1, pass -> 2
    v = np.asarray(values)
    return np.where(v == 1, 0, np.where(v == -1, 1, 2)).astype(np.int64)


def log_loss(held: HeldOut, labels: NDArray[np.int64] | None) -> float:
    """Mean negative log-probability of the hidden votes given group ``labels``.

    ``labels[i]`` is participant ``i``'s group (any non-negative ints) or -1; None means no groups.
    """
    vis = held.visible
    n, m = vis.shape
    vis_rows = vis.rows()
    vis_out = _outcome(vis.values)
    overall = np.zeros((m, 3))
    np.add.at(overall, (vis.indices, vis_out), 1.0)
    hid_out = _outcome(held.values)
    p_base = (overall[held.columns, hid_out] + 1.0) / (overall[held.columns].sum(1) + 3.0)
    if labels is None:
        return float(-np.log(p_base).mean())
    labels = np.asarray(labels, dtype=np.int64)
    uniq, lab = np.unique(labels[labels >= 0], return_inverse=True)
    dense = np.full(n, -1, dtype=np.int64)
    dense[labels >= 0] = lab
    g = len(uniq)
    counts = np.zeros((max(g, 1), m, 3))
    member = dense[vis_rows] >= 0
    np.add.at(counts, (dense[vis_rows][member], vis.indices[member], vis_out[member]), 1.0)
    hg = dense[held.rows]
    p = p_base.copy()
    has = hg >= 0
    c = counts[hg[has], held.columns[has]]
    p[has] = (c[np.arange(has.sum()), hid_out[has]] + 1.0) / (c.sum(1) + 3.0)
    return float(-np.log(p).mean())


def lift(held: HeldOut, labels: NDArray[np.int64]) -> float:
    """``log_loss(no groups) − log_loss(labels)`` in nats per hidden vote."""
    return log_loss(held, None) - log_loss(held, labels)


@dataclass(frozen=True, eq=False)
class HeldOutRun:
    """One seeded hide-and-refit: our groups and a reference labelling on the same hidden votes.

    ``held`` is kept so that further labellings can be scored on exactly these hidden votes.
    """

    seed: int
    held: HeldOut
    result: AnalysisResult
    lift_ours: float
    lift_reference: float
    clustered_reference: int  # participants the reference labelling clusters
    clustered_both: int  # ... that our groups cluster too

    @property
    def labels(self) -> NDArray[np.int64]:
        return np.asarray(self.result.participants.group)

    @property
    def n_groups(self) -> int:
        return int(self.result.counts["n_groups"])


def held_out_runs(
    votes: VoteMatrix,
    reference: NDArray[np.int64],
    seeds: Iterable[int],
    *,
    fraction: float = 0.1,
    **params: Any,
) -> list[HeldOutRun]:
    """For each seed: hide ``fraction`` of the votes, find our groups on the rest and score them.

    ``reference[i]`` is participant ``i``'s group in the labelling to compare with (e.g. the
    groups Pol.is exported; -1 when not clustered); it is scored on the same hidden votes.
    ``params`` go to :func:`clustering.opinion_groups.analyze` (``random_state`` is the seed).
    """
    reference = np.asarray(reference, dtype=np.int64)
    runs = []
    for seed in seeds:
        held = hide_votes(votes, fraction, random_state=seed)
        result = analyze(held.visible, random_state=seed, **params)
        labels = np.asarray(result.participants.group)
        runs.append(
            HeldOutRun(
                seed=int(seed),
                held=held,
                result=result,
                lift_ours=lift(held, labels),
                lift_reference=lift(held, reference),
                clustered_reference=int((reference >= 0).sum()),
                clustered_both=int(((labels >= 0) & (reference >= 0)).sum()),
            )
        )
    return runs


@dataclass(frozen=True)
class GroupQuality:
    """Issue 3's figures over several conversations (lifts in nats per hidden vote).

    ``lift_ours``/``lift_reference``: the sum over conversations of each one's mean lift over the
    seeds; ``max_groups``: the most groups we found in any run; ``coverage``: the share of the
    reference's clustered participants that we cluster too (means over seeds, pooled over
    conversations); ``seed_ratios``: per seed, our summed lift over the reference's.
    """

    lift_ours: float
    lift_reference: float
    max_groups: int
    coverage: float
    seed_ratios: tuple[float, ...]

    @property
    def ratio(self) -> float:
        return self.lift_ours / self.lift_reference


def group_quality(conversations: Sequence[Sequence[HeldOutRun]]) -> GroupQuality:
    """Sum :func:`held_out_runs` of several conversations (all run with the same seeds)."""
    if not conversations or not all(conversations):
        raise ValueError("need at least one conversation, each with at least one run")
    seeds = [r.seed for r in conversations[0]]
    if any([r.seed for r in runs] != seeds for runs in conversations):
        raise ValueError("every conversation must be run with the same seeds")
    ours = np.array([[r.lift_ours for r in runs] for runs in conversations])
    ref = np.array([[r.lift_reference for r in runs] for runs in conversations])
    both = sum(float(np.mean([r.clustered_both for r in runs])) for runs in conversations)
    clustered = sum(float(np.mean([r.clustered_reference for r in runs])) for runs in conversations)
    return GroupQuality(
        lift_ours=float(ours.mean(1).sum()),
        lift_reference=float(ref.mean(1).sum()),
        max_groups=max(r.n_groups for runs in conversations for r in runs),
        coverage=both / clustered if clustered else float("nan"),
        seed_ratios=tuple(float(x) for x in ours.sum(0) / ref.sum(0)),
    )
