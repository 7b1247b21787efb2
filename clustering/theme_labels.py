"""Theme keywords: class-based TF-IDF over each theme's statements, with per-language stop words.

A theme's keywords are the words and two-word phrases that are frequent in its statements and rare
in the other themes' statements. Each statement is tokenised with the stop words of its own
language (given by the caller, or guessed from stop-word counts), so a French statement does not
contribute "les" or "doivent" to its theme's keywords.

The weight of term ``t`` in theme ``c`` is ``tf(t, c) / words(c) * log(1 + A / f(t))``, where
``tf`` counts ``t`` in the statements of ``c``, ``words(c)`` is the number of terms in ``c``, ``A``
is the average number of terms per theme and ``f(t)`` counts ``t`` over all themes (the usual
class-based TF-IDF).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence

import numpy as np
from scipy import sparse

from clustering.stopwords import STOP_WORDS, language_code, stop_words

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_APOSTROPHE = re.compile(r"['’]")


def guess_language(text: str) -> str | None:
    """Guess the language of ``text`` from its stop words (en, fr, es, de, pt); ``None`` if unsure.

    This is a cheap fallback for keyword extraction when the caller does not know the language;
    it is not a language detector for anything else.
    """
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    best, best_hits = None, 0
    for code in STOP_WORDS:
        stops = STOP_WORDS[code]
        hits = 0
        for word in words:
            if word in stops:
                hits += 1
            else:
                hits += sum(1 for p in word.split("'") if len(p) > 1 and p in stops)
        if hits > best_hits:
            best, best_hits = code, hits
    return best


def tokenize(text: str, language: str | None = None, *, bigrams: bool = True) -> list[str]:
    """Split ``text`` into lower-case keyword candidates without stop words.

    Parameters
    ----------
    text : str
        The statement.
    language : str, optional
        Its language; guessed from stop words when omitted.
    bigrams : bool, default=True
        Also return two-word phrases made of neighbouring kept words ("open data").

    Returns
    -------
    list of str
        Words of at least three letters (or upper-case acronyms such as "EU") that are not stop
        words, then the phrases. Elided articles are dropped ("l'adaptation" gives
        "adaptation").
    """
    code = language_code(language) or guess_language(text)
    stops = stop_words(code)
    words: list[str | None] = []
    for raw in _WORD.findall(text):
        lower = raw.lower().replace("’", "'")
        if lower in stops:
            words.append(None)
            continue
        parts = [p for p in _APOSTROPHE.split(raw) if p]
        if len(parts) > 1:
            raw = max(parts, key=len)
            lower = raw.lower()
        acronym = raw.isupper() and len(raw) >= 2
        if lower in stops or (len(lower) < 3 and not acronym):
            words.append(None)
            continue
        words.append(lower)
    tokens = [w for w in words if w is not None]
    if bigrams:
        tokens.extend(
            f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a is not None and b
        )
    return tokens


def class_tfidf_keywords(
    token_lists: Sequence[Sequence[str]],
    classes: Sequence[Hashable],
    *,
    n_keywords: int = 8,
) -> dict[Hashable, tuple[str, ...]]:
    """Return the top ``n_keywords`` terms of each class by class-based TF-IDF.

    Parameters
    ----------
    token_lists : sequence of sequence of str
        Tokens of each statement (see :func:`tokenize`).
    classes : sequence of hashable
        The class (theme) of each statement, same length as ``token_lists``.
    n_keywords : int, default=8
        Keywords per class.

    Returns
    -------
    dict
        Class to keywords, best first. Ties are broken alphabetically; a term whose words are
        all already among the chosen keywords is skipped ("open" after "open data"), and in a class
        of more than three statements, terms used once come after every repeated term.
    """
    if len(token_lists) != len(classes):
        raise ValueError("token_lists and classes must have the same length")
    class_order = list(dict.fromkeys(classes))
    if not class_order:
        return {}
    class_index = {c: i for i, c in enumerate(class_order)}
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for position, tokens in enumerate(token_lists):
        row = class_index[classes[position]]
        for token in tokens:
            rows.append(row)
            cols.append(vocabulary.setdefault(token, len(vocabulary)))
    terms = np.array(sorted(vocabulary, key=vocabulary.__getitem__), dtype=object)
    if len(terms) == 0:
        return {c: () for c in class_order}
    counts = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (rows, cols)),
        shape=(len(class_order), len(terms)),
    )
    counts.sum_duplicates()
    words_per_class = np.asarray(counts.sum(axis=1)).ravel()
    average_words = words_per_class.mean()
    term_frequency = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log1p(average_words / term_frequency)
    sizes = np.bincount([class_index[c] for c in classes], minlength=len(class_order))
    order_by_name = np.argsort(terms.astype(str), kind="stable")
    result: dict[Hashable, tuple[str, ...]] = {}
    for index, label in enumerate(class_order):
        row = counts.getrow(index)
        if row.nnz == 0:
            result[label] = ()
            continue
        tf = np.zeros(len(terms))
        tf[row.indices] = row.data
        weights = tf / max(words_per_class[index], 1.0) * idf
        if sizes[index] > 3:
            # Terms used once rank after every repeated term of a theme of four or more.
            weights[tf < 2] *= 1e-6
        # Highest weight first, alphabetical among equal weights (stable sort on name order).
        ranked = order_by_name[np.argsort(-weights[order_by_name], kind="stable")]
        chosen: list[str] = []
        covered: set[str] = set()
        for term_index in ranked:
            if weights[term_index] <= 0 or len(chosen) >= n_keywords:
                break
            term = str(terms[term_index])
            parts = set(term.split())
            if parts <= covered:
                continue
            chosen.append(term)
            covered |= parts
        result[label] = tuple(chosen)
    return result


def keyword_label(keywords: Sequence[str], *, n_words: int = 3) -> str:
    """A short label from the first keywords: ``"contracts · tenders · suppliers"``."""
    return " · ".join(keywords[:n_words])
