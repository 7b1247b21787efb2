"""Sparse PCA equals PCA of the mean-imputed matrix, never densifies, and projects like Pol.is."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from clustering.pca import (
    column_means,
    project_participants,
    project_statements,
    projection_vote_counts,
    sparse_pca,
)
from clustering.votes import VoteMatrix


def random_votes(n: int, m: int, density: float, seed: int, **kwargs) -> VoteMatrix:
    rng = np.random.default_rng(seed)
    cells = np.unique(rng.integers(0, n * m, size=int(density * n * m)))
    rows, cols = np.divmod(cells, m)
    person, statement = rng.normal(size=(n, 2)), rng.normal(size=(2, m))
    taste = (person[rows] * statement.T[cols]).sum(1)
    values = np.sign(taste + rng.normal(scale=0.8, size=rows.size)).astype(int)
    values[rng.random(rows.size) < 0.1] = 0
    return VoteMatrix.from_votes(rows, cols, values, **kwargs)


def dense_reference(votes: VoteMatrix) -> tuple[np.ndarray, np.ndarray]:
    """Column means and top-2 right singular vectors of the imputed, centred dense matrix."""
    x = np.full(votes.shape, np.nan)
    x[votes.rows(), votes.indices] = votes.values
    x[:, votes.zeroed_mask()] = 0.0
    mean = np.nanmean(np.where(np.isnan(x).all(0), 0.0, x), axis=0)
    filled = np.where(np.isnan(x), mean, x) - mean
    _, _, vt = np.linalg.svd(filled, full_matrices=False)
    return mean, vt[:2]


@pytest.mark.parametrize(("m", "density"), [(40, 0.3), (450, 0.05)])  # dense-Gram and Lanczos
def test_components_match_dense_pca_up_to_sign(m, density):
    votes = random_votes(300, m, density, seed=m, moderated_out={3})
    center, comps, variance = sparse_pca(votes, 2, random_state=0)
    ref_mean, ref = dense_reference(votes)
    np.testing.assert_allclose(center, ref_mean, atol=1e-12)
    for k in range(2):
        sign = np.sign(comps[k] @ ref[k])
        np.testing.assert_allclose(sign * comps[k], ref[k], atol=1e-6)
    assert variance[0] >= variance[1] > 0
    assert np.all(comps[:, 3] == 0)  # a moderated-out column carries nothing


def test_signs_follow_the_previous_components():
    votes = random_votes(200, 30, 0.4, seed=1)
    _, comps, _ = sparse_pca(votes, 2, random_state=0)
    _, again, _ = sparse_pca(votes, 2, previous_components=-comps, random_state=5)
    np.testing.assert_allclose(again, -comps, atol=1e-8)


def test_pca_of_a_large_sparse_matrix_never_builds_the_dense_one():
    votes = random_votes(30_000, 2_000, 0.0025, seed=2)
    dense_bytes = votes.shape[0] * votes.shape[1] * 8  # 480 MB as float64
    tracemalloc.start()
    sparse_pca(votes, 2, random_state=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < dense_bytes / 10


def test_projection_scaling_and_statement_extremity_by_hand():
    # 3 statements, statement 2 moderated out (zeroed for everyone, counts as a vote)
    votes = VoteMatrix.from_votes(
        [1, 1, 2, 2, 3], [0, 1, 0, 2, 1], [1, -1, -1, 1, 1], moderated_out={2}
    )
    center = column_means(votes)
    np.testing.assert_allclose(center, [0.0, 0.0, 0.0])
    assert projection_vote_counts(votes).tolist() == [3, 2, 2]
    comps = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    proj = project_participants(votes, center, comps)
    # participant 2: (x0 - c0) = -1 on pc1, scaled by sqrt(3 columns / 2 votes)
    np.testing.assert_allclose(proj[1], [-np.sqrt(1.5), 0.0])
    np.testing.assert_allclose(proj[0], [1.0, -1.0])
    coords, extremity = project_statements(votes, center, comps)
    np.testing.assert_allclose(coords[0, :2], [np.sqrt(3), 0.0])
    np.testing.assert_allclose(extremity, [np.sqrt(3), np.sqrt(3), 0.0])
