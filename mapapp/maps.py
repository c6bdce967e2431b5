"""Build a ``folium.Map`` from a ``MapLayer``: choropleth or proportional circles,
context, labels, localities, legend. No streamlit here.

Every script and stylesheet comes from ``asset_base`` (the app's own static
files), never a CDN; every text is escaped before it reaches HTML.
"""

from __future__ import annotations

import html
import json
import math

import folium
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from mapapp import catalog, geo
from mapapp.classify import NO_DATA_COLOR
from mapapp.fmt import format_number
from mapapp.i18n import t
from mapapp.layer import MapLayer, context_departments, tooltip_rows

ASSET_BASE = "/app/static/vendor"  # Streamlit static serving (server.enableStaticServing)
TILES = {
    "positron": ("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
                 "© OpenStreetMap contributors © CARTO"),
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    "satellite": ("https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/"
                  "MapServer/tile/{z}/{y}/{x}",
                  "Tiles © Esri — Esri, Maxar, Earthstar Geographics, GIS User Community"),
}
CIRCLE_COLOR = "#2c7fb8"
MAX_RADIUS = {"department": 30, "province": 20, "district": 12}
MAX_LABELS = {"department": 30, "province": 40, "district": 12}
COORD_DECIMALS = 4  # ~11 m: plenty on screen, a third of the bytes of full precision

CSS = """
.leaflet-container { background: #eef3f7; font: 13px/1.4 "Source Sans Pro", sans-serif; }
.map-label span { position: absolute; transform: translate(-50%, -50%); color: #222;
  font-size: 11px; font-weight: 600; white-space: nowrap; pointer-events: none;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; }
.map-box { background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 280px; font-size: 12px; }
.map-box h4 { margin: 0 0 4px; font-size: 13px; }
.map-box .row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.map-box .swatch { width: 16px; height: 12px; border: 1px solid #999; flex: none; }
.map-box .nodata { background: repeating-linear-gradient(45deg, #d9d9d9 0 3px, #fff 3px 6px); }
.map-box .circle { border-radius: 50%; background: rgba(44,127,184,.55);
  border: 1px solid #1d5a85; flex: none; }
.map-heading h4 { font-size: 16px; }
.map-demo { background: #fff3cd; color: #664d03; font-weight: 600; }
.locality-cluster { background: #d95f0e; color: #fff; border: 2px solid #fff;
  border-radius: 50%; box-shadow: 0 0 3px rgba(0,0,0,.5); font-size: 11px; font-weight: 700;
  line-height: 22px; text-align: center; }
.map-source { font-size: 11px; line-height: 1.3; max-width: 340px; color: #444; }
.locality-dot { width: 10px; height: 10px; border-radius: 50%; background: #d95f0e;
  border: 2px solid #fff; box-shadow: 0 0 2px #000; }
"""
# Presentation: the map fills its 16:9 frame, and legend and source read from afar.
PRESENT_CSS = """
#map_div, .folium-map { height: 100vh !important; }
.map-box { font-size: 17px; max-width: 420px; padding: 10px 14px; }
.map-box h4 { font-size: 18px; }
.map-box .swatch { width: 24px; height: 17px; }
.map-source { font-size: 13px; max-width: 560px; }
.map-label span { font-size: 14px; }
"""


class HtmlControl(MacroElement):
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


