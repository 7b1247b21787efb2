"""Base clusters, opinion groups (two selection rules), subgroups and stable group ids.

Both methods start like Pol.is: in-conv participants' 2-D map positions are grouped into up to
``base_k = 100`` **base clusters**, warm-started from the previous analysis when there is one.

``method="polis"`` (faithful): groups are weighted k-means of the base-cluster centres (weights =
base-cluster sizes) for k = 2 … max_k, ``max_k = min(max_groups, 2 + ⌊n_base / 12⌋)``, each started
from the first k distinct base centres (cold) or the previous clustering for that k (warm), at most
20 Lloyd steps (what the engine actually runs). k is the one with the best silhouette of the base
centres, smoothed across recomputes (:class:`KSmoother`).

``method="consult"`` (default; how we differ from Pol.is): same base clusters, same map, same
range of k, but

* **more careful clustering** — for each k, ``n_init`` weighted k-means++ restarts on the base
  centres (plus the previous centres as a warm candidate, kept unless a restart is > 1 % tighter),
  then Lloyd refinement on the participants themselves, so groups are not restricted to unions of
  base clusters;
* **k chosen by how well groups predict votes** instead of by silhouette: the leave-one-out
  log-likelihood of the in-conv participants' votes under the +1-smoothed agree/disagree/pass
  distribution of their group, ``Σ_{g,j,v} n_gjv · log(n_gjv / (n_gj + 2))``. Silhouette on 100
  base centres almost always prefers k = 2 even when more groups explain the votes much better.

Groups stay convex regions of the 2-D map, so the map and every Pol.is-style output keep their
meaning. On the five public Pol.is conversations (``benchmarks/group_quality.py``) this predicts
held-out votes better than the groups Pol.is itself exported.

**Subgroups** use the same method inside each group (for "consult", a single subgroup — i.e. no
split — is allowed when splitting does not explain the votes better).

**Stable ids**: new groups are matched to the previous analysis' groups by shared members
(Hungarian assignment on the overlap counts); a matched group keeps its id, others get the smallest
unused ids. The k shown changes only after the same new best k won ``k_buffer`` consecutive
recomputes (Pol.is' smoothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

from clustering.kmeans import (
    assign,
    farthest_point_init,
    first_distinct_rows,
    kmeans,
    kmeans_plus_plus_init,
    silhouette,
    weighted_inertia,
)

__all__ = [
    "KSmoother",
    "BaseClustering",
    "GroupClustering",
    "max_groups_for",
    "base_clusters",
    "polis_groups",
    "consult_groups",
    "vote_loo_loglik",
    "match_ids",
]

POLIS_GROUP_ITERS = 20
WARM_TOLERANCE = 0.01


@dataclass(frozen=True)
class KSmoother:
    """Pol.is' k smoothing state: the shown k changes after ``buffer`` consecutive wins."""

    last_k: int | None = None
    last_k_count: int = 0
    smoothed_k: int | None = None

    def update(self, best_k: int, buffer: int) -> KSmoother:
        """Return the state after a recompute whose best k is ``best_k``."""
        count = self.last_k_count + 1 if self.last_k == best_k else 1
        smoothed = best_k if count >= buffer or self.smoothed_k is None else self.smoothed_k
        return KSmoother(last_k=best_k, last_k_count=count, smoothed_k=smoothed)


@dataclass(frozen=True, eq=False)
class BaseClustering:
    """Base clusters of in-conv participants: labels index ``centers``/``ids``."""

    labels: NDArray[np.int64]
    centers: NDArray[np.float64]
    ids: NDArray[np.int64]

    @property
    def sizes(self) -> NDArray[np.int64]:
        """Members per base cluster."""
        return np.bincount(self.labels, minlength=len(self.centers))


@dataclass(frozen=True, eq=False)
class GroupClustering:
    """A partition of in-conv participants into groups (labels 0..k-1, before id matching)."""

    labels: NDArray[np.int64]
    centers: NDArray[np.float64]
    k: int
    scores: dict[int, float] = field(default_factory=dict)
    centers_by_k: dict[int, NDArray[np.float64]] = field(default_factory=dict)
    smoother: KSmoother = field(default_factory=KSmoother)


