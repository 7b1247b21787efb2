"""The pure helper that shows curation at once: folding the edit log and applying it."""

from __future__ import annotations

import pytest

from clustering.themes import Theme, ThemeConstraints, ThemeResult
from consult.themes.curation import apply_constraints, fold_curations


def result() -> ThemeResult:
    return ThemeResult(
        themes=(
            Theme("t1", "contracts · tender", ("contracts", "tender"), (1, 2, 3, 4), 2),
            Theme("t2", "youth · councils", ("youth", "councils"), (5, 6, 7), 6),
            Theme("t3", "climate · emissions", ("climate",), (8, 9), 8),
            Theme("other", "Other", (), (10,), 10),
        ),
        next_id=4,
    )


def members(res: ThemeResult) -> dict[str, tuple]:
    return {t.id: t.statement_ids for t in res.themes}


def test_log_folds_in_order_and_applies_without_reclustering():
    log = [
        ("rename", {"theme_id": "t1", "label": "Open contracting"}),
        ("split", {"theme_id": "t1", "parts": {"t1": [1, 2], "t4": [3, 4]}}),
        ("move", {"statement_id": 10, "theme_id": "t2"}),
        ("merge", {"theme_ids": ["t2", "t3"]}),
        ("rename", {"theme_id": "t3", "label": "Young people and climate"}),  # t3 → t2
    ]
    constraints = fold_curations(log)
    shown = apply_constraints(result(), constraints)
    assert members(shown) == {
        "t2": (5, 6, 7, 8, 9, 10),
        "t1": (1, 2),
        "t4": (3, 4),
        "other": (),
    }
    assert [t.id for t in shown.themes] == ["t2", "t1", "t4", "other"]  # largest first
    assert shown.theme("t1").label == "Open contracting"
    assert shown.theme("t1").label_source == "curator"
    assert shown.theme("t2").label == "Young people and climate"  # renamed through the merge
    assert shown.theme("t4").label == "Part of “Open contracting”"
    assert shown.theme("t4").keywords == ()  # until the next run computes them
    assert shown.theme("t2").keywords == ("youth", "councils", "climate")
    assert shown.theme("t1").central_statement_id == 2
    assert shown.theme("t4").central_statement_id in (3, 4)
    assert shown.next_id == 5  # t4 is taken
    assignments = shown.assignments()
    assert sorted(assignments) == list(range(1, 11))  # every statement once


def test_applying_a_runs_own_constraints_changes_nothing():
    constraints = ThemeConstraints().with_move(3, "t2").with_label("t1", "Contracts")
    once = apply_constraints(result(), constraints)
    twice = apply_constraints(once, constraints)
    assert members(twice) == members(once)
    assert [t.label for t in twice.themes] == [t.label for t in once.themes]


def test_a_theme_emptied_by_moves_disappears_but_other_stays():
    constraints = ThemeConstraints().with_move(8, "t1").with_move(9, "t1").with_move(10, "t1")
    shown = apply_constraints(result(), constraints)
    assert "t3" not in shown.theme_ids
    assert shown.theme("other").statement_ids == ()
    assert shown.theme("t1").statement_ids == (1, 2, 3, 4, 8, 9, 10)


def test_unknown_curation_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown curation kind 'recolour'"):
        fold_curations([("recolour", {})])
