"""Build a ``folium.Map`` from a ``MapLayer``: choropleth or proportional circles,
context, labels, localities, legend. No streamlit here.

The map is two parts. ``base_map`` draws the shapes of a level once (from the
app's static files, or inline for a standalone export) with our small runtime,
``static/mapapp/mapapp.js``. ``style_group`` carries what changes with the
indicator and filters - class colours, tooltip values, circles, labels,
localities, legend - so that a change sends styles, never shapes again
(streamlit-folium's ``feature_group_to_add``). The runtime draws the shapes only once
the first style data is there, so the first frame is already styled. Leaflet, its
cluster plugin and the runtime come as one script and one stylesheet, built by
scripts/build_bundle.py and versioned by content; every file comes from the app
(``asset_base``), never a CDN; text from data reaches the page as text.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from dataclasses import asdict
from functools import lru_cache
from string import Template as CssTemplate

import folium
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from mapapp.analysis.layer import MapLayer, shown_areas, title, tooltip_rows
from mapapp.analysis.symbology import (
    COLORS,
    MAX_RADIUS_PX,
    LegendRow,
    circle_radii,
    label_places,
    legend_rows,
    shows_localities,
)
from mapapp.boundaries import geodata
from mapapp.model import catalog
from mapapp.model.i18n import t
from mapapp.model.provenance import Credits
from mapapp.model.view import View

ASSET_BASE = "/app/static"  # Streamlit static serving (server.enableStaticServing)
STATIC_DIR = geodata.STATIC_GEO_DIR.parent  # what the app serves at ASSET_BASE
# Leaflet + Leaflet.markercluster + mapapp.js, and their CSS (scripts/build_bundle.py).
BUNDLE_JS = "mapapp/bundle.js"
BUNDLE_CSS = "mapapp/bundle.css"
GEO_URL = "/app/static/geo"
TILES = {
    "positron": ("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
                 "© OpenStreetMap contributors © CARTO"),
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    "satellite": ("https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/"
                  "MapServer/tile/{z}/{y}/{x}",
                  "Tiles © Esri — Esri, Maxar, Earthstar Geographics, GIS User Community"),
}
CIRCLE_OPACITY = 0.55  # the PNG's circles are a little more opaque (png_map)

# Leaflet path styles: colours from the symbology, sent to the runtime (mapapp.js),
# which has none of its own.
BASE_STYLE = {"fillColor": COLORS.base_fill, "color": COLORS.base_edge, "weight": 0.7,
              "fillOpacity": 0.7}  # places before a view, and under circles
PATH_STYLES = {
    "places": BASE_STYLE,
    "context": {"fillColor": COLORS.countries, "color": COLORS.outline, "weight": 1,
                "fillOpacity": 1},
    "rest": {"fillColor": COLORS.rest, "color": COLORS.rest_edge, "weight": 1, "fillOpacity": 1},
    "hover": {"weight": 2.5, "color": COLORS.hover},
    "circle": {"color": COLORS.circle_edge, "weight": 1, "fillColor": COLORS.circle,
               "fillOpacity": CIRCLE_OPACITY},
}
NO_DATA_STYLE = {"fillColor": COLORS.no_data, "color": COLORS.no_data_edge, "weight": 0.8,
                 "fillOpacity": 0.5, "dashArray": "3 3"}


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha:g})"


# $names are the roles of symbology.COLORS (shadows and the boxes' white stay here).
CSS = CssTemplate("""
.leaflet-container { background: $sea; font: 13px/1.4 "Source Sans Pro", sans-serif; }
.map-label span { position: absolute; transform: translate(-50%, -50%); color: $ink;
  font-size: 11px; font-weight: 600; white-space: nowrap; pointer-events: none;
  text-shadow: 0 0 3px $outline, 0 0 3px $outline, 0 0 3px $outline; }
.map-box { background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 280px; font-size: 12px; }
.map-box h4 { margin: 0 0 4px; font-size: 13px; }
.map-box .row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.map-box .swatch { width: 16px; height: 12px; border: 1px solid $swatch_edge; flex: none; }
.map-box .nodata { background: repeating-linear-gradient(45deg, $no_data 0 3px,
  $outline 3px 6px); }