def max_groups_for(n_points: int, max_groups: int) -> int:
    """Pol.is' cap on k: ``min(max_groups, 2 + ⌊n_points / 12⌋)``."""
    return min(max_groups, 2 + n_points // 12)


# ------------------------------------------------------------------------------- base clusters
def _warm_base_init(
    points: NDArray[np.float64],
    previous_labels: NDArray[np.int64],
    previous_ids: NDArray[np.int64],
    k: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Pol.is' clean start: recentre previous clusters on their members' new positions, then add
    the most distal points as new clusters until there are ``k`` (or no distinct point is left)."""
    has = previous_labels >= 0
    ids = np.unique(previous_labels[has])
    centers = np.array([points[has][previous_labels[has] == i].mean(0) for i in ids])
    if len(centers):
        centers, first = np.unique(centers, axis=0, return_index=True)
        ids = ids[first]
    n_distinct = len(np.unique(points, axis=0))
    target = min(k, n_distinct)
    if len(centers) < target:
        filled = farthest_point_init(points, centers, target)
        new = len(filled) - len(centers)
        start = int(max(previous_ids.max(initial=-1), ids.max(initial=-1))) + 1
        ids = np.concatenate([ids, np.arange(start, start + new)])
        centers = filled
    return centers.reshape(-1, points.shape[1]), ids.astype(np.int64)


def base_clusters(
    points: NDArray[np.float64],
    *,
    k: int = 100,
    method: str = "consult",
    previous_labels: NDArray[np.int64] | None = None,
    previous_ids: NDArray[np.int64] | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> BaseClustering:
    """k-means of the in-conv participants' map positions into at most ``k`` base clusters.

    Parameters
    ----------
    points : ndarray, shape (n, 2)
    k : int, default 100
    method : {"consult", "polis"}
        "polis": the engine's Lloyd loop (≤ 100 steps, stop when no centre moves ≥ 0.01, empty
        clusters dropped), cold-started from the first k distinct points. "consult": scikit-learn's
        Lloyd (k-means++ cold start), much faster on large conversations.
    previous_labels : ndarray of int, shape (n,), optional
        Each participant's base-cluster id in the previous analysis (-1 if none): warm start.
    previous_ids : ndarray of int, optional
        All base-cluster ids of the previous analysis (new ids continue after them).
    random_state : int, RandomState or None
    """
    n = points.shape[0]
    if n == 0:
        return BaseClustering(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0, np.int64))
    warm = previous_labels is not None and bool(np.any(previous_labels >= 0))
    if warm:
        assert previous_labels is not None
        prev_ids = previous_ids if previous_ids is not None else np.unique(previous_labels)
        init, ids = _warm_base_init(points, previous_labels, prev_ids, k)
    elif method == "polis":
        init = first_distinct_rows(points, k)
        ids = np.arange(len(init), dtype=np.int64)
    else:
        init = None
        ids = np.arange(min(k, len(np.unique(points, axis=0))), dtype=np.int64)
    if method == "polis":
        labels, centers, kept = kmeans(points, init, max_iter=100, tol=0.01)
        return BaseClustering(labels, centers, ids[kept])
    n_clusters = len(ids) if init is None else len(init)
    km = KMeans(
        n_clusters=n_clusters,
        init="k-means++" if init is None else init,
        n_init=1,
        max_iter=100,
        random_state=random_state,
    ).fit(points)
    labels = km.labels_.astype(np.int64)
    alive = np.bincount(labels, minlength=n_clusters) > 0
    remap = np.cumsum(alive) - 1
    return BaseClustering(remap[labels], km.cluster_centers_[alive], ids[alive])


# ------------------------------------------------------------------------------- vote likelihood
def vote_loo_loglik(vote_blocks: sp.csr_matrix, labels: NDArray[np.int64], k: int) -> float:
    """Leave-one-out log-likelihood of votes under per-group smoothed vote distributions.

    Parameters
    ----------
    vote_blocks : csr_matrix, shape (n, 3·m)
        Horizontal stack of the agree, disagree and pass indicator matrices of the participants.
    labels : ndarray of int, shape (n,)
        Group of each participant (-1 = ignored).
    k : int
        Number of groups.
    """
    member = np.flatnonzero(labels >= 0)
    if member.size == 0:
        return 0.0
    onehot = sp.csr_matrix(
        (np.ones(member.size), (labels[member], member)), shape=(k, vote_blocks.shape[0])
    )
    counts = np.asarray((onehot @ vote_blocks).todense())
    m = counts.shape[1] // 3
    c = counts.reshape(k, 3, m)
    total = c.sum(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(c > 0, c * np.log(np.where(c > 0, c, 1.0) / (total + 2.0)), 0.0)
    return float(terms.sum())


# ------------------------------------------------------------------------------- Pol.is groups
def polis_groups(
    base: BaseClustering,
    *,
    max_groups: int = 5,
    previous_centers_by_k: dict[int, NDArray[np.float64]] | None = None,
    smoother: KSmoother | None = None,
    k_buffer: int = 4,
) -> GroupClustering:
    """Pol.is' group clustering of the base-cluster centres, k by silhouette (smoothed)."""
    centers = base.centers[np.argsort(base.ids, kind="stable")]
    order = np.argsort(base.ids, kind="stable")
    weights = base.sizes[order].astype(np.float64)
    n_distinct = len(np.unique(centers, axis=0)) if len(centers) else 0
    max_k = max_groups_for(len(centers), max_groups)
    results: dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
    scores: dict[int, float] = {}
    for k in range(2, max_k + 1):
        prev = (previous_centers_by_k or {}).get(k)
        if prev is not None and len(prev):
            init = np.asarray(prev, dtype=np.float64)
        else:
            init = first_distinct_rows(centers, k)
        if n_distinct == 0:
            continue
        labels, gcenters, _ = kmeans(
            centers, init, weights=weights, max_iter=POLIS_GROUP_ITERS, tol=0.01
        )
        results[k] = (labels, gcenters)
        scores[k] = silhouette(centers, labels)
    if not results:
        labels = np.zeros(len(base.labels), dtype=np.int64)
        center = base.centers.mean(0, keepdims=True) if len(base.centers) else np.zeros((1, 2))
        return GroupClustering(labels, center, 1, {}, {}, smoother or KSmoother())
    best_k = max(scores, key=lambda kk: (scores[kk], -kk))
    new_smoother = (smoother or KSmoother()).update(best_k, k_buffer)
    k = new_smoother.smoothed_k if new_smoother.smoothed_k in results else best_k
    labels, gcenters = results[k]
    # labels index base clusters in id order; map back to participants
    per_base = np.empty(len(order), dtype=np.int64)
    per_base[order] = labels
    return GroupClustering(
        labels=per_base[base.labels],
        centers=gcenters,
        k=len(gcenters),
        scores=scores,
        centers_by_k={kk: r[1] for kk, r in results.items()},
        smoother=new_smoother,
    )


# ------------------------------------------------------------------------------- consult groups
def _best_partition(
    cell_points: NDArray[np.float64],
    cell_weights: NDArray[np.float64],
    points: NDArray[np.float64],
    k: int,
    rng: np.random.RandomState,
    n_init: int,
    warm: NDArray[np.float64] | None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]] | None:
    """k groups: weighted k-means++ restarts on cells, warm candidate, Lloyd on the points."""
    candidates: list[tuple[float, NDArray[np.float64], bool]] = []
    if warm is not None and len(warm) == k:
        _, c, _ = kmeans(cell_points, warm, weights=cell_weights, max_iter=100, tol=1e-6)
        if len(c) == k:
            lab, _ = assign(cell_points, c)
            candidates.append((weighted_inertia(cell_points, lab, c, cell_weights), c, True))
    for _ in range(n_init):
        init = kmeans_plus_plus_init(cell_points, k, rng, weights=cell_weights)
        if len(init) < k:
            continue
        lab, c, _ = kmeans(cell_points, init, weights=cell_weights, max_iter=100, tol=1e-6)
        if len(c) == k:
            candidates.append((weighted_inertia(cell_points, lab, c, cell_weights), c, False))
    if not candidates:
        return None
    best = min(candidates, key=lambda item: item[0])
    warm_items = [c for c in candidates if c[2]]
    if warm_items and warm_items[0][0] <= best[0] * (1.0 + WARM_TOLERANCE):
        best = warm_items[0]
    labels, centers, _ = kmeans(points, best[1], max_iter=100, tol=1e-6)
    if len(centers) < k:
        return None
    return labels, centers


