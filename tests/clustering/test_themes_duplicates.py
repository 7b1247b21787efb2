"""Duplicate hints for a statement being typed, and near-duplicate pairs for moderators."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from clustering.duplicates import (
    DEFAULT_DUPLICATE_THRESHOLD,
    DuplicatePair,
    SimilarStatement,
    near_duplicate_pairs,
    similar_statements,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def unit(*rows):
    X = np.array(rows, dtype=np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_hints_are_the_k_most_similar_above_the_threshold():
    X = unit([1, 0, 0], [0.9, 0.1, 0], [0.8, 0.3, 0], [0.7, 0.7, 0], [0, 0, 1])
    hints = similar_statements(np.array([1, 0, 0]), X, ["a", "b", "c", "d", "e"], k=3)
    assert [h.statement_id for h in hints] == ["a", "b", "c"]
    assert hints[0].similarity == pytest.approx(1.0)
    strict = similar_statements(np.array([1, 0, 0]), X, list("abcde"), threshold=0.995)
    assert [h.statement_id for h in strict] == ["a"]
    assert similar_statements(np.array([0, 1, 0]), X[[0, 4]], ["a", "e"]) == ()
    assert similar_statements(np.array([1, 0, 0]), np.zeros((0, 3)), []) == ()
    with pytest.raises(ValueError, match="dimensions"):
        similar_statements(np.array([1, 0]), X, list("abcde"))


def test_pairs_are_listed_once_most_similar_first():
    X = unit([1, 0, 0], [0.99, 0.05, 0], [0, 1, 0], [0, 0.95, 0.1], [0, 0, 1])
    pairs = near_duplicate_pairs(X, [10, 11, 12, 13, 14], threshold=0.9, block_size=2)
    assert [(p.first_id, p.second_id) for p in pairs] == [(10, 11), (12, 13)]
    assert pairs[0].similarity >= pairs[1].similarity
    assert near_duplicate_pairs(X, [10, 11, 12, 13, 14], threshold=0.9, max_pairs=1) == pairs[:1]
    restored = DuplicatePair.from_dict(json.loads(json.dumps(pairs[0].to_dict())))
    assert restored == pairs[0]
    hint = SimilarStatement("x", 0.7)
    assert SimilarStatement.from_dict(hint.to_dict()) == hint


@pytest.mark.model
def test_default_threshold_separates_paraphrases_from_other_points(embedder):
    with (DATA / "duplicate_pairs.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    first = embedder.embed([r["first"] for r in rows])
    second = embedder.embed([r["second"] for r in rows])
    similarity = (first * second).sum(axis=1)
    kinds = np.array([r["kind"] for r in rows])
    paraphrase_hit = np.mean(similarity[kinds == "paraphrase"] >= DEFAULT_DUPLICATE_THRESHOLD)
    related_hit = np.mean(similarity[kinds == "related"] >= DEFAULT_DUPLICATE_THRESHOLD)
    assert paraphrase_hit >= 0.9 and related_hit <= 0.1


@pytest.mark.model
def test_typing_a_paraphrase_suggests_the_existing_statement(embedder):
    with (DATA / "themes_labelled.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    existing = embedder.embed([r["text"] for r in rows])
    ids = [int(r["id"]) for r in rows]
    typed = embedder.embed(["Lower the voting age to sixteen in local elections."])[0]
    hints = similar_statements(typed, existing, ids)
    assert hints and hints[0].statement_id == 27 and len(hints) <= 3
    unrelated = embedder.embed(["My cat likes to sleep in the sun."])[0]
    assert similar_statements(unrelated, existing, ids) == ()
    pairs = near_duplicate_pairs(np.vstack([existing, typed]), [*ids, 999])
    assert any({p.first_id, p.second_id} == {27, 999} for p in pairs)
