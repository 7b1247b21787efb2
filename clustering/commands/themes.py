"""``python -m clustering themes STATEMENTS.csv --out THEMES.json``: themes for a CSV of statements.

The CSV has a header with columns ``id`` and ``text`` and optionally ``language`` (other columns
are ignored), UTF-8 encoded. The output is the JSON of :class:`clustering.themes.ThemeResult`::

    {"themes": [{"id": "t1", "label": "...", "keywords": [...], "statement_ids": [...],
                 "central_statement_id": ..., "size": 12, "is_other": false, ...}, ...,
                {"id": "other", ...}],
     "events": [...], "model": "...", "params": {...}, "next_id": 9,
     "timings": {"read": s, "load_model": s, "embed": s, "represent": s, "cluster": s, "label": s,
                 "extract": s, "total": s}}

Every input statement is in exactly one theme ("other" included). Ids that are all whole numbers
are written as numbers. ``--previous`` (an earlier THEMES.json) keeps theme ids stable and adds
events; ``--constraints`` reads curator edits (the JSON of ``ThemeConstraints``). On bad input
the command prints what is wrong (file, row, column) and writes nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REQUIRED_COLUMNS = ("id", "text")


class InputError(ValueError):
    """The input files are unusable; the message names file, row and column."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments on ``parser``."""
    parser.add_argument("statements", type=Path, help="CSV with columns id,text[,language]")
    parser.add_argument("--out", type=Path, required=True, help="where to write THEMES.json")
    parser.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    parser.add_argument(
        "--previous", type=Path, help="an earlier THEMES.json, to keep theme ids stable"
    )
    parser.add_argument("--constraints", type=Path, help="curator edits (ThemeConstraints JSON)")
    parser.add_argument(
        "--model",
        help="embedding model: local directory or cached name "
        "(default: $CONSULT_EMBEDDING_MODEL, else the packaged all-MiniLM-L6-v2)",
    )
    parser.add_argument(
        "--distance-threshold", type=float, help="cut of the average-linkage tree (default 0.95)"
    )
    parser.add_argument("--min-theme-size", type=int, help="smaller clusters go to 'other'")


def read_statements(path: Path) -> tuple[list[Any], list[str], list[str | None]]:
    """Read ``id,text[,language]`` rows from ``path``.

    Returns
    -------
    ids, texts, languages
        Ids are ints when every id is a whole number, else strings; a missing or blank language
        is ``None``.

    Raises
    ------
    InputError
        Missing file, undecodable bytes, missing columns, blank id or text, repeated id, no rows.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}: line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty; expected a header 'id,text[,language]'")
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(f"{path}: line 1: unreadable CSV header ({exc})") from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputError(
            f"{path}: missing column {', '.join(repr(c) for c in missing)} in the header "
            f"(found {', '.join(repr(h) for h in header)}); expected id,text[,language]"
        )
    id_col, text_col = columns.index("id"), columns.index("text")
    lang_col = columns.index("language") if "language" in columns else None
    ids: list[str] = []
    texts: list[str] = []
    languages: list[str | None] = []
    first_row: dict[str, int] = {}
    row_number = 1
    try:
        for row_number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            needed = max(id_col, text_col)
            if len(cells) <= needed:
                column = "text" if len(cells) <= text_col else "id"
                raise InputError(
                    f"{path}: row {row_number}: column {column!r} is missing "
                    f"({len(cells)} values for {len(header)} columns)"
                )
            sid = cells[id_col].strip()
            body = cells[text_col].strip()
            if not sid:
                raise InputError(f"{path}: row {row_number}: column 'id' is empty")
            if not body:
                raise InputError(f"{path}: row {row_number}: column 'text' is empty (id {sid})")
            if sid in first_row:
                raise InputError(
                    f"{path}: row {row_number}: column 'id': id {sid!r} repeats row "
                    f"{first_row[sid]}"
                )
            first_row[sid] = row_number
            language = None
            if lang_col is not None and lang_col < len(cells):
                language = cells[lang_col].strip() or None
            ids.append(sid)
            texts.append(body)
            languages.append(language)
    except csv.Error as exc:
        raise InputError(f"{path}: row {row_number + 1}: unreadable CSV ({exc})") from None
    if not ids:
        raise InputError(f"{path}: no statements (only a header)")
    typed: list[Any] = ids
    if all(s.lstrip("-").isdigit() and str(int(s)) == s for s in ids):
        typed = [int(s) for s in ids]
    return typed, texts, languages


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: the {what} is not valid JSON ({exc})") from None


def write_json_atomically(path: Path, payload: Any) -> None:
    """Write ``payload`` to ``path`` through a temporary file, so a failure leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    """Read the CSV, embed, extract themes, write the JSON; 0 on success, 2 on bad input."""
    started = time.perf_counter()
    try:
        ids, texts, languages = read_statements(args.statements)
        previous_data = _read_json(args.previous, "previous themes") if args.previous else None
        constraints_data = _read_json(args.constraints, "constraints") if args.constraints else None
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    read_seconds = time.perf_counter() - started

    from clustering.embeddings import EmbeddingModelError, default_embedder
    from clustering.themes import ThemeConstraints, ThemeExtractor, ThemeResult

    try:
        previous = ThemeResult.from_dict(previous_data) if previous_data is not None else None
        constraints = ThemeConstraints.from_dict(constraints_data)
    except (KeyError, TypeError, ValueError) as exc:
        print(f"error: --previous/--constraints: unexpected content ({exc})", file=sys.stderr)
        return 2
    params: dict[str, Any] = {"random_state": args.random_state}
    if args.distance_threshold is not None:
        params["distance_threshold"] = args.distance_threshold
    if args.min_theme_size is not None:
        params["min_theme_size"] = args.min_theme_size

    t0 = time.perf_counter()
    try:
        embedder = default_embedder(args.model)
        t1 = time.perf_counter()
        embeddings = embedder.embed(texts)
    except EmbeddingModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    load_seconds, embed_seconds = t1 - t0, time.perf_counter() - t1

    try:
        result = (
            ThemeExtractor(**params)
            .fit(
                embeddings,
                statement_ids=ids,
                texts=texts,
                languages=languages,
                previous=previous,
                constraints=constraints,
                model=embedder.name,
            )
            .result_
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    payload = result.to_dict()
    steps = dict(payload["timings"])
    steps["extract"] = steps.pop("total", 0.0)
    payload["timings"] = {
        "read": round(read_seconds, 6),
        "load_model": round(load_seconds, 6),
        "embed": round(embed_seconds, 6),
        **steps,
        "total": round(time.perf_counter() - started, 6),
    }
    try:
        write_json_atomically(args.out, payload)
    except OSError as exc:
        print(f"error: {args.out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 2
    n_themes = sum(1 for t in result.themes if not t.is_other)
    other = result.theme("other").size
    print(f"{len(ids)} statements -> {n_themes} themes (+{other} in 'other'); wrote {args.out}")
    return 0
