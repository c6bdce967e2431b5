"""The map without a browser: what the page is sent (assets, data), and the HTML."""

import json
import re

import pytest
from helpers import dataset_with

from mapapp.analysis.layer import build_layer
from mapapp.analysis.symbology import COLORS
from mapapp.boundaries import compact, geodata
from mapapp.ingest.datasets import demo_dataset
from mapapp.model.view import View
from mapapp.render.web_map import CSS, PATH_STYLES, base_map, build_map, style_data

DEMO = demo_dataset()


def data_for(demo: bool = True, localities=DEMO.localities, **view_args) -> dict:
    return style_data(build_layer(dataset_with(demo, localities), View(**view_args)))


def page_for(**view_args) -> str:
    """The base map as the app sends it (shapes by URL)."""
    return base_map(View(**view_args)).get_root().render()


@pytest.mark.parametrize("basemap, tile_host", [
    ("none", None), ("positron", "basemaps.cartocdn.com"), ("osm", "tile.openstreetmap.org"),
    ("satellite", "server.arcgisonline.com"),
])
def test_only_tiles_may_come_from_outside(basemap, tile_host):
    page = page_for(basemap=basemap)
    hosts = {h.removeprefix("{s}.") for h in re.findall(r"https?://([^/\"']+)", page)}
    assert hosts == ({tile_host} if tile_host else set())
    scripts = re.findall(r'<script src="([^"]+)"', page)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert [url.split("?")[0] for url in scripts] == ["/app/static/mapapp/bundle.js"]
    assert [url.split("?")[0] for url in styles] == ["/app/static/mapapp/bundle.css"]
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()


def test_shapes_are_sent_by_versioned_url_not_in_the_page():
    page = page_for(level="district")
    version = geodata.browser_file_versions()["district"]
    assert f"/app/static/geo/district.json?v={version}" in page
    assert len(page) < 20_000  # no geometry in what goes over the websocket


def test_static_shape_files_round_trip_to_the_boundaries():
    layer = json.loads((geodata.STATIC_GEO_DIR / "district.json").read_text())
    shapes = {f["id"]: f for f in layer["features"]}
    arcs = compact.decode_arcs(layer["arcs"])
    boundaries = geodata.load_boundaries("district", "screen").set_index("ubigeo")
    drawn = boundaries[boundaries.geometry.notna()]
    assert set(shapes) == set(drawn.index)
    for code in ("220901", "160101", "150101"):
        decoded = compact.decode_geometry(shapes[code]["p"], arcs)
        assert decoded.symmetric_difference(drawn.geometry[code]).area < 1e-9
        assert shapes[code]["n"] == drawn["name"][code]


@pytest.mark.parametrize("lang, legend, no_data, demo_label", [
    ("es", "Familias apoyadas (familias)", "sin datos", "Datos de demostración"),
    ("en", "Families supported (families)", "no data", "Demo data"),
])
def test_legend_has_units_no_data_and_demo_label(lang, legend, no_data, demo_label):
    data = data_for(lang=lang)
    assert legend in data["legendHtml"] and no_data in data["legendHtml"]
    assert data["noticeHtml"].startswith(demo_label)
    assert "INEI (2007)" in data["sourceHtml"] and "MPL-2.0" in data["sourceHtml"]


def test_without_demo_data_there_is_no_demo_label():
    data = data_for(demo=False)
    assert data["noticeHtml"] == "" and "demostración" not in data["sourceHtml"]


def test_choropleth_classes_colour_the_places():
    view = View(indicator="coca_free_share", k=4)
    layer = build_layer(dataset_with(True, None), view)
    data = style_data(layer)
    assert [p["fillColor"] for p in data["palette"]] == list(layer.classes.colors)
    with_data = layer.places.dropna(subset=["shown"])
    assert data["classOf"] == {u: layer.classes.class_of(v)
                               for u, v in zip(with_data["ubigeo"], with_data["shown"],
                                               strict=True)}
    lowest = f"{layer.classes.bounds[0]:.1f}".replace(".", ",")
    assert lowest in data["legendHtml"] and data["circles"] == []


