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
import pandas as pd

from mapapp.analysis.layer import MapLayer, context_departments, subtitle, title
from mapapp.boundaries import geodata
from mapapp.model import catalog
from mapapp.model.i18n import t
from mapapp.render.web_map import CIRCLE_COLOR, circle_radius, format_bound, round_nicely

SIZE_IN, DPI = (16, 9), 120  # 1920 × 1080 pixels
MAP_BOX = (0.03, 0.1, 0.6, 0.74)  # left, bottom, width, height (figure fraction)
MAX_RADIUS_PT = {"department": 34, "province": 22, "district": 13}
LOCALITY_COLOR = "#d95f0e"
KM_PER_DEGREE = 111.32


def render_png(layer: MapLayer, localities: pd.DataFrame | None = None, *, demo: bool,
               years_in_data: tuple[int, int] | None = None) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    view = layer.view
    fig = plt.figure(figsize=SIZE_IN, dpi=DPI)
    try:
        ax = fig.add_axes(MAP_BOX)
        _draw_map(ax, layer, localities)
        _scale_bar(ax)
        _north_arrow(ax)
        fig.text(0.03, 0.94, title(view), fontsize=30, fontweight="bold", va="top")
        fig.text(0.03, 0.875, f"{subtitle(view, years_in_data)} · {layer.unit}", fontsize=15,
                 color="#444", va="top")
        _legend(fig, layer, localities)
        _source(fig, view.lang, demo)
        if demo:
            from mapapp.builders.demo import DEMO_LABEL

            fig.text(0.97, 0.94, DEMO_LABEL[view.lang], ha="right", va="top", fontsize=15,
                     fontweight="bold", color="#664d03",
                     bbox={"boxstyle": "round,pad=0.5", "fc": "#fff3cd", "ec": "#e0c36a"})
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": "mapapp"})
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _draw_map(ax, layer: MapLayer, localities: pd.DataFrame | None) -> None:
    view = layer.view
    places = layer.places
    minx, miny, maxx, maxy = places.total_bounds
    lat0 = (miny + maxy) / 2
    ax.set_aspect(1 / math.cos(math.radians(lat0)))
    _fit(ax, (minx, miny, maxx, maxy), lat0)
    ax.set_facecolor("#eef3f7")
    ax.set_xticks([])
    ax.set_yticks([])
    countries = geodata.load_context("print")
    countries[countries["name"] != "Peru"].plot(ax=ax, color="#e4e4e4", edgecolor="white",
                                                 linewidth=0.8)
    rest = context_departments(view)
    if len(rest):
        rest.plot(ax=ax, color="#f4f4f4", edgecolor="#bdbdbd", linewidth=0.6)
    no_data = places[places["shown"].isna()]
    if len(no_data):
        no_data.plot(ax=ax, color="#f0f0f0", edgecolor="#9a9a9a", linewidth=0.4, hatch="///")
    with_data = places[places["shown"].notna()]
    if view.is_choropleth:
        colors = [layer.classes.color_of(v) for v in with_data["shown"]]
        with_data.plot(ax=ax, color=colors, edgecolor="white", linewidth=0.4)
    else:
        with_data.plot(ax=ax, color="#f7fbff", edgecolor="#8c8c8c", linewidth=0.5)
        _circles(ax, layer, with_data)
    if view.localities and localities is not None and len(localities):
        ax.scatter(localities["lon"], localities["lat"], s=22, color=LOCALITY_COLOR,
                   edgecolor="white", linewidth=0.8, zorder=5)
    if view.labels:
        _labels(ax, places, view.level)
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
    largest = float(places["shown"].max())
    points = places.geometry.representative_point()
    radius = np.array([circle_radius(v, largest, MAX_RADIUS_PT[layer.view.level])
                       for v in places["shown"]])
    ax.scatter(points.x, points.y, s=(2 * radius) ** 2, color=CIRCLE_COLOR, alpha=0.6,
               edgecolor="#1d5a85", linewidth=0.8, zorder=4)


def _labels(ax, places, level: str) -> None:
    from mapapp.render.web_map import MAX_LABELS

    shown = places
    if len(places) > MAX_LABELS[level]:
        shown = places[places["shown"].notna()].nlargest(MAX_LABELS[level], "shown")
    for name, point in zip(shown["name"], shown.geometry.representative_point(), strict=True):
        ax.annotate(str(name), (point.x, point.y), ha="center", va="center", fontsize=9,
                    fontweight="bold", color="#222", zorder=6,
                    path_effects=_halo())


