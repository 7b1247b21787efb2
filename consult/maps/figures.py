"""Figure geometry for the maps: down-sampled points, group outlines, heatmap cells (no Flask).

The opinion map draws at most ``max_points`` participants. Statistics never use the sample: sizes,
shares and outlines are computed on everyone. The sample is drawn per group in proportion to its
size (at least ``min_per_group`` each, so a small group stays visible) and keeps, within each
group, the points on the group's convex hull (its shape) and its farthest points from the group's
median (outliers); the rest is a seeded uniform sample, which keeps the density. The same snapshot
therefore always gives the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from markupsafe import Markup
from numpy.typing import NDArray
from scipy.spatial import ConvexHull, QhullError

# Okabe–Ito: the colour-blind-safe palette of the results page, in group order.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
UNGROUPED = "#8a93a3"
WIDTH, HEIGHT, PAD = 480.0, 360.0, 22.0
MAX_POINTS = 3000
MIN_PER_GROUP = 60
OUTLIER_SHARE = 0.05
CORE_QUANTILE = 0.9


def colour(position: int) -> str:
    """Colour of the group at ``position`` in the analysis' group order (-1: no group)."""
    return UNGROUPED if position < 0 else PALETTE[position % len(PALETTE)]


def _hull_indices(points: NDArray[np.float64]) -> NDArray[np.int64]:
    """Indices of the convex hull vertices in order ([] when degenerate)."""
    if len(points) < 3 or len(np.unique(points, axis=0)) < 3:
        return np.zeros(0, dtype=np.int64)
    try:
        return np.asarray(ConvexHull(points).vertices, dtype=np.int64)
    except QhullError:  # all on one line
        return np.zeros(0, dtype=np.int64)


def sample_points(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    group: NDArray[np.int64],
    *,
    max_points: int = MAX_POINTS,
    min_per_group: int = MIN_PER_GROUP,
    seed: int = 0,
) -> NDArray[np.int64]:
    """Rows to draw (sorted), at most about ``max_points``; everyone when there are fewer."""
    n = len(x)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    pts = np.column_stack([x, y])
    keep: list[NDArray[np.int64]] = []
    labels, inverse = np.unique(group, return_inverse=True)
    sizes = np.bincount(inverse.reshape(-1), minlength=len(labels))
    for pos in range(len(labels)):
        members = np.flatnonzero(inverse == pos)
        quota = int(min(len(members), max(min_per_group, round(max_points * sizes[pos] / n))))
        if quota >= len(members):
            keep.append(members)
            continue
        own = pts[members]
        chosen = set(members[_hull_indices(own)].tolist())
        dist = np.hypot(*(own - np.median(own, axis=0)).T)
        n_out = max(1, int(OUTLIER_SHARE * quota))
        chosen.update(members[np.argsort(-dist, kind="stable")[:n_out]].tolist())
        rest = np.setdiff1d(members, np.fromiter(chosen, dtype=np.int64), assume_unique=True)
        need = max(0, quota - len(chosen))
        if need and rest.size:
            chosen.update(rng.choice(rest, size=min(need, rest.size), replace=False).tolist())
        keep.append(np.fromiter(chosen, dtype=np.int64))
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Frame:
    """Maps data coordinates to the SVG view box with one scale for both axes (a map)."""

    x0: float
    y0: float
    scale: float
    off_x: float
    off_y: float

    @classmethod
    def fit(cls, x: NDArray, y: NDArray, width: float = WIDTH, height: float = HEIGHT) -> Frame:
        if len(x) == 0:
            return cls(0.0, 0.0, 1.0, width / 2, height / 2)
        x0, x1 = float(np.min(x)), float(np.max(x))
        y0, y1 = float(np.min(y)), float(np.max(y))
        span_x, span_y = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        scale = min((width - 2 * PAD) / span_x, (height - 2 * PAD) / span_y)
        off_x = (width - span_x * scale) / 2
        off_y = (height - span_y * scale) / 2
        return cls(x0, y1, scale, off_x, off_y)

    def px(self, x: NDArray | float) -> NDArray | float:
        return (np.asarray(x) - self.x0) * self.scale + self.off_x

    def py(self, y: NDArray | float) -> NDArray | float:
        # SVG y grows downwards; the map's y grows upwards.
        return (self.y0 - np.asarray(y)) * self.scale + self.off_y


