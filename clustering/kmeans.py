"""Pol.is-style k-means (weighted, drops empty clusters, stops when centres settle) and helpers.

These are the building blocks of :mod:`clustering.groups`:

* :func:`kmeans` — Lloyd iterations from given initial centres. Each point goes to its nearest
  centre (ties: the lower index); empty clusters are dropped, as in Pol.is; centres are (weighted)
  member means; it stops after ``max_iter`` steps or when every centre moved less than ``tol``.
* :func:`first_distinct_rows` — Pol.is' cold-start initialisation (the first ``k`` distinct points).
* :func:`farthest_point_init` / :func:`kmeans_plus_plus_init` — deterministic seeding used when
  warm-starting from fewer centres than ``k`` and for restarts.
* :func:`silhouette` — mean silhouette on a small point set, a member of a singleton cluster
  scoring 0 (Pol.is' rule).

Everything is vectorised with NumPy; distances use ``‖x‖² − 2x·c + ‖c‖²`` in blocks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

__all__ = [
    "kmeans",
    "assign",
    "first_distinct_rows",
    "farthest_point_init",
    "kmeans_plus_plus_init",
    "silhouette",
    "weighted_inertia",
]

_BLOCK = 65536


def _sq_dists(x: NDArray[np.float64], centers: NDArray[np.float64]) -> NDArray[np.float64]:
    d = (x * x).sum(1)[:, None] - 2.0 * (x @ centers.T) + (centers * centers).sum(1)[None, :]
    np.maximum(d, 0.0, out=d)
    return d


def assign(
    x: NDArray[np.float64], centers: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Index of the nearest centre for every row of ``x`` and the squared distance to it."""
    n = x.shape[0]
    if x.shape[1] <= 3 and len(centers) > 16 and n > 1000:
        # many centres in few dimensions (base clusters): a k-d tree over the centres
        dist, nearest = cKDTree(centers).query(x, k=1)
        dist = np.asarray(dist, dtype=np.float64)
        return np.asarray(nearest, dtype=np.int64), dist * dist
    labels = np.empty(n, dtype=np.int64)
    best = np.empty(n, dtype=np.float64)
    for start in range(0, n, _BLOCK):
        d = _sq_dists(x[start : start + _BLOCK], centers)
        lab = np.argmin(d, axis=1)
        labels[start : start + _BLOCK] = lab
        best[start : start + _BLOCK] = d[np.arange(len(lab)), lab]
    return labels, best


