"""Sparse participants × statements vote matrix: latest vote wins, zeroed columns, in-conv rule.

Votes use the export sign: agree = +1, disagree = -1, pass = 0. A missing vote ("not voted") is
different from a pass; the matrix is stored in CSR form whose explicit entries are exactly the votes
(passes are stored zeros), so ``indptr``/``indices`` say *who voted on what* and ``values`` say how.

Build one with :meth:`VoteMatrix.from_votes` from plain arrays::

    votes = VoteMatrix.from_votes(
        participant_ids=[10, 10, 11],          # ints or strings
        statement_ids=[1, 2, 1],               # ints
        values=[1, -1, 0],                     # +1 agree, -1 disagree, 0 pass
        order=[1700000000, 1700000005, 1700000009],  # optional: the latest vote per pair wins
        moderated_out={7},                     # rejected statements: zeroed, never listed
        meta={2},                              # meta statements: zeroed like Pol.is, priority 49
    )

Pol.is zeroes the columns of moderated-out and meta statements for *every* participant before PCA;
those cells then count as votes in the projection scaling (see :mod:`clustering.pca`). The raw
votes are kept: the in-conv rule and the per-group vote counts use them, as Pol.is does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

__all__ = ["VoteMatrix", "VoteInputError", "in_conv_mask"]

AGREE, DISAGREE, PASS = 1, -1, 0


class VoteInputError(ValueError):
    """Raised when vote arrays are malformed (lengths differ, values outside {-1, 0, 1}, ...)."""


def _as_id_array(ids: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise VoteInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        if arr.size and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
            raise VoteInputError(f"{name} holds non-integer numbers")
        return arr.astype(np.int64)
    if arr.dtype.kind in "UO":
        return arr.astype(object)
    raise VoteInputError(f"{name} must hold integers or strings, got dtype {arr.dtype}")


def _factorize(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique ids and the index of each element into them (fast path for small ints)."""
    if ids.dtype.kind == "i" and ids.size:
        lo, hi = int(ids.min()), int(ids.max())
        if lo >= 0 and hi <= 16 * ids.size + 1024:
            present = np.zeros(hi + 1, dtype=bool)
            present[ids] = True
            uniq = np.flatnonzero(present).astype(np.int64)
            rank = np.cumsum(present, dtype=np.int64) - 1
            return uniq, rank[ids]
    uniq, inverse = np.unique(ids, return_inverse=True)
    return uniq, inverse.reshape(-1).astype(np.int64)


def _id_set(ids: Iterable[int] | None, name: str) -> frozenset[int]:
    if ids is None:
        return frozenset()
    try:
        return frozenset(int(i) for i in ids)
    except (TypeError, ValueError) as exc:
        raise VoteInputError(f"{name} must hold integer statement ids: {exc}") from None


