"""SVG of the opinion map and the theme heatmap (one template each, inline or download) and PNG.

The same SVG is drawn inline in the page (with htmx attributes on the group outlines) and offered
as a download (standalone, with the source caption inside the picture). PNG is the download SVG
rasterised on the server by CairoSVG, at twice the view-box size.
"""

from __future__ import annotations

from flask import render_template, url_for

from consult.maps import figures
from consult.maps.services import Heatmap, PhaseMaps

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
PNG_SCALE = 2
CAPTION_HEIGHT = 44.0

# Heatmap geometry (view-box units).
HM_LABEL_W = 250.0
HM_CELL_W = 92.0
HM_ROW_H = 40.0
HM_HEAD_H = 58.0
HM_LEGEND_H = 54.0
HM_LABEL_CHARS = 34
HM_NARROW_LABEL_H = 22.0


def map_svg(
    pm: PhaseMaps,
    figure: figures.MapFigure,
    *,
    interactive: bool,
    overlay_texts: dict[int, str] | None = None,
) -> str:
    """The opinion map as SVG markup (inline in the page when ``interactive``, else a file)."""
    assert pm.snapshot is not None
    source = pm.source
    group_url = None
    if interactive:
        group_url = url_for(
            "maps.group_detail",
            slug=pm.consultation.slug,
            position=pm.phase.position,
            group_id=0,
        )[: -len("/0")]
    height = figure.height + (0.0 if interactive else CAPTION_HEIGHT)
    return render_template(
        "maps/_map.svg",
        figure=figure,
        pm=pm,
        source=source,
        interactive=interactive,
        group_url=group_url,
        height=height,
        font=FONT,
        scale=PNG_SCALE,
        overlay_texts=overlay_texts or {},
    )


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def heatmap_svg(view: Heatmap, *, interactive: bool, narrow: bool = False) -> str:
    """The theme × group heatmap as SVG markup; ``narrow`` puts each theme's label above its
    cells (for phones) instead of beside them."""
    n_cols = len(view.groups) + 1
    label_w = 0.0 if narrow else HM_LABEL_W
    label_h = HM_NARROW_LABEL_H if narrow else 0.0
    width = label_w + n_cols * HM_CELL_W + 12.0
    body_h = HM_HEAD_H + len(view.rows) * (HM_ROW_H + label_h)
    height = body_h + HM_LEGEND_H + (0.0 if interactive else CAPTION_HEIGHT)
    return render_template(
        "maps/_heatmap.svg",
        view=view,
        interactive=interactive,
        narrow=narrow,
        width=width,
        height=height,
        body_h=body_h,
        label_w=label_w,
        label_h=label_h,
        cell_w=HM_CELL_W,
        row_h=HM_ROW_H,
        head_h=HM_HEAD_H,
        ramp=figures.RAMP,
        truncate=_truncate,
        label_chars=48 if narrow else HM_LABEL_CHARS,
        font=FONT,
        scale=PNG_SCALE,
    )


def svg_to_png(svg: str) -> bytes:
    """Rasterise a standalone SVG (CairoSVG, needs the system's libcairo)."""
    import cairosvg

    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=PNG_SCALE)