def _means(
    x: NDArray[np.float64], labels: NDArray[np.int64], k: int, weights: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    mass = np.bincount(labels, weights=weights, minlength=k).astype(np.float64)
    sums = np.zeros((k, x.shape[1]))
    for dim in range(x.shape[1]):
        sums[:, dim] = np.bincount(labels, weights=weights * x[:, dim], minlength=k)
    centers: NDArray[np.float64] = np.divide(
        sums, mass[:, None], out=np.zeros_like(sums), where=mass[:, None] > 0
    )
    return centers, mass


def kmeans(
    x: NDArray[np.float64],
    init: NDArray[np.float64],
    *,
    weights: NDArray[np.float64] | None = None,
    max_iter: int = 100,
    tol: float = 0.01,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Lloyd's k-means from ``init``, dropping clusters that become empty (Pol.is semantics).

    Parameters
    ----------
    x : ndarray, shape (n, d)
    init : ndarray, shape (k, d)
        Initial centres.
    weights : ndarray, shape (n,), optional
        Point weights (e.g. base-cluster sizes); centres are weighted means.
    max_iter : int, default 100
    tol : float, default 0.01
        Stop when every centre moved less than ``tol`` (Euclidean) in one step.

    Returns
    -------
    labels : ndarray of int64, shape (n,)
        Index into the returned centres.
    centers : ndarray, shape (k_kept, d)
    kept : ndarray of int64, shape (k_kept,)
        For each returned centre, the index of the initial centre it descends from.
    """
    x = np.asarray(x, dtype=np.float64)
    centers = np.array(init, dtype=np.float64, copy=True)
    w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    kept = np.arange(len(centers), dtype=np.int64)
    if x.shape[0] == 0 or len(centers) == 0:
        return np.zeros(x.shape[0], dtype=np.int64), centers[:0], kept[:0]
    labels = np.zeros(x.shape[0], dtype=np.int64)
    for _ in range(max(max_iter, 1)):
        labels, _ = assign(x, centers)
        new_centers, mass = _means(x, labels, len(centers), w)
        alive = mass > 0
        if not alive.all():
            remap = np.cumsum(alive) - 1
            labels = remap[labels]
            kept = kept[alive]
            new_centers = new_centers[alive]
            centers = centers[alive]
        moved = np.sqrt(((new_centers - centers) ** 2).sum(1))
        centers = new_centers
        if alive.all() and np.all(moved < tol):
            break
    return labels, centers, kept


def first_distinct_rows(x: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """The first ``k`` distinct rows of ``x`` in row order (Pol.is' cold-start centres)."""
    if x.shape[0] == 0:
        return x[:0].copy()
    _, first = np.unique(x, axis=0, return_index=True)
    return x[np.sort(first)[:k]].copy()


def farthest_point_init(
    x: NDArray[np.float64], centers: NDArray[np.float64], k: int
) -> NDArray[np.float64]:
    """Add centres at the point farthest from all current centres until there are ``k``."""
    out = [c for c in np.asarray(centers, dtype=np.float64)]
    if not out:
        out.append(x[0].copy())
    _, dist = assign(x, np.asarray(out))
    while len(out) < k:
        j = int(np.argmax(dist))
        if dist[j] <= 0.0:
            break
        out.append(x[j].copy())
        dist = np.minimum(dist, ((x - x[j]) ** 2).sum(1))
    return np.asarray(out)


def kmeans_plus_plus_init(
    x: NDArray[np.float64],
    k: int,
    rng: np.random.RandomState,
    weights: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """k-means++ seeding (D² sampling, optionally weighted), deterministic for a given ``rng``."""
    n = x.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    first = int(rng.choice(n, p=w / w.sum()))
    centers = [x[first]]
    dist = ((x - x[first]) ** 2).sum(1)
    for _ in range(1, min(k, n)):
        p = dist * w
        total = p.sum()
        if total <= 0:
            break
        j = int(rng.choice(n, p=p / total))
        centers.append(x[j])
        dist = np.minimum(dist, ((x - x[j]) ** 2).sum(1))
    return np.asarray(centers)


def weighted_inertia(
    x: NDArray[np.float64],
    labels: NDArray[np.int64],
    centers: NDArray[np.float64],
    weights: NDArray[np.float64] | None = None,
) -> float:
    """Sum of (weighted) squared distances of points to their centre."""
    w = np.ones(x.shape[0]) if weights is None else weights
    return float((w * ((x - centers[labels]) ** 2).sum(1)).sum())


def silhouette(x: NDArray[np.float64], labels: NDArray[np.int64]) -> float:
    """Mean silhouette of the points ``x`` (unweighted, as Pol.is computes it on base centres).

    A point alone in its cluster scores 0. Returns 0 when there is a single cluster.
    """
    labels = np.asarray(labels)
    uniq, lab = np.unique(labels, return_inverse=True)
    if len(uniq) < 2:
        return 0.0
    d = np.sqrt(np.maximum(_sq_dists(x, x), 0.0))
    np.fill_diagonal(d, 0.0)
    onehot = np.zeros((len(x), len(uniq)))
    onehot[np.arange(len(x)), lab] = 1.0
    sizes = onehot.sum(0)
    sums = d @ onehot
    own_size = sizes[lab] - 1
    a = np.divide(sums[np.arange(len(x)), lab], own_size, out=np.zeros(len(x)), where=own_size > 0)
    other = sums / np.where(sizes > 0, sizes, 1)[None, :]
    other[np.arange(len(x)), lab] = np.inf
    b = other.min(1)
    denom = np.maximum(a, b)
    s = np.divide(b - a, denom, out=np.zeros(len(x)), where=denom > 0)
    s[own_size == 0] = 0.0
    return float(s.mean())
