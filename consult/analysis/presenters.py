"""Turn an analysis result into what the results page shows (shares, labels, ordering)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from clustering.opinion_groups import AnalysisResult


def group_label(group_id: int) -> str:
    """Stable group ids shown as letters: 0 → A, 1 → B, … (27 → AB)."""
    label, n = "", group_id
    while True:
        label = chr(ord("A") + n % 26) + label
        n = n // 26 - 1
        if n < 0:
            return label


@dataclass(frozen=True)
class StatementLine:
    id: int
    text: str
    direction: str  # agree / disagree
    share: float  # share of the group (or everyone) voting in ``direction``
    share_others: float | None  # the same among everyone else, for representative statements
    n_votes: int


@dataclass(frozen=True)
class GroupView:
    id: int
    label: str
    size: int
    share: float
    representative: list[StatementLine]


@dataclass(frozen=True)
class DivisiveLine:
    id: int
    text: str
    per_group: list[tuple[str, float, int]]  # (group label, agree share, votes)


@dataclass(frozen=True)
class ResultsView:
    n_participants: int
    n_clustered: int
    n_votes: int
    n_statements: int
    groups: list[GroupView]
    consensus_agree: list[StatementLine]
    consensus_disagree: list[StatementLine]
    divisive: list[DivisiveLine]
    uncertain: list[StatementLine]


def results_view(result: AnalysisResult, texts: dict[int, str]) -> ResultsView:
    counts = result.counts
    clustered = max(counts.get("n_clustered", 0), 1)
    statements = result.statements
    groups = []
    for group in result.groups:
        lines = []
        for rep in group.representative:
            agree = rep.direction == "agree"
            lines.append(
                StatementLine(
                    id=rep.statement_id,
                    text=texts.get(rep.statement_id) or _("statement %(id)d", id=rep.statement_id),
                    direction=rep.direction,
                    share=rep.agree_share if agree else rep.disagree_share,
                    share_others=rep.agree_share_others if agree else rep.disagree_share_others,
                    n_votes=rep.n_votes,
                )
            )
        groups.append(
            GroupView(group.id, group_label(group.id), group.size, group.size / clustered, lines)
        )

    def overall(statement_id: int, direction: str) -> StatementLine:
        i = statements.index_of(statement_id)
        n = int(statements.n_votes[i])
        hits = statements.n_agree[i] if direction == "agree" else statements.n_disagree[i]
        return StatementLine(
            statement_id,
            texts.get(statement_id, ""),
            direction,
            float(hits) / n if n else 0.0,
            None,
            n,
        )

    divisive = []
    for item in result.divisive:
        i = statements.index_of(item.statement_id)
        per_group = []
        for row, gid in enumerate(statements.group_ids.tolist()):
            n = int(statements.group_votes[row, i])
            share = float(statements.group_agree[row, i]) / n if n else 0.0
            per_group.append((group_label(gid), share, n))
        divisive.append(
            DivisiveLine(item.statement_id, texts.get(item.statement_id, ""), per_group)
        )
    uncertain = [
        StatementLine(
            u.statement_id, texts.get(u.statement_id, ""), "pass", u.pass_share, None, u.n_votes
        )
        for u in result.uncertainty
    ]
    return ResultsView(
        n_participants=counts.get("n_participants", 0),
        n_clustered=counts.get("n_clustered", 0),
        n_votes=counts.get("n_votes", 0),
        n_statements=counts.get("n_statements", 0),
        groups=groups,
        consensus_agree=[overall(c.statement_id, "agree") for c in result.consensus_agree],
        consensus_disagree=[overall(c.statement_id, "disagree") for c in result.consensus_disagree],
        divisive=divisive,
        uncertain=uncertain,
    )