def script_json(value: object) -> str:
    """JSON that is safe inside a <script> element."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))


def build_map(layer: MapLayer, localities: pd.DataFrame | None = None, *, demo: bool,
              asset_base: str = ASSET_BASE,
              heading: tuple[str, str] | None = None) -> folium.Map:
    """The map of a layer; ``heading`` (title, subtitle) is drawn on the map itself,
    for a map that travels without the page around it."""
    view = layer.view
    fmap = folium.Map(tiles=None, prefer_canvas=True, control_scale=True, zoom_snap=0.25,
                      maxZoom=18, minZoom=3,
                      attribution_control=True)
    _use_local_assets(fmap, asset_base)
    css = CSS + (PRESENT_CSS if view.present else "")
    fmap.get_root().header.add_child(folium.Element(f"<style>{css}</style>"))
    if view.basemap in TILES:
        url, attribution = TILES[view.basemap]
        folium.TileLayer(url, attr=html.escape(attribution), name=view.basemap,
                         max_zoom=18).add_to(fmap)
    _add_context(fmap, layer)
    if view.is_choropleth:
        _add_choropleth(fmap, layer)
    else:
        _add_base_polygons(fmap, layer)
        _add_circles(fmap, layer)
    if view.labels:
        _add_labels(fmap, layer)
    if view.localities and localities is not None and not localities.empty:
        LocalityCluster(locality_rows(localities, view.lang), asset_base).add_to(fmap)
    HtmlControl(legend_html(layer), "bottomright", "map-box map-legend").add_to(fmap)
    HtmlControl(source_html(view.lang, demo), "bottomleft", "map-box map-source").add_to(fmap)
    if heading:
        HtmlControl(f"<h4>{html.escape(heading[0])}</h4><div>{html.escape(heading[1])}</div>",
                    "topright", "map-box map-heading").add_to(fmap)
    if demo:
        from mapapp.demo import DEMO_LABEL

        HtmlControl(html.escape(DEMO_LABEL[view.lang]), "topright",
                    "map-box map-demo").add_to(fmap)
    bounds = layer.places.total_bounds
    if all(map(math.isfinite, bounds)):
        fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return fmap


def _use_local_assets(fmap: folium.Map, base: str) -> None:
    """Leaflet only, from our own files: no jQuery, Bootstrap or icon fonts from CDNs."""
    fmap.default_js = [("leaflet", f"{base}/leaflet/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{base}/leaflet/leaflet.css")]


def _geojson(frame, columns: list[str]) -> dict:
    """GeoJSON of the columns, coordinates rounded: the bulk of the page's bytes."""
    data = json.loads(frame[[*columns, "geometry"]].to_json(drop_id=True))
    for feature in data["features"]:
        feature["geometry"] = _round(feature["geometry"])
    return data


def _round(geometry: dict) -> dict:
    def walk(coords):
        if isinstance(coords[0], (int, float)):
            return [round(c, COORD_DECIMALS) for c in coords]
        return [walk(c) for c in coords]
    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _add_context(fmap: folium.Map, layer: MapLayer) -> None:
    countries = geo.load_context("screen")
    countries = countries[countries["name"] != "Peru"]
    folium.GeoJson(_geojson(countries, []), name="context", interactive=False,
                   style_function=lambda _: {"fillColor": "#e4e4e4", "color": "#ffffff",
                                             "weight": 1, "fillOpacity": 1}).add_to(fmap)
    rest = context_departments(layer.view)
    if len(rest):
        folium.GeoJson(_geojson(rest, []), name="rest_of_peru", interactive=False,
                       style_function=lambda _: {"fillColor": "#f4f4f4", "color": "#bdbdbd",
                                                 "weight": 1, "fillOpacity": 1}).add_to(fmap)


def _place_features(layer: MapLayer, extra: dict[str, list]) -> dict:
    text = tooltip_rows(layer)
    frame = layer.places[["ubigeo", "geometry"]].copy()
    for column in ("name", "value_text", "rank_text", "share_text"):
        frame[column] = [html.escape(str(v)) for v in text[column]]
    for column, values in extra.items():
        frame[column] = values
    return _geojson(frame, ["ubigeo", "name", "value_text", "rank_text", "share_text",
                            *extra])


def _tooltip(lang: catalog.Lang) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(
        fields=["name", "value_text", "rank_text", "share_text"],
        aliases=[t("place", lang), t("value", lang), t("rank", lang), t("share", lang)],
        sticky=True)


