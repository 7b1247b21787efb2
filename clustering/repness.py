"""Per-group vote counts and representative statements ("repness"), exactly as Pol.is selects them.

For group ``g`` and everyone clustered outside it (``o``), per statement, with A/D/S = agrees,
disagrees, all votes (passes included):

* ``pa = (A+1)/(S+2)``, ``pd = (D+1)/(S+2)``;
* ``pat = 2·sqrt(S+1)·((A+1)/(S+1) − ½)``, ``pdt`` alike;
* ``ra = pa / ((A_o+1)/(S_o+2))``, ``rd`` alike;
* ``rat``/``rdt``: two-proportion z-tests with +1 smoothing (0 when the pooled share is 1).

A statement qualifies when (``rat`` > z and ``pat`` > z) or (``rdt`` > z and ``pdt`` > z), with
z = 1.2816 (90 % one-sided); its direction is "agree" when ``rat > rdt``. Qualifying statements are
ranked by ``repness · repness_test · p · p_test`` (``repness_test`` rounded to float32, like the
engine), the group's "best agree" statement goes first, 5 are kept and agrees are listed before
disagrees. A group with no qualifying statement shows its best-agree statement alone (or, failing
that, the statement with the largest test value). Moderated-out and meta statements never appear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from clustering.votes import VoteMatrix

__all__ = [
    "Z_90",
    "GroupCounts",
    "group_counts",
    "prop_test",
    "two_prop_test",
    "RepnessStats",
    "repness_stats",
    "select_representative",
]

Z_90 = 1.2816


@dataclass(frozen=True, eq=False)
class GroupCounts:
    """Agree / disagree / all-vote counts per group and statement: arrays of shape (g, m)."""

    agree: NDArray[np.int64]
    disagree: NDArray[np.int64]
    votes: NDArray[np.int64]

    @property
    def passes(self) -> NDArray[np.int64]:
        """Pass counts, shape (g, m)."""
        return self.votes - self.agree - self.disagree


def group_counts(votes: VoteMatrix, labels: NDArray[np.int64], n_groups: int) -> GroupCounts:
    """Count raw votes per group: ``labels[i]`` is participant ``i``'s group index or -1 (none)."""
    labels = np.asarray(labels, dtype=np.int64)
    member = np.flatnonzero(labels >= 0)
    n, m = votes.shape
    if n_groups == 0:
        empty = np.zeros((0, m), dtype=np.int64)
        return GroupCounts(empty, empty.copy(), empty.copy())
    onehot = sp.csr_matrix((np.ones(member.size), (labels[member], member)), shape=(n_groups, n))

    def count(mat: sp.csr_matrix) -> NDArray[np.int64]:
        return np.rint(np.asarray((onehot @ mat).todense())).astype(np.int64)

    return GroupCounts(
        agree=count(votes.indicator(1)),
        disagree=count(votes.indicator(-1)),
        votes=count(votes.indicator(None)),
    )


def prop_test(successes: NDArray, trials: NDArray) -> NDArray[np.float64]:
    """One-proportion test statistic with +1 smoothing: ``2·sqrt(n+1)·((s+1)/(n+1) − ½)``."""
    s = np.asarray(successes, dtype=np.float64) + 1.0
    n = np.asarray(trials, dtype=np.float64) + 1.0
    return 2.0 * np.sqrt(n) * (s / n - 0.5)


