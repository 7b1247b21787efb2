"""Per-group agreement with its uncertainty: n, share and a 90 % interval; cautious consensus.

Pol.is reports point estimates only. For every opinion group and statement this module gives the
number of votes ``n`` (passes included), the agree and disagree shares (``A/n``, ``D/n``: a pass
counts as "not agreeing", as on the results page) and an interval that holds the group's true
share with probability ``level`` (default 90 %):

* ``method="wilson"`` (default): the Wilson score interval, ``z = Φ⁻¹(1 − (1 − level)/2)``. It
  stays inside [0, 1], is sensible for small n and for shares near 0 or 1, and needs no
  simulation.
* ``method="jeffreys"``: the equal-tailed interval of the Beta(A + ½, n − A + ½) posterior.

A group without votes on a statement has the interval [0, 1].

**Consensus, cautiously**: a statement is an *agree consensus* only where the lower bound of every
group's agree share is at least ``threshold`` (default 0.5: "a majority of every group agrees,
and that is not luck of the draw"); a *disagree consensus* likewise with the disagree share. A
small group, or a group that barely voted on the statement, has a wide interval and so blocks the
label: the rule prefers "not sure" over a false "everyone agrees". Moderated-out and meta
statements never get a label (``eligible``).

**Divided**, the counterpart: a statement divides the groups where the lower bound of one group's
agree share and of another group's disagree share both reach ``threshold`` ("a majority of one
group agrees and a majority of another disagrees, and that is not luck of the draw"). Unlike a
top-5 list this has no fixed length, and a statement few people saw cannot qualify.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri
from scipy.stats import beta

__all__ = [
    "METHODS",
    "AGREE",
    "DISAGREE",
    "NONE",
    "share_interval",
    "consensus_labels",
    "divided_mask",
    "GroupAgreement",
    "group_agreement",
]

METHODS = ("wilson", "jeffreys")
AGREE, DISAGREE, NONE = "agree", "disagree", ""


def _check(level: float, method: str, threshold: float | None = None) -> None:
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")


def share_interval(
    successes: ArrayLike, trials: ArrayLike, *, level: float = 0.9, method: str = "wilson"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-sided interval for a binomial share, elementwise.

    Parameters
    ----------
    successes, trials : array-like of int
        Same shape; ``0 <= successes <= trials``.
    level : float, default 0.9
        Coverage of the interval.
    method : {"wilson", "jeffreys"}, default "wilson"

    Returns
    -------
    low, high : ndarray of float64
        The bounds, in [0, 1]; [0, 1] where ``trials == 0``.
    """
    _check(level, method)
    s = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if s.shape != n.shape:
        raise ValueError(f"successes and trials differ in shape: {s.shape} vs {n.shape}")
    if np.any(s < 0) or np.any(s > n):
        raise ValueError("successes must lie between 0 and trials")
    empty = n <= 0
    safe_n = np.where(empty, 1.0, n)
    if method == "wilson":
        z = float(ndtri(1.0 - (1.0 - level) / 2.0))
        p = s / safe_n
        denom = 1.0 + z * z / safe_n
        centre = (p + z * z / (2.0 * safe_n)) / denom
        half = z * np.sqrt(np.maximum(p * (1.0 - p) / safe_n + z * z / (4.0 * safe_n**2), 0.0))
        half /= denom
        low, high = centre - half, centre + half
    else:
        tail = (1.0 - level) / 2.0
        low = np.where(s > 0, beta.ppf(tail, s + 0.5, n - s + 0.5), 0.0)
        high = np.where(s < n, beta.ppf(1.0 - tail, s + 0.5, n - s + 0.5), 1.0)
    low = np.clip(np.where(empty, 0.0, low), 0.0, 1.0)
    high = np.clip(np.where(empty, 1.0, high), 0.0, 1.0)
    return low, high