def _add_choropleth(fmap: folium.Map, layer: MapLayer) -> None:
    fills = [layer.classes.color_of(v) for v in layer.places["shown"]]
    data = _place_features(layer, {"fill": fills})

    def style(feature: dict) -> dict:
        fill = feature["properties"]["fill"]
        no_data = fill == NO_DATA_COLOR
        return {"fillColor": fill, "color": "#7a7a7a" if no_data else "#ffffff",
                "weight": 0.8, "fillOpacity": 0.55 if no_data else 0.85,
                "dashArray": "3 3" if no_data else None}

    folium.GeoJson(data, name="places", style_function=style, tooltip=_tooltip(layer.view.lang),
                   highlight_function=lambda _: {"weight": 2.5, "color": "#333"}).add_to(fmap)


def _add_base_polygons(fmap: folium.Map, layer: MapLayer) -> None:
    has_data = [math.isfinite(v) for v in layer.places["shown"]]
    data = _place_features(layer, {"has_data": has_data})

    def style(feature: dict) -> dict:
        with_data = feature["properties"]["has_data"]
        return {"fillColor": "#f7fbff" if with_data else NO_DATA_COLOR, "color": "#8c8c8c",
                "weight": 0.7, "fillOpacity": 0.7 if with_data else 0.5,
                "dashArray": None if with_data else "3 3"}

    folium.GeoJson(data, name="places", style_function=style, tooltip=_tooltip(layer.view.lang),
                   highlight_function=lambda _: {"weight": 2.5, "color": "#333"}).add_to(fmap)


def circle_radius(value: float, largest: float, max_radius: float) -> float:
    """Area proportional to the value, so that the eye compares amounts."""
    if not math.isfinite(value) or largest <= 0 or value <= 0:
        return 0.0
    return max(2.0, max_radius * math.sqrt(value / largest))


def _add_circles(fmap: folium.Map, layer: MapLayer) -> None:
    places = layer.places[layer.places["shown"].notna()]
    if places.empty:
        return
    largest = float(places["shown"].max())
    max_radius = MAX_RADIUS[layer.view.level]
    points = places.copy()
    points["geometry"] = places.geometry.representative_point()
    radius = [round(circle_radius(v, largest, max_radius), 1) for v in places["shown"]]
    text = tooltip_rows(layer).set_index("ubigeo").loc[places["ubigeo"]]
    frame = points[["ubigeo", "geometry"]].assign(
        radius=radius, **{c: [html.escape(str(v)) for v in text[c]]
                          for c in ("name", "value_text", "rank_text", "share_text")})
    data = _geojson(frame, ["ubigeo", "radius", "name", "value_text", "rank_text",
                            "share_text"])
    folium.GeoJson(
        data, name="circles", marker=folium.CircleMarker(),
        style_function=lambda f: {"radius": f["properties"]["radius"], "color": "#1d5a85",
                                  "weight": 1, "fill": True, "fillColor": CIRCLE_COLOR,
                                  "fillOpacity": 0.55},
        tooltip=_tooltip(layer.view.lang),
        highlight_function=lambda _: {"weight": 3}).add_to(fmap)


def _add_labels(fmap: folium.Map, layer: MapLayer) -> None:
    places = layer.places
    limit = MAX_LABELS[layer.view.level]
    if len(places) > limit:
        places = places[places["shown"].notna()].nlargest(limit, "shown")
    points = places.geometry.representative_point()
    group = folium.FeatureGroup(name="labels", control=False)
    for name, point in zip(places["name"], points, strict=True):
        folium.Marker([point.y, point.x], interactive=False, icon=folium.DivIcon(
            html=f"<span>{html.escape(str(name))}</span>", icon_size=(0, 0),
            class_name="map-label")).add_to(group)
    group.add_to(fmap)


