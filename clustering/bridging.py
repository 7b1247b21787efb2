"""Bridging scores: agreement that the main opinion axis does not explain (Community-Notes style).

Model
-----
Each vote is a rating ``r`` (agree = 1, disagree = 0; passes left out by default, or
``pass_value`` when given) and is predicted by a one-factor matrix factorisation

    r_ij ≈ μ + b_i + c_j + f_i · g_j

with a global mean ``μ``, a participant intercept ``b_i`` (how agreeable the participant is), a
statement intercept ``c_j``, a participant factor ``f_i`` (where the participant stands on the
main opinion axis) and a statement factor ``g_j`` (how much the statement splits along that axis).
The fit minimises, as Community Notes does, the mean squared error over the observed ratings plus
L2 penalties that are stronger on intercepts than on factors:

    (1/N) Σ (r − r̂)² + λ_i (mean_i b_i² + mean_j c_j²) + λ_f (mean_i f_i² + mean_j g_j²)

(``λ_i = 0.15``, ``λ_f = 0.03`` by default). Because the factor is cheaper, agreement that lines up
with the opinion axis (one side agrees, the other disagrees) is explained by ``f_i · g_j``; only
agreement shared *across* the axis is left to ``c_j``. The **bridging score** of a statement is
its intercept ``c_j``: high when people on both sides of the main divide agree with it, near or
below zero when its support comes from one side only or when few people agree. Few ratings pull
``c_j`` towards 0 (the penalty), so a statement that three people liked does not outrank one
that three thousand liked.

How it differs from group-informed consensus (Pol.is): that is the product over the opinion groups
of each group's smoothed agree share, so it depends on how participants were cut into groups
(their number and borders) and falls sharply when any one group is lukewarm. The bridging score
needs no groups: it uses each person's continuous position on the axis, so it is unaffected by
the choice of k, and it credits agreement that is *unexpected* given a person's side.

Fit
---
Alternating least squares, exactly: with the statement side fixed, each participant's (b_i, f_i)
is a 2-parameter ridge regression solved in closed form, vectorised over all participants with
``bincount`` sums over the sparse votes; then the same for the statements; then μ. Each step
cannot increase the loss, so the fit converges (to a local optimum); it stops when the relative
decrease is below ``tol``. Factors start from small seeded random values (``random_state``), so a
given seed gives identical scores. The factor's sign is fixed so that the participants who agree
more with the statement of largest ``|g_j|`` have positive ``f_i`` (signs are arbitrary).
2 million votes take a few seconds on one core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import check_random_state

from clustering.votes import VoteMatrix

__all__ = ["BridgingResult", "BridgingFactorization", "bridging_scores"]


def _ro(a: Any, dtype: Any = None) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class BridgingResult:
    """Per statement (in ``statement_ids`` order): bridging score and the fitted factor.

    Attributes
    ----------
    statement_ids : ndarray of int64
    intercept : ndarray of float64
        The bridging score ``c_j`` (0 for statements without ratings or excluded ones).
    factor : ndarray of float64
        ``g_j``: how strongly the statement splits along the main opinion axis (signed).
    n_ratings : ndarray of int64
        Ratings that entered the fit (agrees and disagrees; passes too with ``pass_value``).
    mu : float
        Global mean rating.
    params : dict
        Parameters of the fit.
    n_iter : int
        ALS sweeps run.
    loss : float
        Final value of the objective.
    """

    statement_ids: NDArray[np.int64]
    intercept: NDArray[np.float64]
    factor: NDArray[np.float64]
    n_ratings: NDArray[np.int64]
    mu: float
    params: dict[str, Any]
    n_iter: int
    loss: float

    def score_of(self, statement_id: int) -> float:
        """Bridging score of one statement; raises KeyError."""
        hits = np.flatnonzero(self.statement_ids == statement_id)
        if hits.size == 0:
            raise KeyError(statement_id)
        return float(self.intercept[hits[0]])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; inverse of :meth:`from_dict`."""
        return {
            "statement_ids": self.statement_ids.tolist(),
            "intercept": self.intercept.tolist(),
            "factor": self.factor.tolist(),
            "n_ratings": self.n_ratings.tolist(),
            "mu": self.mu,
            "params": dict(self.params),
            "n_iter": self.n_iter,
            "loss": self.loss,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BridgingResult:
        """Rebuild from :meth:`to_dict` output."""
        try:
            return cls(
                statement_ids=_ro(d["statement_ids"], np.int64),
                intercept=_ro(d["intercept"], np.float64),
                factor=_ro(d["factor"], np.float64),
                n_ratings=_ro(d["n_ratings"], np.int64),
                mu=float(d["mu"]),
                params=dict(d["params"]),
                n_iter=int(d["n_iter"]),
                loss=float(d["loss"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bridging payload lacks or mangles a field: {exc}") from None


def _ridge2(
    s11: NDArray, s12: NDArray, s22: NDArray, t1: NDArray, t2: NDArray, l1: float, l2: float
) -> tuple[NDArray, NDArray]:
    """Solve [[s11 + l1, s12], [s12, s22 + l2]] · (x, y) = (t1, t2) elementwise."""
    a, b, d = s11 + l1, s12, s22 + l2
    det = a * d - b * b
    safe = np.where(det > 0, det, 1.0)
    x = np.where(det > 0, (d * t1 - b * t2) / safe, 0.0)
    y = np.where(det > 0, (a * t2 - b * t1) / safe, 0.0)
    return x, y


class BridgingFactorization:
    """One-factor matrix factorisation of the votes; the statement intercepts are bridging scores.

    Parameters
    ----------
    intercept_reg : float, default 0.15
        ``λ_i``: penalty on the participant and statement intercepts (mean-squared, as above).
    factor_reg : float, default 0.03
        ``λ_f``: penalty on the factors.
    pass_value : float or None, default None
        Rating given to a pass; None leaves passes out of the fit.
    max_iter : int, default 200
        Maximum ALS sweeps.
    tol : float, default 1e-7
        Stop when the loss decreases by less than ``tol`` (relative) in one sweep.
    exclude_moderated : bool, default True
        Leave moderated-out and meta statements out of the fit (their score is 0).
    random_state : int, RandomState or None, default None
        Seeds the starting factors.

    Attributes
    ----------
    result_ : BridgingResult
    mu_ : float
    participant_intercept_, participant_factor_ : ndarray, shape (n_participants,)
    statement_intercept_, statement_factor_ : ndarray, shape (n_statements,)
    n_iter_ : int
    loss_ : float
    """

    def __init__(
        self,
        *,
        intercept_reg: float = 0.15,
        factor_reg: float = 0.03,
        pass_value: float | None = None,
        max_iter: int = 200,
        tol: float = 1e-7,
        exclude_moderated: bool = True,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.intercept_reg = intercept_reg
        self.factor_reg = factor_reg
        self.pass_value = pass_value
        self.max_iter = max_iter
        self.tol = tol
        self.exclude_moderated = exclude_moderated
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Estimator parameters (scikit-learn convention)."""
        return {
            "intercept_reg": self.intercept_reg,
            "factor_reg": self.factor_reg,
            "pass_value": self.pass_value,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "exclude_moderated": self.exclude_moderated,
            "random_state": self.random_state,
        }

    def _validate(self) -> None:
        for name in ("intercept_reg", "factor_reg", "tol"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number ≥ 0, got {value!r}")
        if int(self.max_iter) < 1:
            raise ValueError(f"max_iter must be ≥ 1, got {self.max_iter!r}")
        if self.pass_value is not None and not np.isfinite(self.pass_value):
            raise ValueError(f"pass_value must be a finite number or None, got {self.pass_value!r}")

    def fit(self, votes: VoteMatrix) -> BridgingFactorization:
        """Fit the factorisation to ``votes``.

        Parameters
        ----------
        votes : VoteMatrix

        Returns
        -------
        self
        """
        self._validate()
        if not isinstance(votes, VoteMatrix):
            raise TypeError(f"votes must be a VoteMatrix, got {type(votes).__name__}")
        rng = check_random_state(self.random_state)
        n, m = votes.shape
        rows_all = votes.rows()
        cols_all = votes.indices.astype(np.int64)
        vals = votes.values
        keep = vals != 0 if self.pass_value is None else np.ones(vals.size, bool)
        if self.exclude_moderated:
            keep &= ~votes.zeroed_mask()[cols_all]
        rows, cols = rows_all[keep], cols_all[keep]
        r = np.where(vals[keep] == 1, 1.0, np.where(vals[keep] == -1, 0.0, self.pass_value or 0.0))
        n_obs = r.size
        n_ratings = np.bincount(cols, minlength=m).astype(np.int64)

        mu = float(r.mean()) if n_obs else 0.0
        b = np.zeros(n)
        c = np.zeros(m)
        f = np.zeros(n)
        g = rng.normal(0.0, 0.1, m)
        # Penalties of the mean-based objective, scaled to the sum of squared errors.
        scale_p = n_obs / max(n, 1)
        scale_s = n_obs / max(m, 1)
        li_p, lf_p = self.intercept_reg * scale_p, self.factor_reg * scale_p
        li_s, lf_s = self.intercept_reg * scale_s, self.factor_reg * scale_s
        cnt_p = np.bincount(rows, minlength=n).astype(np.float64)

        def loss() -> float:
            e = r - (mu + b[rows] + c[cols] + f[rows] * g[cols])
            return float(e @ e + li_p * (b @ b) + li_s * (c @ c) + lf_p * (f @ f) + lf_s * (g @ g))

        prev = np.inf
        n_iter = 0
        current = loss() if n_obs else 0.0
        for n_iter in range(1, int(self.max_iter) + 1):  # noqa: B007
            if n_obs == 0:
                break
            # participants: (b_i, f_i) given (c, g, mu)
            gj = g[cols]
            resid = r - mu - c[cols]
            s12 = np.bincount(rows, weights=gj, minlength=n)
            s22 = np.bincount(rows, weights=gj * gj, minlength=n)
            t1 = np.bincount(rows, weights=resid, minlength=n)
            t2 = np.bincount(rows, weights=resid * gj, minlength=n)
            b, f = _ridge2(cnt_p, s12, s22, t1, t2, li_p, lf_p)
            # statements: (c_j, g_j) given (b, f, mu)
            fi = f[rows]
            resid = r - mu - b[rows]
            s12 = np.bincount(cols, weights=fi, minlength=m)
            s22 = np.bincount(cols, weights=fi * fi, minlength=m)
            t1 = np.bincount(cols, weights=resid, minlength=m)
            t2 = np.bincount(cols, weights=resid * fi, minlength=m)
            c, g = _ridge2(n_ratings.astype(np.float64), s12, s22, t1, t2, li_s, lf_s)
            # global mean (unpenalised)
            mu = float(np.mean(r - b[rows] - c[cols] - f[rows] * g[cols]))
            current = loss()
            if np.isfinite(prev) and prev - current <= self.tol * max(abs(prev), 1e-12):
                break
            prev = current

        # Orientation: the side that agrees with the most axis-splitting statement is positive.
        if m and np.any(g != 0):
            j = int(np.argmax(np.abs(g)))
            if g[j] < 0:
                f, g = -f, -g
        self.mu_ = mu
        self.participant_intercept_ = b
        self.participant_factor_ = f
        self.statement_intercept_ = c
        self.statement_factor_ = g
        self.n_iter_ = n_iter
        self.loss_ = current
        params = self.get_params()
        rs = params["random_state"]
        params["random_state"] = rs if rs is None or isinstance(rs, int) else "RandomState"
        self.result_ = BridgingResult(
            statement_ids=_ro(votes.statement_ids, np.int64),
            intercept=_ro(c),
            factor=_ro(g),
            n_ratings=_ro(n_ratings),
            mu=mu,
            params=params,
            n_iter=n_iter,
            loss=current,
        )
        return self


def bridging_scores(
    votes: VoteMatrix, *, random_state: int | np.random.RandomState | None = 0, **params: Any
) -> BridgingResult:
    """Fit :class:`BridgingFactorization` and return its result (``params`` as there)."""
    return BridgingFactorization(random_state=random_state, **params).fit(votes).result_
