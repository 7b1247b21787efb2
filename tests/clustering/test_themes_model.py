"""Themes with the real embedding model on small data: topics, paraphrases, stability, quality."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from clustering.themes import OTHER_ID, ThemeConstraints, extract_themes

pytestmark = pytest.mark.model

DATA = Path(__file__).resolve().parents[1] / "data"
SEEDS = (0, 1, 2)
#: What our default settings reach on the labelled set (0.376 for every seed; see the report in
#: benchmarks/themes.py). A drop below this floor is a regression.
QUALITY_FLOOR = 0.35
#: The issue's target; not reached with all-MiniLM-L6-v2 on our set (see test below).
ISSUE_TARGET = 0.6
#: Held-out set of 5 other topics (tests/data/themes_heldout.csv), written before any method ran
#: on it: our defaults reach 0.670 for every seed there, above the issue's target.
HELDOUT_FLOOR = 0.6

TOPICS = {
    "transport": [
        "The buses in our town are always late.",
        "We need more trains between the suburbs and the city.",
        "Bus and train tickets are too expensive.",
        "The metro should run later at night.",
        "Add more bus stops on the ring road.",
    ],
    "health": [
        "Hospital waiting lists are far too long.",
        "Every village needs a health clinic with a nurse.",
        "We need more doctors in rural hospitals.",
        "Mental health care for teenagers is underfunded.",
        "Hospital emergency rooms are overcrowded.",
    ],
    "housing": [
        "Rents are so high that families cannot afford a flat.",
        "Build more social housing for low-income families.",
        "Empty buildings should be turned into affordable homes.",
        "Landlords must repair damp and mouldy apartments.",
        "Young people cannot afford to buy a house.",
    ],
}


def load_labelled(name="themes_labelled.csv"):
    with (DATA / name).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ids = [int(r["id"]) for r in rows]
    return ids, [r["text"] for r in rows], [r["language"] for r in rows], [r["topic"] for r in rows]


@pytest.fixture(scope="module")
def labelled(embedder):
    ids, texts, languages, topics = load_labelled()
    return ids, texts, languages, topics, embedder.embed(texts)


def test_clearly_different_topics_land_in_different_themes(embedder):
    texts = [t for group in TOPICS.values() for t in group]
    truth = [name for name, group in TOPICS.items() for _ in group]
    ids = list(range(len(texts)))
    result = extract_themes(embedder.embed(texts), ids, texts, random_state=0)
    theme_of = result.assignments()
    for a in ids:
        for b in ids:
            if truth[a] != truth[b] and theme_of[a] != OTHER_ID:
                assert theme_of[a] != theme_of[b], (texts[a], texts[b])
    assert adjusted_rand_score(truth, [theme_of[i] for i in ids]) > 0.8


def test_paraphrases_land_together(embedder):
    paraphrases = [
        "Publish every public contract online.",
        "All government contracts should be made public on the internet.",
        "Put the contracts the state signs on a public website.",
    ]
    others = [t for group in TOPICS.values() for t in group]
    texts = paraphrases + others
    ids = list(range(len(texts)))
    theme_of = extract_themes(embedder.embed(texts), ids, texts, random_state=0).assignments()
    assert theme_of[0] == theme_of[1] == theme_of[2] != OTHER_ID
    assert all(theme_of[i] != theme_of[0] for i in ids[3:])


def test_same_seed_gives_identical_themes(labelled):
    ids, texts, languages, _, X = labelled
    first = extract_themes(X, ids, texts, languages, random_state=5)
    second = extract_themes(X, ids, texts, languages, random_state=5)
    assert first.themes == second.themes
    assert first.themes[0].label and first.themes[0].keywords


def explained(previous, result, share=0.25) -> bool:
    """Every old theme that lost ``share`` or more of its statements is named in an event
    other than "continued" (a statement or two drifting between continued themes is no event)."""
    after = result.assignments()
    touched = {i for e in result.events if e.kind != "continued" for i in e.old_ids}
    for theme in previous.themes:
        if theme.is_other or not theme.size:
            continue
        lost = sum(after[sid] != theme.id for sid in theme.statement_ids)
        if lost >= share * theme.size and theme.id not in touched:
            return False
    return True


@pytest.mark.parametrize("incremental", [True, False])
def test_adding_ten_percent_keeps_assignments_or_explains_the_change(labelled, incremental):
    ids, texts, languages, _, X = labelled
    held_out = set(range(4, len(ids), 10))  # ~10 % arrive later
    first_rows = [i for i in range(len(ids)) if i not in held_out]
    first = extract_themes(
        X[first_rows],
        [ids[i] for i in first_rows],
        [texts[i] for i in first_rows],
        [languages[i] for i in first_rows],
        random_state=0,
    )
    second = extract_themes(
        X, ids, texts, languages, previous=first, random_state=0, incremental=incremental
    )
    before, after = first.assignments(), second.assignments()
    kept = np.mean([after[sid] == theme for sid, theme in before.items()])
    assert kept >= 0.9 or explained(first, second)
    if incremental:
        assert kept >= 0.9
    assert sorted(after) == sorted(ids)


def test_curation_survives_a_recompute_with_the_model(labelled):
    ids, texts, languages, _, X = labelled
    first_rows = list(range(0, 94))
    first = extract_themes(
        X[first_rows],
        ids[:94],
        texts[:94],
        languages[:94],
        random_state=0,
    )
    t = first.assignments()
    big, second_big = first.themes[0].id, first.themes[1].id
    mover = first.theme(second_big).statement_ids[0]
    constraints = (
        ThemeConstraints()
        .with_move(mover, big)
        .with_label(big, "Places and people")
        .with_merge([first.themes[2].id, first.themes[3].id])
    )
    merged_members = set(first.themes[2].statement_ids) | set(first.themes[3].statement_ids)
    for incremental in (True, False):
        second = extract_themes(
            X,
            ids,
            texts,
            languages,
            previous=first,
            constraints=constraints,
            random_state=0,
            incremental=incremental,
        )
        after = second.assignments()
        assert after[mover] == big
        assert second.theme(big).label == "Places and people"
        assert {after[s] for s in merged_members if s != mover} == {first.themes[2].id}
        assert first.themes[3].id not in second.theme_ids
        assert sum(after[s] == t[s] for s in t) >= 0.5 * len(t)


def ari_per_seed(labelled):
    ids, texts, languages, topics, X = labelled
    scores = []
    for seed in SEEDS:
        theme_of = extract_themes(X, ids, texts, languages, random_state=seed).assignments()
        scores.append(adjusted_rand_score(topics, [theme_of[i] for i in ids]))
    return scores


def test_quality_on_the_labelled_set_is_stable_across_seeds(labelled):
    scores = ari_per_seed(labelled)
    assert min(scores) >= QUALITY_FLOOR, scores
    assert max(scores) - min(scores) <= 0.05, scores


@pytest.fixture(scope="module")
def heldout(embedder):
    ids, texts, languages, topics = load_labelled("themes_heldout.csv")
    return ids, texts, languages, topics, embedder.embed(texts)


def test_quality_on_the_heldout_set_meets_the_issue_target(heldout):
    scores = ari_per_seed(heldout)
    assert min(scores) >= HELDOUT_FLOOR, scores
    assert max(scores) - min(scores) <= 0.05, scores


@pytest.mark.xfail(
    strict=True,
    reason="issue 4 asks ARI >= 0.6 on 8 close topics; all-MiniLM-L6-v2 reaches 0.38 on our "
    "labelled set (0.67 on the held-out set of 5 other topics), and no unsupervised method we "
    "measured reaches 0.6 there, the best stay near 0.5 (supervised nearest-centroid 0.68): see "
    "clustering/themes.py and the report",
)
def test_issue_target_ari_on_the_labelled_set(labelled):
    assert min(ari_per_seed(labelled)) >= ISSUE_TARGET
