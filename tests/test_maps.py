"""The folium map as HTML, without a browser: assets, legend, tooltips, context, text."""

import json
import re

import pandas as pd
import pytest

from mapapp import demo
from mapapp.layer import build_layer, filter_localities
from mapapp.maps import build_map, circle_radius
from mapapp.results import read_results
from mapapp.view import View


@pytest.fixture(scope="module")
def results():
    return read_results(demo.RESULTS_FILE.read_bytes(), "results.csv").valid


@pytest.fixture(scope="module")
def localities():
    return pd.read_csv(demo.LOCALITIES_FILE, dtype={"ubigeo": str})


def render(results, localities=None, demo_data=True, **view_args) -> str:
    view = View(**view_args)
    layer = build_layer(results, view)
    located = filter_localities(localities, view) if localities is not None else None
    return build_map(layer, located, demo=demo_data).get_root().render()


@pytest.mark.parametrize("basemap, tile_host", [
    ("none", None), ("positron", "basemaps.cartocdn.com"), ("osm", "tile.openstreetmap.org"),
    ("satellite", "server.arcgisonline.com"),
])
def test_only_tiles_may_come_from_outside(results, localities, basemap, tile_host):
    page = render(results, localities, basemap=basemap)
    hosts = {h.removeprefix("{s}.") for h in re.findall(r"https?://([^/\"']+)", page)}
    assert hosts == ({tile_host} if tile_host else set())
    assert "/app/static/vendor/leaflet/leaflet.js" in page
    assert "/app/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in page
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()


@pytest.mark.parametrize("lang, legend, no_data, demo_label", [
    ("es", "Familias apoyadas (familias)", "sin datos", "Datos de demostración"),
    ("en", "Families supported (families)", "no data", "Demo data"),
])
def test_legend_has_units_no_data_and_demo_label(results, lang, legend, no_data, demo_label):
    page = render(results, lang=lang)
    assert legend in page and no_data in page and demo_label in page
    assert "INEI (2007)" in page and "MPL-2.0" in page


def test_without_demo_data_there_is_no_demo_label(results):
    page = render(results, demo_data=False)
    assert "Datos de demostración" not in page


def test_choropleth_legend_shows_class_bounds(results):
    view = View(indicator="coca_free_share", level="department", k=4)
    layer = build_layer(results, view)
    page = build_map(layer, demo=True).get_root().render()
    assert len(layer.classes.colors) == 4
    for color in layer.classes.colors:
        assert color in page
    lowest = f"{layer.classes.bounds[0]:.1f}".replace(".", ",")
    assert lowest in page


@pytest.mark.parametrize("lang, value, share", [
    ("es", "33.159 familias", "38,0 %"),
    ("en", "33,159 families", "38.0%"),
])
def test_tooltips_carry_formatted_value_rank_and_share(results, lang, value, share):
    page = render(results, lang=lang)
    feature = next(f for f in _features(page) if f["properties"].get("ubigeo") == "22"
                   and "radius" not in f["properties"])
    assert feature["properties"]["name"] == "San Martín"
    assert feature["properties"]["value_text"] == value
    assert feature["properties"]["rank_text"].startswith("1 / ")
    assert feature["properties"]["share_text"] == share


def test_context_greys_out_the_rest_of_peru_and_neighbours(results):
    page = render(results, level="district", depts=("22",))
    features = _features(page)
    ubigeos = {f["properties"].get("ubigeo") for f in features}
    assert any(u and u.startswith("22") and len(u) == 6 for u in ubigeos)
    assert not any(u and len(u) == 6 and not u.startswith("22") for u in ubigeos)
    assert "#f4f4f4" in page  # the other departments, grey
    assert "#e4e4e4" in page  # the neighbouring countries, grey
    everywhere = render(results, level="department")
    assert "#f4f4f4" not in everywhere  # nothing greyed when all of Peru is shown


def test_localities_are_clustered_with_plain_text_popups(results, localities):
    page = render(results, localities)
    rows = json.loads(_json_after(page, "}}});\n"))
    assert "markerClusterGroup" in page and len(rows) == 117
    assert rows[0]["lines"][1].startswith("Distrito: ")
    assert "textContent" in page and "innerHTML = line" not in page


def test_names_from_files_never_become_markup(results):
    hostile = pd.DataFrame([{"name": "<img src=x onerror=alert(1)>${alert(2)}`", "ubigeo": "220901",
                             "lat": -6.5, "lon": -76.4, "year": 2020,
                             "connection_type": "<script>alert(3)</script>"}])
    page = render(results, hostile)
    assert "<img src=x" not in page and "<script>alert(3)" not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page


@pytest.mark.parametrize("value, largest, radius", [
    (100, 100, 30), (25, 100, 15), (0, 100, 0), (float("nan"), 100, 0), (0.0001, 100, 2),
])
def test_circle_area_is_proportional_to_value(value, largest, radius):
    assert circle_radius(value, largest, 30) == pytest.approx(radius)


def _features(page: str) -> list[dict]:
    found = []
    for match in re.finditer(r"_add\((\{.*?\})\);\n", page, flags=re.S):
        found += json.loads(match.group(1))["features"]
    return found


def _json_after(page: str, marker: str) -> str:
    start = page.index("[{", page.index("markerClusterGroup"))
    end = page.index("].forEach", start)
    return page[start:end + 1]


@pytest.mark.parametrize("level, labels, expected", [
    ("department", True, 25), ("department", False, 0), ("district", True, 12),
])
def test_region_labels_name_the_places(results, level, labels, expected):
    page = render(results, level=level, labels=labels)
    names = re.findall(r'"html": "\\u003cspan\\u003e(.+?)\\u003c/span\\u003e"', page)
    assert page.count('"className": "map-label"') == len(names) == expected
    if expected == 25:
        assert "San Mart\\u00edn" in names and "Loreto" in names