@pytest.mark.parametrize("lang, value, share", [
    ("es", "33.159 familias", "38,0 %"),
    ("en", "33,159 families", "38.0%"),
])
def test_tooltips_carry_formatted_value_rank_and_share(lang, value, share):
    data = data_for(lang=lang)
    assert data["texts"]["22"][0] == value
    assert data["texts"]["22"][1].startswith("1 / ")
    assert data["texts"]["22"][2] == share
    assert "15" not in data["texts"]  # Lima has no data: the runtime shows "no data"
    assert data["noDataText"] == ("sin datos" if lang == "es" else "no data")


def test_counts_are_circles_sized_by_value():
    data = data_for(level="department")
    circles = {c[3]: c[2] for c in data["circles"]}
    assert max(circles.values()) == circles["22"] == 30  # the largest, San Martín
    assert set(circles) == set(data["texts"])


def test_the_rest_of_peru_is_greyed_when_the_map_is_narrowed():
    narrowed = page_for(level="district", depts=("22",))
    assert '"areas":["22"]' in narrowed and "/app/static/geo/department.json" in narrowed
    everywhere = page_for(level="district")
    assert '"rest":null' in everywhere and '"areas":[]' in everywhere
    assert "/app/static/geo/context.json" in everywhere  # neighbouring countries


def test_localities_carry_plain_text_popup_lines():
    rows = data_for()["localities"]
    assert len(rows) == 117 and rows[0]["lines"][1].startswith("Distrito: ")


def test_names_from_files_never_become_markup():
    import pandas as pd

    hostile = pd.DataFrame([{"name": "<img src=x onerror=alert(1)>${alert(2)}`",
                             "ubigeo": "220901", "lat": -6.5, "lon": -76.4, "year": 2020,
                             "connection_type": "<script>alert(3)</script>"}])
    page = build_map(build_layer(dataset_with(True, hostile), View())).get_root().render()
    assert "<img src=x" not in page and "<script>alert(3)" not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page
    runtime = (geodata.STATIC_GEO_DIR.parent / "mapapp" / "mapapp.js").read_text()
    assert "textContent = line" in runtime and "innerHTML = line" not in runtime


@pytest.mark.parametrize("level, labels, expected", [
    ("department", True, 25), ("department", False, 0), ("district", True, 12),
])
def test_region_labels_name_the_places(level, labels, expected):
    names = [label[2] for label in data_for(level=level, labels=labels)["labels"]]
    assert len(names) == expected
    if expected == 25:
        assert "San Martín" in names and "Loreto" in names


def test_the_runtime_takes_every_colour_from_the_server():
    """mapapp.js has no colour of its own: path styles come in the base config, class
    and no-data styles in the style data, all from the symbology's colour table."""
    runtime = (geodata.STATIC_GEO_DIR.parent / "mapapp" / "mapapp.js").read_text()
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", runtime) == []
    assert '"styles":' + json.dumps(PATH_STYLES, separators=(",", ":")) in page_for()
    assert PATH_STYLES["circle"]["fillColor"] == COLORS.circle
    data = data_for(indicator="coca_free_share")
    assert data["noData"]["fillColor"] == COLORS.no_data
    colours = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", CSS)}
    assert colours <= set(vars(COLORS).values()) and COLORS.locality in colours


def test_district_payload_stays_within_budget():
    """What one indicator change sends at district level, all of Peru (bytes budget)."""
    data = json.dumps(data_for(level="district"), ensure_ascii=False).encode()
    assert len(data) < 60_000  # the demo: 40 kB; the naive page resends 2.6 MB of shapes


def test_a_selection_without_shapes_still_frames_peru():
    """A view whose areas have no shapes (a guard in View.from_query keeps links out of
    here) must not give Leaflet NaN bounds: the map frames the whole country."""
    from mapapp.render.web_map import _bounds

    south, west, north, east = _bounds("district", ("0000",))
    assert (south, west, north, east) == _bounds("department", ())
    assert -19 < south < north < 1 and -82 < west < east < -68
