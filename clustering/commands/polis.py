"""``python -m clustering polis EXPORT_DIR --out RESULT.json``: opinion groups of a Pol.is export.

EXPORT_DIR holds ``comments.csv`` and ``votes.csv`` (or, without votes.csv, the latest-vote matrix
in ``participants-votes.csv``); see :mod:`clustering.polis_export`. Rejected comments
(``moderated = -1``) and meta comments are moderated out; ``--strict-moderation`` also leaves out
unmoderated ones. The output (UTF-8 JSON, written atomically) is
:meth:`clustering.opinion_groups.AnalysisResult.to_records` plus a ``source`` block::

    {"participants": [{"id": <voter-id>, "group": <int|null>, "subgroup", "x", "y",
                       "in_conv", "n_votes"}, ...],
     "groups": [{"id", "size", "x", "y", "parent_id": null,
                 "representative": [{"statement_id", "direction", "agree_share",
                                     "agree_share_others", "disagree_share", ...}, ...]}, ...],
     "subgroups": [...],
     "statements": [{"id", "group_informed_consensus", "extremity", "priority", "x", "y",
                     "divisiveness", "n_agree", "n_disagree", "n_pass", "n_votes",
                     "moderated_out", "meta", "groups": {"<gid>": {"A", "D", "S"}}}, ...],
     "consensus": {"agree": [...], "disagree": [...]}, "divisive": [...], "uncertainty": [...],
     "params": {...}, "counts": {...}, "timings": {"read": s, "in_conv": s, ..., "total": s},
     "source": {"directory", "votes_source", "vote_rows", "comments"}}

On a bad file the command prints the file, row and column at fault to stderr, writes nothing and
exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments on ``parser``."""
    parser.add_argument("export_dir", type=Path, help="Pol.is export directory")
    parser.add_argument("--out", type=Path, required=True, help="where to write RESULT.json")
    parser.add_argument(
        "--method",
        choices=("consult", "polis"),
        default="consult",
        help="group selection: 'consult' (default, explains votes better) or 'polis' (faithful)",
    )
    parser.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    parser.add_argument(
        "--strict-moderation",
        action="store_true",
        help="also leave out unmoderated comments (moderated = 0)",
    )
    parser.add_argument(
        "--pass-aware", action="store_true", help="let passes shape the groups ('consult' only)"
    )
    parser.add_argument("--max-groups", type=int, default=5, help="upper bound on groups (5)")


def _write_atomically(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    """Read the export, analyse it and write the JSON; returns the exit status."""
    from clustering.opinion_groups import analyze
    from clustering.polis_export import PolisExportError, read_export
    from clustering.votes import VoteInputError

    start = time.perf_counter()
    try:
        export = read_export(args.export_dir)
        votes = export.vote_matrix(strict_moderation=args.strict_moderation)
    except (PolisExportError, VoteInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {args.export_dir}: cannot read ({exc.strerror or exc})", file=sys.stderr)
        return 2
    read_seconds = time.perf_counter() - start
    if votes.n_votes == 0:
        print(f"error: {args.export_dir}: the export holds no votes", file=sys.stderr)
        return 2
    try:
        result = analyze(
            votes,
            random_state=args.random_state,
            method=args.method,
            pass_aware=args.pass_aware,
            max_groups=args.max_groups,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    payload = result.to_records()
    payload["timings"] = {"read": read_seconds, **payload["timings"]}
    payload["timings"]["total"] = time.perf_counter() - start
    payload["source"] = {
        "directory": str(args.export_dir),
        "votes_source": export.votes_source,
        "vote_rows": int(len(export.values)),
        "comments": len(export.statements),
    }
    try:
        _write_atomically(args.out, payload)
    except OSError as exc:
        print(f"error: {args.out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 2
    counts = result.counts
    print(
        f"{counts['n_participants']} participants, {counts['n_statements']} statements, "
        f"{counts['n_votes']} votes: {counts['n_groups']} groups of "
        f"{counts['n_clustered']} clustered participants in {payload['timings']['total']:.2f} s "
        f"-> {args.out}"
    )
    return 0
