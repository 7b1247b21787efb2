"""Consensus-map pages for the Steering Committee and the Support Unit: read-only, GET only."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import format_decimal

from consult.accounts.models import Role
from consult.accounts.roles import role_required
from consult.maps import services
from consult.maps.rendering import heatmap_svg, map_svg, svg_to_png

bp = Blueprint("maps", __name__)
READERS = (Role.STEERING, Role.SUPPORT)
PHASE = "/c/<slug>/phase/<int:position>"


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _extras(pm: services.PhaseMaps):
    """(extras or None, state text) for the snapshot a page shows."""
    if pm.snapshot is None:
        return None, "no analysis"
    extras = services.extras_for(pm.snapshot)
    return extras, "ready" if extras is not None else services.extras_state(pm.snapshot)


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/maps")
@role_required(*READERS)
def index():
    return render_template("maps/index.html", entries=services.index_entries())


@bp.get(PHASE + "/map")
@role_required(*READERS)
def opinion_map(slug: str, position: int):
    pm = services.phase_maps(slug, position)
    context = {"pm": pm, "tab": "map"}
    if pm.snapshot is None:
        return render_template("maps/map.html", **context)
    overlay = request.args.get("statements") == "1"
    groups = services.group_rows(pm)
    selected = request.args.get("group", type=int)
    detail = next((g for g in groups if g.id == selected), None)
    overlay_texts = {}
    if overlay:
        ids = services.overlay_statements(pm)
        overlay_texts = services.statement_texts(pm.phase.id, ids)
    figure = services.map_figure(pm, overlay=overlay)
    return render_template(
        "maps/map.html",
        **context,
        figure=figure,
        groups=groups,
        detail=detail,
        overlay=overlay,
        overlay_texts=overlay_texts,
        svg=map_svg(pm, figure, interactive=True, overlay_texts=overlay_texts),
    )


@bp.get(PHASE + "/map/group/<int:group_id>")
@role_required(*READERS)
def group_detail(slug: str, position: int, group_id: int):
    pm = services.phase_maps(slug, position)
    if pm.snapshot is None:
        return render_template("maps/_no_snapshot.html", pm=pm), 404
    row = services.group_row(pm, group_id)
    if _is_htmx():
        response = Response(render_template("maps/_group_detail.html", g=row, pm=pm))
    else:
        response = Response(
            status=303,
            headers={
                "Location": url_for(
                    "maps.opinion_map", slug=slug, position=position, group=group_id
                )
                + "#group-detail"
            },
        )
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get(PHASE + "/map.svg")
@role_required(*READERS)
def map_download_svg(slug: str, position: int):
    pm = services.phase_maps(slug, position)
    if pm.snapshot is None:
        return render_template("maps/_no_snapshot.html", pm=pm), 404
    svg = map_svg(pm, services.map_figure(pm), interactive=False)
    return _download(
        svg, "image/svg+xml", f"opinion-map-{slug}-phase{position}-snapshot{pm.snapshot.id}.svg"
    )


@bp.get(PHASE + "/map.png")
@role_required(*READERS)
def map_download_png(slug: str, position: int):
    pm = services.phase_maps(slug, position)
    if pm.snapshot is None:
        return render_template("maps/_no_snapshot.html", pm=pm), 404
    svg = map_svg(pm, services.map_figure(pm), interactive=False)
    return _download(
        svg_to_png(svg),
        "image/png",
        f"opinion-map-{slug}-phase{position}-snapshot{pm.snapshot.id}.png",
    )


@bp.get(PHASE + "/common-ground")
@role_required(*READERS)
def common_ground(slug: str, position: int):
    pm = services.phase_maps(slug, position)
    context = {"pm": pm, "tab": "common"}
    if pm.snapshot is None:
        return render_template("maps/common_ground.html", **context)
    extras, state = _extras(pm)
    show_all = request.args.get("all") == "1"
    view = services.common_ground(
        pm, extras.robustness if extras else None, limit=None if show_all else services.LIST_LIMIT
    )
    return render_template(
        "maps/common_ground.html", **context, view=view, extras=extras, state=state
    )


@bp.get(PHASE + "/bridging")
@role_required(*READERS)
def bridging(slug: str, position: int):
    pm = services.phase_maps(slug, position)
    context = {"pm": pm, "tab": "bridging"}
    if pm.snapshot is None:
        return render_template("maps/bridging.html", **context)
    extras, state = _extras(pm)
    view = services.bridging_view(pm, extras) if extras else None
    return render_template("maps/bridging.html", **context, view=view, extras=extras, state=state)


@bp.get(PHASE + "/robustness")
@role_required(*READERS)
def robustness(slug: str, position: int):
    pm = services.phase_maps(slug, position)
    context = {"pm": pm, "tab": "robustness"}
    if pm.snapshot is None:
        return render_template("maps/robustness.html", **context)
    extras, state = _extras(pm)
    view = services.robustness_view(pm, extras) if extras else None
    return render_template("maps/robustness.html", **context, view=view, extras=extras, state=state)


@bp.get(PHASE + "/extras-status")
@role_required(*READERS)
def extras_status(slug: str, position: int):
    """Polled by pages waiting for bridging / robustness: refreshes the page once ready."""
    pm = services.phase_maps(slug, position)
    extras, state = _extras(pm)
    response = Response(render_template("maps/_extras_state.html", pm=pm, state=state))
    if extras is not None:
        response.headers["HX-Refresh"] = "true"
    return response


@bp.get(PHASE + "/heatmap")
@role_required(*READERS)
def heatmap(slug: str, position: int):
    pm = services.phase_maps(slug, position)
    context = {"pm": pm, "tab": "heatmap"}
    if pm.snapshot is None:
        return render_template("maps/heatmap.html", **context)
    view = services.heatmap(pm)
    svg = svg_narrow = None
    if view is not None and view.rows:
        svg = heatmap_svg(view, interactive=True)
        svg_narrow = heatmap_svg(view, interactive=True, narrow=True)
    return render_template(
        "maps/heatmap.html", **context, view=view, svg=svg, svg_narrow=svg_narrow
    )


def _heatmap_or_404(slug: str, position: int):
    pm = services.phase_maps(slug, position)
    view = services.heatmap(pm) if pm.snapshot is not None else None
    if view is None or not view.rows:
        return pm, None
    return pm, view


@bp.get(PHASE + "/heatmap.svg")
@role_required(*READERS)
def heatmap_download_svg(slug: str, position: int):
    pm, view = _heatmap_or_404(slug, position)
    if view is None:
        return render_template("maps/_no_snapshot.html", pm=pm, what="heatmap"), 404
    return _download(
        heatmap_svg(view, interactive=False),
        "image/svg+xml",
        f"theme-heatmap-{slug}-phase{position}-snapshot{view.source.snapshot_id}.svg",
    )


@bp.get(PHASE + "/heatmap.png")
@role_required(*READERS)
def heatmap_download_png(slug: str, position: int):
    pm, view = _heatmap_or_404(slug, position)
    if view is None:
        return render_template("maps/_no_snapshot.html", pm=pm, what="heatmap"), 404
    return _download(
        svg_to_png(heatmap_svg(view, interactive=False)),
        "image/png",
        f"theme-heatmap-{slug}-phase{position}-snapshot{view.source.snapshot_id}.png",
    )


@bp.get("/c/<slug>/phases/compare")
@role_required(*READERS)
def compare(slug: str):
    comparison = services.phase_comparison(
        slug, request.args.get("before", type=int), request.args.get("after", type=int)
    )
    return render_template("maps/compare.html", c=comparison)


@bp.app_template_filter("pct")
def pct_filter(value: float | None) -> str:
    """0.734 → '73 %' (— for no value)."""
    return "—" if value is None else f"{round(value * 100):d} %"


@bp.app_template_filter("thousands")
def thousands_filter(value: int) -> str:
    """12858 → '12,858' ('12 858' in French, '12.858' in Spanish)."""
    return format_decimal(int(value), "#,##0")
