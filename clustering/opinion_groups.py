"""Opinion groups for one phase's votes: the estimator, ``analyze()`` and the frozen result types.

Usage::

    from clustering.votes import VoteMatrix
    from clustering.opinion_groups import analyze, AnalysisResult

    votes = VoteMatrix.from_votes(pids, sids, values, order=timestamps,
                                  moderated_out=rejected_ids, meta=meta_ids)
    result = analyze(votes, previous=last_result, random_state=0)   # -> AnalysisResult
    payload = result.to_dict()            # compact, JSON-safe; AnalysisResult.from_dict(payload)
    report = result.to_records()          # the record-shaped JSON of ``python -m clustering polis``

``analyze(votes, *, previous=None, random_state=0, **params)`` is
``OpinionGroups(random_state=random_state, **params).fit(votes, previous=previous).result_``.

Pipeline (each stage timed in ``result.timings``, seconds):

1. ``in_conv`` — who is clustered: ≥ min(7, n_statements) raw votes (Pol.is), once in always in
   (participants in-conv in ``previous`` stay), topped up to 15 with the most active voters.
2. ``pca`` — two components of the sparse centred vote matrix (:mod:`clustering.pca`); the map.
3. ``projection`` — participants (sparsity-aware) and statements (extremity).
4. ``base_clusters`` — up to 100 base clusters of in-conv participants on the map.
5. ``groups`` — 2…5 opinion groups (:mod:`clustering.groups`; ``method="consult"`` by default,
   ``method="polis"`` reproduces the engine), stable ids from ``previous``.
6. ``subgroups`` — the same inside each group.
7. ``statistics`` — per-group counts, representative statements (:mod:`clustering.repness`),
   consensus, group-informed consensus, divisive and uncertainty lists
   (:mod:`clustering.consensus`), routing priorities (:mod:`clustering.priority`).

How the default differs from Pol.is (``method="consult"``; details in :mod:`clustering.groups`):
the map, in-conv rule, base clusters, repness, consensus and priorities are Pol.is' (and are
exact with ``method="polis"``), but a participant's group is the one that makes their actual
agree/disagree votes likeliest (a mixture model started from k-means of the map) and the number of
groups is the one that best predicts votes the grouping did not see, instead of the silhouette of
the base clusters. These groups predict held-out votes better than Pol.is' own groups and recover
planted groups; they may overlap a little on the 2-D map.

Warm start: ``previous`` (an :class:`AnalysisResult`, e.g. rebuilt with ``from_dict``) supplies
the PCA components (start vector and stable signs, so the map does not flip), base-cluster
membership, the previous partition (a warm candidate) or group centres per k ("polis"), the
k-smoothing state, in-conv membership and the group ids to keep. ``previous`` must come from the
same conversation; participants and statements are matched by id, so new ones are fine.

Group ids are stable labels, not indices: a group keeps its id across recomputes as long as it
keeps most of its members, so ids may have gaps (0, 2) after a group disappears.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import check_random_state

from clustering.consensus import (
    divisive_list,
    divisiveness,
    group_informed_consensus,
    majority_consensus,
    uncertainty_list,
)
from clustering.groups import (
    BaseClustering,
    GroupClustering,
    KSmoother,
    VoteOutcomes,
    base_clusters,
    consult_groups,
    match_ids,
    max_groups_for,
    polis_groups,
)
from clustering.pca import project_participants, project_statements, sparse_pca
from clustering.priority import priorities
from clustering.repness import Z_90, GroupCounts, group_counts, repness_stats, select_representative
from clustering.votes import VoteMatrix, in_conv_mask

__all__ = [
    "FORMAT_VERSION",
    "RepresentativeStatement",
    "Group",
    "ParticipantTable",
    "StatementTable",
    "ConsensusStatement",
    "DivisiveStatement",
    "UncertainStatement",
    "PCAState",
    "BaseClusterTable",
    "AnalysisResult",
    "OpinionGroups",
    "analyze",
]

FORMAT_VERSION = 1
METHODS = ("consult", "polis")


def _ro(a: Any, dtype: Any = None) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.setflags(write=False)
    return arr


def _ids_array(ids: Iterable[Any]) -> np.ndarray:
    values = list(ids)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return _ro(values, np.int64)
    return _ro(values, object)


def _id_out(v: Any) -> Any:
    return int(v) if isinstance(v, (int, np.integer)) else v


# =============================================================================== result types
@dataclass(frozen=True)
class RepresentativeStatement:
    """A statement that sets a group apart (Pol.is repness) with the shares to show.

    ``agree_share``/``disagree_share`` are raw shares of the group's votes (passes included in the
    denominator); ``*_others`` the same for clustered participants outside the group. ``p_success``,
    ``p_test``, ``repness``, ``repness_test`` are Pol.is' smoothed statistics for ``direction``.
    """

    statement_id: int
    direction: str
    agree_share: float
    agree_share_others: float
    disagree_share: float
    disagree_share_others: float
    n_agree: int
    n_disagree: int
    n_votes: int
    n_agree_others: int
    n_disagree_others: int
    n_votes_others: int
    p_success: float
    p_test: float
    repness: float
    repness_test: float
    best_agree: bool = False


@dataclass(frozen=True)
class Group:
    """An opinion group (or a subgroup when ``parent_id`` is set)."""

    id: int
    size: int
    x: float
    y: float
    representative: tuple[RepresentativeStatement, ...] = ()
    parent_id: int | None = None

    @property
    def center(self) -> tuple[float, float]:
        """Mean map position of the members."""
        return (self.x, self.y)


@dataclass(frozen=True, eq=False)
class ParticipantTable:
    """Per participant, aligned arrays (participants in id order).

    ``group``/``subgroup``/``base_cluster`` are -1 when the participant is not clustered; use
    :meth:`group_of` for ``None``.
    """

    ids: np.ndarray
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    group: NDArray[np.int64]
    subgroup: NDArray[np.int64]
    base_cluster: NDArray[np.int64]
    in_conv: NDArray[np.bool_]
    n_votes: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ids)

    def index_of(self, participant_id: Any) -> int:
        """Row of ``participant_id``; raises KeyError when absent."""
        hits = np.flatnonzero(self.ids == participant_id)
        if hits.size == 0:
            raise KeyError(participant_id)
        return int(hits[0])

    def group_of(self, participant_id: Any) -> int | None:
        """Group id of a participant, None when not clustered."""
        g = int(self.group[self.index_of(participant_id)])
        return None if g < 0 else g

    def to_dict(self) -> dict[str, list]:
        """Columnar lists (compact and fast to serialise)."""
        return {
            "ids": [_id_out(v) for v in self.ids.tolist()],
            "x": self.x.tolist(),
            "y": self.y.tolist(),
            "group": self.group.tolist(),
            "subgroup": self.subgroup.tolist(),
            "base_cluster": self.base_cluster.tolist(),
            "in_conv": self.in_conv.tolist(),
            "n_votes": self.n_votes.tolist(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ParticipantTable:
        """Inverse of :meth:`to_dict`."""
        return cls(
            ids=_ids_array(d["ids"]),
            x=_ro(d["x"], np.float64),
            y=_ro(d["y"], np.float64),
            group=_ro(d["group"], np.int64),
            subgroup=_ro(d["subgroup"], np.int64),
            base_cluster=_ro(d["base_cluster"], np.int64),
            in_conv=_ro(d["in_conv"], bool),
            n_votes=_ro(d["n_votes"], np.int64),
        )


_STATEMENT_FLOATS = (
    "x",
    "y",
    "extremity",
    "priority",
    "mean",
    "group_informed_consensus",
    "group_informed_consensus_disagree",
    "divisiveness",
    "pass_share",
)
_STATEMENT_INTS = ("n_agree", "n_disagree", "n_pass", "n_votes")


@dataclass(frozen=True, eq=False)
class StatementTable:
    """Per statement, aligned arrays (statements in id order).

    Overall counts (``n_agree`` … ``n_votes``) cover every participant's latest vote. Per-group
    counts ``group_agree``/``group_disagree``/``group_votes`` have shape (n_groups, n_statements),
    rows in the order of ``group_ids`` (= ``AnalysisResult.groups``), and cover in-conv members.
    """

    ids: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    extremity: NDArray[np.float64]
    priority: NDArray[np.float64]
    mean: NDArray[np.float64]
    group_informed_consensus: NDArray[np.float64]
    group_informed_consensus_disagree: NDArray[np.float64]
    divisiveness: NDArray[np.float64]
    pass_share: NDArray[np.float64]
    n_agree: NDArray[np.int64]
    n_disagree: NDArray[np.int64]
    n_pass: NDArray[np.int64]
    n_votes: NDArray[np.int64]
    moderated_out: NDArray[np.bool_]
    meta: NDArray[np.bool_]
    group_ids: NDArray[np.int64]
    group_agree: NDArray[np.int64]
    group_disagree: NDArray[np.int64]
    group_votes: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ids)

    def index_of(self, statement_id: int) -> int:
        """Column of ``statement_id``; raises KeyError when absent."""
        pos = int(np.searchsorted(self.ids, statement_id))
        if pos >= len(self.ids) or self.ids[pos] != statement_id:
            raise KeyError(statement_id)
        return pos

    def to_dict(self) -> dict[str, list]:
        """Columnar lists."""
        out: dict[str, list] = {"ids": self.ids.tolist()}
        for name in _STATEMENT_FLOATS + _STATEMENT_INTS:
            out[name] = getattr(self, name).tolist()
        out["moderated_out"] = self.moderated_out.tolist()
        out["meta"] = self.meta.tolist()
        out["group_ids"] = self.group_ids.tolist()
        for name in ("group_agree", "group_disagree", "group_votes"):
            out[name] = getattr(self, name).tolist()
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StatementTable:
        """Inverse of :meth:`to_dict`."""
        m = len(d["ids"])
        kw: dict[str, Any] = {"ids": _ro(d["ids"], np.int64)}
        for name in _STATEMENT_FLOATS:
            kw[name] = _ro(d[name], np.float64)
        for name in _STATEMENT_INTS:
            kw[name] = _ro(d[name], np.int64)
        kw["moderated_out"] = _ro(d["moderated_out"], bool)
        kw["meta"] = _ro(d["meta"], bool)
        kw["group_ids"] = _ro(d["group_ids"], np.int64)
        g = len(d["group_ids"])
        for name in ("group_agree", "group_disagree", "group_votes"):
            kw[name] = _ro(np.array(d[name], dtype=np.int64).reshape(g, m))
        return cls(**kw)


@dataclass(frozen=True)
class ConsensusStatement:
    """A statement most participants agree (or disagree) with (Pol.is majority consensus)."""

    statement_id: int
    direction: str
    n_success: int
    n_trials: int
    p_success: float
    p_test: float


@dataclass(frozen=True)
class DivisiveStatement:
    """A statement the groups stand far apart on; ``net_agreement`` is per group id."""

    statement_id: int
    divisiveness: float
    net_agreement: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class UncertainStatement:
    """A statement many participants passed on."""

    statement_id: int
    pass_share: float
    n_pass: int
    n_votes: int


@dataclass(frozen=True, eq=False)
class PCAState:
    """The map: column means and components over ``statement_ids`` (for warm start too)."""

    statement_ids: NDArray[np.int64]
    center: NDArray[np.float64]
    components: NDArray[np.float64]
    variance: NDArray[np.float64]

    def to_dict(self) -> dict[str, list]:
        """Lists."""
        return {
            "statement_ids": self.statement_ids.tolist(),
            "center": self.center.tolist(),
            "components": self.components.tolist(),
            "variance": self.variance.tolist(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PCAState:
        """Inverse of :meth:`to_dict`."""
        m = len(d["statement_ids"])
        return cls(
            statement_ids=_ro(d["statement_ids"], np.int64),
            center=_ro(d["center"], np.float64),
            components=_ro(np.array(d["components"], dtype=np.float64).reshape(-1, m)),
            variance=_ro(d["variance"], np.float64),
        )

    def aligned_components(self, statement_ids: NDArray[np.int64]) -> NDArray[np.float64]:
        """Components re-indexed to ``statement_ids`` (0 for statements new since then)."""
        out = np.zeros((self.components.shape[0], len(statement_ids)))
        if len(self.statement_ids) and len(statement_ids):
            pos = np.clip(
                np.searchsorted(self.statement_ids, statement_ids), 0, len(self.statement_ids) - 1
            )
            ok = self.statement_ids[pos] == statement_ids
            out[:, ok] = self.components[:, pos[ok]]
        return out


@dataclass(frozen=True, eq=False)
class BaseClusterTable:
    """Base clusters: ids, map centres and sizes (members: ``participants.base_cluster``)."""

    ids: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    size: NDArray[np.int64]

    def to_dict(self) -> dict[str, list]:
        """Lists."""
        return {
            "ids": self.ids.tolist(),
            "x": self.x.tolist(),
            "y": self.y.tolist(),
            "size": self.size.tolist(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BaseClusterTable:
        """Inverse of :meth:`to_dict`."""
        return cls(
            ids=_ro(d["ids"], np.int64),
            x=_ro(d["x"], np.float64),
            y=_ro(d["y"], np.float64),
            size=_ro(d["size"], np.int64),
        )


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """Everything one analysis computed; immutable and JSON round-trippable.

    Attributes
    ----------
    params : dict
        The estimator parameters used (JSON-safe).
    counts : dict
        ``n_participants`` (with ≥ 1 vote), ``n_statements``, ``n_votes``, ``n_in_conv``,
        ``n_clustered``, ``n_groups``, ``n_moderated_out``, ``n_meta``.
    participants : ParticipantTable
    statements : StatementTable
    groups : tuple of Group
        Ordered by id; ``representative`` lists at most ``pick_max`` statements.
    subgroups : tuple of Group
        With ``parent_id`` set; ordered by (parent_id, id).
    consensus_agree, consensus_disagree : tuple of ConsensusStatement
    divisive : tuple of DivisiveStatement
    uncertainty : tuple of UncertainStatement
    pca : PCAState
    base_clusters : BaseClusterTable
    group_centers_by_k : dict
        k → group centres (k × 2) tried for that k: warm start of the next analysis.
    k_smoother : KSmoother
    timings : dict
        Seconds per stage and ``total``.
    """

    params: dict[str, Any]
    counts: dict[str, int]
    participants: ParticipantTable
    statements: StatementTable
    groups: tuple[Group, ...]
    subgroups: tuple[Group, ...]
    consensus_agree: tuple[ConsensusStatement, ...]
    consensus_disagree: tuple[ConsensusStatement, ...]
    divisive: tuple[DivisiveStatement, ...]
    uncertainty: tuple[UncertainStatement, ...]
    pca: PCAState
    base_clusters: BaseClusterTable
    group_centers_by_k: dict[int, tuple[tuple[float, ...], ...]] = field(default_factory=dict)
    k_smoother: KSmoother = field(default_factory=KSmoother)
    timings: dict[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------------ convenience
    def group(self, group_id: int) -> Group:
        """The group with ``group_id``; raises KeyError."""
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-safe dict (columnar arrays as lists); inverse of :meth:`from_dict`."""
        return {
            "format_version": FORMAT_VERSION,
            "params": dict(self.params),
            "counts": dict(self.counts),
            "participants": self.participants.to_dict(),
            "statements": self.statements.to_dict(),
            "groups": [_group_to_dict(g) for g in self.groups],
            "subgroups": [_group_to_dict(g) for g in self.subgroups],
            "consensus": {
                "agree": [_plain(c) for c in self.consensus_agree],
                "disagree": [_plain(c) for c in self.consensus_disagree],
            },
            "divisive": [
                {
                    "statement_id": d.statement_id,
                    "divisiveness": d.divisiveness,
                    "net_agreement": [[g, v] for g, v in d.net_agreement],
                }
                for d in self.divisive
            ],
            "uncertainty": [_plain(u) for u in self.uncertainty],
            "pca": self.pca.to_dict(),
            "base_clusters": self.base_clusters.to_dict(),
            "group_centers_by_k": {
                str(k): [list(c) for c in v] for k, v in self.group_centers_by_k.items()
            },
            "k_smoother": _plain(self.k_smoother),
            "timings": dict(self.timings),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AnalysisResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. after ``json.loads``).

        Raises
        ------
        ValueError
            If the payload has another format version or lacks a field.
        """
        version = d.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"unsupported analysis format_version {version!r} (expected {FORMAT_VERSION})"
            )
        try:
            return cls(
                params=dict(d["params"]),
                counts={k: int(v) for k, v in d["counts"].items()},
                participants=ParticipantTable.from_dict(d["participants"]),
                statements=StatementTable.from_dict(d["statements"]),
                groups=tuple(_group_from_dict(g) for g in d["groups"]),
                subgroups=tuple(_group_from_dict(g) for g in d["subgroups"]),
                consensus_agree=tuple(ConsensusStatement(**c) for c in d["consensus"]["agree"]),
                consensus_disagree=tuple(
                    ConsensusStatement(**c) for c in d["consensus"]["disagree"]
                ),
                divisive=tuple(
                    DivisiveStatement(
                        statement_id=int(x["statement_id"]),
                        divisiveness=float(x["divisiveness"]),
                        net_agreement=tuple((int(g), float(v)) for g, v in x["net_agreement"]),
                    )
                    for x in d["divisive"]
                ),
                uncertainty=tuple(UncertainStatement(**u) for u in d["uncertainty"]),
                pca=PCAState.from_dict(d["pca"]),
                base_clusters=BaseClusterTable.from_dict(d["base_clusters"]),
                group_centers_by_k={
                    int(k): tuple(tuple(float(x) for x in c) for c in v)
                    for k, v in d["group_centers_by_k"].items()
                },
                k_smoother=KSmoother(**d["k_smoother"]),
                timings={k: float(v) for k, v in d["timings"].items()},
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"analysis payload lacks or mangles a field: {exc}") from None

    def to_records(self) -> dict[str, Any]:
        """Record-shaped JSON (the output of ``python -m clustering polis``).

        ``participants``: [{"id", "group", "subgroup", "x", "y", "in_conv", "n_votes"}];
        ``groups``/``subgroups``: [{"id", "size", "x", "y", "representative": [{"statement_id",
        "direction", "agree_share", "agree_share_others", ...}]}]; ``statements``: [{"id",
        "group_informed_consensus", "extremity", "priority", "x", "y", "divisiveness",
        "n_agree", "n_disagree", "n_pass", "n_votes", "moderated_out", "meta",
        "groups": {"<gid>": {"A", "D", "S"}}}]; ``consensus`` {"agree", "disagree"};
        ``divisive``; ``uncertainty``; ``params``; ``counts``; ``timings``.
        """
        p = self.participants
        group = p.group.tolist()
        sub = p.subgroup.tolist()
        participants = [
            {
                "id": _id_out(pid),
                "group": None if g < 0 else g,
                "subgroup": None if s < 0 else s,
                "x": x,
                "y": y,
                "in_conv": ic,
                "n_votes": nv,
            }
            for pid, g, s, x, y, ic, nv in zip(
                p.ids.tolist(),
                group,
                sub,
                p.x.tolist(),
                p.y.tolist(),
                p.in_conv.tolist(),
                p.n_votes.tolist(),
                strict=True,
            )
        ]
        st = self.statements
        cols = {name: getattr(st, name).tolist() for name in _STATEMENT_FLOATS + _STATEMENT_INTS}
        gids = st.group_ids.tolist()
        ga = st.group_agree.T.tolist()
        gd = st.group_disagree.T.tolist()
        gv = st.group_votes.T.tolist()
        statements = []
        for j, sid in enumerate(st.ids.tolist()):
            rec: dict[str, Any] = {"id": sid}
            for name in (
                "group_informed_consensus",
                "group_informed_consensus_disagree",
                "extremity",
                "priority",
                "x",
                "y",
                "divisiveness",
                "pass_share",
                "n_agree",
                "n_disagree",
                "n_pass",
                "n_votes",
            ):
                rec[name] = cols[name][j]
            rec["moderated_out"] = bool(st.moderated_out[j])
            rec["meta"] = bool(st.meta[j])
            rec["groups"] = {
                str(g): {"A": ga[j][i], "D": gd[j][i], "S": gv[j][i]} for i, g in enumerate(gids)
            }
            statements.append(rec)
        d = self.to_dict()
        return {
            "participants": participants,
            "groups": d["groups"],
            "subgroups": d["subgroups"],
            "statements": statements,
            "consensus": d["consensus"],
            "divisive": [
                {
                    "statement_id": x["statement_id"],
                    "divisiveness": x["divisiveness"],
                    "net_agreement": {str(g): v for g, v in x["net_agreement"]},
                }
                for x in d["divisive"]
            ],
            "uncertainty": d["uncertainty"],
            "params": d["params"],
            "counts": d["counts"],
            "timings": d["timings"],
        }


def _plain(obj: Any) -> dict[str, Any]:
    return dict(obj.__dict__)


def _group_to_dict(g: Group) -> dict[str, Any]:
    return {
        "id": g.id,
        "size": g.size,
        "x": g.x,
        "y": g.y,
        "parent_id": g.parent_id,
        "representative": [_plain(r) for r in g.representative],
    }


def _group_from_dict(d: Mapping[str, Any]) -> Group:
    return Group(
        id=int(d["id"]),
        size=int(d["size"]),
        x=float(d["x"]),
        y=float(d["y"]),
        parent_id=None if d.get("parent_id") is None else int(d["parent_id"]),
        representative=tuple(RepresentativeStatement(**r) for r in d["representative"]),
    )


# =============================================================================== estimator
def _align_participants(previous_ids: np.ndarray, current_ids: np.ndarray) -> NDArray[np.int64]:
    """For each current participant, its row in ``previous_ids`` or -1."""
    out = np.full(len(current_ids), -1, dtype=np.int64)
    if len(previous_ids) == 0 or len(current_ids) == 0:
        return out
    if previous_ids.dtype.kind == "i" and current_ids.dtype.kind == "i":
        pos = np.clip(np.searchsorted(previous_ids, current_ids), 0, len(previous_ids) - 1)
        ok = previous_ids[pos] == current_ids
        out[ok] = pos[ok]
        return out
    lookup = {v: i for i, v in enumerate(previous_ids.tolist())}
    for i, v in enumerate(current_ids.tolist()):
        out[i] = lookup.get(v, -1)
    return out


class OpinionGroups:
    """Pol.is-style opinion groups with better group selection (scikit-learn conventions).

    Parameters
    ----------
    method : {"consult", "polis"}, default "consult"
        "polis" reproduces the Pol.is engine (groups of base clusters, k by silhouette);
        "consult" keeps the same map and outputs but picks groups that explain votes better
        (k-means restarts refined on participants, k by leave-one-out vote likelihood; see
        :mod:`clustering.groups`).
    base_k : int, default 100
        Number of base clusters.
    max_groups : int, default 5
        Upper bound on k (Pol.is' cap ``min(max_groups, 2 + ⌊n_base/12⌋)`` applies).
    min_votes : int, default 7
        Votes needed to be in-conv (capped at the number of voted statements).
    min_in_conv : int, default 15
        Top voters are added until this many participants are in-conv.
    k_buffer : int, default 4
        With a ``previous`` result, the number of groups changes only after the same new best k
        won this many consecutive recomputes (1 disables smoothing).
    n_init : int, default 10
        k-means++ restarts of the starting partition per k ("consult").
    pass_aware : bool, default False
        "consult" only: let passes shape the groups too (the likelihood then models agree /
        disagree / pass instead of agree / disagree). Predicts held-out votes best, but tends to
        form groups of people who pass a lot rather than of people who think alike.
    subgroups : bool, default True
        Compute subgroups inside each group.
    pick_max : int, default 5
        Statements per representative / consensus / divisive / uncertainty list.
    z : float, default 1.2816
        One-sided significance threshold (90 %) of the repness and consensus tests.
    min_divisiveness : float, default 0.2
        Threshold of the divisive list (see :mod:`clustering.consensus`).
    in_conv : iterable of participant ids, optional
        Use exactly this in-conv set instead of the rule (e.g. Pol.is' own, for comparisons).
    fixed_groups : mapping participant id -> group id, optional
        Use these groups instead of clustering (participants not listed are unclustered).
    random_state : int, RandomState or None
        Seeds restarts and start vectors; a fixed int gives identical results.

    Attributes
    ----------
    result_ : AnalysisResult
    labels_ : ndarray of int64
        Group id per participant (row of the vote matrix), -1 when not clustered.
    """

    def __init__(
        self,
        *,
        method: str = "consult",
        base_k: int = 100,
        max_groups: int = 5,
        min_votes: int = 7,
        min_in_conv: int = 15,
        k_buffer: int = 4,
        n_init: int = 10,
        pass_aware: bool = False,
        subgroups: bool = True,
        pick_max: int = 5,
        z: float = Z_90,
        min_divisiveness: float = 0.2,
        in_conv: Iterable[Any] | None = None,
        fixed_groups: Mapping[Any, int | None] | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.method = method
        self.base_k = base_k
        self.max_groups = max_groups
        self.min_votes = min_votes
        self.min_in_conv = min_in_conv
        self.k_buffer = k_buffer
        self.n_init = n_init
        self.pass_aware = pass_aware
        self.subgroups = subgroups
        self.pick_max = pick_max
        self.z = z
        self.min_divisiveness = min_divisiveness
        self.in_conv = in_conv
        self.fixed_groups = fixed_groups
        self.random_state = random_state

    # ------------------------------------------------------------------ params
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Estimator parameters (scikit-learn convention)."""
        names = (
            "method",
            "base_k",
            "max_groups",
            "min_votes",
            "min_in_conv",
            "k_buffer",
            "n_init",
            "pass_aware",
            "subgroups",
            "pick_max",
            "z",
            "min_divisiveness",
            "in_conv",
            "fixed_groups",
            "random_state",
        )
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params: Any) -> OpinionGroups:
        """Set parameters (scikit-learn convention)."""
        for k, v in params.items():
            if k not in self.get_params():
                raise ValueError(f"unknown parameter {k!r}")
            setattr(self, k, v)
        return self

    def _validate(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        for name in ("base_k", "max_groups", "n_init", "k_buffer", "pick_max"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be ≥ 1, got {getattr(self, name)!r}")
        if self.max_groups < 2:
            raise ValueError(f"max_groups must be ≥ 2, got {self.max_groups!r}")
        if self.min_votes < 1 or self.min_in_conv < 0:
            raise ValueError("min_votes must be ≥ 1 and min_in_conv ≥ 0")

    def _json_params(self) -> dict[str, Any]:
        params = self.get_params()
        params["in_conv"] = None if self.in_conv is None else "given"
        params["fixed_groups"] = None if self.fixed_groups is None else "given"
        rs = self.random_state
        params["random_state"] = rs if rs is None or isinstance(rs, int) else "RandomState"
        return params

    # ------------------------------------------------------------------ fit
    def fit(self, votes: VoteMatrix, previous: AnalysisResult | None = None) -> OpinionGroups:
        """Analyse ``votes``; warm-start and keep group ids from ``previous`` when given.

        Parameters
        ----------
        votes : VoteMatrix
        previous : AnalysisResult, optional
            The previous analysis of the same conversation (same participant/statement ids).

        Returns
        -------
        self
        """
        self._validate()
        if not isinstance(votes, VoteMatrix):
            raise TypeError(f"votes must be a VoteMatrix, got {type(votes).__name__}")
        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, 2**31 - 1, size=4)
        timings: dict[str, float] = {}
        t_all = time.perf_counter()
        n, m = votes.shape
        zeroed = votes.zeroed_mask()
        voted = votes.voted_mask()
        eligible = voted & ~zeroed
        prev_row = (
            _align_participants(previous.participants.ids, votes.participant_ids)
            if previous is not None
            else np.full(n, -1, dtype=np.int64)
        )
        has_prev = prev_row >= 0

        def previous_column(values: np.ndarray, fill: Any) -> np.ndarray:
            out = np.full(n, fill, dtype=values.dtype)
            out[has_prev] = values[prev_row[has_prev]]
            return out

        # 1. in-conv -------------------------------------------------------------------
        t = time.perf_counter()
        n_votes = votes.votes_per_participant()
        if self.in_conv is not None:
            in_conv = np.zeros(n, dtype=bool)
            in_conv[votes.participant_index(self.in_conv)] = True
        elif self.fixed_groups is not None:
            given = [p for p, g in self.fixed_groups.items() if g is not None]
            in_conv = np.zeros(n, dtype=bool)
            in_conv[votes.participant_index(given)] = True
        else:
            sticky = None
            if previous is not None:
                sticky = previous_column(previous.participants.in_conv, False) & (n_votes > 0)
            in_conv = in_conv_mask(
                votes, min_votes=self.min_votes, min_participants=self.min_in_conv, sticky=sticky
            )
        timings["in_conv"] = time.perf_counter() - t

        # 2. PCA -----------------------------------------------------------------------
        t = time.perf_counter()
        prev_comps = (
            previous.pca.aligned_components(votes.statement_ids) if previous is not None else None
        )
        center, comps, variance = sparse_pca(
            votes, 2, previous_components=prev_comps, random_state=int(seeds[0])
        )
        timings["pca"] = time.perf_counter() - t

        # 3. projection ----------------------------------------------------------------
        t = time.perf_counter()
        proj = project_participants(votes, center, comps)
        st_coords, extremity = project_statements(votes, center, comps)
        timings["projection"] = time.perf_counter() - t

        # 4. base clusters -------------------------------------------------------------
        t = time.perf_counter()
        idx = np.flatnonzero(in_conv)
        points = proj[idx]
        prev_base = None
        prev_base_ids = None
        if previous is not None:
            prev_base = previous_column(previous.participants.base_cluster, -1)[idx]
            prev_base_ids = np.asarray(previous.base_clusters.ids)
        base = base_clusters(
            points,
            k=self.base_k,
            method=self.method,
            previous_labels=prev_base,
            previous_ids=prev_base_ids,
            random_state=int(seeds[1]),
        )
        timings["base_clusters"] = time.perf_counter() - t

        # 5. groups --------------------------------------------------------------------
        t = time.perf_counter()
        outcomes = VoteOutcomes.from_votes(votes, with_passes=self.pass_aware, columns=eligible)
        prev_group = (
            previous_column(previous.participants.group, -1)
            if previous is not None
            else np.full(n, -1, dtype=np.int64)
        )
        group_label = np.full(n, -1, dtype=np.int64)  # stable group id per participant
        centers_by_k: dict[int, NDArray[np.float64]] = {}
        smoother = previous.k_smoother if previous is not None else KSmoother()
        if self.fixed_groups is not None:
            for i, pid in enumerate(votes.participant_ids.tolist()):
                g = self.fixed_groups.get(pid)
                if g is not None and in_conv[i]:
                    group_label[i] = int(g)
            group_ids = np.unique(group_label[group_label >= 0])
        elif idx.size:
            prev_by_k = None
            if previous is not None:
                prev_by_k = {
                    k: np.asarray(v, dtype=np.float64)
                    for k, v in previous.group_centers_by_k.items()
                }
            clustering = self._cluster(
                points,
                base,
                outcomes.subset(idx),
                prev_by_k,
                prev_group[idx],
                smoother,
                int(seeds[2]),
            )
            centers_by_k = clustering.centers_by_k
            smoother = clustering.smoother
            local = clustering.labels
            ids = match_ids(local, prev_group[idx], clustering.k)
            group_label[idx] = ids[local]
            group_ids = np.sort(ids)
        else:
            group_ids = np.zeros(0, dtype=np.int64)
        timings["groups"] = time.perf_counter() - t

        # 6. subgroups -----------------------------------------------------------------
        t = time.perf_counter()
        subgroup_label = np.full(n, -1, dtype=np.int64)
        if self.subgroups and group_ids.size:
            prev_sub = (
                previous_column(previous.participants.subgroup, -1)
                if previous is not None
                else np.full(n, -1, dtype=np.int64)
            )
            base_of = np.full(n, -1, dtype=np.int64)
            base_of[idx] = base.labels
            for gid in group_ids:
                members = np.flatnonzero(group_label == gid)
                same_parent = np.where(prev_group[members] == gid, prev_sub[members], -1)
                sub = self._subcluster(
                    proj[members],
                    base_of[members],
                    outcomes.subset(members),
                    same_parent,
                    int(seeds[3]),
                )
                if sub is None:
                    continue
                sids = match_ids(sub.labels, same_parent, sub.k)
                subgroup_label[members] = sids[sub.labels]
        timings["subgroups"] = time.perf_counter() - t

        # 7. statistics ----------------------------------------------------------------
        t = time.perf_counter()
        g_index = np.full(n, -1, dtype=np.int64)
        pos = {int(g): i for i, g in enumerate(group_ids)}
        clustered = group_label >= 0
        g_index[clustered] = [pos[int(g)] for g in group_label[clustered]]
        counts = group_counts(votes, g_index, len(group_ids))
        sizes = np.bincount(g_index[clustered], minlength=len(group_ids))
        n_agree = np.bincount(votes.indices, weights=votes.values == 1, minlength=m).astype(
            np.int64
        )
        n_disagree = np.bincount(votes.indices, weights=votes.values == -1, minlength=m).astype(
            np.int64
        )
        n_all = np.bincount(votes.indices, minlength=m).astype(np.int64)
        n_pass = n_all - n_agree - n_disagree
        gic_a, gic_d = group_informed_consensus(counts)
        div = divisiveness(counts, sizes)
        prio = priorities(
            counts.agree.sum(0),
            counts.passes.sum(0),
            counts.votes.sum(0),
            extremity,
            np.isin(votes.statement_ids, np.fromiter(votes.meta, dtype=np.int64)),
        )
        groups = self._groups(
            votes, counts, sizes, group_ids, proj, group_label, eligible, parent=None
        )
        subgroups: list[Group] = []
        for gid in group_ids:
            members = group_label == gid
            sids = np.unique(subgroup_label[members & (subgroup_label >= 0)])
            if sids.size == 0:
                continue
            local = np.full(n, -1, dtype=np.int64)
            spos = {int(s): i for i, s in enumerate(sids)}
            sel = members & (subgroup_label >= 0)
            local[sel] = [spos[int(s)] for s in subgroup_label[sel]]
            sub_counts = group_counts(votes, local, len(sids))
            sub_sizes = np.bincount(local[sel], minlength=len(sids))
            subgroups.extend(
                self._groups(
                    votes,
                    sub_counts,
                    sub_sizes,
                    sids,
                    proj,
                    np.where(sel, subgroup_label, -1),
                    eligible,
                    parent=int(gid),
                )
            )
        cons = majority_consensus(
            n_agree, n_disagree, n_all, eligible, pick_max=self.pick_max, z=self.z
        )
        sid = votes.statement_ids
        consensus_agree = tuple(
            ConsensusStatement(
                int(sid[c["column"]]),
                "agree",
                c["n_success"],
                c["n_trials"],
                c["p_success"],
                c["p_test"],
            )
            for c in cons["agree"]
        )
        consensus_disagree = tuple(
            ConsensusStatement(
                int(sid[c["column"]]),
                "disagree",
                c["n_success"],
                c["n_trials"],
                c["p_success"],
                c["p_test"],
            )
            for c in cons["disagree"]
        )
        divisive = tuple(
            DivisiveStatement(
                statement_id=int(sid[d["column"]]),
                divisiveness=d["divisiveness"],
                net_agreement=tuple(
                    (int(g), float(v)) for g, v in zip(group_ids, d["net_agreement"], strict=True)
                ),
            )
            for d in divisive_list(
                counts,
                div,
                eligible,
                pick_max=self.pick_max,
                min_divisiveness=self.min_divisiveness,
            )
        )
        uncertainty = tuple(
            UncertainStatement(int(sid[u["column"]]), u["pass_share"], u["n_pass"], u["n_votes"])
            for u in uncertainty_list(n_pass, n_all, eligible, pick_max=self.pick_max)
        )
        pass_share = np.divide(n_pass, n_all, out=np.zeros(m), where=n_all > 0)
        timings["statistics"] = time.perf_counter() - t

        # result -----------------------------------------------------------------------
        base_label_full = np.full(n, -1, dtype=np.int64)
        base_label_full[idx] = base.ids[base.labels] if idx.size else []
        participants = ParticipantTable(
            ids=_ro(votes.participant_ids),
            x=_ro(proj[:, 0]),
            y=_ro(proj[:, 1]),
            group=_ro(group_label),
            subgroup=_ro(subgroup_label),
            base_cluster=_ro(base_label_full),
            in_conv=_ro(in_conv),
            n_votes=_ro(n_votes),
        )
        statements = StatementTable(
            ids=_ro(votes.statement_ids),
            x=_ro(st_coords[:, 0]),
            y=_ro(st_coords[:, 1]),
            extremity=_ro(extremity),
            priority=_ro(prio),
            mean=_ro(center),
            group_informed_consensus=_ro(gic_a),
            group_informed_consensus_disagree=_ro(gic_d),
            divisiveness=_ro(div),
            pass_share=_ro(pass_share),
            n_agree=_ro(n_agree),
            n_disagree=_ro(n_disagree),
            n_pass=_ro(n_pass),
            n_votes=_ro(n_all),
            moderated_out=_ro(
                np.isin(votes.statement_ids, np.fromiter(votes.moderated_out, dtype=np.int64))
            ),
            meta=_ro(np.isin(votes.statement_ids, np.fromiter(votes.meta, dtype=np.int64))),
            group_ids=_ro(group_ids, np.int64),
            group_agree=_ro(counts.agree),
            group_disagree=_ro(counts.disagree),
            group_votes=_ro(counts.votes),
        )
        sizes_b = base.sizes
        base_table = BaseClusterTable(
            ids=_ro(base.ids, np.int64),
            x=_ro(base.centers[:, 0] if len(base.centers) else []),
            y=_ro(base.centers[:, 1] if len(base.centers) else []),
            size=_ro(sizes_b, np.int64),
        )
        timings["total"] = time.perf_counter() - t_all
        self.result_ = AnalysisResult(
            params=self._json_params(),
            counts={
                "n_participants": int((n_votes > 0).sum()),
                "n_statements": int(m),
                "n_voted_statements": int(voted.sum()),
                "n_votes": int(votes.n_votes),
                "n_in_conv": int(in_conv.sum()),
                "n_clustered": int(clustered.sum()),
                "n_groups": int(len(group_ids)),
                "n_moderated_out": int(len(votes.moderated_out)),
                "n_meta": int(len(votes.meta)),
            },
            participants=participants,
            statements=statements,
            groups=tuple(groups),
            subgroups=tuple(subgroups),
            consensus_agree=consensus_agree,
            consensus_disagree=consensus_disagree,
            divisive=divisive,
            uncertainty=uncertainty,
            pca=PCAState(
                statement_ids=_ro(votes.statement_ids),
                center=_ro(center),
                components=_ro(comps),
                variance=_ro(variance),
            ),
            base_clusters=base_table,
            group_centers_by_k={
                int(k): tuple(tuple(float(x) for x in row) for row in c)
                for k, c in centers_by_k.items()
            },
            k_smoother=smoother,
            timings=timings,
        )
        self.labels_ = group_label
        return self

    # ------------------------------------------------------------------ helpers
    def _cluster(
        self,
        points: NDArray[np.float64],
        base: BaseClustering,
        outcomes: VoteOutcomes,
        prev_by_k: dict[int, NDArray[np.float64]] | None,
        prev_labels: NDArray[np.int64],
        smoother: KSmoother,
        seed: int,
    ) -> GroupClustering:
        if self.method == "polis":
            return polis_groups(
                base,
                max_groups=self.max_groups,
                previous_centers_by_k=prev_by_k,
                smoother=smoother,
                k_buffer=self.k_buffer,
            )
        return consult_groups(
            points,
            base.labels,
            outcomes,
            min_k=2,
            max_k=max_groups_for(len(base.centers), self.max_groups),
            n_init=self.n_init,
            previous_labels=prev_labels,
            smoother=smoother,
            k_buffer=self.k_buffer,
            random_state=seed,
        )

    def _subcluster(
        self,
        points: NDArray[np.float64],
        base_of: NDArray[np.int64],
        outcomes: VoteOutcomes,
        prev_labels: NDArray[np.int64],
        seed: int,
    ) -> GroupClustering | None:
        if len(np.unique(points, axis=0)) < 2:
            return None
        uniq, local = np.unique(base_of, return_inverse=True)
        if self.method == "polis":
            # Pol.is subclusters the group's base clusters (their centres over all members).
            centers = np.zeros((len(uniq), points.shape[1]))
            w = np.bincount(local, minlength=len(uniq)).astype(np.float64)
            for dim in range(points.shape[1]):
                centers[:, dim] = np.bincount(local, weights=points[:, dim], minlength=len(uniq))
            centers /= w[:, None]
            sub_base = BaseClustering(labels=local, centers=centers, ids=uniq)
            res = polis_groups(sub_base, max_groups=self.max_groups, k_buffer=1)
        else:
            res = consult_groups(
                points,
                local,
                outcomes,
                min_k=1,
                max_k=max_groups_for(len(uniq), self.max_groups),
                n_init=self.n_init,
                previous_labels=prev_labels,
                k_buffer=1,
                sample_size=1000,
                min_share=0.05,
                n_starts=1,
                select="held_out",
                random_state=seed,
            )
        return res if res.k >= 2 else None

    def _groups(
        self,
        votes: VoteMatrix,
        counts: GroupCounts,
        sizes: NDArray[np.int64],
        ids: NDArray[np.int64],
        proj: NDArray[np.float64],
        labels: NDArray[np.int64],
        eligible: NDArray[np.bool_],
        parent: int | None,
    ) -> list[Group]:
        stats = repness_stats(counts)
        reps = select_representative(stats, eligible, pick_max=self.pick_max, z=self.z)
        sid = votes.statement_ids
        out = []
        for i, gid in enumerate(ids):
            members = labels == gid
            cx, cy = proj[members].mean(0) if members.any() else (0.0, 0.0)
            items = []
            for r in reps[i]:
                j = r["column"]
                s_in, s_out = int(stats.ns[i, j]), int(stats.ns_out[i, j])
                items.append(
                    RepresentativeStatement(
                        statement_id=int(sid[j]),
                        direction=r["direction"],
                        agree_share=float(stats.na[i, j] / s_in) if s_in else 0.0,
                        agree_share_others=float(stats.na_out[i, j] / s_out) if s_out else 0.0,
                        disagree_share=float(stats.nd[i, j] / s_in) if s_in else 0.0,
                        disagree_share_others=float(stats.nd_out[i, j] / s_out) if s_out else 0.0,
                        n_agree=int(stats.na[i, j]),
                        n_disagree=int(stats.nd[i, j]),
                        n_votes=s_in,
                        n_agree_others=int(stats.na_out[i, j]),
                        n_disagree_others=int(stats.nd_out[i, j]),
                        n_votes_others=s_out,
                        p_success=r["p_success"],
                        p_test=r["p_test"],
                        repness=r["repness"],
                        repness_test=r["repness_test"],
                        best_agree=r["best_agree"],
                    )
                )
            out.append(
                Group(
                    id=int(gid),
                    size=int(sizes[i]),
                    x=float(cx),
                    y=float(cy),
                    representative=tuple(items),
                    parent_id=parent,
                )
            )
        return out


def analyze(
    votes: VoteMatrix,
    *,
    previous: AnalysisResult | None = None,
    random_state: int | np.random.RandomState | None = 0,
    **params: Any,
) -> AnalysisResult:
    """Analyse one conversation's votes; see :class:`OpinionGroups` for ``params``.

    Parameters
    ----------
    votes : VoteMatrix
    previous : AnalysisResult, optional
        The previous analysis: warm start, stable group ids, sticky in-conv, k smoothing.
    random_state : int, RandomState or None, default 0
    **params
        Any :class:`OpinionGroups` parameter, e.g. ``method="polis"``.

    Returns
    -------
    AnalysisResult
    """
    return OpinionGroups(random_state=random_state, **params).fit(votes, previous=previous).result_
