"""How a ``MapLayer`` looks, for every renderer: colours, circle sizes, which places
get a name label, and the rows of the legend.

The web map (``render.web_map`` and its runtime ``static/mapapp/mapapp.js``) and the
static PNG (``render.png_map``) both draw from here, so they agree and neither
imports the other. Nothing here draws: the renderers turn these values into
Leaflet styles and HTML, or into matplotlib artists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from mapapp.analysis.classify import NO_DATA_COLOR
from mapapp.analysis.layer import MapLayer
from mapapp.model import catalog
from mapapp.model.formatting import format_number
from mapapp.model.i18n import t


@dataclass(frozen=True)
class Colors:
    """Every colour the maps use, by role (classes take theirs from ``classify``)."""

    circle: str = "#2c7fb8"  # proportional circles
    circle_edge: str = "#1d5a85"
    base_fill: str = "#f7fbff"  # places under the circles
    base_edge: str = "#8c8c8c"
    outline: str = "#ffffff"  # edges between classes and countries, rims, halos of labels
    no_data: str = NO_DATA_COLOR  # web map: grey fill, dashed edge
    no_data_edge: str = "#7a7a7a"
    print_no_data: str = "#f0f0f0"  # PNG: lighter grey, hatched
    print_no_data_edge: str = "#9a9a9a"
    locality: str = "#d95f0e"  # connected localities
    countries: str = "#e4e4e4"  # neighbouring countries
    rest: str = "#f4f4f4"  # Peru outside the areas shown
    rest_edge: str = "#bdbdbd"
    hover: str = "#333333"  # edge of the place under the pointer
    sea: str = "#eef3f7"  # the map's background
    ink: str = "#222222"  # labels, scale bar, north arrow
    muted: str = "#444444"  # subtitle and source lines
    swatch_edge: str = "#999999"  # edge of the legend's class boxes
    notice: str = "#fff3cd"  # the demo-data label
    notice_text: str = "#664d03"
    notice_edge: str = "#e0c36a"


COLORS = Colors()

# Radius of the largest value's circle: web map in pixels, PNG in points.
MAX_RADIUS_PX = {"department": 30, "province": 20, "district": 12}
MAX_RADIUS_PT = {"department": 34, "province": 22, "district": 13}
MIN_RADIUS = 2.0  # a value above zero stays visible
LEGEND_FRACTIONS = (1.0, 0.25, 0.05)  # circles of the legend, of the largest value
MAX_LABELS = {"department": 30, "province": 40, "district": 12}
# A static map tries this many names, most important first, and keeps those that fit.
PRINT_LABEL_CANDIDATES = {"department": 30, "province": 60, "district": 80}


def circle_radius(value: float, largest: float, max_radius: float) -> float:
    """Area proportional to the value, so that the eye compares amounts."""
    if not math.isfinite(value) or largest <= 0 or value <= 0:
        return 0.0
    return max(MIN_RADIUS, max_radius * math.sqrt(value / largest))


def circle_radii(values: Iterable[float], max_radius: float,
                 largest: float | None = None) -> list[float]:
    """Radius of each value's circle; ``largest`` (by default the largest of the values:
    the year player passes that of every year) gets ``max_radius``."""
    values = [float(v) for v in values]
    if largest is None:
        largest = max((v for v in values if not math.isnan(v)), default=math.nan)
    return [circle_radius(v, largest, max_radius) for v in values]


def round_nicely(value: float) -> float:
    """Two significant digits (whole numbers at least): 12 345 → 12 000."""
    if value <= 0:
        return value
    magnitude = 10 ** max(0, math.floor(math.log10(value)) - 1)
    return round(value / magnitude) * magnitude


def format_bound(value: float, unit: str, lang: catalog.Lang) -> str:
    """A class bound without its unit (the legend title carries it)."""
    if unit.endswith("/km²"):
        return format_number(value, lang, decimals=2)
    if unit == "%":
        return format_number(value, lang, decimals=1)
    return format_number(value, lang)


def label_priority(places):
    """``places`` in the order their names claim room on a map: the largest values
    first, then the largest areas (places without data last, largest first)."""
    return places.sort_values(["shown", "area_km2"], ascending=False, na_position="last",
                              kind="stable")


def label_places(layer: MapLayer):
    """The places named on the map (GeoDataFrame), in ``label_priority`` order: none
    when the view hides labels, else all of them, or the ``MAX_LABELS`` of the level
    with the largest values."""
    places = layer.places
    if not layer.view.labels:
        return places.iloc[0:0]
    limit = MAX_LABELS[layer.view.level]
    if len(places) > limit:
        places = places[places["shown"].notna()]
        return label_priority(places).head(limit)
    return label_priority(places)


def print_label_candidates(layer: MapLayer):
    """The places a static map tries to name, in ``label_priority`` order: it keeps each
    name that fits (no overlap with names already placed or with circles) and skips the
    rest, so it may try more than the web map shows (``PRINT_LABEL_CANDIDATES``)."""
    places = layer.places
    if not layer.view.labels:
        return places.iloc[0:0]
    return label_priority(places).head(PRINT_LABEL_CANDIDATES[layer.view.level])


def shows_localities(layer: MapLayer) -> bool:
    """Localities are drawn: the view asks for them and there are some."""
    return bool(layer.view.localities and layer.localities is not None
                and len(layer.localities))


@dataclass(frozen=True)
class LegendRow:
    """One row of a legend: a symbol and its text.

    ``box`` a class (``color``), ``circle`` a proportional circle (``color``,
    ``radius`` in the unit of ``max_radius``), ``nodata`` places without data (each
    renderer draws its own no-data look), ``point`` connected localities (``color``).
    """

    kind: Literal["box", "circle", "nodata", "point"]
    text: str
    color: str | None = None
    radius: float | None = None


def legend_rows(layer: MapLayer, max_radius: float, *,
                with_localities: bool) -> list[LegendRow]:
    """The legend under its title: classes "low – high" or circles of 100 %, 25 % and
    5 % of the largest value (rounded nicely), then no data, then localities if
    ``with_localities`` (the web map: when the view shows them; the PNG: when there
    are some too)."""
    view, lang = layer.view, layer.view.lang
    rows = []
    if view.is_choropleth:
        bounds = layer.classes.bounds
        for i, color in enumerate(layer.classes.colors):
            low, high = (format_bound(b, layer.unit, lang) for b in bounds[i:i + 2])
            rows.append(LegendRow("box", f"{low} – {high}", color=color))
    elif layer.has_data:
        largest = layer.largest
        for fraction in LEGEND_FRACTIONS:
            value = round_nicely(largest * fraction)
            rows.append(LegendRow("circle", format_bound(value, layer.unit, lang),
                                  color=COLORS.circle,
                                  radius=circle_radius(value, largest, max_radius)))
    rows.append(LegendRow("nodata", t("no_data", lang)))
    if with_localities:
        rows.append(LegendRow("point", t("connected_localities", lang), color=COLORS.locality))
    return rows