def _halo():
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.5, foreground="white")]


def _scale_bar(ax) -> None:
    minx, maxx = ax.get_xlim()
    miny, maxy = ax.get_ylim()
    lat = miny + (maxy - miny) * 0.06
    km_per_degree = KM_PER_DEGREE * math.cos(math.radians(lat))
    target_km = (maxx - minx) * km_per_degree / 5
    nice = _nice_length(target_km)
    length = nice / km_per_degree
    x0 = minx + (maxx - minx) * 0.04
    ax.plot([x0, x0 + length], [lat, lat], color="#222", linewidth=3, solid_capstyle="butt",
            zorder=7)
    ax.text(x0 + length / 2, lat + (maxy - miny) * 0.012, f"{nice:g} km", ha="center",
            va="bottom", fontsize=11, zorder=7, path_effects=_halo())


def _nice_length(km: float) -> float:
    magnitude = 10 ** math.floor(math.log10(km))
    return max(m * magnitude for m in (1, 2, 5) if m * magnitude <= km)


def _north_arrow(ax) -> None:
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.85), xycoords="axes fraction",
                ha="center", va="center", fontsize=16, fontweight="bold", zorder=7,
                arrowprops={"facecolor": "#222", "width": 5, "headwidth": 14})


def _legend(fig, layer: MapLayer, localities: pd.DataFrame | None) -> None:
    view, lang = layer.view, layer.view.lang
    x, y = 0.67, 0.78
    fig.text(x, y, f"{title(view)}\n({layer.unit})", fontsize=15, fontweight="bold", va="top",
             wrap=True)
    y -= 0.1
    ax = fig.add_axes((x, 0.2, 0.3, y - 0.2))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    rows: list[tuple[str, dict]] = []
    if view.is_choropleth:
        bounds = layer.classes.bounds
        for i, color in enumerate(layer.classes.colors):
            low, high = (format_bound(b, layer.unit, lang) for b in bounds[i:i + 2])
            rows.append((f"{low} – {high}", {"kind": "box", "color": color}))
    elif layer.has_data:
        largest = float(layer.places["shown"].max())
        for fraction in (1.0, 0.25, 0.05):
            value = round_nicely(largest * fraction)
            radius = circle_radius(value, largest, MAX_RADIUS_PT[view.level])
            rows.append((format_bound(value, layer.unit, lang), {"kind": "circle",
                                                                  "radius": radius}))
    rows.append((t("no_data", lang), {"kind": "nodata"}))
    if view.localities and localities is not None and len(localities):
        rows.append((t("connected_localities", lang), {"kind": "point"}))
    height_pt = (y - 0.2) * SIZE_IN[1] * 72
    top = 1.0
    for text, symbol in rows:
        row_pt = max(30.0, 2 * symbol.get("radius", 0) + 10)
        middle = top - row_pt / 2 / height_pt
        _legend_symbol(ax, 0.1, middle, symbol)
        ax.text(0.25, middle, text, va="center", fontsize=13)
        top -= row_pt / height_pt


def _legend_symbol(ax, x: float, y: float, symbol: dict) -> None:
    from matplotlib.patches import Rectangle

    if symbol["kind"] == "box":
        ax.add_patch(Rectangle((x - 0.05, y - 0.025), 0.1, 0.05, color=symbol["color"],
                               ec="#999"))
    elif symbol["kind"] == "nodata":
        ax.add_patch(Rectangle((x - 0.05, y - 0.025), 0.1, 0.05, fc="#f0f0f0", ec="#9a9a9a",
                               hatch="///"))
    elif symbol["kind"] == "circle":
        ax.scatter([x], [y], s=(2 * symbol["radius"]) ** 2, color=CIRCLE_COLOR, alpha=0.6,
                   edgecolor="#1d5a85", clip_on=False)
    else:
        ax.scatter([x], [y], s=40, color=LOCALITY_COLOR, edgecolor="white", clip_on=False)


def _source(fig, lang: catalog.Lang, demo: bool) -> None:
    data = catalog.SOURCE_DOCUMENT[lang]
    if demo:
        from mapapp.builders.demo import DEMO_LABEL

        data += f" · {DEMO_LABEL[lang]}"
    lines = [f"{t('data', lang)}: {data}", geodata.ATTRIBUTION[lang]]
    text = "\n".join(textwrap.fill(line, 150) for line in lines)
    fig.text(0.03, 0.02, text, fontsize=10.5, color="#444", va="bottom")

