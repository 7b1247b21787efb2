"""Theme statistics for one phase: a pure function of frozen inputs (themes, analysis, votes).

``theme_statistics`` reads no database and calls no model, so a reasoned-response report can
recompute every figure it prints from the theme run, the analysis snapshot and the phase's votes
it froze, and check them.

Definitions (for theme *T* in phase *P*; "statements" are *T*'s members that are among
``phase_statement_ids``; votes are each participant's latest vote, agree = 1, disagree = -1,
pass = 0):

``n_statements``
    Number of *T*'s statements in *P*.
``n_votes``, ``n_agree``, ``n_disagree``, ``n_pass``
    Votes on those statements (from ``votes``), in total and by value.
``n_participants``
    Distinct participants with at least one vote on those statements.
``agree_share``, ``disagree_share``
    ``n_agree / n_votes`` and ``n_disagree / n_votes`` (passes count in the denominator, as on
    the results page); ``None`` without votes.
``online_support``
    Distinct participants who *agreed* with at least one of those statements.
``groups``
    Per opinion group of the analysis (in its group order): ``n_votes``, ``n_agree``,
    ``n_disagree`` summed over *T*'s statements that the analysis covers (the in-conversation
    members' votes the analysis counted), and ``agree_share = n_agree / n_votes`` (``None`` when
    the group cast no vote on them). Statements newer than the analysis are not counted here.
``n_analysed``
    *T*'s statements in *P* that the analysis covers and did not leave out (moderated out or
    meta): the statements ``consensus`` and ``divisiveness`` average over.
``consensus``
    Theme consensus score: the mean over those statements of their group-informed consensus
    (Pol.is: ``prod_g (A_g + 1) / (S_g + 2)`` over the opinion groups). It lies in (0, 1); near 1
    when every group agrees with the theme's statements. ``None`` without analysed statements.
``divisiveness``
    Mean over the same statements of their divisiveness (the size-weighted standard deviation of
    the groups' smoothed net agreement, :mod:`clustering.consensus`): 0 when the groups lean the
    same way, towards 1 when they oppose each other. ``None`` without analysed statements.
``group_spread``
    Largest minus smallest ``agree_share`` among the groups that voted on the theme: how far apart
    the groups stand on the theme as a whole. ``None`` with fewer than two such groups.
``offline_support``
    From community conversations, when the caller passes ``offline`` (the output of
    ``consult.notes.services.offline_support`` for the phase's statements): the number of the
    statements raised in at least one conversation (imported from its notes or linked to them),
    the number of distinct conversations that raised at least one of them, and the sums of the
    room counts given in the notes (people for / against; ``None`` when no note gave a count).
    ``None`` when no ``offline`` mapping is given. Room counts are people in a room, never online
    votes.
``n_raised_online``
    The statements not raised in any conversation: ``n_statements`` minus the statements raised
    offline (a statement both written online and raised in a conversation counts as offline).
    ``None`` without ``offline``.
``raised_only_offline``
    True when the theme has statements and every one of them was raised in a conversation
    (``n_raised_online == 0``). Such a theme may have no online vote; pages and reports list it
    whatever its votes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clustering.opinion_groups import AnalysisResult
from clustering.themes import ThemeResult

StatementId = int | str


@dataclass(frozen=True)
class GroupAgreement:
    """How one opinion group voted on a theme's statements (see the module docstring)."""

    group_id: int
    n_votes: int
    n_agree: int
    n_disagree: int

    @property
    def agree_share(self) -> float | None:
        return self.n_agree / self.n_votes if self.n_votes else None

    @property
    def disagree_share(self) -> float | None:
        return self.n_disagree / self.n_votes if self.n_votes else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "n_votes": self.n_votes,
            "n_agree": self.n_agree,
            "n_disagree": self.n_disagree,
            "agree_share": self.agree_share,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupAgreement:
        return cls(
            group_id=int(data["group_id"]),
            n_votes=int(data["n_votes"]),
            n_agree=int(data["n_agree"]),
            n_disagree=int(data["n_disagree"]),
        )


