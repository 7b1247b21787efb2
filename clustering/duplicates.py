"""Duplicate hints: existing statements close to a new one, and near-duplicate pairs for moderators.

Both work on cached unit-length embeddings (cosine similarity = dot product).

Default threshold
-----------------
``DEFAULT_DUPLICATE_THRESHOLD = 0.5``, measured with the default model (all-MiniLM-L6-v2) on
``tests/data/duplicate_pairs.csv``: 20 paraphrase pairs (the same point in other words) score
0.51-0.87 (median 0.62); 20 pairs of different points on the same topic score 0.10-0.49 (median
0.26). On the labelled theme set, 99 % of the pairs of statements on different topics score
below 0.45; the only pairs above 0.5 are two French statements, which the English-only model
places close together (a multilingual model avoids that). A hint is only a suggestion — the
participant can still post — so the threshold sits at the bottom of the paraphrase range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from clustering.embeddings import normalize_rows

StatementId = int | str
DEFAULT_DUPLICATE_THRESHOLD = 0.5
DEFAULT_HINTS = 3


@dataclass(frozen=True)
class SimilarStatement:
    """An existing statement similar to a new text."""

    statement_id: StatementId
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"statement_id": self.statement_id, "similarity": self.similarity}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimilarStatement:
        """Inverse of :meth:`to_dict`."""
        return cls(statement_id=data["statement_id"], similarity=float(data["similarity"]))


@dataclass(frozen=True)
class DuplicatePair:
    """Two statements that say nearly the same thing (``first_id`` comes first in the input)."""

    first_id: StatementId
    second_id: StatementId
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "first_id": self.first_id,
            "second_id": self.second_id,
            "similarity": self.similarity,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DuplicatePair:
        """Inverse of :meth:`to_dict`."""
        return cls(
            first_id=data["first_id"],
            second_id=data["second_id"],
            similarity=float(data["similarity"]),
        )


def _check(embeddings: np.ndarray, statement_ids: Sequence[StatementId]) -> np.ndarray:
    matrix = np.asarray(embeddings, dtype=np.float32)
    if matrix.size == 0 and len(statement_ids) == 0:
        return matrix.reshape(0, matrix.shape[-1] if matrix.ndim == 2 else 0)
    if matrix.ndim != 2:
        raise ValueError(f"embeddings must be 2-D, got shape {matrix.shape}")
    if len(matrix) != len(statement_ids):
        raise ValueError(f"{len(matrix)} embeddings but {len(statement_ids)} statement ids")
    return normalize_rows(matrix)


def similar_statements(
    query: np.ndarray,
    embeddings: np.ndarray,
    statement_ids: Sequence[StatementId],
    *,
    k: int = DEFAULT_HINTS,
    threshold: float = DEFAULT_DUPLICATE_THRESHOLD,
) -> tuple[SimilarStatement, ...]:
    """Up to ``k`` existing statements whose cosine similarity to ``query`` is ``>= threshold``.

    Parameters
    ----------
    query : ndarray of shape (dim,) or (1, dim)
        Embedding of the text being typed.
    embeddings : ndarray of shape (n, dim)
        Cached embeddings of the existing statements.
    statement_ids : sequence
        Id of each row of ``embeddings``.
    k : int, default=3
        Most hints to return.
    threshold : float, default=0.5
        Smallest cosine similarity shown (see the module docstring).

    Returns
    -------
    tuple of SimilarStatement
        Most similar first; ties keep input order.
    """
    matrix = _check(embeddings, statement_ids)
    vector = np.asarray(query, dtype=np.float32).reshape(-1)
    if len(matrix) == 0 or k <= 0:
        return ()
    if vector.shape[0] != matrix.shape[1]:
        raise ValueError(f"query has {vector.shape[0]} dimensions, embeddings {matrix.shape[1]}")
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        return ()
    scores = matrix @ (vector / norm)
    order = np.argsort(-scores, kind="stable")[:k]
    return tuple(
        SimilarStatement(statement_ids[i], round(float(scores[i]), 4))
        for i in order
        if scores[i] >= threshold
    )


def near_duplicate_pairs(
    embeddings: np.ndarray,
    statement_ids: Sequence[StatementId],
    *,
    threshold: float = DEFAULT_DUPLICATE_THRESHOLD,
    max_pairs: int | None = None,
    block_size: int = 1024,
) -> tuple[DuplicatePair, ...]:
    """Pairs of statements with cosine similarity ``>= threshold``, most similar first.

    Parameters
    ----------
    embeddings : ndarray of shape (n, dim)
        Cached statement embeddings.
    statement_ids : sequence
        Id of each row.
    threshold : float, default=0.5
        Smallest similarity listed.
    max_pairs : int, optional
        Keep only the most similar pairs.
    block_size : int, default=1024
        Rows compared at once (memory is ``block_size * n`` floats).

    Returns
    -------
    tuple of DuplicatePair
        Each pair once, ``first_id`` being the earlier statement in the input.
    """
    matrix = _check(embeddings, statement_ids)
    n = len(matrix)
    found: list[tuple[float, int, int]] = []
    for start in range(0, n, block_size):
        block = matrix[start : start + block_size] @ matrix.T
        rows, cols = np.nonzero(block >= threshold)
        rows = rows + start
        keep = cols > rows
        found.extend(
            (float(block[r - start, c]), int(r), int(c))
            for r, c in zip(rows[keep], cols[keep], strict=True)
        )
    found.sort(key=lambda item: (-item[0], item[1], item[2]))
    if max_pairs is not None:
        found = found[:max_pairs]
    return tuple(
        DuplicatePair(statement_ids[i], statement_ids[j], round(s, 4)) for s, i, j in found
    )
