"""Synthetic conversations with planted opinion groups, consensus and divisive statements (seeded).

Used to check that what the maps call "common ground" and "divides" is what was planted. Each
statement has one of these kinds; members of a group vote with the probabilities (agree,
disagree, pass) of their group's stance on it:

* ``consensus_agree`` — every group agrees (0.85, 0.08, 0.07);
* ``consensus_disagree`` — every group disagrees (0.08, 0.85, 0.07);
* ``divisive`` — the groups are dealt into two non-empty camps at random: one camp agrees and
  the other disagrees (0.85 / 0.08);
* ``partisan`` — one group leans agree or disagree (0.75 / 0.12), the others are split
  (0.4, 0.4, 0.2): a representative statement, neither common ground nor a divide;
* ``split`` — every group is split (0.4, 0.4, 0.2).

Each participant votes on each statement with probability ``vote_rate`` (at least one vote).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["KINDS", "PlantedConversation", "planted_conversation"]

KINDS = ("consensus_agree", "consensus_disagree", "divisive", "partisan", "split")
AGREE = (0.85, 0.08, 0.07)
DISAGREE = (0.08, 0.85, 0.07)
LEAN_AGREE = (0.75, 0.12, 0.13)
LEAN_DISAGREE = (0.12, 0.75, 0.13)
SPLIT = (0.4, 0.4, 0.2)


@dataclass(frozen=True, eq=False)
class PlantedConversation:
    """One row per vote, the planted group of each participant and the kind of each statement."""

    participant_ids: NDArray[np.int64]
    statement_ids: NDArray[np.int64]
    values: NDArray[np.int8]
    planted_group: NDArray[np.int64]  # of participant id i (ids 0..n-1)
    kind: tuple[str, ...]  # of statement id j (ids 0..m-1)
    stance: NDArray[np.float64]  # (n_groups, m, 3) vote probabilities

    def ids_of(self, kind: str) -> set[int]:
        """Statement ids of a planted kind."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        return {j for j, k in enumerate(self.kind) if k == kind}


def planted_conversation(
    group_sizes: tuple[int, ...] = (120, 90, 60),
    *,
    n_consensus_agree: int = 5,
    n_consensus_disagree: int = 2,
    n_divisive: int = 6,
    n_partisan: int = 20,
    n_split: int = 7,
    vote_rate: float = 0.8,
    seed: int = 0,
) -> PlantedConversation:
    """Build a planted conversation (statement kinds shuffled, deterministic for ``seed``).

    Raises
    ------
    ValueError
        With fewer than two groups, an empty group or a vote rate outside (0, 1].
    """
    if len(group_sizes) < 2 or min(group_sizes) < 1:
        raise ValueError(f"need at least two non-empty groups, got {group_sizes!r}")
    if not 0.0 < vote_rate <= 1.0:
        raise ValueError(f"vote_rate must be in (0, 1], got {vote_rate!r}")
    rng = np.random.default_rng(seed)
    k = len(group_sizes)
    kinds = (
        ["consensus_agree"] * n_consensus_agree
        + ["consensus_disagree"] * n_consensus_disagree
        + ["divisive"] * n_divisive
        + ["partisan"] * n_partisan
        + ["split"] * n_split
    )
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    m = len(kinds)
    stance = np.zeros((k, m, 3))
    for j, kind in enumerate(kinds):
        if kind == "consensus_agree":
            stance[:, j] = AGREE
        elif kind == "consensus_disagree":
            stance[:, j] = DISAGREE
        elif kind == "divisive":
            camp = rng.permutation(np.arange(k) % 2)  # both camps non-empty
            stance[:, j] = np.where(camp[:, None] == 0, AGREE, DISAGREE)
        elif kind == "partisan":
            stance[:, j] = SPLIT
            stance[rng.integers(k), j] = LEAN_AGREE if rng.random() < 0.5 else LEAN_DISAGREE
        else:
            stance[:, j] = SPLIT
    planted = np.repeat(np.arange(k), group_sizes)
    planted = planted[rng.permutation(len(planted))]
    n = len(planted)
    voted = rng.random((n, m)) < vote_rate
    voted[np.arange(n), rng.integers(0, m, n)] = True
    rows, cols = np.nonzero(voted)
    probs = stance[planted[rows], cols]
    u = rng.random(rows.size)[:, None]
    outcome = (u > np.cumsum(probs, axis=1)).sum(1)
    values = np.array([1, -1, 0], dtype=np.int8)[np.minimum(outcome, 2)]
    return PlantedConversation(
        participant_ids=rows.astype(np.int64),
        statement_ids=cols.astype(np.int64),
        values=values,
        planted_group=planted.astype(np.int64),
        kind=tuple(kinds),
        stance=stance,
    )
