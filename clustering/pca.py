"""PCA of the sparse centred vote matrix, Pol.is' sparsity-aware projection and statement extremity.

Pol.is imputes a missing vote with its statement's mean and then centres the columns, so every
missing cell becomes exactly 0: the centred matrix has the sparsity of the votes. We therefore
never build a dense matrix. The components are the top eigenvectors of ``Xcᵀ Xc`` where ``Xc`` is
the CSR matrix of ``vote − column mean`` at the voted cells; they are computed with ARPACK
(Lanczos) on a :class:`~scipy.sparse.linalg.LinearOperator` (or a dense eigendecomposition of the
small ``n_statements × n_statements`` Gram matrix when there are few statements). Pol.is runs up to
100 warm-started power iterations, which converge to the same eigenvectors (up to sign).

Columns of moderated-out and meta statements are zero for every participant (as in Pol.is); they
carry no variance, but they count as votes in the projection scaling::

    p_k(i) = Σ_{j voted by i} (x_ij − mean_j) · pc_k[j] · sqrt(n_columns / max(n_votes_i, 1))

where ``n_columns`` counts statements with at least one vote and ``n_votes_i`` counts ``i``'s votes
on non-zeroed statements plus the number of zeroed statements. A statement is projected as a
virtual participant who only agreed with it: ``sqrt(n_columns) · (1 − mean_j) · pc[:, j]``; the
length of its 2-D projection is its **extremity**.

Signs: we use agree = +1 (Pol.is' engine uses agree = −1, so its map is ours mirrored, which PCA's
arbitrary signs absorb). Component signs are aligned with the previous analysis when one is given
(so the map does not flip between recomputes); otherwise each component's largest loading is
positive.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator, eigsh
from sklearn.utils import check_random_state

from clustering.votes import VoteMatrix

__all__ = [
    "column_means",
    "centred_matrix",
    "sparse_pca",
    "projection_vote_counts",
    "project_participants",
    "project_statements",
]

DENSE_GRAM_MAX_COLUMNS = 400


def column_means(votes: VoteMatrix) -> NDArray[np.float64]:
    """Mean vote of each statement over the participants who voted on it (0 if none or zeroed)."""
    n_cols = votes.shape[1]
    sums = np.bincount(votes.indices, weights=votes.values, minlength=n_cols)
    counts = np.bincount(votes.indices, minlength=n_cols)
    means = np.divide(sums, counts, out=np.zeros(n_cols), where=counts > 0)
    means[votes.zeroed_mask()] = 0.0
    return means


def centred_matrix(votes: VoteMatrix, center: NDArray[np.float64]) -> sp.csr_matrix:
    """CSR matrix of ``vote − center`` at the voted cells of non-zeroed statements."""
    zeroed = votes.zeroed_mask()
    data = votes.values.astype(np.float64) - center[votes.indices]
    if zeroed.any():
        data[zeroed[votes.indices]] = 0.0
    return sp.csr_matrix((data, votes.indices, votes.indptr), shape=votes.shape, copy=False)


def _orient(
    components: NDArray[np.float64], previous: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """Deterministic signs: agree with ``previous`` rows when given, else largest loading > 0."""
    out = components.copy()
    for k in range(out.shape[0]):
        sign = 0.0
        if previous is not None and k < previous.shape[0]:
            sign = float(np.sign(out[k] @ previous[k]))
        if sign == 0.0:
            j = int(np.argmax(np.abs(out[k]))) if out.shape[1] else 0
            sign = float(np.sign(out[k, j])) if out.shape[1] else 1.0
        out[k] *= sign if sign != 0.0 else 1.0
    return out


def sparse_pca(
    votes: VoteMatrix,
    n_components: int = 2,
    *,
    previous_components: NDArray[np.float64] | None = None,
    tol: float = 1e-10,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Top principal components of the mean-imputed, centred vote matrix, without densifying it.

    Parameters
    ----------
    votes : VoteMatrix
    n_components : int, default 2
    previous_components : ndarray, shape (n_prev, n_statements), optional
        Components of the previous analysis, already aligned to ``votes.statement_ids``; used as
        the Lanczos start vector (warm start) and to keep the signs stable.
    tol : float, default 1e-10
        Relative accuracy of the eigenvalues (ARPACK ``tol``).
    random_state : int, RandomState or None
        Seeds the start vector when there is no warm start.

    Returns
    -------
    center : ndarray, shape (n_statements,)
        Column means (0 for zeroed or unvoted statements).
    components : ndarray, shape (n_components, n_statements)
        Orthonormal rows; rows beyond the matrix rank are zero.
    variance : ndarray, shape (n_components,)
        Eigenvalues of ``Xcᵀ Xc`` divided by the number of participants.
    """
    n_rows, n_cols = votes.shape
    center = column_means(votes)
    components = np.zeros((n_components, n_cols))
    variance = np.zeros(n_components)
    xc = centred_matrix(votes, center)
    active = np.flatnonzero(np.bincount(xc.indices[xc.data != 0], minlength=n_cols) > 0)
    rank_bound = min(n_rows, active.size)
    if rank_bound == 0 or n_components == 0:
        return center, components, variance
    sub = xc[:, active] if active.size < n_cols else xc
    m = active.size
    k = min(n_components, rank_bound)
    if m <= DENSE_GRAM_MAX_COLUMNS or k >= m - 1:
        gram = (sub.T @ sub).toarray()
        vals, vecs = np.linalg.eigh(gram)
        order = np.argsort(vals)[::-1][:k]
        vals, vecs = vals[order], vecs[:, order]
    else:
        sub_t = sub.T.tocsr()
        op = LinearOperator((m, m), matvec=lambda v: sub_t @ (sub @ v), dtype=np.float64)
        if previous_components is not None and previous_components.shape[1] == n_cols:
            weights = np.arange(previous_components.shape[0], 0, -1, dtype=np.float64)
            v0 = weights @ previous_components[:, active]
        else:
            v0 = np.zeros(m)
        if not np.any(v0):
            v0 = check_random_state(random_state).uniform(0.5, 1.5, size=m)
        vals, vecs = eigsh(op, k=k, which="LA", v0=v0, tol=tol, ncv=min(m, max(2 * k + 1, 20)))
        order = np.argsort(vals)[::-1]
        vals, vecs = vals[order], vecs[:, order]
    components[:k, active] = vecs.T
    components = _orient(components, previous_components)
    variance[:k] = np.clip(vals, 0.0, None) / max(n_rows, 1)
    return center, components, variance