def consult_groups(
    points: NDArray[np.float64],
    cells: NDArray[np.int64],
    vote_blocks: sp.csr_matrix,
    *,
    min_k: int = 2,
    max_k: int = 5,
    n_init: int = 10,
    previous_centers_by_k: dict[int, NDArray[np.float64]] | None = None,
    smoother: KSmoother | None = None,
    k_buffer: int = 4,
    random_state: int | np.random.RandomState | None = None,
) -> GroupClustering:
    """Groups by k-means on the map, k chosen by the leave-one-out vote likelihood.

    Parameters
    ----------
    points : ndarray, shape (n, 2)
        Map positions of the participants to group.
    cells : ndarray of int, shape (n,)
        A fine pre-partition (base clusters) whose weighted centroids seed the restarts cheaply.
    vote_blocks : csr_matrix, shape (n, 3·m)
        Agree / disagree / pass indicators of the same participants (see :func:`vote_loo_loglik`).
    min_k, max_k : int
        Range of k (``min_k = 1`` allows "no split", used for subgroups).
    n_init : int, default 10
    previous_centers_by_k : dict, optional
        Warm-start centres per k.
    smoother : KSmoother, optional
    k_buffer : int, default 4
    random_state : int, RandomState or None
    """
    rng = (
        np.random.RandomState(random_state)
        if not isinstance(random_state, np.random.RandomState)
        else random_state
    )
    n = points.shape[0]
    _, cell_idx = np.unique(cells, return_inverse=True)
    n_cells = int(cell_idx.max()) + 1 if n else 0
    weights = np.bincount(cell_idx, minlength=n_cells).astype(np.float64)
    cell_points = np.zeros((n_cells, points.shape[1]))
    for dim in range(points.shape[1]):
        cell_points[:, dim] = np.bincount(cell_idx, weights=points[:, dim], minlength=n_cells)
    cell_points /= np.maximum(weights, 1.0)[:, None]
    results: dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
    scores: dict[int, float] = {}
    n_distinct = len(np.unique(points, axis=0)) if n else 0
    for k in range(min_k, max_k + 1):
        if k > n_distinct:
            break
        if k == 1:
            labels = np.zeros(n, dtype=np.int64)
            part: tuple | None = (labels, points.mean(0, keepdims=True))
        else:
            warm = (previous_centers_by_k or {}).get(k)
            part = _best_partition(
                cell_points,
                weights,
                points,
                k,
                rng,
                n_init,
                None if warm is None else np.asarray(warm, dtype=np.float64),
            )
        if part is None:
            continue
        results[k] = part
        scores[k] = vote_loo_loglik(vote_blocks, part[0], k)
    if not results:
        labels = np.zeros(n, dtype=np.int64)
        center = points.mean(0, keepdims=True) if n else np.zeros((1, 2))
        return GroupClustering(labels, center, 1, {}, {}, smoother or KSmoother())
    best_k = max(scores, key=lambda kk: (scores[kk], -kk))
    new_smoother = (smoother or KSmoother()).update(best_k, k_buffer)
    k = new_smoother.smoothed_k if new_smoother.smoothed_k in results else best_k
    labels, centers = results[k]
    return GroupClustering(
        labels=labels,
        centers=centers,
        k=len(centers),
        scores=scores,
        centers_by_k={kk: r[1] for kk, r in results.items()},
        smoother=new_smoother,
    )


