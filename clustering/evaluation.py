"""How well opinion groups explain votes: held-out vote prediction ("lift").

Hide a seeded random 10 % of the votes, find groups on the rest, then predict every hidden vote
from the +1-smoothed agree/disagree/pass distribution of the participant's group on that statement,
``p(v) = (n_{g,j,v} + 1) / (n_{g,j} + 3)`` (counts over visible votes). Participants without a
group are predicted from everybody's distribution on the statement, which is also the "no groups"
baseline. ``lift = log-loss(no groups) − log-loss(groups)`` in nats per hidden vote: the larger,
the more the groups tell about how their members vote.

Any labelling can be scored the same way (e.g. the groups Pol.is exported), so comparisons are
like for like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import check_random_state

from clustering.votes import VoteMatrix

__all__ = ["HeldOut", "hide_votes", "log_loss", "lift"]


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
