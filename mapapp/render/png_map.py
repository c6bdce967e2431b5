"""A presentation-ready static map (PNG) with matplotlib: no browser needed.

1920×1080 (16:9): title, subtitle with the filters, the map with a scale bar
and a north arrow, a legend with units, source and attribution, and the demo
label when the data is the demo's.
"""

from __future__ import annotations

import io
import math
import textwrap

import numpy as np

from mapapp.analysis.layer import MapLayer, context_departments, title
from mapapp.analysis.symbology import (
    COLORS,
    MAX_RADIUS_PT,
    LegendRow,
    circle_radii,
    label_places,
    legend_rows,
    shows_localities,
)
from mapapp.boundaries import geodata
from mapapp.model.provenance import Credits

SIZE_IN, DPI = (16, 9), 120  # 1920 × 1080 pixels
MAP_BOX = (0.03, 0.1, 0.6, 0.74)  # left, bottom, width, height (figure fraction)
CIRCLE_ALPHA = 0.6  # the web map's circles are a little lighter (web_map)
KM_PER_DEGREE = 111.32


def render_png(layer: MapLayer) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    credits = layer.data.credits(layer.view.lang)
    fig = plt.figure(figsize=SIZE_IN, dpi=DPI)
    try:
        ax = fig.add_axes(MAP_BOX)
        _draw_map(ax, layer)
        _scale_bar(ax)
        _north_arrow(ax)
        fig.text(0.03, 0.94, layer.title, fontsize=30, fontweight="bold", va="top")
        fig.text(0.03, 0.875, f"{layer.subtitle} · {layer.unit}", fontsize=15,
                 color=COLORS.muted, va="top")
        _legend(fig, layer)
        _source(fig, credits)
        if credits.demo_label:
            fig.text(0.97, 0.94, credits.demo_label, ha="right", va="top", fontsize=15,
                     fontweight="bold", color=COLORS.notice_text,
                     bbox={"boxstyle": "round,pad=0.5", "fc": COLORS.notice,
                           "ec": COLORS.notice_edge})
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": "mapapp"})
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _draw_map(ax, layer: MapLayer) -> None:
    view = layer.view
    places = layer.places
    minx, miny, maxx, maxy = places.total_bounds
    lat0 = (miny + maxy) / 2
    ax.set_aspect(1 / math.cos(math.radians(lat0)))
    _fit(ax, (minx, miny, maxx, maxy), lat0)
    ax.set_facecolor(COLORS.sea)
    ax.set_xticks([])
    ax.set_yticks([])
    countries = geodata.load_context("print")
    countries[countries["name"] != "Peru"].plot(ax=ax, color=COLORS.countries,
                                                 edgecolor=COLORS.outline, linewidth=0.8)
    rest = context_departments(view)
    if len(rest):
        rest.plot(ax=ax, color=COLORS.rest, edgecolor=COLORS.rest_edge, linewidth=0.6)
    no_data = places[places["shown"].isna()]
    if len(no_data):
        no_data.plot(ax=ax, color=COLORS.print_no_data, edgecolor=COLORS.print_no_data_edge,
                     linewidth=0.4, hatch="///")
    with_data = places[places["shown"].notna()]
    if view.is_choropleth:
        colors = [layer.classes.color_of(v) for v in with_data["shown"]]
        with_data.plot(ax=ax, color=colors, edgecolor=COLORS.outline, linewidth=0.4)
    else:
        with_data.plot(ax=ax, color=COLORS.base_fill, edgecolor=COLORS.base_edge, linewidth=0.5)
        _circles(ax, layer, with_data)
    if shows_localities(layer):
        localities = layer.localities
        ax.scatter(localities["lon"], localities["lat"], s=22, color=COLORS.locality,
                   edgecolor=COLORS.outline, linewidth=0.8, zorder=5)
    _labels(ax, layer)
    ax.set_xlabel("")  # geopandas labels the axes in degrees: not for a slide
    ax.set_ylabel("")


def _fit(ax, bounds: tuple[float, float, float, float], lat0: float) -> None:
    """Extent around the places, widened to the axes' shape so nothing is cut."""
    minx, miny, maxx, maxy = bounds
    pad_x, pad_y = (maxx - minx) * 0.06 + 0.05, (maxy - miny) * 0.06 + 0.05
    minx, maxx, miny, maxy = minx - pad_x, maxx + pad_x, miny - pad_y, maxy + pad_y
    box_ratio = (MAP_BOX[2] * SIZE_IN[0]) / (MAP_BOX[3] * SIZE_IN[1])
    width = (maxx - minx) * math.cos(math.radians(lat0))
    height = maxy - miny
    if width / height < box_ratio:
        extra = (height * box_ratio / math.cos(math.radians(lat0)) - (maxx - minx)) / 2
        minx, maxx = minx - extra, maxx + extra
    else:
        extra = (width / box_ratio - height) / 2
        miny, maxy = miny - extra, maxy + extra
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)


