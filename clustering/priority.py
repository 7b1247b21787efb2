"""Routing priority of each statement (which statement to show a participant next), as in Pol.is.

``priority = (importance · (1 + 8 · 2^(−S/5)))²`` with ``importance = (1 − p) · (E + 1) · a``,
``p = (P + 1)/(S + 2)`` (pass rate), ``a = (A + 1)/(S + 2)`` (agree rate) and ``E`` the statement's
extremity. A, P, S are the agree, pass and total votes of the clustered participants (summed over
groups). Meta statements get ``7² = 49``. The ``2^(−S/5)`` term lets new statements bubble up.

Pol.is computes the counts from the *previous* tick's groups; a cold analysis has no previous tick,
so we use the current analysis' groups (identical whenever no vote arrived in between).
The next statement is drawn at random weighted by priority among accepted statements the participant
has not voted on (:func:`pick_next_statement`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import check_random_state

__all__ = ["META_PRIORITY", "priorities", "pick_next_statement"]

META_PRIORITY = 49.0


def priorities(
    n_agree: NDArray,
    n_pass: NDArray,
    n_votes: NDArray,
    extremity: NDArray,
    is_meta: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Pol.is comment priorities, one per statement."""
    s = np.asarray(n_votes, dtype=np.float64)
    p = (np.asarray(n_pass, dtype=np.float64) + 1.0) / (s + 2.0)
    a = (np.asarray(n_agree, dtype=np.float64) + 1.0) / (s + 2.0)
    importance = (1.0 - p) * (np.asarray(extremity, dtype=np.float64) + 1.0) * a
    out = (importance * (1.0 + 8.0 * np.power(2.0, -s / 5.0))) ** 2
    return np.where(np.asarray(is_meta, dtype=bool), META_PRIORITY, out)


def pick_next_statement(
    statement_ids: NDArray[np.int64],
    priority: NDArray[np.float64],
    *,
    exclude: NDArray[np.int64] | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> int | None:
    """Draw a statement id with probability proportional to its priority, skipping ``exclude``.

    Returns None when no statement is left (or all remaining priorities are 0).
    """
    ids = np.asarray(statement_ids)
    weight = np.asarray(priority, dtype=np.float64).copy()
    if exclude is not None and len(exclude):
        weight[np.isin(ids, np.asarray(exclude))] = 0.0
    weight[~np.isfinite(weight) | (weight < 0)] = 0.0
    total = weight.sum()
    if total <= 0:
        return None
    rng = check_random_state(random_state)
    return int(ids[rng.choice(len(ids), p=weight / total)])