# ------------------------------------------------------------------------------- stable ids
def match_ids(
    new_labels: NDArray[np.int64],
    previous_labels: NDArray[np.int64],
    n_new: int,
) -> NDArray[np.int64]:
    """Stable ids for new groups.

    Parameters
    ----------
    new_labels : ndarray of int, shape (n,)
        New group index (0..n_new-1) of each participant, -1 for none.
    previous_labels : ndarray of int, shape (n,)
        The same participants' group ids in the previous analysis, -1 for none.
    n_new : int

    Returns
    -------
    ndarray of int64, shape (n_new,)
        The id of each new group: the previous id it shares most members with (one-to-one,
        maximising the total overlap), else the smallest id not taken.
    """
    ids = np.full(n_new, -1, dtype=np.int64)
    both = (new_labels >= 0) & (previous_labels >= 0)
    if both.any():
        old_ids, old_idx = np.unique(previous_labels[both], return_inverse=True)
        overlap = np.zeros((n_new, len(old_ids)))
        np.add.at(overlap, (new_labels[both], old_idx), 1.0)
        rows, cols = linear_sum_assignment(-overlap)
        for r, c in zip(rows, cols, strict=True):
            if overlap[r, c] > 0:
                ids[r] = old_ids[c]
    taken = set(ids[ids >= 0].tolist())
    nxt = 0
    for g in range(n_new):
        if ids[g] < 0:
            while nxt in taken:
                nxt += 1
            ids[g] = nxt
            taken.add(nxt)
    return ids
