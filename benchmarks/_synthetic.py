"""Synthetic conversations with planted opinion groups for the speed benchmark (seeded)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# Vote probabilities (agree, disagree, pass) of a group member given the group's stance.
STANCES = np.array(
    [
        [0.90, 0.05, 0.05],  # the group agrees
        [0.05, 0.90, 0.05],  # the group disagrees
        [0.40, 0.40, 0.20],  # the group is split / unsure
    ]
)


@dataclass(frozen=True, eq=False)
class Conversation:
    """Votes (one row each) plus the planted group of every participant."""

    participant_ids: NDArray[np.int64]
    statement_ids: NDArray[np.int64]
    values: NDArray[np.int8]
    timestamps: NDArray[np.int64]
    moderated_out: frozenset[int]
    planted: NDArray[np.int64]  # planted group of participant i (ids 0..n-1)


def make_conversation(
    n_participants: int,
    n_statements: int,
    n_votes: int,
    *,
    group_shares: tuple[float, ...] = (0.4, 0.3, 0.2, 0.1),
    moderated_share: float = 0.03,
    seed: int = 0,
) -> Conversation:
    """A conversation of exactly ``n_votes`` distinct (participant, statement) votes.

    Participants' activity is log-normal (a few vote on hundreds of statements, many on a dozen),
    statements' popularity too; every participant casts at least one vote. Each group takes a
    stance on each statement (agree / disagree / unsure; 15 % of statements are agreed by all
    groups) and members vote with the probabilities in ``STANCES``.
    """
    if n_votes > n_participants * n_statements:
        raise ValueError("more votes than participant × statement pairs")
    rng = np.random.default_rng(seed)
    shares = np.asarray(group_shares) / np.sum(group_shares)
    planted = rng.choice(len(shares), size=n_participants, p=shares).astype(np.int64)
    activity = rng.lognormal(0.0, 1.0, n_participants)
    popularity = rng.lognormal(0.0, 0.7, n_statements)

    keys = np.unique(
        np.arange(n_participants, dtype=np.int64) * n_statements
        + rng.integers(0, n_statements, n_participants)
    )
    while keys.size < n_votes:
        need = n_votes - keys.size
        batch = int(need * 1.3) + 1000
        p = rng.choice(n_participants, size=batch, p=activity / activity.sum())
        s = rng.choice(n_statements, size=batch, p=popularity / popularity.sum())
        fresh = np.setdiff1d(p.astype(np.int64) * n_statements + s, keys, assume_unique=False)
        if fresh.size > need:
            fresh = rng.choice(fresh, size=need, replace=False)
        keys = np.union1d(keys, fresh)
    rows, cols = np.divmod(keys, n_statements)

    stance = rng.choice(3, size=(len(shares), n_statements), p=[0.4, 0.4, 0.2])
    consensus = rng.random(n_statements) < 0.15
    stance[:, consensus] = 0
    probs = STANCES[stance[planted[rows], cols]]
    u = rng.random(len(rows))[:, None]
    outcome = (u > np.cumsum(probs, axis=1)).sum(1)
    values = np.array([1, -1, 0], dtype=np.int8)[np.minimum(outcome, 2)]
    order = rng.permutation(len(rows))
    moderated = rng.choice(n_statements, size=int(moderated_share * n_statements), replace=False)
    return Conversation(
        participant_ids=rows[order],
        statement_ids=cols[order],
        values=values[order],
        timestamps=1_700_000_000_000 + np.arange(len(rows), dtype=np.int64),
        moderated_out=frozenset(int(x) for x in moderated),
        planted=planted,
    )