def projection_vote_counts(votes: VoteMatrix) -> NDArray[np.int64]:
    """Votes per participant as Pol.is counts them for scaling (zeroed columns count for all)."""
    zeroed = votes.zeroed_mask()
    voted = votes.voted_mask()
    own = np.bincount(votes.rows()[~zeroed[votes.indices]], minlength=votes.shape[0])
    return own + int((zeroed & voted).sum())


def project_participants(
    votes: VoteMatrix,
    center: NDArray[np.float64],
    components: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Sparsity-aware projection of every participant: shape (n_participants, n_components)."""
    xc = centred_matrix(votes, center)
    proj = np.asarray(xc @ components.T)
    n_columns = int(votes.voted_mask().sum())
    n_votes = projection_vote_counts(votes)
    scale = np.sqrt(n_columns / np.maximum(n_votes, 1))
    return proj * scale[:, None]


def project_statements(
    votes: VoteMatrix,
    center: NDArray[np.float64],
    components: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Projection of each statement (virtual participant agreeing only with it) and extremity.

    Returns
    -------
    coords : ndarray, shape (n_statements, n_components)
    extremity : ndarray, shape (n_statements,)
        Length of the first two coordinates.
    """
    n_columns = int(votes.voted_mask().sum())
    coords = (np.sqrt(n_columns) * (1.0 - center))[:, None] * components.T
    coords[~votes.voted_mask()] = 0.0
    extremity = np.linalg.norm(coords[:, :2], axis=1)
    return coords, extremity
