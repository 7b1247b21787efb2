"""Curation without re-clustering: fold the edit log into constraints and apply them to a result.

Both functions are pure (no database, no model). The theme pages use :func:`apply_constraints` to
show an edit at once; the background refresh then recomputes the themes with the same
constraints, so the page and the next stored run agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clustering.themes import (
    OTHER_ID,
    OTHER_LABEL,
    StatementId,
    Theme,
    ThemeConstraints,
    ThemeResult,
)

#: The payload each kind of curation row carries (see ``fold_curations``).
PAYLOAD_KEYS = {
    "rename": ("theme_id", "label"),
    "merge": ("theme_ids",),
    "split": ("theme_id", "parts"),
    "move": ("statement_id", "theme_id"),
}


def fold_curations(edits: Iterable[tuple[str, Mapping[str, Any]]]) -> ThemeConstraints:
    """The constraints that a sequence of ``(kind, payload)`` edits adds up to, in order.

    Payloads: ``rename {"theme_id", "label"}``, ``merge {"theme_ids": [survivor, absorbed...]}``,
    ``split {"theme_id", "parts": {part_id: [statement ids]}}``, ``move {"statement_id",
    "theme_id"}``. An edit of an unknown kind is an error (the log is written by this package).
    """
    constraints = ThemeConstraints()
    for kind, payload in edits:
        kind = str(kind)
        if kind == "rename":
            constraints = constraints.with_label(str(payload["theme_id"]), str(payload["label"]))
        elif kind == "merge":
            constraints = constraints.with_merge([str(t) for t in payload["theme_ids"]])
        elif kind == "split":
            parts = {str(k): list(v) for k, v in dict(payload["parts"]).items()}
            constraints = constraints.with_split(str(payload["theme_id"]), parts)
        elif kind == "move":
            constraints = constraints.with_move(payload["statement_id"], str(payload["theme_id"]))
        else:
            raise ValueError(f"unknown curation kind {kind!r}")
    return constraints


def apply_constraints(result: ThemeResult, constraints: ThemeConstraints) -> ThemeResult:
    """``result`` as it reads once ``constraints`` hold, without clustering anything again.

    Merged themes are joined under the surviving id, split parts and moved statements go to
    their theme, curator labels replace labels. Members keep their order; a theme that loses all
    its statements disappears ("other" always stays). Keywords, centroids and central statements
    are kept where the theme keeps them (a merged theme lists the survivor's keywords first); a
    part made by a split has no keywords until the next run computes them and is labelled after
    the theme it came from. Applying the constraints a run was computed with changes nothing
    but the order of themes with equal size.
    """
    if constraints.is_empty():
        return result
    pins = constraints.pinned()
    by_id = {t.id: t for t in result.themes}
    members: dict[str, list[StatementId]] = {}
    sources: dict[str, list[str]] = {}
    for theme in result.themes:
        target = constraints.resolve(theme.id) if not theme.is_other else OTHER_ID
        sources.setdefault(target, []).append(theme.id)
        bucket = members.setdefault(target, [])
        for sid in theme.statement_ids:
            if sid not in pins:
                bucket.append(sid)
    known = {sid for t in result.themes for sid in t.statement_ids}
    order = {sid: i for i, sid in enumerate(sid for t in result.themes for sid in t.statement_ids)}
    for sid, theme_id in pins.items():
        if sid in known:
            members.setdefault(theme_id, []).append(sid)
    split_of = {
        constraints.resolve(part): split.theme_id
        for split in constraints.splits
        for part in split.parts
    }
    themes: list[Theme] = []
    for theme_id, sids in members.items():
        sids.sort(key=order.__getitem__)
        if not sids and theme_id != OTHER_ID:
            continue
        origin = [by_id[s] for s in sources.get(theme_id, []) if s in by_id]
        if theme_id in by_id:  # the survivor's own data first
            origin.sort(key=lambda t: t.id != theme_id)
        keywords = tuple(dict.fromkeys(k for t in origin for k in t.keywords))
        base = origin[0] if origin else None
        label, label_source = _label(theme_id, base, constraints, split_of, by_id)
        central = base.central_statement_id if base else None
        if central not in sids:
            central = next((c for t in origin if (c := t.central_statement_id) in sids), None)
            central = central if central is not None else (sids[0] if sids else None)
        themes.append(
            Theme(
                id=theme_id,
                label=label,
                keywords=keywords if origin else (),
                statement_ids=tuple(sids),
                central_statement_id=central,
                centroid=base.centroid if base and base.id == theme_id else (),
                label_source=label_source,
            )
        )
    if not any(t.is_other for t in themes):
        themes.append(Theme(OTHER_ID, OTHER_LABEL, (), (), None))
    themes.sort(key=lambda t: (t.is_other, -t.size, _number(t.id)))
    used = [n for n in (_number_or_none(t) for t in constraints.used_ids()) if n is not None]
    return ThemeResult(
        themes=tuple(themes),
        events=(),
        model=result.model,
        params=dict(result.params),
        next_id=max([result.next_id, *(n + 1 for n in used)]),
        timings={},
    )


def _label(
    theme_id: str,
    base: Theme | None,
    constraints: ThemeConstraints,
    split_of: Mapping[str, str],
    by_id: Mapping[str, Theme],
) -> tuple[str, str]:
    if theme_id == OTHER_ID:
        return OTHER_LABEL, "keywords"
    if theme_id in constraints.labels:
        return constraints.labels[theme_id], "curator"
    if base is not None and base.id == theme_id:
        return base.label, base.label_source
    parent = by_id.get(split_of.get(theme_id, ""))
    if parent is not None:
        name = constraints.labels.get(constraints.resolve(parent.id), parent.label)
        return f"Part of “{name}”", "keywords"
    if base is not None:
        return base.label, base.label_source
    return "New theme", "keywords"


def _number_or_none(theme_id: str) -> int | None:
    return int(theme_id[1:]) if theme_id[:1] == "t" and theme_id[1:].isdigit() else None


def _number(theme_id: str) -> int:
    value = _number_or_none(theme_id)
    return value if value is not None else 10**9