.map-box .circle { border-radius: 50%; background: $circle_fill;
  border: 1px solid $circle_edge; flex: none; }
.map-heading h4 { font-size: 16px; }
.map-notice { background: $notice; color: $notice_text; font-weight: 600; }
.locality-cluster { background: $locality; color: $outline; border: 2px solid $outline;
  border-radius: 50%; box-shadow: 0 0 3px rgba(0,0,0,.5); font-size: 11px; font-weight: 700;
  line-height: 22px; text-align: center; }
.map-source { font-size: 11px; line-height: 1.3; max-width: 340px; color: $muted; }
.locality-dot { width: 10px; height: 10px; border-radius: 50%; background: $locality;
  border: 2px solid $outline; box-shadow: 0 0 2px #000; }
""").substitute(asdict(COLORS), circle_fill=_rgba(COLORS.circle, CIRCLE_OPACITY))
# Presentation: the map fills its 16:9 frame, and legend and source read from afar.
PRESENT_CSS = """
#map_div, .folium-map { height: 100vh !important; }
.map-box { font-size: 17px; max-width: 420px; padding: 10px 14px; }
.map-box h4 { font-size: 18px; }
.map-box .swatch { width: 24px; height: 17px; }
.map-source { font-size: 13px; max-width: 560px; }
.map-label span { font-size: 14px; }
"""


class Literal(Element):
    """Text that goes into the page as it is: never compiled or rendered as Jinja."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class LiteralMacroElement(MacroElement):
    """A MacroElement without branca's second template pass.

    ``MacroElement.render`` wraps each macro's output in ``Element(output)``, which
    compiles that output as a new Jinja template and renders it again: any ``{{ }}``
    in data inside the output would run on the server. Our macros' output is final,
    so it goes into the page as ``Literal`` text. Every element we build with data
    in it derives from this class (tests/render/test_template_safety.py checks the whole tree).
    """

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        for part in ("header", "html", "script"):
            macro = self._template.module.__dict__.get(part)
            if macro is not None:
                getattr(figure, part).add_child(Literal(macro(self, kwargs)),
                                                name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class HtmlControl(LiteralMacroElement):
    """A Leaflet control whose content is HTML we built (and escaped) ourselves."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: {{ this.position_json }}});
{{ this.get_name() }}.onAdd = function () {
  var div = L.DomUtil.create('div', {{ this.css_class_json }});
  div.innerHTML = {{ this.html_json }};
  L.DomEvent.disableClickPropagation(div);
  return div;
};
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, inner_html: str, position: str, css_class: str) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html_json = script_json(inner_html)
        self.position_json = script_json(position)
        self.css_class_json = script_json(css_class)


class PlacesBase(LiteralMacroElement):
    """The shapes: ``window.mapappBase = mapapp.base(map, config)``. The runtime comes in
    the map's bundle (``bundle_assets``); the shapes are drawn by the first ``apply``."""

    _template = Template("""
{% macro script(this, kwargs) %}
window.mapappBase = mapapp.base({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")

    def __init__(self, config: dict) -> None:
        super().__init__()
        self._name = "PlacesBase"
        self.config_json = script_json(config)


class PlacesStyle(LiteralMacroElement):
    """What the view shows on the shapes: ``mapappBase.apply(group, data)``."""

    _template = Template("""
{% macro script(this, kwargs) %}
window.mapappBase.apply({{ this._parent.get_name() }}, {{ this.data_json }});
{% endmacro %}
""")

    def __init__(self, data: dict) -> None:
        super().__init__()
        self._name = "PlacesStyle"
        self.data_json = script_json(data)


# Inside JSON strings, characters that an HTML parser or a template engine reads are
# written as \u escapes: the browser's JSON/JS reads the same text, while no "</script>",
# "{{" or "{%" is left for HTML or Jinja (folium, streamlit-folium) to act on.
_STRING_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>&{}"})
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def script_json(value: object) -> str:
    """Strict JSON that is safe inside a <script> element and inside a Jinja template."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _JSON_STRING.sub(lambda m: m.group().translate(_STRING_ESCAPES), text)


def build_map(layer: MapLayer, *, asset_base: str = ASSET_BASE,
              heading: tuple[str, str] | None = None, inline: bool = True) -> folium.Map:
    """The whole map in one folium.Map (standalone exports, tests)."""
    fmap = base_map(layer.view, asset_base=asset_base, heading=heading, inline=inline)
    style_group(layer).add_to(fmap)
    return fmap


def base_map(view: View, *, asset_base: str = ASSET_BASE, inline: bool = False,
             heading: tuple[str, str] | None = None) -> folium.Map:
    """Shapes, tiles and boxes: the same for every indicator and filter of a level."""
    fmap = folium.Map(tiles=None, prefer_canvas=True, control_scale=True, zoom_snap=0.25,
                      maxZoom=18, minZoom=3)
    fmap.default_js, fmap.default_css = bundle_assets(asset_base)
    css = CSS + (PRESENT_CSS if view.present else "")
    fmap.get_root().header.add_child(folium.Element(f"<style>{css}</style>"))
    if view.basemap in TILES:
        url, attribution = TILES[view.basemap]
        folium.TileLayer(url, attr=html.escape(attribution), name=view.basemap,
                         max_zoom=18).add_to(fmap)
    areas = shown_areas(view)
    PlacesBase({"places": _shapes(view.level, inline), "context": _shapes("context", inline),
                "rest": _shapes("department", inline) if areas else None,
                "areas": list(areas), "styles": PATH_STYLES}).add_to(fmap)
    if heading:
        HtmlControl(f"<h4>{html.escape(heading[0])}</h4><div>{html.escape(heading[1])}</div>",
                    "topright", "map-box map-heading").add_to(fmap)
    south, west, north, east = _bounds(view.level, areas)
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def bundle_assets(asset_base: str = ASSET_BASE) -> tuple[list, list]:
    """The map's one script and one stylesheet (folium ``default_js``/``default_css``),
    by URLs that change with their content: a browser never keeps a stale copy."""
    return ([("mapapp_bundle", f"{asset_base}/{BUNDLE_JS}?v={asset_version(BUNDLE_JS)}")],
            [("mapapp_bundle_css", f"{asset_base}/{BUNDLE_CSS}?v={asset_version(BUNDLE_CSS)}")])


def asset_version(relative: str) -> str:
    """A short content hash of a file of static/ (re-read when the file changes)."""
    stat = (STATIC_DIR / relative).stat()
    return _content_hash(relative, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _content_hash(relative: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:12]


def _shapes(name: str, inline: bool) -> object:
    """A URL the browser caches (versioned by content), or the data itself."""
    if inline:
        return json.loads((geodata.STATIC_GEO_DIR / f"{name}.json").read_text())
    return f"{GEO_URL}/{name}.json?v={geodata.browser_file_versions()[name]}"


@lru_cache(maxsize=256)
def _bounds(level: str, areas: tuple[str, ...]) -> tuple[float, float, float, float]:
    from mapapp.analysis.aggregate import within_areas

    places = geodata.load_boundaries(level)
    if areas:
        places = places[within_areas(places["ubigeo"], areas)]
    west, south, east, north = places.geometry.dropna().total_bounds
    if not all(map(math.isfinite, (west, south, east, north))):  # nothing drawn: all Peru
        return _bounds("department", ())
    return south, west, north, east


def style_group(layer: MapLayer, data: dict | None = None) -> folium.FeatureGroup:
    """The view on the shapes; ``data`` may be a cached ``style_data`` result."""
    group = folium.FeatureGroup(name="mapapp-view", control=False)
    PlacesStyle(data or style_data(layer)).add_to(group)
    return group


def style_data(layer: MapLayer) -> dict:
    """Everything the runtime needs to show the view on the shapes (plain data)."""
    view, lang = layer.view, layer.view.lang
    credits = layer.data.credits(lang)
    places = layer.places
    shown = places["shown"].to_numpy(dtype=float)
    has_data = [math.isfinite(v) for v in shown]
    if view.is_choropleth:
        palette = [_fill(color) for color in layer.classes.colors]
        class_of = {u: layer.classes.class_of(v) for u, v in zip(places["ubigeo"], shown,
                                                                 strict=True) if math.isfinite(v)}
    else:
        palette = [{**BASE_STYLE, "dashArray": None}]
        class_of = {u: 0 for u, ok in zip(places["ubigeo"], has_data, strict=True) if ok}
    text = tooltip_rows(layer)
    texts = {row.ubigeo: [row.value_text, row.rank_text, row.share_text]
             for row, ok in zip(text.itertuples(index=False), has_data, strict=True) if ok}
    return {
        "palette": palette, "classOf": class_of,
        "noData": NO_DATA_STYLE,
        "texts": texts, "noDataText": t("no_data", lang),
        "aliases": [t("place", lang), t("value", lang), t("rank", lang), t("share", lang)],
        "circles": [] if view.is_choropleth else _circles(layer),
        "labels": _labels(layer),
        "localities": locality_rows(layer.localities, lang) if shows_localities(layer) else [],
        "legendHtml": legend_html(layer), "sourceHtml": source_html(credits),
        "noticeHtml": html.escape(credits.demo_label or ""),
    }


def _fill(color: str) -> dict:
    return {"fillColor": color, "color": COLORS.outline, "weight": 0.8, "fillOpacity": 0.85,
            "dashArray": None}


def _anchor_points(places) -> list[tuple[float, float]]:
    """(lat, lon) of a point inside each place, rounded for the page."""
    xy = shapely.get_coordinates(shapely.point_on_surface(places.geometry.values))
    return [(round(float(y), 4), round(float(x), 4)) for x, y in xy]


def _circles(layer: MapLayer) -> list[list]:
    places = layer.places[layer.places["shown"].notna()]
    if places.empty:
        return []
    radii = circle_radii(places["shown"], MAX_RADIUS_PX[layer.view.level], layer.largest)
    return [[lat, lon, round(radius, 1), u]
            for u, radius, (lat, lon) in zip(places["ubigeo"], radii, _anchor_points(places),
                                             strict=True)]


def _labels(layer: MapLayer) -> list[list]:
    places = label_places(layer)
    if places.empty:
        return []
    return [[lat, lon, str(name)]
            for name, (lat, lon) in zip(places["name"], _anchor_points(places), strict=True)]


def locality_rows(localities: pd.DataFrame, lang: catalog.Lang) -> list[dict]:
    """Position and popup lines (plain text) of each locality."""
    names = geodata.places().set_index("ubigeo")["name"]
    rows = []
    for row in localities.itertuples(index=False):
        kind = catalog.CONNECTION_TYPES.get(str(row.connection_type), {}).get(
            lang, str(row.connection_type))
        district = names.get(row.ubigeo, row.ubigeo)
        rows.append({"lat": round(float(row.lat), 5), "lon": round(float(row.lon), 5),
                     "lines": [str(row.name), f"{t('district', lang)}: {district}",
                               f"{t('year', lang)}: {row.year}",
                               f"{t('connection', lang)}: {kind}"]})
    return rows


def legend_html(layer: MapLayer) -> str:
    """The legend box: title with unit, then the symbology's rows; the localities row
    when the view asks for them and the data has a localities table (also when the
    filters leave none in view: the row says what a point would be; not for data that
    has no localities at all, such as a published dataset of results only)."""
    view = layer.view
    rows = legend_rows(layer, MAX_RADIUS_PX[view.level],
                       with_localities=view.localities and layer.localities is not None)
    heading = f"<h4>{html.escape(title(view))} ({html.escape(layer.unit)})</h4>"
    return heading + "".join(
        f'<div class="row">{_legend_symbol(row)}<span>{html.escape(row.text)}</span></div>'
        for row in rows)


def _legend_symbol(row: LegendRow) -> str:
    if row.kind == "box":
        return f'<span class="swatch" style="background:{row.color}"></span>'
    if row.kind == "circle":
        diameter = 2 * row.radius
        return (f'<span class="circle" style="width:{diameter:.0f}px;height:{diameter:.0f}px">'
                "</span>")
    if row.kind == "nodata":
        return '<span class="swatch nodata"></span>'
    return '<span class="locality-dot"></span>'


def source_html(credits: Credits) -> str:
    return "".join(f"<div>{html.escape(line)}</div>" for line in credits.lines)
