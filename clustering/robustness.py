"""Do the consensus labels survive another number of groups? Recompute them with k forced to 2…5.

Pol.is' best-known weak spot is that its picture depends on one number, the count of opinion
groups. Group-informed consensus and "every group agrees" can appear or vanish when a small group
is merged into a larger one or a large group is cut in two. Here the participants that an analysis
clustered are regrouped with k forced to each value in ``ks`` (default 2, 3, 4, 5) by the same
method the analysis uses for its groups (:func:`clustering.groups.consult_groups`: starts from the
analysis' own map and base clusters, refined on the votes; seeded, so deterministic), and the
consensus label is recomputed for every statement at every k:

* ``"agree"`` / ``"disagree"`` — the cautious label of :mod:`clustering.uncertainty`: every
  group's 90 % lower bound clears the threshold;
* ``"agree?"`` / ``"disagree?"`` — every group's share clears the threshold but some group's
  interval is too wide to be sure (more groups are smaller groups: this is a question of sample
  size, not of disagreement);
* ``""`` — some group's share is below the threshold: at this k, not every group agrees.

A statement's consensus **holds** when no formed k contradicts it (every k says the same
direction, sure or not) and at least one k is sure; it is **fragile** when some k is sure and
another k contradicts it (``""`` or the other direction) — the label hinges on the number of
groups.

The group method may fail to form k groups (every candidate partition leaves a group under the
minimum size, typically when the votes hold fewer real groups than k); up to ``n_attempts``
differently seeded attempts are made, and the k then reports the number of groups actually formed
in ``n_groups``. A k that yields fewer than two groups says nothing about consensus *between*
groups: it is shown, but left out of "holds" and "fragile" (see :attr:`RobustnessResult.formed`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import check_random_state

from clustering.groups import VoteOutcomes, consult_groups
from clustering.opinion_groups import AnalysisResult
from clustering.repness import group_counts
from clustering.uncertainty import AGREE, DISAGREE, NONE, consensus_labels
from clustering.votes import VoteMatrix

__all__ = ["RobustnessResult", "consensus_robustness"]


def _ro(a: Any, dtype: Any = None) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class RobustnessResult:
    """Consensus labels per forced k.

    Attributes
    ----------
    statement_ids : ndarray of int64, shape (m,)
    ks : tuple of int
        The k asked for.
    n_groups : tuple of int
        Groups actually formed for each k.
    group_sizes : tuple of tuple of int
        Their sizes, largest first.
    labels : ndarray of str, shape (len(ks), m)
        "agree", "disagree", "agree?", "disagree?" or "" per k and statement (module docstring).
    threshold, level : float
        Of the consensus rule.
    """

    statement_ids: NDArray[np.int64]
    ks: tuple[int, ...]
    n_groups: tuple[int, ...]
    group_sizes: tuple[tuple[int, ...], ...]
    labels: NDArray[np.str_]
    threshold: float
    level: float

    @property
    def formed(self) -> NDArray[np.bool_]:
        """Per k: at least two groups were formed (only those count in holds / fragile)."""
        return np.array([g >= 2 for g in self.n_groups], dtype=bool)

    def _direction(self, direction: str) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        rows = self.labels[self.formed]
        sure = (rows == direction).any(0)
        kept = ((rows == direction) | (rows == direction + "?")).all(0)
        return sure, kept

    @property
    def holds(self) -> NDArray[np.bool_]:
        """Per statement: one direction at every formed k (sure at one k at least)."""
        if not self.formed.any():
            return np.zeros(len(self.statement_ids), dtype=bool)
        out = np.zeros(len(self.statement_ids), dtype=bool)
        for direction in (AGREE, DISAGREE):
            sure, kept = self._direction(direction)
            out |= sure & kept
        return out

    @property
    def fragile(self) -> NDArray[np.bool_]:
        """Per statement: sure consensus at some formed k, contradicted at another."""
        if not self.formed.any():
            return np.zeros(len(self.statement_ids), dtype=bool)
        rows = self.labels[self.formed]
        sure = ((rows == AGREE) | (rows == DISAGREE)).any(0)
        return sure & ~self.holds

    def labels_of(self, statement_id: int) -> dict[int, str]:
        """k → label for one statement; raises KeyError."""
        hits = np.flatnonzero(self.statement_ids == statement_id)
        if hits.size == 0:
            raise KeyError(statement_id)
        return {k: str(self.labels[i, hits[0]]) for i, k in enumerate(self.ks)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; inverse of :meth:`from_dict`."""
        return {
            "statement_ids": self.statement_ids.tolist(),
            "ks": list(self.ks),
            "n_groups": list(self.n_groups),
            "group_sizes": [list(s) for s in self.group_sizes],
            "labels": self.labels.tolist(),
            "threshold": self.threshold,
            "level": self.level,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RobustnessResult:
        """Rebuild from :meth:`to_dict` output."""
        try:
            m = len(d["statement_ids"])
            ks = tuple(int(k) for k in d["ks"])
            return cls(
                statement_ids=_ro(d["statement_ids"], np.int64),
                ks=ks,
                n_groups=tuple(int(x) for x in d["n_groups"]),
                group_sizes=tuple(tuple(int(x) for x in s) for s in d["group_sizes"]),
                labels=_ro(np.array(d["labels"], dtype="<U9").reshape(len(ks), m)),
                threshold=float(d["threshold"]),
                level=float(d["level"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"robustness payload lacks or mangles a field: {exc}") from None


def consensus_robustness(
    votes: VoteMatrix,
    analysis: AnalysisResult,
    *,
    ks: Sequence[int] = (2, 3, 4, 5),
    threshold: float = 0.5,
    level: float = 0.9,
    n_init: int = 10,
    n_attempts: int = 3,
    random_state: int | np.random.RandomState | None = 0,
) -> RobustnessResult:
    """Consensus labels with the analysis' participants regrouped into each k of ``ks``.

    Parameters
    ----------
    votes : VoteMatrix
        The votes the analysis was computed from (same participants and statements).
    analysis : AnalysisResult
        Supplies who is clustered, the map and the base clusters.
    ks : sequence of int, default (2, 3, 4, 5)
    threshold, level : float
        The consensus rule (:func:`clustering.uncertainty.consensus_labels`).
    n_init : int, default 10
        k-means++ restarts of each starting partition.
    n_attempts : int, default 3
        Seeded attempts per k while fewer than k groups form.
    random_state : int, RandomState or None, default 0

    Returns
    -------
    RobustnessResult

    Raises
    ------
    ValueError
        If ``votes`` and ``analysis`` do not describe the same participants and statements, or a
        k is below 1.
    """
    ks = tuple(int(k) for k in ks)
    if any(k < 1 for k in ks):
        raise ValueError(f"every k must be ≥ 1, got {ks!r}")
    p, st = analysis.participants, analysis.statements
    if len(p.ids) != votes.shape[0] or not np.array_equal(
        np.asarray(p.ids), np.asarray(votes.participant_ids)
    ):
        raise ValueError("votes and analysis have different participants")
    if not np.array_equal(np.asarray(st.ids), np.asarray(votes.statement_ids)):
        raise ValueError("votes and analysis have different statements")
    rng = check_random_state(random_state)
    seeds = rng.randint(0, 2**31 - 1, size=(len(ks), max(int(n_attempts), 1)))
    n, m = votes.shape
    eligible = votes.voted_mask() & ~votes.zeroed_mask()
    clustered = np.flatnonzero(np.asarray(p.group) >= 0)
    labels_out = np.full((len(ks), m), NONE, dtype="<U9")
    n_groups: list[int] = []
    sizes: list[tuple[int, ...]] = []
    if clustered.size == 0:
        return RobustnessResult(
            statement_ids=_ro(st.ids, np.int64),
            ks=ks,
            n_groups=tuple(0 for _ in ks),
            group_sizes=tuple(() for _ in ks),
            labels=_ro(labels_out),
            threshold=float(threshold),
            level=float(level),
        )
    points = np.column_stack([p.x, p.y])[clustered]
    cells = np.asarray(p.base_cluster)[clustered]
    outcomes = VoteOutcomes.from_votes(votes, columns=eligible).subset(clustered)
    for i, k in enumerate(ks):
        res = None
        for seed in seeds[i]:
            attempt = consult_groups(
                points,
                cells,
                outcomes,
                min_k=k,
                max_k=k,
                n_init=n_init,
                k_buffer=1,
                random_state=int(seed),
            )
            if res is None or attempt.k > res.k:
                res = attempt
            if res.k >= k:
                break
        assert res is not None
        full = np.full(n, -1, dtype=np.int64)
        full[clustered] = res.labels
        counts = group_counts(votes, full, res.k)
        sure = consensus_labels(
            counts.agree,
            counts.disagree,
            counts.votes,
            threshold=threshold,
            level=level,
            eligible=eligible,
        )
        denom = np.maximum(counts.votes, 1)
        voted = (counts.votes > 0).all(0) & eligible
        leaning = np.full(m, NONE, dtype="<U9")
        leaning[voted & (counts.agree / denom >= threshold).all(0)] = AGREE + "?"
        leaning[voted & (counts.disagree / denom >= threshold).all(0)] = DISAGREE + "?"
        labels_out[i] = np.where(sure != NONE, sure, leaning)
        n_groups.append(int(res.k))
        sizes.append(tuple(sorted(np.bincount(res.labels, minlength=res.k).tolist(), reverse=True)))
    return RobustnessResult(
        statement_ids=_ro(st.ids, np.int64),
        ks=ks,
        n_groups=tuple(n_groups),
        group_sizes=tuple(sizes),
        labels=_ro(labels_out),
        threshold=float(threshold),
        level=float(level),
    )
