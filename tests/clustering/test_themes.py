"""Theme extraction, stable identity and curation on synthetic embeddings (no model needed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clustering.theme_labels import class_tfidf_keywords, guess_language, tokenize
from clustering.themes import (
    OTHER_ID,
    Theme,
    ThemeConstraints,
    ThemeEvent,
    ThemeExtractor,
    ThemeResult,
    ThemeSplit,
    center_by_language,
    extract_themes,
)

DIM = 32
WORDS = {
    0: "contracts tenders suppliers procurement",
    1: "climate emissions adaptation floods",
    2: "courts judges lawyers trials",
    3: "youth students schools voting",
}


def blobs(sizes, *, seed=0, noise=0.12, start=0, centres=None):
    """Unit vectors around orthogonal centres; returns (X, ids, texts, truth)."""
    rng = np.random.RandomState(seed)
    if centres is None:
        centres = np.eye(DIM)[: len(sizes)]
    rows, truth = [], []
    for k, size in enumerate(sizes):
        rows.append(centres[k] + noise * rng.randn(size, DIM))
        truth += [k] * size
    X = np.vstack(rows)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    ids = list(range(start, start + len(truth)))
    texts = [f"{WORDS[k % 4]} item{i % 3}" for i, k in enumerate(truth)]
    return X.astype(np.float32), ids, texts, truth


def partition(result):
    return {frozenset(t.statement_ids) for t in result.themes if not t.is_other and t.size}


def test_separated_groups_become_themes_and_every_statement_is_placed_once():
    X, ids, texts, truth = blobs([12, 10, 9, 8])
    result = extract_themes(X, ids, texts, random_state=0)
    expected = {frozenset(i for i, k in zip(ids, truth, strict=True) if k == c) for c in range(4)}
    assert partition(result) == expected
    placed = [sid for t in result.themes for sid in t.statement_ids]
    assert sorted(placed) == sorted(ids)
    assert result.themes[-1].id == OTHER_ID
    assert [t.id for t in result.themes[:4]] == ["t1", "t2", "t3", "t4"]
    assert result.theme("t1").size == 12
    assert "contracts" in result.theme("t1").keywords
    assert result.theme("t1").central_statement_id in result.theme("t1").statement_ids


def test_outliers_and_tiny_groups_go_to_other_not_dropped():
    X, ids, texts, _ = blobs([10, 10, 2])
    result = extract_themes(X, ids, texts, min_theme_size=3)
    assert set(result.theme(OTHER_ID).statement_ids) == {20, 21}
    assert result.theme(OTHER_ID).label == "Other"
    assert len(result.assignments()) == 22


def test_same_seed_same_result_and_json_round_trip():
    X, ids, texts, _ = blobs([10, 8, 7], noise=0.3)
    first = extract_themes(X, ids, texts, random_state=3)
    second = extract_themes(X, ids, texts, random_state=3)
    assert first.themes == second.themes
    restored = ThemeResult.from_dict(json.loads(json.dumps(first.to_dict())))
    assert restored == first


def test_large_input_uses_micro_clusters_and_stays_deterministic():
    X, ids, texts, truth = blobs([120, 100, 90, 60], seed=4)
    params = {"max_exact": 100, "n_micro": 40, "random_state": 7}
    first = extract_themes(X, ids, texts, **params)
    second = extract_themes(X, ids, texts, **params)
    assert first.themes == second.themes
    expected = {frozenset(i for i, k in zip(ids, truth, strict=True) if k == c) for c in range(4)}
    assert partition(first) == expected


def test_empty_and_single_statement_inputs():
    empty = extract_themes(np.zeros((0, DIM)), [], [])
    assert [t.id for t in empty.themes] == [OTHER_ID] and empty.themes[0].size == 0
    one = extract_themes(np.ones((1, DIM)), ["a"], ["just one"])
    assert one.assignments() == {"a": OTHER_ID}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statement_ids": [1, 1, 2]}, "repeated"),
        ({"statement_ids": [1, 2]}, "3 embeddings but 2"),
        ({"texts": ["a"]}, "texts"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, message):
    X = np.eye(3, DIM, dtype=np.float32)
    args = {"statement_ids": [1, 2, 3], "texts": ["a", "b", "c"], **kwargs}
    with pytest.raises(ValueError, match=message):
        ThemeExtractor().fit(X, **args)


def test_nan_embedding_is_named():
    X = np.eye(3, DIM, dtype=np.float32)
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match="statement 'b'"):
        ThemeExtractor().fit(X, statement_ids=["a", "b", "c"], texts=["x", "y", "z"])


def test_language_centring_removes_a_shared_language_offset():
    X, ids, texts, truth = blobs([10, 10], noise=0.1)
    shift = np.zeros(DIM, dtype=np.float32)
    shift[DIM - 1] = 3.0
    langs = ["en"] * 20
    for i in range(0, 20, 2):  # half of each group "in French": a big common offset
        X[i] = X[i] + shift
        langs[i] = "fr"
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    plain = extract_themes(X, ids, texts, center_languages=False)
    centred = extract_themes(X, ids, texts, langs)
    by_topic = {frozenset(i for i in ids if truth[i] == c) for c in range(2)}
    assert partition(centred) == by_topic
    assert partition(plain) != by_topic
    Z = center_by_language(X, langs)
    assert np.allclose(np.linalg.norm(Z, axis=1), 1.0, atol=1e-5)


# -- identity across runs ----------------------------------------------------------------------


def test_incremental_update_keeps_ids_labels_and_places_new_statements():
    X, ids, texts, truth = blobs([12, 10, 9], seed=1)
    first = extract_themes(X, ids, texts)
    Xn, idsn, textsn, truthn = blobs([2, 1, 1], seed=2, start=100)
    second = extract_themes(
        np.vstack([X, Xn]), ids + idsn, texts + textsn, previous=first, random_state=0
    )
    before, after = first.assignments(), second.assignments()
    assert all(after[sid] == before[sid] for sid in ids)
    for sid, k in zip(idsn, truthn, strict=True):
        same_topic = ids[truth.index(k)]
        assert after[sid] == after[same_topic]
    assert {t.id: t.label for t in first.themes} == {t.id: t.label for t in second.themes}
    assert {e.kind for e in second.events} == {"continued"}


def test_new_topic_in_a_later_phase_is_a_new_theme_with_a_fresh_id():
    X, ids, texts, _ = blobs([12, 10], seed=1)
    first = extract_themes(X, ids, texts)
    X2, ids2, texts2, _ = blobs([12, 10, 8], seed=1)
    ids2 = ids2[:22] + [200 + i for i in range(8)]
    second = extract_themes(X2, ids2, texts2, previous=first)
    new_events = [e for e in second.events if e.kind == "new"]
    assert [e.new_ids for e in new_events] == [("t3",)]
    assert set(second.theme("t3").statement_ids) == set(ids2[22:])


def test_full_recompute_matches_ids_and_reports_merge_split_and_retire():
    X, ids, texts, truth = blobs([10, 10, 10], seed=5)
    first = extract_themes(X, ids, texts)
    t_of = first.assignments()
    a, b, c = (t_of[ids[truth.index(k)]] for k in range(3))
    # Next run: groups 0 and 1 now look alike (merge), group 2 is deleted, a new group appears.
    centres = np.eye(DIM)
    centres[1] = centres[0]
    X2, _, texts2, truth2 = blobs([10, 10, 10], seed=5, centres=centres[[0, 1, 3]])
    ids2 = ids[:20] + [300 + i for i in range(10)]
    second = extract_themes(X2, ids2, texts2, previous=first, incremental=False)
    kinds = {(e.kind, e.old_ids, e.new_ids) for e in second.events}
    merged = [e for e in second.events if e.kind == "merged"]
    assert len(merged) == 1 and set(merged[0].old_ids) == {a, b}
    assert merged[0].new_ids[0] in {a, b}
    assert ("retired", (c,), ()) in kinds
    assert any(e.kind == "new" for e in second.events)
    assert second.next_id > first.next_id - 1
    assert c not in second.theme_ids


def test_full_recompute_reports_a_split_and_keeps_the_id_on_the_bigger_part():
    centres = np.eye(DIM)
    merged_centres = centres[[0, 0, 2]]
    X, ids, texts, _ = blobs([10, 8, 10], seed=6, centres=merged_centres)
    first = extract_themes(X, ids, texts)
    big = first.assignments()[0]
    X2, _, texts2, _ = blobs([10, 8, 10], seed=6, centres=centres[[0, 1, 2]])
    second = extract_themes(X2, ids, texts2, previous=first, incremental=False)
    splits = [e for e in second.events if e.kind == "split"]
    assert len(splits) == 1 and splits[0].old_ids == (big,)
    assert second.assignments()[0] == big
    assert len(splits[0].new_ids) == 2


def test_ids_are_never_reused_after_retirement():
    X, ids, texts, _ = blobs([10, 10], seed=2)
    first = extract_themes(X, ids, texts)
    only_second = [i for i in ids if i >= 10]
    second = extract_themes(X[10:], only_second, texts[10:], previous=first, incremental=False)
    X3, ids3, texts3, _ = blobs([10, 10], seed=9, start=500, centres=np.eye(DIM)[[5, 1]])
    third = extract_themes(
        np.vstack([X[10:], X3[:10]]),
        only_second + ids3[:10],
        texts[10:] + texts3[:10],
        previous=second,
    )
    fresh = [e.new_ids[0] for e in third.events if e.kind == "new"]
    assert fresh and all(t not in {"t1", "t2"} for t in fresh)


# -- curation --------------------------------------------------------------------------------


@pytest.fixture
def four_groups():
    X, ids, texts, truth = blobs([10, 9, 8, 7], seed=11)
    first = extract_themes(X, ids, texts)
    Xn, idsn, textsn, truthn = blobs([1, 1, 1, 1], seed=12, start=1000)
    later = (np.vstack([X, Xn]), ids + idsn, texts + textsn)
    return first, later, truth, truthn


@pytest.mark.parametrize("incremental", [True, False])
def test_moves_and_labels_survive_recomputes(four_groups, incremental):
    first, (X, ids, texts), _, _ = four_groups
    t = first.assignments()
    constraints = ThemeConstraints().with_move(0, t[15]).with_label(t[20], "Courts and judges")
    second = extract_themes(
        X, ids, texts, previous=first, constraints=constraints, incremental=incremental
    )
    assert second.assignments()[0] == t[15]
    assert second.theme(t[20]).label == "Courts and judges"
    assert second.theme(t[20]).label_source == "curator"
    third = extract_themes(
        X, ids, texts, previous=second, constraints=constraints, incremental=incremental
    )
    assert third.assignments()[0] == t[15]
    assert third.theme(t[20]).label == "Courts and judges"


@pytest.mark.parametrize("incremental", [True, False])
def test_merge_survives_recomputes_and_new_statements_join_the_merged_theme(
    four_groups, incremental
):
    first, (X, ids, texts), truth, _ = four_groups
    t = first.assignments()
    keep, gone = t[0], t[10]
    constraints = ThemeConstraints().with_merge([keep, gone])
    second = extract_themes(
        X, ids, texts, previous=first, constraints=constraints, incremental=incremental
    )
    after = second.assignments()
    members = [sid for sid, k in zip(ids, truth, strict=False) if k in (0, 1)]
    assert {after[sid] for sid in members} == {keep}
    assert gone not in second.theme_ids
    assert after[1000] == keep and after[1001] == keep  # new statements of both regions


@pytest.mark.parametrize("incremental", [True, False])
def test_split_survives_recomputes_and_new_statements_go_to_the_nearest_part(
    four_groups, incremental
):
    first, (X, ids, texts), truth, _ = four_groups
    t = first.assignments()
    theme = t[0]
    # The curator splits the first theme (group 0) into two parts.
    part_a = tuple(ids[:5])
    part_b = tuple(ids[5:10])
    new_id = first.new_theme_id()
    constraints = ThemeConstraints().with_split(theme, {theme: part_a, new_id: part_b})
    second = extract_themes(
        X, ids, texts, previous=first, constraints=constraints, incremental=incremental
    )
    after = second.assignments()
    assert {after[s] for s in part_a} == {theme}
    assert {after[s] for s in part_b} == {new_id}
    assert after[1000] in {theme, new_id}
    assert new_id in second.theme_ids and theme in second.theme_ids


def test_constraints_builders_and_json_round_trip():
    c = (
        ThemeConstraints()
        .with_move(7, "t2")
        .with_move("s9", "t5")
        .with_label("t5", "Open contracting")
        .with_merge(["t2", "t5"])
        .with_split("t3", {"t3": (1, 2), "t9": (3,)})
    )
    assert c.resolve("t5") == "t2"
    assert c.pinned() == {1: "t3", 2: "t3", 3: "t9", 7: "t2", "s9": "t2"}
    assert c.curated_ids() == {"t2", "t3", "t9"}
    assert ThemeConstraints.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    # A later move of a split statement wins over its part.
    assert c.with_move(3, "t1").pinned()[3] == "t1"
    assert c.with_label("t2", "").labels == {"t5": "Open contracting"}
    assert ThemeConstraints.from_dict(None).is_empty()
    with pytest.raises(ValueError):
        ThemeConstraints(merges=(("t1",),))
    with pytest.raises(ValueError):
        ThemeSplit("t1", {"t1": (1,)}) and ThemeConstraints(splits=(ThemeSplit("t1", {}),))


def test_new_theme_id_skips_every_id_in_use():
    result = ThemeResult(themes=(Theme("t4", "x", (), (1,), 1),), next_id=3)
    assert result.new_theme_id() == "t5"
    assert result.new_theme_id(ThemeConstraints(labels={"t8": "y"})) == "t9"


def test_event_and_theme_round_trip():
    event = ThemeEvent("merged", ("t1", "t2"), ("t1",), 12)
    assert ThemeEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event


# -- keywords ----------------------------------------------------------------------------------


def test_tokenize_drops_stop_words_of_the_statement_language():
    assert tokenize("Les appels d'offres doivent être publiés", "fr", bigrams=False) == [
        "appels",
        "offres",
        "publiés",
    ]
    assert "should" not in tokenize("Contracts should be published", "en")
    assert "open data" in tokenize("We need open data for the EU", "en")
    assert guess_language("Il faut que les jeunes votent") == "fr"
    assert guess_language("Hay que publicar los contratos de la ciudad") == "es"


def test_class_tfidf_prefers_distinctive_repeated_terms():
    docs = [
        "public contracts and tenders",
        "tenders for public works",
        "tenders and suppliers",
        "public courts and judges",
        "judges and courts",
    ]
    classes = ["p", "p", "p", "j", "j"]
    keywords = class_tfidf_keywords([tokenize(d, "en") for d in docs], classes, n_keywords=2)
    assert keywords["p"][0] == "tenders"
    assert set(keywords["j"]) == {"courts", "judges"}


def test_two_themes_never_show_the_same_keyword_label():
    X, ids, _, truth = blobs([10, 9], seed=3)
    texts = ["budget rents housing" for _ in ids]
    texts[-1] = texts[-2] = "budget rents housing parks"
    result = extract_themes(X, ids, texts)
    labels = [t.label for t in result.themes if not t.is_other]
    assert len(labels) == 2 and labels[0] != labels[1] and "parks" in labels[1]