def consensus_labels(
    group_agree: ArrayLike,
    group_disagree: ArrayLike,
    group_votes: ArrayLike,
    *,
    threshold: float = 0.5,
    level: float = 0.9,
    method: str = "wilson",
    eligible: ArrayLike | None = None,
) -> NDArray[np.str_]:
    """Consensus label per statement: "agree", "disagree" or "" (none).

    Parameters
    ----------
    group_agree, group_disagree, group_votes : array-like of int, shape (n_groups, n_statements)
        Per-group counts (``group_votes`` includes passes).
    threshold : float, default 0.5
        Every group's lower bound must reach it.
    level, method
        See :func:`share_interval`.
    eligible : array-like of bool, shape (n_statements,), optional
        Statements that may get a label (default all).

    Returns
    -------
    ndarray of str, shape (n_statements,)
        Empty labels everywhere when there are no groups.
    """
    _check(level, method, threshold)
    a = np.atleast_2d(np.asarray(group_agree, dtype=np.int64))
    d = np.atleast_2d(np.asarray(group_disagree, dtype=np.int64))
    n = np.atleast_2d(np.asarray(group_votes, dtype=np.int64))
    m = n.shape[1]
    out = np.full(m, NONE, dtype="<U8")
    if n.shape[0] == 0 or m == 0:
        return out
    low_a, _ = share_interval(a, n, level=level, method=method)
    low_d, _ = share_interval(d, n, level=level, method=method)
    ok = np.ones(m, bool) if eligible is None else np.asarray(eligible, dtype=bool)
    agree = ok & (low_a >= threshold).all(0)
    disagree = ok & (low_d >= threshold).all(0) & ~agree
    out[agree] = AGREE
    out[disagree] = DISAGREE
    return out


def divided_mask(
    group_agree: ArrayLike,
    group_disagree: ArrayLike,
    group_votes: ArrayLike,
    *,
    threshold: float = 0.5,
    level: float = 0.9,
    method: str = "wilson",
    eligible: ArrayLike | None = None,
) -> NDArray[np.bool_]:
    """Statements on which one group's agree and another's disagree lower bounds reach
    ``threshold`` (arguments as :func:`consensus_labels`); all False with fewer than 2 groups."""
    _check(level, method, threshold)
    a = np.atleast_2d(np.asarray(group_agree, dtype=np.int64))
    d = np.atleast_2d(np.asarray(group_disagree, dtype=np.int64))
    n = np.atleast_2d(np.asarray(group_votes, dtype=np.int64))
    m = n.shape[1]
    if n.shape[0] < 2 or m == 0:
        return np.zeros(m, dtype=bool)
    low_a, _ = share_interval(a, n, level=level, method=method)
    low_d, _ = share_interval(d, n, level=level, method=method)
    ok = np.ones(m, bool) if eligible is None else np.asarray(eligible, dtype=bool)
    # a group cannot have both majorities, so "some group agrees and some group disagrees"
    # means two different groups
    return ok & (low_a >= threshold).any(0) & (low_d >= threshold).any(0)


def _ro(a: Any, dtype: Any = None) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.setflags(write=False)
    return arr


_MATRICES = (
    "n",
    "n_agree",
    "n_disagree",
    "agree_low",
    "agree_high",
    "disagree_low",
    "disagree_high",
)


