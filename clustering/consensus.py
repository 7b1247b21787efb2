"""Majority consensus, group-informed consensus, divisive and uncertainty lists.

* **Majority consensus** (Pol.is): over all participants' votes, statements with ``pa > 0.5`` and
  ``pat > 1.2816`` ranked by ``pa · pat`` (top 5); the same for disagreement with ``pd``/``pdt``.
* **Group-informed consensus** (Pol.is' group-aware consensus): ``Π_g (A_g + 1)/(S_g + 2)`` over
  the groups; we also give the disagree counterpart ``Π_g (D_g + 1)/(S_g + 2)``.
* **Divisiveness** (ours; Pol.is has no such list): how far apart the groups stand on a statement.
  With the smoothed net agreement of group ``g``, ``net_g = (A_g − D_g)/(S_g + 2)`` in (−1, 1),
  divisiveness is the size-weighted standard deviation of ``net_g`` across groups
  (``sqrt(Σ w_g (net_g − Σ w net)²)``, ``w_g`` = group size share). It is 0 when every group leans
  the same way by the same amount and approaches 1 when two equal groups unanimously oppose each
  other; the smoothing keeps statements few people saw from looking divisive. The divisive list
  holds statements with divisiveness ≥ ``min_divisiveness`` (default 0.2) on which at least one
  group leans agree and another leans disagree (``net > 0`` and ``net < 0``), top 5 by divisiveness.
* **Uncertainty** (Pol.is' report): statements whose pass share (P/S over all votes) exceeds 0.3,
  ranked by ``share² · passes``, top 5.

Moderated-out and meta statements never appear in these lists.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from clustering.repness import Z_90, GroupCounts, prop_test

__all__ = [
    "majority_consensus",
    "group_informed_consensus",
    "divisiveness",
    "divisive_list",
    "uncertainty_list",
]


def majority_consensus(
    n_agree: NDArray,
    n_disagree: NDArray,
    n_votes: NDArray,
    eligible: NDArray[np.bool_],
    *,
    pick_max: int = 5,
    z: float = Z_90,
) -> dict[str, list[dict]]:
    """Pol.is' consensus lists: ``{"agree": [...], "disagree": [...]}`` of dicts with ``column``,
    ``n_success``, ``n_trials``, ``p_success``, ``p_test`` (ties keep statement order)."""
    out: dict[str, list[dict]] = {}
    for name, succ in (("agree", n_agree), ("disagree", n_disagree)):
        p = (succ + 1.0) / (n_votes + 2.0)
        pt = prop_test(succ, n_votes)
        ok = np.flatnonzero(eligible & (p > 0.5) & (pt > z))
        ranked = ok[np.argsort(-(p[ok] * pt[ok]), kind="stable")][:pick_max]
        out[name] = [
            {
                "column": int(j),
                "n_success": int(succ[j]),
                "n_trials": int(n_votes[j]),
                "p_success": float(p[j]),
                "p_test": float(pt[j]),
            }
            for j in ranked
        ]
    return out


def group_informed_consensus(counts: GroupCounts) -> tuple[NDArray, NDArray]:
    """Agree and disagree group-informed consensus per statement (products over groups)."""
    if counts.votes.shape[0] == 0:
        m = counts.votes.shape[1]
        return np.zeros(m), np.zeros(m)
    denom = counts.votes + 2.0
    agree = np.prod((counts.agree + 1.0) / denom, axis=0)
    disagree = np.prod((counts.disagree + 1.0) / denom, axis=0)
    return agree, disagree


def _net(counts: GroupCounts) -> NDArray[np.float64]:
    return (counts.agree - counts.disagree) / (counts.votes + 2.0)


def divisiveness(counts: GroupCounts, sizes: NDArray) -> NDArray[np.float64]:
    """Size-weighted standard deviation of the groups' smoothed net agreement, per statement."""
    g, m = counts.votes.shape
    if g < 2:
        return np.zeros(m)
    w = np.asarray(sizes, dtype=np.float64)
    w = w / w.sum() if w.sum() > 0 else np.full(g, 1.0 / g)
    net = _net(counts)
    mean = w @ net
    return np.sqrt(np.maximum(w @ (net - mean) ** 2, 0.0))


def divisive_list(
    counts: GroupCounts,
    div: NDArray[np.float64],
    eligible: NDArray[np.bool_],
    *,
    pick_max: int = 5,
    min_divisiveness: float = 0.2,
) -> list[dict]:
    """Top divisive statements: dicts with ``column``, ``divisiveness`` and per-group ``net``."""
    if counts.votes.shape[0] < 2:
        return []
    net = _net(counts)
    split = (net.max(0) > 0) & (net.min(0) < 0)
    ok = np.flatnonzero(eligible & split & (div >= min_divisiveness))
    ranked = ok[np.argsort(-div[ok], kind="stable")][:pick_max]
    return [
        {"column": int(j), "divisiveness": float(div[j]), "net_agreement": net[:, j].tolist()}
        for j in ranked
    ]


def uncertainty_list(
    n_pass: NDArray,
    n_votes: NDArray,
    eligible: NDArray[np.bool_],
    *,
    pick_max: int = 5,
    min_pass_share: float = 0.3,
) -> list[dict]:
    """Statements many people passed on: dicts with ``column``, ``pass_share``, ``n_pass``,
    ``n_votes``."""
    share = np.divide(n_pass, n_votes, out=np.zeros(len(n_votes)), where=n_votes > 0)
    ok = np.flatnonzero(eligible & (share > min_pass_share))
    ranked = ok[np.argsort(-(share[ok] ** 2 * n_pass[ok]), kind="stable")][:pick_max]
    return [
        {
            "column": int(j),
            "pass_share": float(share[j]),
            "n_pass": int(n_pass[j]),
            "n_votes": int(n_votes[j]),
        }
        for j in ranked
    ]
