"""Write a phase as a Pol.is export directory, so tools made for Pol.is data can read ours.

Files: summary.csv, comments.csv, votes.csv (every vote cast, superseded ones included),
participants-votes.csv (latest votes, with the opinion group of the latest analysis) and
comment-groups.csv (per statement and group: votes, agrees, disagrees, passes). Participants are
named by their internal number; neither tokens nor any personal data are written.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

from consult.analysis.services import latest_snapshot, load_result
from consult.consultations.models import Phase
from consult.extensions import db
from consult.participation.models import Moderation, Origin, Statement, Vote, VoteHistory

MODERATED = {Moderation.REJECTED: -1, Moderation.PENDING: 0, Moderation.ACCEPTED: 1}


def _ms(when) -> int:
    return int(when.timestamp() * 1000) if when else 0


def _write(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def export_polis(phase: Phase, directory: str | Path) -> dict[str, int]:
    """Write the Pol.is CSVs of ``phase`` into ``directory`` (created if needed); returns counts."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    statements = list(
        db.session.scalars(
            select(Statement).where(Statement.phase_id == phase.id).order_by(Statement.id)
        )
    )
    ids = [s.id for s in statements]
    latest = db.session.execute(
        select(Vote.participant_id, Vote.statement_id, Vote.value).where(Vote.statement_id.in_(ids))
    ).all()
    history = db.session.execute(
        select(
            VoteHistory.created_at,
            VoteHistory.statement_id,
            VoteHistory.participant_id,
            VoteHistory.value,
        )
        .where(VoteHistory.statement_id.in_(ids))
        .order_by(VoteHistory.created_at, VoteHistory.id)
    ).all()
    agrees, disagrees = defaultdict(int), defaultdict(int)
    by_participant: dict[int, dict[int, int]] = defaultdict(dict)
    for participant_id, statement_id, value in latest:
        by_participant[participant_id][statement_id] = value
        agrees[statement_id] += value == 1
        disagrees[statement_id] += value == -1
    groups: dict[int, int] = {}
    snapshot = latest_snapshot(phase.id)
    result = load_result(snapshot) if snapshot else None
    if result is not None:
        for pid, group in zip(
            result.participants.ids.tolist(), result.participants.group.tolist(), strict=True
        ):
            if group >= 0:
                groups[int(pid)] = group
    authored = defaultdict(int)
    for s in statements:
        if s.author_id:
            authored[s.author_id] += 1

    _write(
        out / "comments.csv",
        [
            "timestamp",
            "datetime",
            "comment-id",
            "author-id",
            "agrees",
            "disagrees",
            "moderated",
            "comment-body",
            "is-meta",
            "is-seed",
        ],
        (
            [
                _ms(s.created_at),
                s.created_at.strftime("%a %b %d %H:%M:%S UTC %Y"),
                s.id,
                s.author_id if s.author_id is not None else "",
                agrees[s.id],
                disagrees[s.id],
                MODERATED[s.moderation],
                s.text,
                str(s.is_meta).lower(),
                str(s.origin == Origin.SEED).lower(),
            ]
            for s in statements
        ),
    )
    _write(
        out / "votes.csv",
        ["timestamp", "datetime", "comment-id", "voter-id", "vote"],
        (
            [_ms(when), when.strftime("%a %b %d %H:%M:%S UTC %Y"), sid, pid, value]
            for when, sid, pid, value in history
        ),
    )
    header = ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
    _write(
        out / "participants-votes.csv",
        header + [str(i) for i in ids],
        (
            [
                pid,
                groups.get(pid, ""),
                authored[pid],
                len(votes),
                sum(v == 1 for v in votes.values()),
                sum(v == -1 for v in votes.values()),
            ]
            + [votes.get(i, "") for i in ids]
            for pid, votes in sorted(by_participant.items())
        ),
    )
    rows = []
    if result is not None:
        st = result.statements
        for row, gid in enumerate(st.group_ids.tolist()):
            for col, sid in enumerate(st.ids.tolist()):
                n = int(st.group_votes[row, col])
                a, d = int(st.group_agree[row, col]), int(st.group_disagree[row, col])
                rows.append([sid, gid, n, a, d, n - a - d])
    _write(
        out / "comment-groups.csv",
        ["comment-id", "group-id", "votes", "agrees", "disagrees", "passes"],
        rows,
    )
    summary = [
        ("topic", phase.title),
        ("url", ""),
        ("views", ""),
        ("voters", len(by_participant)),
        ("voters-in-conv", int(result.counts.get("n_in_conv", 0)) if result else 0),
        ("commenters", len(authored)),
        ("comments", len(statements)),
        ("groups", len(result.groups) if result else 0),
        ("conversation-description", phase.purpose),
    ]
    with (out / "summary.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(summary)
    return {"comments": len(statements), "votes": len(history), "participants": len(by_participant)}