@dataclass(frozen=True, eq=False)
class GroupAgreement:
    """Per group and statement: votes, agree/disagree counts and their intervals; labels.

    Matrices have shape (n_groups, n_statements), rows in ``group_ids`` order, columns in
    ``statement_ids`` order; ``label`` is per statement ("agree", "disagree" or ""), ``divided``
    per statement (see :func:`divided_mask`).
    """

    statement_ids: NDArray[np.int64]
    group_ids: NDArray[np.int64]
    n: NDArray[np.int64]
    n_agree: NDArray[np.int64]
    n_disagree: NDArray[np.int64]
    agree_low: NDArray[np.float64]
    agree_high: NDArray[np.float64]
    disagree_low: NDArray[np.float64]
    disagree_high: NDArray[np.float64]
    label: NDArray[np.str_]
    divided: NDArray[np.bool_]
    threshold: float
    level: float
    method: str

    @property
    def agree_share(self) -> NDArray[np.float64]:
        """A / n per group and statement (0 where n = 0)."""
        return np.divide(self.n_agree, self.n, out=np.zeros(self.n.shape), where=self.n > 0)

    @property
    def disagree_share(self) -> NDArray[np.float64]:
        """D / n per group and statement (0 where n = 0)."""
        return np.divide(self.n_disagree, self.n, out=np.zeros(self.n.shape), where=self.n > 0)

    def column(self, statement_id: int) -> int:
        """Column of ``statement_id``; raises KeyError."""
        hits = np.flatnonzero(self.statement_ids == statement_id)
        if hits.size == 0:
            raise KeyError(statement_id)
        return int(hits[0])

    def consensus_ids(self, direction: str = AGREE) -> list[int]:
        """Statements labelled ``direction``, highest smallest-lower-bound first."""
        if direction not in (AGREE, DISAGREE):
            raise ValueError(f"direction must be 'agree' or 'disagree', got {direction!r}")
        cols = np.flatnonzero(self.label == direction)
        if cols.size == 0:
            return []
        low = self.agree_low if direction == AGREE else self.disagree_low
        worst = low[:, cols].min(0)
        order = np.argsort(-worst, kind="stable")
        return [int(self.statement_ids[c]) for c in cols[order]]

    def divided_ids(self) -> list[int]:
        """Divided statements, widest gap between the firmest agreeing and disagreeing group
        (their lower bounds summed) first."""
        cols = np.flatnonzero(self.divided)
        if cols.size == 0:
            return []
        gap = self.agree_low[:, cols].max(0) + self.disagree_low[:, cols].max(0)
        order = np.argsort(-gap, kind="stable")
        return [int(self.statement_ids[c]) for c in cols[order]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; inverse of :meth:`from_dict`."""
        out: dict[str, Any] = {
            "statement_ids": self.statement_ids.tolist(),
            "group_ids": self.group_ids.tolist(),
            "label": self.label.tolist(),
            "divided": self.divided.tolist(),
            "threshold": self.threshold,
            "level": self.level,
            "method": self.method,
        }
        for name in _MATRICES:
            out[name] = getattr(self, name).tolist()
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GroupAgreement:
        """Rebuild from :meth:`to_dict` output."""
        try:
            g, m = len(d["group_ids"]), len(d["statement_ids"])
            kw: dict[str, Any] = {}
            for name in _MATRICES:
                dtype = np.int64 if name.startswith("n") else np.float64
                kw[name] = _ro(np.array(d[name], dtype=dtype).reshape(g, m))
            return cls(
                statement_ids=_ro(d["statement_ids"], np.int64),
                group_ids=_ro(d["group_ids"], np.int64),
                label=_ro(d["label"], "<U8"),
                divided=_ro(d["divided"], bool),
                threshold=float(d["threshold"]),
                level=float(d["level"]),
                method=str(d["method"]),
                **kw,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"group agreement payload lacks or mangles a field: {exc}") from None


def group_agreement(
    statement_ids: Sequence[int] | ArrayLike,
    group_ids: Sequence[int] | ArrayLike,
    group_agree: ArrayLike,
    group_disagree: ArrayLike,
    group_votes: ArrayLike,
    *,
    threshold: float = 0.5,
    level: float = 0.9,
    method: str = "wilson",
    eligible: ArrayLike | None = None,
) -> GroupAgreement:
    """Intervals and consensus labels from per-group counts (e.g. an analysis snapshot's).

    Parameters
    ----------
    statement_ids : array-like of int, shape (m,)
    group_ids : array-like of int, shape (g,)
    group_agree, group_disagree, group_votes : array-like of int, shape (g, m)
    threshold, level, method, eligible
        See :func:`consensus_labels`.

    Returns
    -------
    GroupAgreement

    Raises
    ------
    ValueError
        If the shapes disagree or counts are inconsistent (agrees + disagrees > votes).
    """
    _check(level, method, threshold)
    sids = np.asarray(statement_ids, dtype=np.int64).reshape(-1)
    gids = np.asarray(group_ids, dtype=np.int64).reshape(-1)
    shape = (len(gids), len(sids))
    mats = {}
    for name, arr in (("group_agree", group_agree), ("group_disagree", group_disagree)):
        mats[name] = np.asarray(arr, dtype=np.int64).reshape(shape)
    n = np.asarray(group_votes, dtype=np.int64).reshape(shape)
    a, d = mats["group_agree"], mats["group_disagree"]
    if np.any(a < 0) or np.any(d < 0) or np.any(a + d > n):
        raise ValueError("per-group counts are inconsistent: agrees + disagrees exceed votes")
    if eligible is not None and np.asarray(eligible).shape != (len(sids),):
        raise ValueError(f"eligible must have one flag per statement ({len(sids)})")
    a_lo, a_hi = share_interval(a, n, level=level, method=method)
    d_lo, d_hi = share_interval(d, n, level=level, method=method)
    labels = consensus_labels(
        a, d, n, threshold=threshold, level=level, method=method, eligible=eligible
    )
    divided = divided_mask(
        a, d, n, threshold=threshold, level=level, method=method, eligible=eligible
    )
    return GroupAgreement(
        statement_ids=_ro(sids),
        group_ids=_ro(gids),
        n=_ro(n),
        n_agree=_ro(a),
        n_disagree=_ro(d),
        agree_low=_ro(a_lo),
        agree_high=_ro(a_hi),
        disagree_low=_ro(d_lo),
        disagree_high=_ro(d_hi),
        label=_ro(labels),
        divided=_ro(divided),
        threshold=float(threshold),
        level=float(level),
        method=method,
    )