def two_prop_test(
    succ_in: NDArray, succ_out: NDArray, pop_in: NDArray, pop_out: NDArray
) -> NDArray[np.float64]:
    """Two-proportion z statistic with +1 smoothing; 0 where the pooled proportion is 1."""
    s1 = np.asarray(succ_in, dtype=np.float64) + 1.0
    s2 = np.asarray(succ_out, dtype=np.float64) + 1.0
    n1 = np.asarray(pop_in, dtype=np.float64) + 1.0
    n2 = np.asarray(pop_out, dtype=np.float64) + 1.0
    pooled = (s1 + s2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    z = np.divide(
        s1 / n1 - s2 / n2, np.sqrt(np.maximum(var, 0.0)), out=np.zeros_like(var), where=var > 0
    )
    return np.where(pooled == 1.0, 0.0, z)


@dataclass(frozen=True, eq=False)
class RepnessStats:
    """Pol.is comparative statistics, each an array of shape (g, m)."""

    na: NDArray[np.int64]
    nd: NDArray[np.int64]
    ns: NDArray[np.int64]
    na_out: NDArray[np.int64]
    nd_out: NDArray[np.int64]
    ns_out: NDArray[np.int64]
    pa: NDArray[np.float64]
    pd: NDArray[np.float64]
    pat: NDArray[np.float64]
    pdt: NDArray[np.float64]
    ra: NDArray[np.float64]
    rd: NDArray[np.float64]
    rat: NDArray[np.float64]
    rdt: NDArray[np.float64]


def repness_stats(counts: GroupCounts) -> RepnessStats:
    """Group-vs-rest statistics for every group and statement."""
    na, nd, ns = counts.agree, counts.disagree, counts.votes
    na_out = na.sum(0)[None, :] - na
    nd_out = nd.sum(0)[None, :] - nd
    ns_out = ns.sum(0)[None, :] - ns
    pa = (na + 1.0) / (ns + 2.0)
    pd = (nd + 1.0) / (ns + 2.0)
    return RepnessStats(
        na=na,
        nd=nd,
        ns=ns,
        na_out=na_out,
        nd_out=nd_out,
        ns_out=ns_out,
        pa=pa,
        pd=pd,
        pat=prop_test(na, ns),
        pdt=prop_test(nd, ns),
        ra=pa / ((1.0 + na_out) / (2.0 + ns_out)),
        rd=pd / ((1.0 + nd_out) / (2.0 + ns_out)),
        rat=two_prop_test(na, na_out, ns, ns_out),
        rdt=two_prop_test(nd, nd_out, ns, ns_out),
    )


def _finalize(st: RepnessStats, g: int, j: int, best_agree: bool = False) -> dict:
    agree = bool(st.rat[g, j] > st.rdt[g, j])
    if agree:
        n_success, p, p_test = st.na[g, j], st.pa[g, j], st.pat[g, j]
        r, r_test = st.ra[g, j], st.rat[g, j]
    else:
        n_success, p, p_test = st.nd[g, j], st.pd[g, j], st.pdt[g, j]
        r, r_test = st.rd[g, j], st.rdt[g, j]
    return {
        "column": j,
        "direction": "agree" if agree else "disagree",
        "n_success": int(n_success),
        "n_trials": int(st.ns[g, j]),
        "p_success": float(p),
        "p_test": float(p_test),
        "repness": float(r),
        "repness_test": float(np.float32(r_test)),
        "best_agree": best_agree,
    }


def _metric(item: dict) -> float:
    return item["repness"] * item["repness_test"] * item["p_success"] * item["p_test"]


def select_representative(
    st: RepnessStats,
    eligible: NDArray[np.bool_],
    *,
    pick_max: int = 5,
    z: float = Z_90,
) -> list[list[dict]]:
    """Pol.is' representative-statement selection for every group.

    Parameters
    ----------
    st : RepnessStats
    eligible : ndarray of bool, shape (m,)
        Statements that may be listed (not moderated out, not meta).
    pick_max : int, default 5
    z : float, default 1.2816

    Returns
    -------
    list (one per group) of lists of dicts with keys ``column`` (statement index), ``direction``,
    ``n_success``, ``n_trials``, ``p_success``, ``p_test``, ``repness``, ``repness_test``,
    ``best_agree``.
    """
    out: list[list[dict]] = []
    cols = np.flatnonzero(eligible)
    for g in range(st.na.shape[0]):
        passes = ((st.rat[g] > z) & (st.pat[g] > z)) | ((st.rdt[g] > z) & (st.pdt[g] > z))
        sufficient = [int(j) for j in cols if passes[j]]
        best = None
        if not sufficient:
            # Fallback: the largest max(rat, rdt) (the engine tracks it only while none pass).
            test = np.maximum(st.rat[g, cols], st.rdt[g, cols]) if cols.size else np.zeros(0)
            if cols.size:
                best = int(cols[int(np.argmax(test))])
        best_agree = _best_agree(st, g, cols)
        if best_agree is not None:
            head = [_finalize(st, g, best_agree, best_agree=True)]
            head[0]["n_agree"] = int(st.na[g, best_agree])
        else:
            head = []
        if not sufficient:
            out.append(head if head else ([_finalize(st, g, best)] if best is not None else []))
            continue
        items = [_finalize(st, g, j) for j in sufficient if j != best_agree]
        items.sort(key=lambda item: -_metric(item))  # stable: ties keep statement order
        chosen = (head + items)[:pick_max]
        chosen = [c for c in chosen if c["direction"] == "agree"] + [
            c for c in chosen if c["direction"] == "disagree"
        ]
        out.append(chosen)
    return out


def _best_agree(st: RepnessStats, g: int, cols: NDArray[np.int64]) -> int | None:
    """The engine's sequential "best agree" scan over statements in id order."""
    best: int | None = None
    for j in cols:
        na, nd = st.na[g, j], st.nd[g, j]
        if na == 0 and nd == 0:
            continue
        ra, rat, pa, pat = st.ra[g, j], st.rat[g, j], st.pa[g, j], st.pat[g, j]
        if best is not None and st.ra[g, best] > 1.0:
            beats = ra * rat * pa * pat > (
                st.ra[g, best] * st.rat[g, best] * st.pa[g, best] * st.pat[g, best]
            )
        elif best is not None:
            beats = pa * pat > st.pa[g, best] * st.pat[g, best]
        else:
            beats = bool(pat > Z_90 or (ra > 1.0 and pa > 0.5))
        if beats:
            best = int(j)
    return best