@dataclass(frozen=True)
class GroupShape:
    """One group on the map: where its label goes and its outline path."""

    id: int
    position: int
    label: str
    size: int
    share: float
    colour: str
    cx: float
    cy: float
    outline: str  # SVG path data, "" when the group is too small or flat
    tag: str = ""  # the label drawn on the map ("A · 12,858")
    tag_x: float = 0.0  # top-left corner of the label box, placed so labels never overlap
    tag_y: float = 0.0
    tag_w: float = 0.0


@dataclass(frozen=True)
class MapFigure:
    """Everything the opinion-map SVG draws, in view-box units."""

    width: float
    height: float
    points: Markup  # pre-rendered <g> elements of <circle>s, one <g> per group
    groups: tuple[GroupShape, ...]
    n_participants: int
    n_drawn: int
    n_ungrouped: int
    # (number, statement id, x, y, drawn x, drawn y): markers are moved apart when they would
    # cover each other, with a line to where the statement really sits
    statements: tuple[tuple[int, int, float, float, float, float], ...]
    origin: tuple[float, float] | None = None  # where the average participant sits, if in view


def _circles(xs: NDArray, ys: NDArray, fill: str, opacity: float, r: float) -> str:
    body = "".join(
        f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r}"/>'
        for a, b in zip(xs.tolist(), ys.tolist(), strict=True)
    )
    return f'<g fill="{fill}" fill-opacity="{opacity}" stroke="none">{body}</g>'


def _outline(px: NDArray, py: NDArray) -> str:
    pts = np.column_stack([px, py])
    hull = _hull_indices(pts)
    if hull.size < 3:
        return ""
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{pts[j, 0]:.1f},{pts[j, 1]:.1f}" for i, j in enumerate(hull)
    )
    return path + " Z"


