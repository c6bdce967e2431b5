"""The browser's shape files (static/geo/*.json): a topology that decodes exactly."""

import json
import subprocess
from itertools import pairwise
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from mapapp.boundaries import compact, geodata

LAYERS = (*geodata.LEVELS, "context")


def cycles_equal(decoded: list[tuple[int, int]], expected: list[tuple[int, int]]) -> bool:
    """The same ring, in the same direction, perhaps from another start vertex."""
    if decoded[0] != decoded[-1]:
        return False
    ring = decoded[:-1]
    if len(ring) != len(expected) or not ring:
        return False
    start = [i for i, p in enumerate(expected) if p == ring[0]]
    return any(expected[i:] + expected[:i] == ring for i in start)


def source_frame(name: str) -> gpd.GeoDataFrame:
    if name == "context":
        countries = geodata.load_context("screen")
        return countries[countries["name"] != "Peru"].assign(ubigeo="")
    return geodata.load_boundaries(name, "screen")


def static_layer(name: str) -> dict:
    return json.loads((geodata.STATIC_GEO_DIR / f"{name}.json").read_text())


@pytest.mark.parametrize("name", LAYERS)
def test_every_ring_of_every_place_decodes_to_its_quantised_vertices(name):
    layer = static_layer(name)
    frame = source_frame(name)
    drawn = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    assert len(layer["features"]) == len(drawn)
    arcs = compact.decode_arcs(layer["arcs"])
    holes = multi = 0
    for feature, code, shape in zip(layer["features"], drawn["ubigeo"], drawn.geometry,
                                    strict=True):
        assert feature["id"] == str(code)
        expected = compact.geometry_rings(shape)
        assert len(feature["p"]) == len(expected)
        for rings, wanted in zip(feature["p"], expected, strict=True):
            assert len(rings) == len(wanted)
            for ring, want in zip(rings, wanted, strict=True):
                assert cycles_equal(compact.decode_ring(ring, arcs), want), (code, ring)
            holes += len(rings) - 1
        multi += len(feature["p"]) > 1
        decoded = compact.decode_geometry(feature["p"], arcs)  # the countries: off the grid
        tolerance = 1e-4 * shape.length if name == "context" else 1e-9
        assert decoded.symmetric_difference(shape).area < tolerance
    if name != "context":  # the screen boundaries have both (test_geodata)
        assert holes and multi


@pytest.mark.parametrize("name", LAYERS)
def test_shared_borders_are_stored_once(name):
    layer = static_layer(name)
    arcs = compact.decode_arcs(layer["arcs"])
    edges = {}
    for index, arc in enumerate(arcs):
        for a, b in pairwise(arc):
            edge = (a, b) if a <= b else (b, a)
            assert edges.setdefault(edge, index) == index, "an edge in two arcs"
    used = [i for f in layer["features"] for p in f["p"] for r in p for i in r]
    assert {i if i >= 0 else ~i for i in used} == set(range(len(arcs)))
    if name != "context":
        assert len(used) > len(arcs)  # neighbours use the same arcs


def test_a_hole_and_the_enclave_in_it_share_one_arc_and_junctions_cut_rings():
    outer = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (1, 2), (2, 2), (2, 1)]])
    enclave = shapely.Polygon([(2, 2), (1, 2), (1, 1), (2, 1)])  # another start, same turn
    east = shapely.Polygon([(4, 0), (6, 0), (6, 4), (4, 4)])
    islands = shapely.MultiPolygon([shapely.Polygon([(7, 0), (8, 0), (8, 1)]),
                                    shapely.Polygon([(9, 0), (10, 0), (10, 1)])])
    frame = gpd.GeoDataFrame({"ubigeo": ["a", "b", "c", "d"], "name": ["A", "B", "", "D"]},
                             geometry=[outer, enclave, east, islands])
    layer = json.loads(compact.dumps(compact.encode_layer(frame)))
    a, b, c, d = layer["features"]
    assert "n" not in c and d["n"] == "D"
    assert a["p"][0][1] == [~b["p"][0][0][0]] or a["p"][0][1] == b["p"][0][0]
    shared = {i if i >= 0 else ~i for i in a["p"][0][0]} & {i if i >= 0 else ~i
                                                             for i in c["p"][0][0]}
    assert len(shared) == 1 and len(a["p"][0][0]) == 2 and len(c["p"][0][0]) == 2
    arcs = compact.decode_arcs(layer["arcs"])
    for feature, shape in zip(layer["features"], frame.geometry, strict=True):
        decoded = compact.decode_geometry(feature["p"], arcs)
        assert decoded.equals(shape) and decoded.geom_type == shape.geom_type
        for rings, wanted in zip(feature["p"], compact.geometry_rings(shape), strict=True):
            for ring, want in zip(rings, wanted, strict=True):
                assert cycles_equal(compact.decode_ring(ring, arcs), want)


def test_grid_rounding_drops_repeated_vertices():
    assert compact.quantise_ring([(0, 0), (0.00001, 0), (1, 0), (1, 1), (0, 0)]) == \
        [(0, 0), (10_000, 0), (10_000, 10_000)]


JS_DECODE = """
const fs = require("fs");
global.window = {};
eval(fs.readFileSync(process.argv[2], "utf8"));
const layer = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const arcs = window.mapapp.decodeArcs(layer);
process.stdout.write(JSON.stringify(layer.features.map(
  (f) => f.p.map((rings) => rings.map((r) => window.mapapp.decodeRing(r, arcs))))));
"""


@pytest.mark.parametrize("name", ["department", "district"])
def test_the_runtime_decodes_what_python_decodes(name, tmp_path):
    """mapapp.js gives the same coordinates, to the bit, as compact.decode_ring."""
    import shutil

    node = shutil.which("node")
    if not node:
        pytest.skip("node not installed")
    script = tmp_path / "decode.js"
    script.write_text(JS_DECODE)
    runtime = Path(geodata.STATIC_GEO_DIR.parent / "mapapp" / "mapapp.js")
    path = geodata.STATIC_GEO_DIR / f"{name}.json"
    out = subprocess.run([node, str(script), str(runtime), str(path)], check=True,
                         capture_output=True, text=True).stdout
    layer = json.loads(path.read_text())
    arcs = compact.decode_arcs(layer["arcs"])
    expected = [[[[[x / compact.SCALE, y / compact.SCALE] for x, y in
                   compact.decode_ring(r, arcs)] for r in rings] for rings in f["p"]]
                for f in layer["features"]]
    assert json.loads(out) == expected