@dataclass(frozen=True)
class OfflineSupport:
    """What community conversations said about a theme's statements."""

    statements: int
    conversations: int
    votes_for: int | None = None
    votes_against: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "statements": self.statements,
            "conversations": self.conversations,
            "votes_for": self.votes_for,
            "votes_against": self.votes_against,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OfflineSupport:
        return cls(
            statements=int(data["statements"]),
            conversations=int(data["conversations"]),
            votes_for=data.get("votes_for"),
            votes_against=data.get("votes_against"),
        )


@dataclass(frozen=True)
class ThemeStatistics:
    """The figures of one theme in one phase (definitions in the module docstring)."""

    theme_id: str
    label: str
    statement_ids: tuple[StatementId, ...]
    n_votes: int
    n_agree: int
    n_disagree: int
    n_pass: int
    n_participants: int
    online_support: int
    groups: tuple[GroupAgreement, ...] = ()
    n_analysed: int = 0
    consensus: float | None = None
    divisiveness: float | None = None
    offline_support: OfflineSupport | None = None
    is_other: bool = field(default=False)

    @property
    def n_statements(self) -> int:
        return len(self.statement_ids)

    @property
    def agree_share(self) -> float | None:
        return self.n_agree / self.n_votes if self.n_votes else None

    @property
    def disagree_share(self) -> float | None:
        return self.n_disagree / self.n_votes if self.n_votes else None

    @property
    def group_spread(self) -> float | None:
        shares = [g.agree_share for g in self.groups if g.agree_share is not None]
        return max(shares) - min(shares) if len(shares) >= 2 else None

    @property
    def n_raised_online(self) -> int | None:
        if self.offline_support is None:
            return None
        return self.n_statements - self.offline_support.statements

    @property
    def raised_only_offline(self) -> bool:
        return self.n_statements > 0 and self.n_raised_online == 0

    def group(self, group_id: int) -> GroupAgreement:
        for g in self.groups:
            if g.group_id == group_id:
                return g
        raise KeyError(group_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (derived shares included for readers; ignored by from_dict)."""
        return {
            "theme_id": self.theme_id,
            "label": self.label,
            "is_other": self.is_other,
            "statement_ids": list(self.statement_ids),
            "n_statements": self.n_statements,
            "n_votes": self.n_votes,
            "n_agree": self.n_agree,
            "n_disagree": self.n_disagree,
            "n_pass": self.n_pass,
            "n_participants": self.n_participants,
            "agree_share": self.agree_share,
            "disagree_share": self.disagree_share,
            "online_support": self.online_support,
            "groups": [g.to_dict() for g in self.groups],
            "n_analysed": self.n_analysed,
            "consensus": self.consensus,
            "divisiveness": self.divisiveness,
            "group_spread": self.group_spread,
            "offline_support": self.offline_support.to_dict() if self.offline_support else None,
            "n_raised_online": self.n_raised_online,
            "raised_only_offline": self.raised_only_offline,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThemeStatistics:
        offline = data.get("offline_support")
        return cls(
            theme_id=str(data["theme_id"]),
            label=str(data["label"]),
            statement_ids=tuple(data["statement_ids"]),
            n_votes=int(data["n_votes"]),
            n_agree=int(data["n_agree"]),
            n_disagree=int(data["n_disagree"]),
            n_pass=int(data["n_pass"]),
            n_participants=int(data["n_participants"]),
            online_support=int(data["online_support"]),
            groups=tuple(GroupAgreement.from_dict(g) for g in data.get("groups", ())),
            n_analysed=int(data.get("n_analysed", 0)),
            consensus=data.get("consensus"),
            divisiveness=data.get("divisiveness"),
            offline_support=OfflineSupport.from_dict(offline) if offline else None,
            is_other=bool(data.get("is_other", False)),
        )


def _vote_arrays(votes: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``votes`` as three aligned arrays: an object with ``participant_ids``, ``statement_ids``,
    ``values`` (e.g. ``consult.analysis.services.PhaseVotes``) or a 3-tuple of sequences."""
    if votes is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8)
    if hasattr(votes, "participant_ids"):
        parts = (votes.participant_ids, votes.statement_ids, votes.values)
    else:
        parts = tuple(votes)
        if len(parts) != 3:
            raise ValueError("votes must be (participant_ids, statement_ids, values)")
    participants, statements, values = (np.asarray(p).reshape(-1) for p in parts)
    if not len(participants) == len(statements) == len(values):
        raise ValueError(
            f"votes arrays differ in length: {len(participants)} participant ids, "
            f"{len(statements)} statement ids, {len(values)} values"
        )
    bad = ~np.isin(values, (-1, 0, 1))
    if bad.any():
        raise ValueError(f"vote value {values[np.flatnonzero(bad)[0]].item()!r} is not -1, 0 or 1")
    return participants, statements, values.astype(np.int8)