@dataclass(frozen=True, eq=False)
class VoteMatrix:
    """Latest votes as a CSR matrix (rows = participants, columns = statements).

    Attributes
    ----------
    participant_ids : ndarray, shape (n_participants,)
        Sorted unique participant ids (int64 or object for strings).
    statement_ids : ndarray of int64, shape (n_statements,)
        Sorted unique statement ids: every statement with a vote, plus any extra ids passed in.
    indptr, indices : ndarray of int64 / int32
        CSR structure: the columns of participant ``i``'s votes are
        ``indices[indptr[i]:indptr[i + 1]]``, sorted.
    values : ndarray of int8
        The votes, aligned with ``indices``: +1 agree, -1 disagree, 0 pass.
    moderated_out, meta : frozenset of int
        Statement ids whose columns are zeroed (rejected and meta statements).
    """

    participant_ids: np.ndarray
    statement_ids: NDArray[np.int64]
    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    values: NDArray[np.int8]
    moderated_out: frozenset[int] = frozenset()
    meta: frozenset[int] = frozenset()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_votes(
        cls,
        participant_ids: ArrayLike,
        statement_ids: ArrayLike,
        values: ArrayLike,
        *,
        order: ArrayLike | None = None,
        moderated_out: Iterable[int] | None = None,
        meta: Iterable[int] | None = None,
        all_statement_ids: Iterable[int] | None = None,
    ) -> VoteMatrix:
        """Build the matrix from one row per vote; the latest vote per pair wins.

        Parameters
        ----------
        participant_ids : array-like of int or str, shape (n_votes,)
        statement_ids : array-like of int, shape (n_votes,)
        values : array-like of {-1, 0, 1}, shape (n_votes,)
            +1 agree, -1 disagree, 0 pass.
        order : array-like of numbers, shape (n_votes,), optional
            Timestamps or sequence numbers; for each (participant, statement) pair the vote with
            the largest ``order`` wins (ties: the later row). Without it the later row wins.
        moderated_out, meta : iterable of int, optional
            Statement ids to zero out (rejected, meta). Ids without votes are kept as columns only
            if they are also in ``all_statement_ids``.
        all_statement_ids : iterable of int, optional
            Statements to include even if nobody voted on them (they get zero counts and the
            routing priority of a new statement).

        Raises
        ------
        VoteInputError
            If the arrays differ in length or a value is not -1, 0 or 1.
        """
        pids = _as_id_array(participant_ids, "participant_ids")
        tids = _as_id_array(statement_ids, "statement_ids")
        if tids.dtype == object:
            raise VoteInputError("statement_ids must be integers")
        vals = np.asarray(values)
        if not (len(pids) == len(tids) == len(vals)):
            raise VoteInputError(
                "participant_ids, statement_ids and values differ in length: "
                f"{len(pids)}, {len(tids)}, {len(vals)}"
            )
        if vals.dtype.kind not in "iuf" and vals.size:
            raise VoteInputError(f"values must be numbers -1, 0 or 1, got dtype {vals.dtype}")
        if vals.size and (vals.min() < -1 or vals.max() > 1 or vals.dtype.kind == "f"):
            bad_mask = (vals != 1) & (vals != 0) & (vals != -1)
            if bad_mask.any():
                bad = int(np.flatnonzero(bad_mask)[0])
                raise VoteInputError(f"vote #{bad} has value {vals[bad]!r}; expected 1, 0 or -1")
        vals = vals.astype(np.int8)
        mod_out = _id_set(moderated_out, "moderated_out")
        meta_ids = _id_set(meta, "meta")

        uniq_p, p_idx = _factorize(pids)
        extra = np.array(sorted(_id_set(all_statement_ids, "all_statement_ids")), dtype=np.int64)
        uniq_t, t_idx = _factorize(np.concatenate([tids, extra]) if extra.size else tids)
        t_idx = t_idx[: len(tids)]
        n_p, n_t, n_v = len(uniq_p), len(uniq_t), len(vals)

        # One composite sort orders votes by (participant, statement, recency); the last of each
        # run of equal (participant, statement) keys is the latest vote.
        if order is not None:
            order_arr = np.asarray(order)
            if order_arr.shape != vals.shape:
                raise VoteInputError("order must have one entry per vote")
            if order_arr.dtype.kind == "f" and not np.all(np.isfinite(order_arr)):
                raise VoteInputError("order holds a missing or infinite value")
            if n_v < 2 or bool(np.all(order_arr[1:] >= order_arr[:-1])):
                by_order = None  # already chronological: row position is the rank
                rank = np.arange(n_v, dtype=np.int64)
            else:
                by_order = np.argsort(order_arr, kind="stable")
                rank = np.empty(n_v, dtype=np.int64)
                rank[by_order] = np.arange(n_v, dtype=np.int64)
        else:
            by_order = None
            rank = np.arange(n_v, dtype=np.int64)
        # In-place arithmetic keeps fresh allocations (and page faults) down on big inputs.
        key = p_idx  # reuse the buffer: key = participant * n_t + statement
        key *= n_t
        key += t_idx
        if n_v and (int(key.max()) + 1) * n_v < 2**62:
            key *= n_v
            key += rank
            key.sort()
            skey, srank = np.divmod(key, n_v)
            pos = by_order[srank] if by_order is not None else srank
        else:  # pragma: no cover - astronomically large inputs
            pos = np.lexsort((rank, key))
            skey = key[pos]
        if len(skey) > 1:
            last = np.empty(len(skey), dtype=bool)
            np.not_equal(skey[1:], skey[:-1], out=last[:-1])
            last[-1] = True
            if not last.all():
                skey, pos = skey[last], pos[last]
        rows, cols = np.divmod(skey, n_t)
        indptr = np.zeros(n_p + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_p), out=indptr[1:])
        return cls(
            participant_ids=uniq_p,
            statement_ids=uniq_t,
            indptr=indptr,
            indices=cols.astype(np.int32),
            values=vals[pos],
            moderated_out=mod_out,
            meta=meta_ids,
        )

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> tuple[int, int]:
        """(n_participants, n_statements)."""
        return len(self.participant_ids), len(self.statement_ids)

    @property
    def n_votes(self) -> int:
        """Number of (latest) votes, passes included."""
        return int(self.indices.size)

    def rows(self) -> NDArray[np.int64]:
        """Row index of every stored vote (aligned with ``indices``)."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))

    def votes_per_participant(self) -> NDArray[np.int64]:
        """Raw number of votes of each participant (passes and moderated-out statements count)."""
        return np.diff(self.indptr)

    def zeroed_mask(self) -> NDArray[np.bool_]:
        """Boolean mask over columns: moderated-out or meta statements (zeroed before PCA)."""
        zero_ids = self.moderated_out | self.meta
        if not zero_ids:
            return np.zeros(self.shape[1], dtype=bool)
        return np.isin(self.statement_ids, np.fromiter(zero_ids, dtype=np.int64))

    def voted_mask(self) -> NDArray[np.bool_]:
        """Boolean mask over columns: statements with at least one vote."""
        counts = np.bincount(self.indices, minlength=self.shape[1])
        return counts > 0

    def to_csr(self, dtype: type = np.float64) -> sp.csr_matrix:
        """The votes as a scipy CSR matrix (passes are explicit zeros; do not prune them)."""
        return sp.csr_matrix(
            (self.values.astype(dtype), self.indices, self.indptr), shape=self.shape, copy=False
        )

    def indicator(self, value: int | None = None) -> sp.csr_matrix:
        """0/1 CSR matrix of cells holding ``value`` (or of all votes when ``value`` is None)."""
        if value is None:
            data = np.ones(self.n_votes, dtype=np.float64)
        else:
            data = (self.values == value).astype(np.float64)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=self.shape, copy=False)

    def participant_index(self, ids: Iterable[object]) -> NDArray[np.int64]:
        """Row indices of the given participant ids (ids not in the matrix are skipped)."""
        wanted = np.asarray(list(ids), dtype=self.participant_ids.dtype)
        if wanted.size == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self.participant_ids, wanted)
        pos = np.clip(pos, 0, max(len(self.participant_ids) - 1, 0))
        ok = self.participant_ids[pos] == wanted if len(self.participant_ids) else pos < 0
        return np.unique(pos[ok]).astype(np.int64)

    def statement_index(self, ids: Iterable[int]) -> NDArray[np.int64]:
        """Column indices of the given statement ids (ids not in the matrix are skipped)."""
        wanted = np.fromiter((int(i) for i in ids), dtype=np.int64)
        if wanted.size == 0 or self.shape[1] == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.statement_ids, wanted), 0, self.shape[1] - 1)
        return np.unique(pos[self.statement_ids[pos] == wanted]).astype(np.int64)

    def without_votes(self, hide: NDArray[np.bool_]) -> VoteMatrix:
        """A copy without the votes flagged in ``hide`` (aligned with ``indices``).

        Participants and statements keep their rows/columns, so ids stay aligned; a participant
        whose every vote is hidden simply has an empty row.
        """
        keep = ~np.asarray(hide, dtype=bool)
        if keep.shape != self.values.shape:
            raise VoteInputError("hide must have one flag per stored vote")
        indptr = np.zeros_like(self.indptr)
        np.cumsum(np.bincount(self.rows()[keep], minlength=self.shape[0]), out=indptr[1:])
        return VoteMatrix(
            participant_ids=self.participant_ids,
            statement_ids=self.statement_ids,
            indptr=indptr,
            indices=self.indices[keep],
            values=self.values[keep],
            moderated_out=self.moderated_out,
            meta=self.meta,
        )


def in_conv_mask(
    votes: VoteMatrix,
    *,
    min_votes: int = 7,
    min_participants: int = 15,
    sticky: NDArray[np.bool_] | None = None,
) -> NDArray[np.bool_]:
    """Which participants are clustered ("in-conv"), following Pol.is.

    A participant qualifies once their raw vote count (passes and votes on moderated-out statements
    included) reaches ``min(min_votes, n_voted_statements)``; participants already in ``sticky``
    (e.g. in-conv in the previous analysis) stay in. If fewer than ``min_participants`` qualify,
    the top voters are added (ties broken by row order) until there are that many.

    Parameters
    ----------
    votes : VoteMatrix
    min_votes : int, default 7
    min_participants : int, default 15
    sticky : ndarray of bool, shape (n_participants,), optional

    Returns
    -------
    ndarray of bool, shape (n_participants,)
    """
    counts = votes.votes_per_participant()
    n_cols = int(votes.voted_mask().sum())
    mask = counts >= min(min_votes, n_cols)
    mask &= counts > 0
    if sticky is not None:
        mask |= np.asarray(sticky, dtype=bool)
    missing = min_participants - int(mask.sum())
    if missing > 0:
        candidates = np.flatnonzero(~mask & (counts > 0))
        best = candidates[np.argsort(-counts[candidates], kind="stable")][:missing]
        mask[best] = True
    return mask
