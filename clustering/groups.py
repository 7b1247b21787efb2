"""Base clusters, opinion groups (two selection rules), subgroups and stable group ids.

Both methods start like Pol.is: in-conv participants' 2-D map positions are grouped into up to
``base_k = 100`` **base clusters**, warm-started from the previous analysis when there is one.

``method="polis"`` (faithful): groups are weighted k-means of the base-cluster centres (weights =
base-cluster sizes) for k = 2 … max_k, ``max_k = min(max_groups, 2 + ⌊n_base / 12⌋)``, each started
from the first k distinct base centres (cold) or the previous clustering for that k (warm), at most
20 Lloyd steps (what the engine actually runs). k is the one with the best silhouette of the base
centres, smoothed across recomputes (:class:`KSmoother`).

``method="consult"`` (default; how we differ from Pol.is): the same map, base clusters, range of k
and outputs, but groups are chosen for how well they explain the votes:

* **in which space** — a group is a set of people who vote alike, so membership is decided on the
  votes themselves, not on the 2-D map. Each group has a +1-smoothed agree/disagree distribution
  per statement; starting from k-means of the map (the tightest of ``n_init`` weighted k-means++
  runs on the base-cluster centres, ``n_starts`` distinct ones), a mixture-model fit (soft EM, then
  hard reassignment until nobody moves) puts every participant in the group that makes their
  actual votes likeliest. Missing votes simply do not count, whereas on the map a participant
  with 8 votes is a noisy point pushed outward by the sparsity scaling; four or five groups also
  rarely separate in two dimensions. Passes do not shape groups (``pass_aware=True`` lets them:
  it predicts held-out votes better still, but forms groups of frequent passers that have no
  representative statements). Moderated-out and meta statements do not count.
* **how many groups** — k in 2…max_k maximises a cross-fitted likelihood: each participant's
  votes are split in two halves, the group is re-derived from one half and the other half is
  predicted from that group's distribution (then the halves swap). Silhouette on 100 base
  centres almost always prefers k = 2 even when more groups explain the votes much better, and an
  in-sample score would always prefer more (or tiny) groups.
* **how stable** — restarts are seeded from ``random_state`` (deterministic); the previous
  analysis' partition is refined as a warm candidate and kept unless a fresh one fits better by
  more than 0.1 %; ids are matched to the previous groups; k is smoothed as in Pol.is. Above
  ``sample_size`` participants, k and the starting model are fitted on a seeded sample and the
  final reassignment runs on everyone (this keeps 33,000 participants around a second).

On the five public Pol.is conversations (``benchmarks/group_quality.py``) these groups predict
held-out votes better than the groups Pol.is itself exported (a cold re-run of the Pol.is
procedure reaches about 0.85 of Pol.is' lift), and on a synthetic conversation with planted groups
they recover the planted groups as well as the true group profiles would (ARI ≈ 0.98). Group
centres are the members' mean map position; groups may overlap a little on the 2-D map.

**Subgroups** use the same method inside each group, with a single subgroup (no split) allowed,
but for "consult" k is judged on **held-out votes** (``select="held_out"``): the group's votes are
dealt at random into 5 folds; for each fold the whole procedure (refinement included) runs on the
other four and the fold's votes are scored under the groups so fitted (:func:`held_out_loglik`).
k grows from 1 while this score improves, the one-standard-error rule then picks the smallest k
close to the best, and the chosen k is fitted again on all the votes. The cross-fitted score of
the top level only re-derives *a participant's* group from half of their votes; the partition
itself has seen every vote, and inside a group, where the real differences are small, that was
enough to reward fitting noise. With the planted groups given (40 seeds × 3 random states), it
split 64 of 360 groups that have no internal structure (e.g. 31/62) and cut 30 of 240 groups made
of two planted subgroups into three or four pieces (e.g. 7/7/53/53); on held-out votes, 0 and 0,
and weaker planted subgroups (fewer or smaller) are found at least as often as before
(``tests/clustering/test_subgroups.py``).
The top level keeps the cross-fitted score: it needs one fit per k, not five, and its groups are
what the published figures (``benchmarks/group_quality.py``) were measured with.

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
from threadpoolctl import threadpool_limits

from clustering.kmeans import (
    assign,
    farthest_point_init,
    first_distinct_rows,
    kmeans,
    kmeans_plus_plus_init,
    silhouette,
    weighted_inertia,
)
from clustering.votes import VoteMatrix

__all__ = [
    "KSmoother",
    "BaseClustering",
    "GroupClustering",
    "max_groups_for",
    "base_clusters",
    "polis_groups",
    "consult_groups",
    "VoteOutcomes",
    "refine",
    "classify",
    "cross_fit_loglik",
    "held_out_loglik",
    "match_ids",
]

POLIS_GROUP_ITERS = 20
WARM_TOLERANCE = 0.001
SOFT_TOL = 1e-4
FINAL_ITER = 5
MIN_MEMBERS = 3
HELD_OUT_FOLDS = 5


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
        clusters dropped), cold-started from the first k distinct points. "consult":
        scikit-learn's k-means (Elkan, k-means++ cold start), much faster on large conversations;
        the base clusters are then only map buckets and seeds for the group search.
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
        assert init is not None  # polis starts from given or first distinct points
        labels, centers, kept = kmeans(points, init, max_iter=100, tol=0.01)
        return BaseClustering(labels, centers, ids[kept])
    n_clusters = len(ids) if init is None else len(init)
    # Elkan on one thread is the fastest here: 2-D points, 100 centres, small per-step work.
    with threadpool_limits(1):
        km = KMeans(
            n_clusters=n_clusters,
            init="k-means++" if init is None else init,
            n_init=1,
            max_iter=100,
            tol=1e-3,
            algorithm="elkan" if n_clusters > 1 else "lloyd",
            random_state=random_state,
        ).fit(points)
    labels = km.labels_.astype(np.int64)
    alive = np.bincount(labels, minlength=n_clusters) > 0
    remap = np.cumsum(alive) - 1
    return BaseClustering(remap[labels], km.cluster_centers_[alive], ids[alive])


# ------------------------------------------------------------------------------- vote likelihood
@dataclass(frozen=True, eq=False)
class VoteOutcomes:
    """Votes of a set of participants as one-hot outcomes, for group likelihoods.

    ``matrix`` is a CSR matrix of shape (n_participants, n_statements · n_outcomes) with a 1 at
    column ``statement · n_outcomes + outcome`` for every vote (outcome 0 = agree, 1 = disagree,
    2 = pass; with ``n_outcomes = 2`` passes are left out).
    """

    matrix: sp.csr_matrix
    n_statements: int
    n_outcomes: int

    @classmethod
    def from_votes(
        cls,
        votes: VoteMatrix,
        *,
        with_passes: bool = False,
        columns: NDArray[np.bool_] | None = None,
    ) -> VoteOutcomes:
        """Outcomes of every participant of ``votes``; ``columns`` restricts the statements."""
        o = 3 if with_passes else 2
        outcome = np.where(votes.values == 1, 0, np.where(votes.values == -1, 1, 2))
        keep = outcome < o
        if columns is not None:
            keep &= np.asarray(columns, dtype=bool)[votes.indices]
        rows = votes.rows()[keep]
        cols = votes.indices[keep].astype(np.int64) * o + outcome[keep]
        n, m = votes.shape
        mat = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, m * o))
        return cls(matrix=mat, n_statements=m, n_outcomes=o)

    def subset(self, rows: NDArray[np.int64]) -> VoteOutcomes:
        """The outcomes of the given participants (rows in that order)."""
        return VoteOutcomes(self.matrix[rows], self.n_statements, self.n_outcomes)

    def folds(
        self, n_folds: int, rng: np.random.RandomState
    ) -> list[tuple[VoteOutcomes, VoteOutcomes]]:
        """Cross-validation on vote cells: every vote is dealt at random to one of ``n_folds``
        folds; returns (all other votes, the fold's votes) per fold, each of this shape."""
        mat = self.matrix.tocoo()
        fold = rng.randint(0, n_folds, mat.nnz)

        def part(keep: NDArray[np.bool_]) -> VoteOutcomes:
            m = sp.csr_matrix((mat.data[keep], (mat.row[keep], mat.col[keep])), shape=mat.shape)
            return VoteOutcomes(m, self.n_statements, self.n_outcomes)

        return [(part(fold != f), part(fold == f)) for f in range(n_folds)]

    @property
    def n_participants(self) -> int:
        """Number of rows."""
        return int(self.matrix.shape[0])

    def counts(self, labels: NDArray[np.int64], k: int) -> NDArray[np.float64]:
        """Votes per (group, statement, outcome): shape (k, n_statements, n_outcomes)."""
        width = self.n_statements * self.n_outcomes
        per_entry = np.repeat(labels, np.diff(self.matrix.indptr))
        ok = per_entry >= 0
        flat = np.bincount(
            per_entry[ok] * width + self.matrix.indices[ok], minlength=k * width
        ).astype(np.float64)
        return flat.reshape(k, self.n_statements, self.n_outcomes)

    def log_likelihoods(self, log_theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """Log-likelihood of each participant's votes under each group: shape (n, k)."""
        k = log_theta.shape[0]
        return np.asarray(self.matrix @ log_theta.reshape(k, -1).T)

    def loo_loglik(self, labels: NDArray[np.int64], k: int) -> float:
        """Leave-one-out log-likelihood of the votes given the groups.

        Each vote is predicted from the +1-smoothed outcome distribution of its group on its
        statement computed without that vote: ``Σ n_gjo · log(n_gjo / (n_gj + n_outcomes − 1))``.
        """
        c = self.counts(labels, k)
        total = c.sum(2, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(
                c > 0,
                c * np.log(np.where(c > 0, c, 1.0) / (total + self.n_outcomes - 1.0)),
                0.0,
            )
        return float(terms.sum())


def cross_fit_loglik(
    outcomes: VoteOutcomes, labels: NDArray[np.int64], k: int, rng: np.random.RandomState
) -> NDArray[np.float64]:
    """Honest estimate of how well group membership predicts a participant's other votes.

    Each participant's votes are split at random into two halves. Membership is re-derived from
    one half only (most likely group, as in :func:`classify`) and the other half is scored under
    that group's +1-smoothed outcome distribution (computed without the scored vote); then the
    halves swap. Unlike the in-sample leave-one-out score, the scored votes never helped choose the
    participant's group, so this does not reward splitting noise into more (or tiny) groups.

    Returns the log-likelihood per participant (shape (n,)); its sum is the score.
    """
    mat = outcomes.matrix
    o = outcomes.n_outcomes
    width = outcomes.n_statements * o
    counts = outcomes.counts(labels, k)
    sizes = np.bincount(labels[labels >= 0], minlength=k).astype(np.float64)
    log_theta = np.log((counts + 1.0) / (counts.sum(2, keepdims=True) + o))
    prior = np.log((sizes + 1.0) / (sizes.sum() + k))
    rows = np.repeat(np.arange(mat.shape[0]), np.diff(mat.indptr))
    cols = mat.indices.astype(np.int64)
    stmt = cols // o
    half = rng.random_sample(cols.size) < 0.5
    flat_counts = counts.reshape(k, width)
    totals = counts.sum(2)
    total = np.zeros(mat.shape[0])
    for part in (half, ~half):
        sub = sp.csr_matrix((part.astype(np.float64), (rows, cols)), shape=mat.shape)
        chosen = np.argmax(np.asarray(sub @ log_theta.reshape(k, width).T) + prior, axis=1)
        scored = ~part & (labels[rows] >= 0)
        r, c, j = rows[scored], cols[scored], stmt[scored]
        g = chosen[r]
        own = (labels[r] == g).astype(np.float64)
        num = flat_counts[g, c] - own + 1.0
        den = totals[g, j] - own + o
        total += np.bincount(r, weights=np.log(num / den), minlength=mat.shape[0])
    return total


def held_out_loglik(
    test: VoteOutcomes, fitted: VoteOutcomes, labels: NDArray[np.int64], k: int
) -> NDArray[np.float64]:
    """Log-likelihood of the ``test`` votes under groups fitted on other votes (per participant).

    ``labels`` is a partition fitted on ``fitted`` alone (the other votes of the same
    participants); each test vote is scored under its participant's group's +1-smoothed outcome
    distribution counted on ``fitted``. Neither the refinement of the partition nor the
    distributions saw a test vote, so splitting noise lowers this score. (The fit starts from
    points of the map, which was projected from all votes: the starts, not the fit, saw them.)
    """
    o = test.n_outcomes
    counts = fitted.counts(labels, k)
    log_theta = np.log((counts + 1.0) / (counts.sum(2, keepdims=True) + o)).reshape(k, -1)
    mat = test.matrix
    rows = np.repeat(np.arange(mat.shape[0]), np.diff(mat.indptr))
    ok = labels[rows] >= 0
    return np.bincount(
        rows[ok],
        weights=log_theta[labels[rows[ok]], mat.indices[ok]] * mat.data[ok],
        minlength=mat.shape[0],
    )


def refine(
    outcomes: VoteOutcomes, labels: NDArray[np.int64], k: int, *, soft_iter: int = 25
) -> NDArray[np.int64]:
    """Fit the group vote model from a starting partition: soft EM, then :func:`classify`.

    The soft (mixture-model) phase moves participants gradually between groups, which finds
    better partitions than hard reassignment alone; the hard phase then makes every participant's
    group the one that makes their votes likeliest.
    """
    mat = outcomes.matrix
    n, o, m = outcomes.n_participants, outcomes.n_outcomes, outcomes.n_statements
    has_votes = np.diff(mat.indptr) > 0
    resp = np.zeros((n, k))
    resp[np.arange(n), labels] = 1.0
    mat_t = mat.T.tocsr()
    previous = -np.inf
    for _ in range(soft_iter):
        counts = np.asarray(mat_t @ resp).T.reshape(k, m, o)
        sizes = resp.sum(0)
        log_theta = np.log((counts + 1.0) / (counts.sum(2, keepdims=True) + o))
        ll = outcomes.log_likelihoods(log_theta) + np.log((sizes + 1.0) / (sizes.sum() + k))
        top = ll.max(1, keepdims=True)
        total = float((top[:, 0] + np.log(np.exp(ll - top).sum(1)))[has_votes].sum())
        resp = np.exp(ll - top)
        resp /= resp.sum(1, keepdims=True)
        resp[~has_votes] = 0.0
        resp[~has_votes, labels[~has_votes]] = 1.0
        if total - previous < SOFT_TOL * abs(total):
            break
        previous = total
    start = np.where(has_votes, np.argmax(resp, axis=1), labels)
    return classify(outcomes, start, k)


def classify(
    outcomes: VoteOutcomes,
    labels: NDArray[np.int64],
    k: int,
    *,
    max_iter: int = 50,
    fitted: VoteOutcomes | None = None,
    fitted_labels: NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """Classification EM: reassign every participant to the group that makes their votes likeliest.

    The model of group ``g`` is a +1-smoothed categorical distribution of outcomes per statement
    plus a size prior ``(n_g + 1)/(n + k)``; steps alternate between estimating the groups'
    distributions and reassigning, until no participant moves. Participants without a scored vote
    keep their label. With ``fitted``/``fitted_labels`` the distributions come from those
    (e.g. a sample) and a single assignment pass is made.
    """
    labels = labels.copy()
    has_votes = np.diff(outcomes.matrix.indptr) > 0
    o = outcomes.n_outcomes
    for _ in range(max_iter):
        src, src_labels = (fitted, fitted_labels) if fitted is not None else (outcomes, labels)
        assert src is not None and src_labels is not None
        counts = src.counts(src_labels, k)
        sizes = np.bincount(src_labels[src_labels >= 0], minlength=k).astype(np.float64)
        log_theta = np.log((counts + 1.0) / (counts.sum(2, keepdims=True) + o))
        score = outcomes.log_likelihoods(log_theta) + np.log((sizes + 1.0) / (sizes.sum() + k))
        new = np.argmax(score, axis=1)
        new = np.where(has_votes, new, labels)
        if fitted is not None or np.array_equal(new, labels):
            return new
        labels = new
    return labels


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
def _geometric_inits(
    cell_points: NDArray[np.float64],
    cell_weights: NDArray[np.float64],
    k: int,
    rng: np.random.RandomState,
    n_init: int,
    n_keep: int,
) -> list[NDArray[np.float64]]:
    """The ``n_keep`` tightest distinct solutions of ``n_init`` weighted k-means++ runs on cells."""
    found: list[tuple[float, NDArray[np.float64]]] = []
    for _ in range(n_init):
        init = kmeans_plus_plus_init(cell_points, k, rng, weights=cell_weights)
        if len(init) < k:
            continue
        lab, c, _ = kmeans(cell_points, init, weights=cell_weights, max_iter=100, tol=1e-6)
        if len(c) < k:
            continue
        found.append((weighted_inertia(cell_points, lab, c, cell_weights), c))
    found.sort(key=lambda item: item[0])
    kept: list[tuple[float, NDArray[np.float64]]] = []
    for inertia, c in found:
        if all(abs(inertia - other) > 1e-9 * max(abs(other), 1.0) for other, _ in kept):
            kept.append((inertia, c))
        if len(kept) == n_keep:
            break
    return [c for _, c in kept]


def _compress(labels: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
    """Relabel to 0..k'-1 in order of first label value, dropping empty groups."""
    uniq, inv = np.unique(labels, return_inverse=True)
    return inv.reshape(-1).astype(np.int64), len(uniq)


def _simplest_within_one_se(scores: dict[int, NDArray[np.float64]]) -> int:
    """The smallest k whose score is within one standard error of the best k's.

    ``scores[k]`` holds per-participant cross-fitted log-likelihoods; the standard error is that
    of the paired difference of totals. Preferring the simplest model that is not measurably worse
    keeps k from flickering between nearly equivalent choices (the "one-standard-error rule").
    """
    totals = {k: float(v.sum()) for k, v in scores.items()}
    best = max(totals, key=lambda kk: (totals[kk], -kk))
    for k in sorted(scores):
        diff = scores[best] - scores[k]
        se = float(diff.std() * np.sqrt(diff.size)) if diff.size > 1 else 0.0
        if totals[best] - totals[k] <= se:
            return k
    return best


def _dissolve_small(
    outcomes: VoteOutcomes, labels: NDArray[np.int64], k: int, min_size: int, min_k: int
) -> tuple[NDArray[np.int64], int]:
    """Move the members of groups smaller than ``min_size`` to their likeliest remaining group."""
    while k > max(min_k, 1):
        sizes = np.bincount(labels, minlength=k)
        small = int(np.argmin(sizes))
        if sizes[small] >= min_size:
            break
        keep = labels != small
        rest, k_rest = _compress(labels[keep])
        moved = classify(
            outcomes.subset(np.flatnonzero(~keep)),
            np.zeros(int((~keep).sum()), dtype=np.int64),
            k_rest,
            fitted=outcomes.subset(np.flatnonzero(keep)),
            fitted_labels=rest,
        )
        labels = labels.copy()
        labels[keep] = rest
        labels[~keep] = moved
        k = k_rest
    return labels, k


def consult_groups(
    points: NDArray[np.float64],
    cells: NDArray[np.int64],
    outcomes: VoteOutcomes,
    *,
    min_k: int = 2,
    max_k: int = 5,
    n_init: int = 10,
    previous_labels: NDArray[np.int64] | None = None,
    smoother: KSmoother | None = None,
    k_buffer: int = 4,
    sample_size: int = 3000,
    n_starts: int = 3,
    min_share: float = 0.01,
    select: str = "cross_fit",
    random_state: int | np.random.RandomState | None = None,
) -> GroupClustering:
    """Opinion groups that explain the votes: map k-means start, likelihood refinement, LOO k.

    Parameters
    ----------
    points : ndarray, shape (n, 2)
        Map positions of the participants to group.
    cells : ndarray of int, shape (n,)
        A fine pre-partition (base clusters) whose weighted centroids make restarts cheap.
    outcomes : VoteOutcomes
        The same participants' votes.
    min_k, max_k : int
        Range of k (``min_k = 1`` allows "no split", used for subgroups).
    n_init : int, default 10
        k-means++ restarts of the starting partition.
    previous_labels : ndarray of int, shape (n,), optional
        Group of each participant in the previous analysis (-1 none): a warm candidate for its
        k, kept unless the best fresh partition is better by more than 0.1 % of log-likelihood.
    smoother : KSmoother, optional
    k_buffer : int, default 4
    sample_size : int, default 3000
        Above this many participants, k is chosen on a seeded random sample and the chosen
        partition is then refined on everyone.
    n_starts : int, default 3
        Distinct starting partitions (the tightest k-means solutions) refined per k; the one
        with the best in-sample likelihood is kept.
    min_share : float, default 0.01
        Smallest group, as a share of the participants (and at least 3 people): partitions with
        a smaller group are not candidates, and a group that shrinks below it in the final
        reassignment is dissolved into the others.
    select : {"cross_fit", "held_out"}, default "cross_fit"
        How k is scored. "cross_fit": :func:`cross_fit_loglik` of the partition fitted on all
        votes (one fit per k). "held_out": 5-fold cross-validation on vote cells, every fold's
        partition fitted without the votes it is scored on (:func:`held_out_loglik`); k stops
        growing at the first k that does not score better than k − 1, and only the chosen k is
        refitted on all votes. Fitting noise can only lower the held-out score, which keeps
        spurious splits out where real differences are small (used for subgroups).
    random_state : int, RandomState or None
    """
    rng = (
        random_state
        if isinstance(random_state, np.random.RandomState)
        else np.random.RandomState(random_state)
    )
    n = points.shape[0]
    if n == 0:
        return GroupClustering(
            np.zeros(0, np.int64), np.zeros((0, 2)), 0, {}, {}, smoother or KSmoother()
        )
    _, cell_idx = np.unique(cells, return_inverse=True)
    cell_idx = cell_idx.reshape(-1)
    n_cells = int(cell_idx.max()) + 1
    weights = np.bincount(cell_idx, minlength=n_cells).astype(np.float64)
    cell_points = np.zeros((n_cells, points.shape[1]))
    for dim in range(points.shape[1]):
        cell_points[:, dim] = np.bincount(cell_idx, weights=points[:, dim], minlength=n_cells)
    cell_points /= weights[:, None]

    sample = np.arange(n) if n <= sample_size else np.sort(rng.choice(n, sample_size, False))
    out_s = outcomes if len(sample) == n else outcomes.subset(sample)
    prev_s = None if previous_labels is None else previous_labels[sample]
    prev_k = None
    if prev_s is not None and np.any(prev_s >= 0):
        prev_k = len(np.unique(prev_s[prev_s >= 0]))

    results: dict[int, tuple[NDArray[np.int64], int]] = {}
    scores: dict[int, NDArray[np.float64]] = {}
    split_seed = int(rng.randint(0, 2**31 - 1))
    min_sample = max(MIN_MEMBERS, int(np.ceil(min_share * len(sample))))
    n_distinct = min(n_cells, len(np.unique(points, axis=0)))
    folds: tuple[tuple[VoteOutcomes, VoteOutcomes], ...] = ()
    if select == "held_out":
        folds = tuple(out_s.folds(HELD_OUT_FOLDS, np.random.RandomState(split_seed)))
    elif select != "cross_fit":
        raise ValueError(f"select must be 'cross_fit' or 'held_out', got {select!r}")

    def fit(
        fit_on: VoteOutcomes, starts: list[tuple[NDArray[np.int64], bool]], k: int
    ) -> tuple[NDArray[np.int64], int] | None:
        """The best partition refined on ``fit_on`` from the starts (warm kept within 0.1 %)."""
        cands = []
        for start, is_warm in starts:
            lab, kk = _compress(refine(fit_on, start, k))
            cands.append((fit_on.loo_loglik(lab, kk), lab, kk, is_warm))
        cands = [c for c in cands if np.bincount(c[1], minlength=c[2]).min() >= min_sample]
        if not cands:
            return None
        best = max(cands, key=lambda c: c[0])
        warm_c = [c for c in cands if c[3]]
        if warm_c and warm_c[0][0] >= best[0] - WARM_TOLERANCE * abs(best[0]):
            best = warm_c[0]
        return best[1], best[2]

    starts_by_k: dict[int, list[tuple[NDArray[np.int64], bool]]] = {}
    for k in range(min_k, max_k + 1):
        if k > n_distinct:
            break
        if k == 1:
            lab = np.zeros(len(sample), dtype=np.int64)
            results[1] = (lab, 1)
            if folds:
                scores[1] = sum(held_out_loglik(te, tr, lab, 1) for tr, te in folds)
            else:
                scores[1] = cross_fit_loglik(out_s, lab, 1, np.random.RandomState(split_seed))
            continue
        starts = [
            (assign(points[sample], centres)[0], False)
            for centres in _geometric_inits(cell_points, weights, k, rng, n_init, n_starts)
        ]
        if prev_s is not None and prev_k == k:
            warm = prev_s.copy()
            known = warm >= 0
            warm_ids, warm[known] = np.unique(warm[known], return_inverse=True)
            if (~known).any():
                pts = points[sample]
                c = np.array([pts[known][warm[known] == g].mean(0) for g in range(k)])
                warm[~known], _ = assign(pts[~known], c)
            starts.append((warm, True))
        if folds:
            # k is judged on held-out votes; the partition itself is fitted on all votes later.
            per_fold = [fit(tr, starts, k) for tr, _ in folds]
            fitted = [f for f in per_fold if f is not None and f[1] == k]
            if len(fitted) < len(folds):
                break  # too small a group, or refinement emptied one: k adds nothing new
            scores[k] = sum(
                held_out_loglik(te, tr, f[0], k) for (tr, te), f in zip(folds, fitted, strict=True)
            )
            results[k] = fitted[0]
            starts_by_k[k] = starts
            if k - 1 in scores and scores[k].sum() <= scores[k - 1].sum():
                break  # one more group no longer predicts held-out votes better: stop here
            continue
        found = fit(out_s, starts, k)
        if found is None:
            continue
        if found[1] < k and found[1] in results:
            continue  # refinement emptied a group: this k adds nothing new
        results[k] = found
        scores[k] = cross_fit_loglik(out_s, found[0], found[1], np.random.RandomState(split_seed))
    if not results:
        lab = np.zeros(n, dtype=np.int64)
        return GroupClustering(
            lab, points.mean(0, keepdims=True), 1, {}, {}, smoother or KSmoother()
        )
    best_k = _simplest_within_one_se(scores)
    new_smoother = (smoother or KSmoother()).update(best_k, k_buffer)
    k = new_smoother.smoothed_k if new_smoother.smoothed_k in results else best_k
    lab_s, kk = results[k]
    if folds and k > 1:
        # the chosen k's partition on all the votes (from the first fold's fit if too small)
        lab_s, kk = fit(out_s, starts_by_k[k], k) or (classify(out_s, lab_s, kk), kk)
    if len(sample) == n:
        labels = lab_s
    else:
        init = classify(
            outcomes, np.zeros(n, dtype=np.int64), kk, fitted=out_s, fitted_labels=lab_s
        )
        labels = classify(outcomes, init, kk, max_iter=FINAL_ITER)
    labels, kk = _compress(labels)
    labels, kk = _dissolve_small(
        outcomes, labels, kk, max(MIN_MEMBERS, int(np.ceil(min_share * n))), min_k
    )
    centers = np.array([points[labels == g].mean(0) for g in range(kk)])
    return GroupClustering(
        labels=labels,
        centers=centers,
        k=kk,
        scores={key: float(v.sum()) for key, v in scores.items()},
        centers_by_k={kk: centers},
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