def theme_statistics(
    themes: ThemeResult,
    analysis: AnalysisResult | None,
    votes: Any,
    phase_statement_ids: Collection[StatementId] | Iterable[StatementId],
    *,
    offline: Mapping[StatementId, Mapping[str, Any]] | None = None,
) -> list[ThemeStatistics]:
    """Figures per theme for one phase; pure (definitions in the module docstring).

    Parameters
    ----------
    themes : ThemeResult
        Themes of the consultation (all phases).
    analysis : AnalysisResult or None
        The phase's opinion analysis; without it ``groups`` is empty and ``consensus`` /
        ``divisiveness`` are None.
    votes : PhaseVotes-like or (participant_ids, statement_ids, values)
        The phase's latest votes.
    phase_statement_ids : collection of statement ids
        The statements of the phase that count (the caller leaves out rejected ones).
    offline : mapping, optional
        ``consult.notes.services.offline_support(...)`` output: statement id → ``{"conversations":
        [{"id": ...}, ...], "votes_for": n | None, "votes_against": n | None}``.

    Returns
    -------
    list of ThemeStatistics
        One per theme of ``themes``, in its order ("other" last), themes without a statement in
        the phase included (with zero counts).
    """
    in_phase = set(phase_statement_ids)
    participants, statement_ids, values = _vote_arrays(votes)
    table = analysis.statements if analysis is not None else None
    column: dict[StatementId, int] = {}
    if table is not None:
        column = {
            sid: j
            for j, sid in enumerate(table.ids.tolist())
            if not (table.moderated_out[j] or table.meta[j])
        }
    out: list[ThemeStatistics] = []
    for theme in themes.themes:
        members = tuple(sid for sid in theme.statement_ids if sid in in_phase)
        mask = np.isin(statement_ids, list(members))
        theme_values = values[mask]
        theme_people = participants[mask]
        groups: tuple[GroupAgreement, ...] = ()
        consensus = divisiveness = None
        analysed: list[int] = []
        if table is not None:
            analysed = [column[sid] for sid in members if sid in column]
            groups = tuple(
                GroupAgreement(
                    group_id=int(gid),
                    n_votes=int(table.group_votes[row, analysed].sum()),
                    n_agree=int(table.group_agree[row, analysed].sum()),
                    n_disagree=int(table.group_disagree[row, analysed].sum()),
                )
                for row, gid in enumerate(table.group_ids.tolist())
            )
            if analysed:
                consensus = float(np.mean(table.group_informed_consensus[analysed]))
                divisiveness = float(np.mean(table.divisiveness[analysed]))
        out.append(
            ThemeStatistics(
                theme_id=theme.id,
                label=theme.label,
                statement_ids=members,
                n_votes=int(mask.sum()),
                n_agree=int((theme_values == 1).sum()),
                n_disagree=int((theme_values == -1).sum()),
                n_pass=int((theme_values == 0).sum()),
                n_participants=int(len(np.unique(theme_people))),
                online_support=int(len(np.unique(theme_people[theme_values == 1]))),
                groups=groups,
                n_analysed=len(analysed),
                consensus=consensus,
                divisiveness=divisiveness,
                offline_support=_offline(members, offline) if offline is not None else None,
                is_other=theme.is_other,
            )
        )
    return out


def _offline(
    members: Sequence[StatementId], offline: Mapping[StatementId, Mapping[str, Any]]
) -> OfflineSupport:
    raised = 0
    conversations: set[Any] = set()
    totals: dict[str, int | None] = {"votes_for": None, "votes_against": None}
    for sid in members:
        entry = offline.get(sid)
        if not entry or not entry.get("conversations"):
            continue
        raised += 1
        conversations.update(c["id"] for c in entry["conversations"])
        for name in totals:
            value = entry.get(name)
            if value is not None:
                totals[name] = (totals[name] or 0) + int(value)
    return OfflineSupport(raised, len(conversations), totals["votes_for"], totals["votes_against"])