def opinion_map(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    group: NDArray[np.int64],
    groups: list[tuple[int, str, int]],
    *,
    statements: list[tuple[int, float, float]] | None = None,
    max_points: int = MAX_POINTS,
    seed: int = 0,
) -> MapFigure:
    """Lay out the opinion map.

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        Map positions of every participant.
    group : ndarray of int, shape (n,)
        Group id per participant, -1 when not in a group.
    groups : list of (group id, label, size)
        The analysis' groups in order (their position picks the colour).
    statements : list of (statement id, x, y), optional
        Statements to mark on the map (numbered 1… in this order).
    max_points, seed
        See :func:`sample_points`.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    group = np.asarray(group, dtype=np.int64)
    n = len(x)
    rows = sample_points(x, y, group, max_points=max_points, seed=seed)
    bx, by = x[rows], y[rows]
    if statements:
        bx = np.concatenate([bx, [s[1] for s in statements]])
        by = np.concatenate([by, [s[2] for s in statements]])
    frame = Frame.fit(bx, by)
    px_all = frame.px(x)
    py_all = frame.py(y)
    position = {gid: i for i, (gid, _, _) in enumerate(groups)}
    parts = []
    drawn_group = group[rows]
    ungrouped = drawn_group < 0
    if ungrouped.any():
        sel = rows[ungrouped]
        parts.append(_circles(px_all[sel], py_all[sel], UNGROUPED, 0.45, 1.4))
    shapes = []
    n_grouped = max(int((group >= 0).sum()), 1)
    for gid, label, size in groups:
        pos = position[gid]
        sel = rows[drawn_group == gid]
        if sel.size:
            parts.append(_circles(px_all[sel], py_all[sel], colour(pos), 0.6, 1.9))
        members = np.flatnonzero(group == gid)
        if members.size:
            mx, my = px_all[members], py_all[members]
            cx, cy = float(mx.mean()), float(my.mean())
            dist = np.hypot(mx - np.median(mx), my - np.median(my))
            core = dist <= np.quantile(dist, CORE_QUANTILE)
            outline = _outline(mx[core], my[core])
        else:
            cx, cy, outline = WIDTH / 2, HEIGHT / 2, ""
        shapes.append(
            GroupShape(
                id=gid,
                position=pos,
                label=label,
                size=size,
                share=size / n_grouped,
                colour=colour(pos),
                cx=min(max(cx, 60.0), WIDTH - 60.0),
                cy=min(max(cy, 20.0), HEIGHT - 20.0),
                outline=outline,
            )
        )
    shapes = _place_tags(shapes)
    marks = _spread_marks(
        [
            (i + 1, sid, float(frame.px(sx)), float(frame.py(sy)))
            for i, (sid, sx, sy) in enumerate(statements or [])
        ]
    )
    ox, oy = float(frame.px(0.0)), float(frame.py(0.0))
    origin = (ox, oy) if 0 <= ox <= WIDTH and 0 <= oy <= HEIGHT else None
    return MapFigure(
        width=WIDTH,
        height=HEIGHT,
        points=Markup("".join(parts)),
        groups=tuple(shapes),
        n_participants=n,
        n_drawn=int(rows.size),
        n_ungrouped=int((group < 0).sum()),
        statements=marks,
        origin=origin,
    )


MARK_GAP = 26.0


def _spread_marks(
    marks: list[tuple[int, int, float, float]],
) -> tuple[tuple[int, int, float, float, float, float], ...]:
    """Move statement markers that would overlap onto rings around their true position."""
    placed: list[tuple[float, float]] = []
    out = []
    for number, sid, x, y in marks:
        candidates = [(x, y)] + [
            (x + r * np.cos(a), y + r * np.sin(a))
            for r in (MARK_GAP, 2 * MARK_GAP, 3 * MARK_GAP)
            for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)
        ]
        dx, dy = x, y
        for cx, cy in candidates:
            cx = min(max(cx, 10.0), WIDTH - 10.0)
            cy = min(max(cy, 10.0), HEIGHT - 10.0)
            if all(np.hypot(cx - px, cy - py) >= MARK_GAP for px, py in placed):
                dx, dy = cx, cy
                break
        placed.append((dx, dy))
        out.append((number, sid, x, y, float(dx), float(dy)))
    return tuple(out)


TAG_H = 26.0
TAG_CHAR_W = 8.6
TAG_PAD = 16.0


def _place_tags(shapes: list[GroupShape]) -> list[GroupShape]:
    """Put each group's label at its centre, moved up or down (largest group first) until it
    overlaps no label placed before it."""
    from dataclasses import replace

    placed: list[tuple[float, float, float, float]] = []
    out: dict[int, GroupShape] = {}
    for g in sorted(shapes, key=lambda g: -g.size):
        tag = f"{g.label} · {g.size:,}"
        w = len(tag) * TAG_CHAR_W + TAG_PAD
        x = min(max(g.cx - w / 2, 2.0), WIDTH - w - 2.0)
        y0 = g.cy - TAG_H / 2
        y = y0
        for step in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5):
            y = min(max(y0 + step * (TAG_H + 4), 2.0), HEIGHT - TAG_H - 2.0)
            if not any(
                x < px + pw + 4 and px < x + w + 4 and y < py + TAG_H + 4 and py < y + TAG_H + 4
                for px, py, pw, _ in placed
            ):
                break
        placed.append((x, y, w, TAG_H))
        out[g.id] = replace(g, tag=tag, tag_x=x, tag_y=y, tag_w=w)
    return [out[g.id] for g in shapes]


# --- heatmap ----------------------------------------------------------------------------------

# A sequential colour-blind-safe ramp (light to dark blue), for agree shares 0 … 1.
RAMP = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594")


def ramp_colour(share: float | None) -> tuple[str, str]:
    """(fill, text colour) for an agree share; grey for no data. Text stays readable (AA)."""
    if share is None:
        return "#eef0f3", "#1d2330"
    i = min(int(share * len(RAMP)), len(RAMP) - 1)
    return RAMP[i], ("#ffffff" if i >= 5 else "#1d2330")