class LocalityCluster(JSCSSMixin, MacroElement):
    """Clustered locality markers. Popups are built with textContent, so names from
    files stay text, whatever characters they hold."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var cluster = L.markerClusterGroup({maxClusterRadius: 40, iconCreateFunction: function (c) {
    return L.divIcon({className: 'locality-cluster', iconSize: [26, 26],
                      html: '<span>' + c.getChildCount() + '</span>'});
  }});
  {{ this.rows_json }}.forEach(function (r) {
    var marker = L.marker([r.lat, r.lon], {title: r.lines[0], icon: L.divIcon({
      className: 'locality', html: '<div class="locality-dot"></div>',
      iconSize: [14, 14], iconAnchor: [7, 7]})});
    marker.bindPopup(function () {
      var box = document.createElement('div');
      box.className = 'locality-popup';
      r.lines.forEach(function (line, i) {
        var part = document.createElement(i ? 'div' : 'b');
        part.textContent = line;
        box.appendChild(part);
      });
      return box;
    });
    cluster.addLayer(marker);
  });
  cluster.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
""")

    def __init__(self, rows: list[dict], asset_base: str) -> None:
        super().__init__()
        self._name = "LocalityCluster"
        self.rows_json = script_json(rows)
        folder = f"{asset_base}/leaflet.markercluster"
        self.default_js = [("markerclusterjs", f"{folder}/leaflet.markercluster.js")]
        self.default_css = [("markerclustercss", f"{folder}/MarkerCluster.css"),
                            ("markerclusterdefaultcss", f"{folder}/MarkerCluster.Default.css")]


def locality_rows(localities: pd.DataFrame, lang: catalog.Lang) -> list[dict]:
    """Position and popup lines (plain text) of each locality."""
    names = geo.places().set_index("ubigeo")["name"]
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
    from mapapp.layer import title

    view, lang = layer.view, layer.view.lang
    rows = [f"<h4>{html.escape(title(view))} ({html.escape(layer.unit)})</h4>"]
    if view.is_choropleth:
        bounds = layer.classes.bounds
        for i, color in enumerate(layer.classes.colors):
            low, high = (format_bound(b, layer.unit, lang) for b in bounds[i:i + 2])
            rows.append(_legend_row(f'<span class="swatch" style="background:{color}"></span>',
                                    f"{low} – {high}"))
    elif layer.has_data:
        largest = float(layer.places["shown"].max())
        max_radius = MAX_RADIUS[view.level]
        for fraction in (1.0, 0.25, 0.05):
            value = round_nicely(largest * fraction)
            diameter = 2 * circle_radius(value, largest, max_radius)
            rows.append(_legend_row(
                f'<span class="circle" style="width:{diameter:.0f}px;height:{diameter:.0f}px">'
                "</span>", format_bound(value, layer.unit, lang)))
    rows.append(_legend_row('<span class="swatch nodata"></span>', t("no_data", lang)))
    if view.localities:
        rows.append(_legend_row('<span class="locality-dot"></span>',
                                t("connected_localities", lang)))
    return "".join(rows)


def format_bound(value: float, unit: str, lang: catalog.Lang) -> str:
    """A class bound without its unit (the legend title carries it)."""
    if unit.endswith("/km²"):
        return format_number(value, lang, decimals=2)
    if unit == "%":
        return format_number(value, lang, decimals=1)
    return format_number(value, lang)


def _legend_row(symbol: str, text: str) -> str:
    return f'<div class="row">{symbol}<span>{html.escape(text)}</span></div>'


def round_nicely(value: float) -> float:
    if value <= 0:
        return value
    magnitude = 10 ** max(0, math.floor(math.log10(value)) - 1)
    return round(value / magnitude) * magnitude


def source_html(lang: catalog.Lang, demo: bool) -> str:
    data = catalog.SOURCE_DOCUMENT[lang]
    if demo:
        from mapapp.demo import DEMO_LABEL

        data += f" · {DEMO_LABEL[lang]}"
    return (f"<div>{html.escape(t('data', lang))}: {html.escape(data)}</div>"
            f"<div>{html.escape(geo.ATTRIBUTION[lang])}</div>")
