"""Every figure of a phase report, computed from the frozen record alone (no database).

The figures are recomputed from the record's raw inputs — the vote arrays, the opinion-group
membership and the theme membership frozen at close — with the same pure functions the analysis
uses (``clustering.repness``, ``clustering.consensus``). Nothing is copied from the snapshot's
statistics, so ``consult report verify`` can compare a stored report with a fresh computation
and, separately, the snapshot with the votes. Shares and scores are rounded to 4 decimals;
integers are exact. The result is plain JSON (sorted lists, string keys).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from typing import Any

import numpy as np

from clustering.consensus import (
    divisive_list,
    divisiveness,
    group_informed_consensus,
    majority_consensus,
    uncertainty_list,
)
from clustering.repness import Z_90, GroupCounts, group_counts, repness_stats, select_representative
from clustering.themes import OTHER_ID, Theme, ThemeResult
from clustering.votes import VoteMatrix
from consult.analysis.presenters import group_label
from consult.reports.records import FrozenRecord, PhaseTheme, themes_in_phase
from consult.themes.statistics import ThemeStatistics, theme_statistics

FIGURES_VERSION = 1
DECIMALS = 4
TOP_THEMES = 3
THEME_EXAMPLES = 3


def _r(value: float) -> float:
    return round(float(value), DECIMALS)


def _share(part: float, whole: float) -> float | None:
    return _r(part / whole) if whole else None


class StatisticsInputs:
    """The vote matrix with the frozen groups, and the statistics recomputed from them."""

    def __init__(self, record: FrozenRecord) -> None:
        analysis = record.analysis()
        if analysis is None:
            raise ValueError("the record has no analysis")
        self.analysis = analysis
        self.params = analysis.params
        self.matrix: VoteMatrix = record.phase_votes().matrix()
        m = self.matrix.shape[1]
        self.group_ids = [g.id for g in analysis.groups]
        position = {gid: i for i, gid in enumerate(self.group_ids)}
        group_of = dict(
            zip(
                analysis.participants.ids.tolist(),
                analysis.participants.group.tolist(),
                strict=True,
            )
        )
        self.g_index = np.array(
            [position.get(group_of.get(int(p), -1), -1) for p in self.matrix.participant_ids],
            dtype=np.int64,
        )
        self.counts: GroupCounts = group_counts(self.matrix, self.g_index, len(self.group_ids))
        member = self.g_index >= 0
        self.sizes = np.bincount(self.g_index[member], minlength=len(self.group_ids))
        idx, vals = self.matrix.indices, self.matrix.values
        self.n_agree = np.bincount(idx, weights=vals == 1, minlength=m).astype(np.int64)
        self.n_disagree = np.bincount(idx, weights=vals == -1, minlength=m).astype(np.int64)
        self.n_votes = np.bincount(idx, minlength=m).astype(np.int64)
        self.n_pass = self.n_votes - self.n_agree - self.n_disagree
        self.gic_agree, self.gic_disagree = group_informed_consensus(self.counts)
        self.divisiveness = divisiveness(self.counts, self.sizes)
        self.eligible = self.matrix.voted_mask() & ~self.matrix.zeroed_mask()
        pick_max = int(self.params.get("pick_max", 5))
        z = float(self.params.get("z", Z_90))
        self.stats = repness_stats(self.counts)
        self.representative = select_representative(
            self.stats, self.eligible, pick_max=pick_max, z=z
        )
        self.consensus = majority_consensus(
            self.n_agree, self.n_disagree, self.n_votes, self.eligible, pick_max=pick_max, z=z
        )
        self.divisive = divisive_list(
            self.counts,
            self.divisiveness,
            self.eligible,
            pick_max=pick_max,
            min_divisiveness=float(self.params.get("min_divisiveness", 0.2)),
        )
        self.uncertain = uncertainty_list(
            self.n_pass, self.n_votes, self.eligible, pick_max=pick_max
        )

    def column(self, statement_id: int) -> int | None:
        ids = self.matrix.statement_ids
        j = int(np.searchsorted(ids, statement_id))
        return j if j < len(ids) and int(ids[j]) == statement_id else None


_CACHE: OrderedDict[str, dict[str, Any]] = OrderedDict()
_CACHE_SIZE = 4
_CACHE_LOCK = threading.Lock()


def cached_figures(record: FrozenRecord) -> dict[str, Any]:
    """:func:`compute_figures` for pages, kept per record content hash (a record never changes).

    Callers must not change the result. ``consult report verify`` always recomputes.
    """
    with _CACHE_LOCK:
        found = _CACHE.get(record.content_hash)
        if found is not None:
            _CACHE.move_to_end(record.content_hash)
            return found
    figures = compute_figures(record)
    with _CACHE_LOCK:
        _CACHE[record.content_hash] = figures
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return figures


def compute_figures(record: FrozenRecord) -> dict[str, Any]:
    """All figures of the report, from ``record`` only."""
    s = StatisticsInputs(record)
    statements = record.statements
    accepted = [row for row in statements if row["moderation"] == "accepted"]
    accepted_ids = {row["id"] for row in accepted}
    offline = {int(k): v for k, v in record.payload.get("offline", {}).items()}
    themes = themes_in_phase(record.themes(), sorted(accepted_ids))
    theme_of = {sid: t.id for t in themes for sid in t.statement_ids}
    sid_of_col = s.matrix.statement_ids

    statement_rows = []
    for row in sorted(accepted, key=lambda r: r["id"]):
        j = s.column(row["id"])
        n = int(s.n_votes[j]) if j is not None else 0
        agree = int(s.n_agree[j]) if j is not None else 0
        support = offline.get(row["id"], {})
        statement_rows.append(
            {
                "id": row["id"],
                "text": row["text"],
                "origin": row["origin"],
                "is_meta": row["is_meta"],
                "theme_id": theme_of.get(row["id"]),
                "n_agree": agree,
                "n_disagree": int(s.n_disagree[j]) if j is not None else 0,
                "n_pass": int(s.n_pass[j]) if j is not None else 0,
                "n_votes": n,
                "agree_share": _share(agree, n),
                "consensus": _r(s.gic_agree[j]) if j is not None and n else None,
                "offline_conversations": len(support.get("conversations", [])),
                "offline_for": support.get("votes_for"),
                "offline_against": support.get("votes_against"),
            }
        )
    by_id = {row["id"]: row for row in statement_rows}

    phase_result = ThemeResult(
        themes=tuple(
            Theme(t.id, t.label, t.keywords, t.statement_ids, t.central_statement_id)
            for t in themes
        )
    )
    statistics = theme_statistics(
        phase_result,
        s.analysis,
        (record.participant_ids, record.statement_ids, record.values),
        sorted(accepted_ids),
        offline=offline,
    )
    theme_rows = [
        _theme_figures(t, st, by_id, offline) for t, st in zip(themes, statistics, strict=True)
    ]
    ranked = sorted(
        (t for t in theme_rows if not t["is_other"] and t["consensus"] is not None),
        key=lambda t: (-t["consensus"], -t["size"], t["order"]),
    )
    for t in theme_rows:
        del t["order"]

    clustered = int(s.sizes.sum())
    groups = []
    for i, gid in enumerate(s.group_ids):
        reps = []
        for item in s.representative[i]:
            j = item["column"]
            sid = int(sid_of_col[j])
            if sid not in accepted_ids:
                continue
            agree = item["direction"] == "agree"
            n_in, n_out = int(s.stats.ns[i, j]), int(s.stats.ns_out[i, j])
            hits_in = s.stats.na[i, j] if agree else s.stats.nd[i, j]
            hits_out = s.stats.na_out[i, j] if agree else s.stats.nd_out[i, j]
            reps.append(
                {
                    "statement_id": sid,
                    "direction": item["direction"],
                    "share": _share(hits_in, n_in),
                    "share_others": _share(hits_out, n_out),
                    "n_votes": n_in,
                    "n_votes_others": n_out,
                }
            )
        groups.append(
            {
                "id": int(gid),
                "label": group_label(int(gid)),
                "size": int(s.sizes[i]),
                "share": _share(int(s.sizes[i]), clustered),
                "representative": reps,
            }
        )

    def listed(items: list[dict]) -> list[dict]:
        return [it for it in items if int(sid_of_col[it["column"]]) in accepted_ids]

    consensus = {
        direction: [
            {
                "statement_id": int(sid_of_col[c["column"]]),
                "share": _share(c["n_success"], c["n_trials"]),
                "n_votes": int(c["n_trials"]),
            }
            for c in listed(s.consensus[direction])
        ]
        for direction in ("agree", "disagree")
    }
    divisive = [
        {
            "statement_id": int(sid_of_col[d["column"]]),
            "divisiveness": _r(d["divisiveness"]),
            "groups": [
                {
                    "label": group_label(int(gid)),
                    "agree_share": _share(
                        s.counts.agree[i, d["column"]], s.counts.votes[i, d["column"]]
                    ),
                    "n_votes": int(s.counts.votes[i, d["column"]]),
                }
                for i, gid in enumerate(s.group_ids)
            ],
        }
        for d in listed(s.divisive)
    ]
    uncertain = [
        {
            "statement_id": int(sid_of_col[u["column"]]),
            "pass_share": _r(u["pass_share"]),
            "n_votes": int(u["n_votes"]),
        }
        for u in listed(s.uncertain)
    ]
    return {
        "version": FIGURES_VERSION,
        "process": _process(record, s, statements, offline),
        "groups": groups,
        "clustered": clustered,
        "consensus": consensus,
        "divisive": divisive,
        "uncertain": uncertain,
        "themes": theme_rows,
        "top_consensus_themes": [t["id"] for t in ranked[:TOP_THEMES]],
        "statements": statement_rows,
    }


def _theme_figures(
    theme: PhaseTheme,
    stats: ThemeStatistics,
    by_id: dict[int, dict[str, Any]],
    offline: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    """One theme: the figures of :func:`consult.themes.statistics.theme_statistics` (the same
    definitions as the results page), plus online vs offline origin and example statements."""
    group_rows = [
        {
            "label": group_label(g.group_id),
            "agree_share": None if g.agree_share is None else _r(g.agree_share),
            "n_votes": g.n_votes,
        }
        for g in stats.groups
    ]
    conversations = sorted(
        {
            c["id"]
            for sid in theme.statement_ids
            for c in offline.get(sid, {}).get("conversations", ())
        }
    )
    room = stats.offline_support
    examples: list[int] = []
    if theme.central_statement_id is not None:
        examples.append(int(theme.central_statement_id))
    ranked = sorted(
        (by_id[sid] for sid in theme.statement_ids if sid in by_id),
        key=lambda r: (-(r["agree_share"] or 0.0), -r["n_votes"], r["id"]),
    )
    for row in ranked:
        if len(examples) >= THEME_EXAMPLES:
            break
        if row["id"] not in examples:
            examples.append(row["id"])
    digits = theme.id[1:]
    return {
        "id": theme.id,
        "label": theme.label,
        "keywords": list(theme.keywords[:6]),
        "is_other": theme.id == OTHER_ID,
        "size": theme.size,
        "statement_ids": list(theme.statement_ids),
        "votes": stats.n_votes,
        "agree": stats.n_agree,
        "disagree": stats.n_disagree,
        "pass": stats.n_pass,
        "participants": stats.n_participants,
        "agree_share": None if stats.agree_share is None else _r(stats.agree_share),
        "groups": group_rows,
        "consensus": None if stats.consensus is None else _r(stats.consensus),
        "divisiveness": None if stats.divisiveness is None else _r(stats.divisiveness),
        "group_spread": None if stats.group_spread is None else _r(stats.group_spread),
        "online": {
            "statements": stats.n_raised_online,
            "votes": stats.n_votes,
            "agree": stats.n_agree,
            "supporters": stats.online_support,
        },
        "offline": {
            "statements": room.statements,
            "conversations": conversations,
            "votes_for": room.votes_for,
            "votes_against": room.votes_against,
        },
        "raised_only_offline": stats.raised_only_offline,
        "examples": examples,
        "order": int(digits) if theme.id[:1] == "t" and digits.isdigit() else 1 << 30,
    }


def _process(
    record: FrozenRecord,
    s: StatisticsInputs,
    statements: list[dict[str, Any]],
    offline: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    voters = {int(p) for p in s.matrix.participant_ids.tolist()}
    authors = {int(row["author_id"]) for row in statements if row.get("author_id") is not None}
    accepted = [row for row in statements if row["moderation"] == "accepted"]
    moderation = Counter(row["moderation"] for row in statements)
    conversations = record.payload.get("conversations", [])
    known = [c["participant_count"] for c in conversations if c["participant_count"] is not None]
    regions = Counter(c["region"] for c in conversations if c.get("region"))
    tags = Counter(tag for c in conversations for tag in c.get("groups", []))
    languages = Counter(c["language"] for c in conversations if c.get("language"))
    online_sessions = sum(1 for c in conversations if c.get("online"))
    channels = ["online voting and statements"]
    if len(conversations) - online_sessions:
        channels.append("community conversations in person")
    if online_sessions:
        channels.append("community conversations online")
    dates = sorted(c["held_on"] for c in conversations)
    values = s.matrix.values
    return {
        "participants_online": len(voters | authors),
        "voters": len(voters),
        "votes": int(values.size),
        "votes_agree": int((values == 1).sum()),
        "votes_disagree": int((values == -1).sum()),
        "votes_pass": int((values == 0).sum()),
        "statements": len(accepted),
        "statements_by_origin": dict(sorted(Counter(r["origin"] for r in accepted).items())),
        "statements_raised_offline": sum(1 for r in accepted if r["id"] in offline),
        "statements_rejected": moderation.get("rejected", 0),
        "statements_pending": moderation.get("pending", 0),
        "groups": len(s.group_ids),
        "clustered": int(s.sizes.sum()),
        "conversations": len(conversations),
        "conversation_participants": sum(known),
        "conversations_without_count": len(conversations) - len(known),
        "conversations_online": online_sessions,
        "conversation_dates": [dates[0], dates[-1]] if dates else [],
        "conversation_list": [
            {
                "title": c["title"],
                "host_organisation": c["host_organisation"],
                "held_on": c["held_on"],
                "where": c.get("where") or "",
                "online": bool(c.get("online")),
                "region": c.get("region"),
                "language": c.get("language"),
                "participant_count": c["participant_count"],
                "groups": list(c.get("groups", [])),
                "statements": len(c.get("statement_ids", [])),
            }
            for c in sorted(conversations, key=lambda c: (c["held_on"], c["id"]))
        ],
        "regions": dict(sorted(regions.items())),
        "conversation_groups": dict(sorted(tags.items())),
        "conversation_languages": dict(sorted(languages.items())),
        "participants_total": len(voters | authors) + sum(known),
        "channels": channels,
        "opens_at": record.payload["phase"]["opens_at"],
        "closes_at": record.payload["phase"]["closes_at"],
        "closed_at": record.payload.get("closed_at"),
    }
