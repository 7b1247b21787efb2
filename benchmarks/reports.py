"""Phase report build times: figures from a frozen record, HTML/JSON/CSV/PDF rendering, verify.

Run: ``.venv/bin/python benchmarks/reports.py [--size demo|large]``. ``demo`` is the shape of the
demo phase (320 participants × 42 statements, ~9,400 votes); ``large`` the largest known Pol.is
conversation (33,422 × 783, 2,000,000 votes, synthetic with planted groups). The record is built
in memory (no database): the analysis is run once, themes are 20 groups of statements, and the
figures, the document and every format are then timed. One line per figure.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._synthetic import make_conversation  # noqa: E402
from clustering.opinion_groups import analyze  # noqa: E402
from clustering.themes import Theme, ThemeResult  # noqa: E402
from clustering.votes import VoteMatrix  # noqa: E402

SIZES = {"demo": (320, 42, 9_400), "large": (33_422, 783, 2_000_000)}


def _record(n_participants: int, n_statements: int, n_votes: int):
    from consult.reports.records import (
        FrozenRecord,
        canonical_json,
        content_hash,
        pack_votes,
        unpack_votes,
    )

    conv = make_conversation(n_participants, n_statements, n_votes, seed=0)
    matrix = VoteMatrix.from_votes(
        conv.participant_ids, conv.statement_ids, conv.values, order=conv.timestamps
    )
    # The latest vote per pair, as the database holds it.
    rows = matrix.rows()
    pids = matrix.participant_ids[rows]
    sids = matrix.statement_ids[matrix.indices]
    values = matrix.values
    result = analyze(matrix, random_state=0)
    statement_ids = sorted(int(s) for s in np.unique(sids))
    themes = tuple(
        Theme(
            id=f"t{k + 1}",
            label=f"theme {k + 1}",
            keywords=(f"word{k}",),
            statement_ids=tuple(statement_ids[k::20]),
            central_statement_id=statement_ids[k],
        )
        for k in range(20)
    )
    payload = {
        "format": 1,
        "consultation": {"slug": "bench", "title": "Benchmark", "description": ""},
        "phase": {
            "id": 1,
            "position": 1,
            "title": "Benchmark phase",
            "purpose": "Timing the report.",
            "opens_at": "2026-01-01T00:00:00Z",
            "closes_at": None,
        },
        "statements": [
            {
                "id": sid,
                "text": f"Statement {sid}: a sentence of ordinary length about open government.",
                "language": "en",
                "origin": "seed",
                "moderation": "accepted",
                "is_meta": False,
                "author_id": None,
                "created_at": None,
            }
            for sid in statement_ids
        ],
        "analysis": {
            "snapshot_id": 1,
            "inputs_hash": "",
            "created_at": None,
            "result": result.to_dict(),
            "columns": {"all_statement_ids": statement_ids, "moderated_out": [], "meta": []},
        },
        "themes": {"run_id": 1, "created_at": None, "model": "none", "result": {}},
        "closed_at": "2026-02-01T00:00:00Z",
        "notes_available": False,
        "conversations": [],
        "offline": {},
    }
    payload["themes"]["result"] = ThemeResult(themes=themes).to_dict()
    import json

    payload = json.loads(canonical_json(payload))
    raw = pack_votes(pids, sids, values)
    p, s, v = unpack_votes(raw)
    return FrozenRecord(payload, p, s, v, content_hash(canonical_json(payload), raw))


def _timed(label: str, fn, repeat: int = 1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    print(f"{label}: {best:.3f} s")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF (slow when large)")
    args = parser.parse_args(argv)
    from consult import create_app
    from consult.reports.document import build_body, complete
    from consult.reports.figures import compute_figures
    from consult.reports.render import render_csv, render_html, render_json, render_pdf

    n, m, votes = SIZES[args.size]
    record = _timed(
        f"{args.size}: build the record ({n} × {m}, {votes:,} votes, with analysis)",
        lambda: _record(n, m, votes),
    )
    _timed(f"{args.size}: compute_figures", lambda: compute_figures(record), repeat=3)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench"})
    with app.app_context():
        body = build_body(
            record,
            theme_responses={},
            statement_responses={},
            outline_version=None,
            sections=[],
            min_theme_size=3,
            min_sign_offs=1,
        )
        document = complete(body, sign_offs=[], version=1, published_at="2026-02-02T00:00:00Z")
        html = _timed(f"{args.size}: HTML", lambda: render_html(document), repeat=3)
        data = _timed(f"{args.size}: JSON", lambda: render_json(document), repeat=3)
        table = _timed(f"{args.size}: CSV", lambda: render_csv(document), repeat=3)
        print(
            f"{args.size}: sizes HTML {len(html.encode()):,} B, JSON {len(data.encode()):,} B, "
            f"CSV {len(table.encode()):,} B"
        )
        same = (
            hashlib.sha256(render_html(document).encode()).hexdigest()
            == hashlib.sha256(html.encode()).hexdigest()
        )
        print(f"{args.size}: HTML identical on rebuild: {same}")
        if not args.no_pdf:
            pdf = _timed(f"{args.size}: PDF", lambda: render_pdf(document))
            import pypdfium2

            pages = len(pypdfium2.PdfDocument(pdf))
            print(f"{args.size}: PDF {len(pdf):,} B, {pages} pages")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.size}: peak memory {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