def _circles(ax, layer: MapLayer, places) -> None:
    points = places.geometry.representative_point()
    radius = np.array(circle_radii(places["shown"], MAX_RADIUS_PT[layer.view.level]))
    ax.scatter(points.x, points.y, s=(2 * radius) ** 2, color=COLORS.circle, alpha=CIRCLE_ALPHA,
               edgecolor=COLORS.circle_edge, linewidth=0.8, zorder=4)


def _labels(ax, layer: MapLayer) -> None:
    shown = label_places(layer)
    for name, point in zip(shown["name"], shown.geometry.representative_point(), strict=True):
        ax.annotate(str(name), (point.x, point.y), ha="center", va="center", fontsize=9,
                    fontweight="bold", color=COLORS.ink, zorder=6,
                    path_effects=_halo())


def _halo():
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.5, foreground=COLORS.outline)]


def _scale_bar(ax) -> None:
    minx, maxx = ax.get_xlim()
    miny, maxy = ax.get_ylim()
    lat = miny + (maxy - miny) * 0.06
    km_per_degree = KM_PER_DEGREE * math.cos(math.radians(lat))
    target_km = (maxx - minx) * km_per_degree / 5
    nice = _nice_length(target_km)
    length = nice / km_per_degree
    x0 = minx + (maxx - minx) * 0.04
    ax.plot([x0, x0 + length], [lat, lat], color=COLORS.ink, linewidth=3,
            solid_capstyle="butt", zorder=7)
    ax.text(x0 + length / 2, lat + (maxy - miny) * 0.012, f"{nice:g} km", ha="center",
            va="bottom", fontsize=11, zorder=7, path_effects=_halo())


def _nice_length(km: float) -> float:
    magnitude = 10 ** math.floor(math.log10(km))
    return max(m * magnitude for m in (1, 2, 5) if m * magnitude <= km)


def _north_arrow(ax) -> None:
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.85), xycoords="axes fraction",
                ha="center", va="center", fontsize=16, fontweight="bold", zorder=7,
                arrowprops={"facecolor": COLORS.ink, "width": 5, "headwidth": 14})


def _legend(fig, layer: MapLayer) -> None:
    """Title with unit, then the symbology's rows (localities only when drawn)."""
    view = layer.view
    x, y = 0.67, 0.78
    fig.text(x, y, f"{title(view)}\n({layer.unit})", fontsize=15, fontweight="bold", va="top",
             wrap=True)
    y -= 0.1
    ax = fig.add_axes((x, 0.2, 0.3, y - 0.2))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    rows = legend_rows(layer, MAX_RADIUS_PT[view.level], with_localities=shows_localities(layer))
    height_pt = (y - 0.2) * SIZE_IN[1] * 72
    top = 1.0
    for row in rows:
        row_pt = max(30.0, 2 * (row.radius or 0) + 10)
        middle = top - row_pt / 2 / height_pt
        _legend_symbol(ax, 0.1, middle, row)
        ax.text(0.25, middle, row.text, va="center", fontsize=13)
        top -= row_pt / height_pt


def _legend_symbol(ax, x: float, y: float, row: LegendRow) -> None:
    from matplotlib.patches import Rectangle

    if row.kind == "box":
        ax.add_patch(Rectangle((x - 0.05, y - 0.025), 0.1, 0.05, color=row.color,
                               ec=COLORS.swatch_edge))
    elif row.kind == "nodata":
        ax.add_patch(Rectangle((x - 0.05, y - 0.025), 0.1, 0.05, fc=COLORS.print_no_data,
                               ec=COLORS.print_no_data_edge, hatch="///"))
    elif row.kind == "circle":
        ax.scatter([x], [y], s=(2 * row.radius) ** 2, color=row.color, alpha=CIRCLE_ALPHA,
                   edgecolor=COLORS.circle_edge, clip_on=False)
    else:
        ax.scatter([x], [y], s=40, color=row.color, edgecolor=COLORS.outline, clip_on=False)


def _source(fig, credits: Credits) -> None:
    text = "\n".join(textwrap.fill(line, 150) for line in credits.lines)
    fig.text(0.03, 0.02, text, fontsize=10.5, color=COLORS.muted, va="bottom")
