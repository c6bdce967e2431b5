"""Integrity of the built geodata/: keys, geometry, nesting, shared borders, sources."""

import shutil

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from helpers import ROOT, SHARED_SOURCES

from mapapp.boundaries import geodata

NULL_GEOMETRY = {"210103", "010204", "070105", "150137", "190203", "020602", "010523",
                 "200602"}
LEVEL_COUNTS = {"department": 25, "province": 195, "district": 1834}
PAIRS = [(level, detail) for level in geodata.LEVELS for detail in ("screen", "print")]


@pytest.mark.parametrize("level, detail", PAIRS)
def test_ubigeo_is_unique_text_of_the_level_length(level, detail):
    layer = geodata.load_boundaries(level, detail)
    assert len(layer) == LEVEL_COUNTS[level]
    assert layer["ubigeo"].is_unique
    assert layer["ubigeo"].str.fullmatch(rf"\d{{{geodata.CODE_LENGTH[level]}}}").all()
    assert layer.crs.to_epsg() == 4326


@pytest.mark.parametrize("level, detail", PAIRS)
def test_geometries_are_valid_and_only_the_known_districts_lack_one(level, detail):
    layer = geodata.load_boundaries(level, detail)
    missing = set(layer.loc[layer.geometry.isna(), "ubigeo"])
    assert missing == (NULL_GEOMETRY if level == "district" else set())
    drawn = layer.geometry.dropna()
    assert drawn.is_valid.all() and not drawn.is_empty.any()


@pytest.mark.parametrize("detail", ["screen", "print"])
@pytest.mark.parametrize("level", geodata.LEVELS)
def test_neighbours_share_borders_without_gaps_or_overlaps(level, detail):
    shapes = geodata.load_boundaries(level, detail).geometry.dropna().values
    assert shapely.coverage_is_valid(shapes)  # no overlaps, no slivers between neighbours
    districts = geodata.load_boundaries("district", detail).geometry.dropna().values
    # Same outline as the districts: nothing gained or lost between levels.
    union_area = shapely.coverage_union_all(shapes).area
    assert union_area == pytest.approx(shapely.coverage_union_all(districts).area, rel=1e-9)
    assert sum(shapely.area(shapes)) == pytest.approx(union_area, rel=1e-9)


@pytest.mark.parametrize("child, parent", [("district", "province"),
                                           ("district", "department"),
                                           ("province", "department")])
def test_places_nest_in_their_parents(child, parent):
    children = geodata.load_boundaries(child, "screen")
    parents = geodata.load_boundaries(parent, "screen").set_index("ubigeo")
    parent_code = children["ubigeo"].str[:geodata.CODE_LENGTH[parent]]
    assert parent_code.isin(parents.index).all()
    drawn = children[children.geometry.notna()]
    outer = parents.geometry.loc[drawn["ubigeo"].str[:geodata.CODE_LENGTH[parent]]].values
    assert shapely.covers(outer, drawn.geometry.values).all()


def test_screen_detail_is_lighter_than_print():
    def coordinates(detail):
        return shapely.get_num_coordinates(
            geodata.load_boundaries("district", detail).geometry.dropna().values).sum()
    assert coordinates("screen") < coordinates("print")


@pytest.mark.parametrize("ubigeo, name", [
    ("22", "San Martín"), ("10", "Huánuco"), ("12", "Junín"), ("02", "Áncash"),
    ("17", "Madre de Dios"), ("1607", "Datem del Marañón"), ("2209", "San Martín"),
    ("0809", "La Convención"), ("220901", "Tarapoto"),
])
def test_display_names_carry_accents(ubigeo, name):
    assert geodata.place_name(ubigeo) == name


def test_every_department_and_amazon_province_is_in_the_name_table():
    table = pd.read_csv(ROOT / "geodata/tables/names.csv", dtype=str)
    provinces = geodata.load_boundaries("province")
    amazon = provinces[provinces["department"].isin(geodata.amazon_departments())]
    assert set(geodata.load_boundaries("department")["ubigeo"]) <= set(table["ubigeo"])
    assert set(amazon["ubigeo"]) <= set(table["ubigeo"])


def test_amazon_scope_follows_ley_27037():
    scope = geodata.amazon_scope().set_index("department")["scope"]
    assert set(scope[scope == "whole"].index) == {"16", "25", "17", "01", "22"}
    assert set(scope[scope == "partial"].index) == {"05", "06", "08", "09", "10", "12", "19",
                                                    "21", "20"}
    assert geodata.amazon_scope()["source"].str.contains("27037").all()


def test_context_has_peru_and_its_neighbours():
    names = set(geodata.load_context("screen")["name"])
    assert {"Peru", "Ecuador", "Colombia", "Brazil", "Bolivia", "Chile"} <= names


def test_capitals_lie_in_their_province():
    capitals = geodata.load_capitals()
    provinces = geodata.load_boundaries("province", "print").set_index("ubigeo").geometry
    inside = shapely.dwithin(provinces.loc[capitals["province"]].values,
                             capitals.geometry.values, 0.05)
    assert inside.all() and len(capitals) >= 190


def test_sources_and_licences_travel_with_the_data():
    sources = (ROOT / "geodata/SOURCES.md").read_text()
    for needle in ("INEI", "2007", "MPL-2.0", "Natural Earth", "juaneladio/peru-geojson",
                   "licences/INEI-boundaries-MPL-2.0.txt", "licences/world-atlas-ISC.txt"):
        assert needle in sources
    assert "Mozilla Public License" in (ROOT / "geodata/licences/INEI-boundaries-MPL-2.0.txt"
                                        ).read_text()
    assert (ROOT / "geodata/licences/world-atlas-ISC.txt").exists()


@pytest.mark.skipif(not SHARED_SOURCES.exists(), reason="source boundaries not beside the repo")
def test_build_reproduces_the_committed_geodata_and_reports_defects(tmp_path, capsys):
    from mapapp.builders.boundaries import build_geodata

    shutil.copytree(ROOT / "geodata/tables", tmp_path / "tables")
    build_geodata(SHARED_SOURCES, tmp_path, tmp_path / "static")
    report = (tmp_path / "BUILD_REPORT.md").read_text()
    for defect in ("8 districts have no geometry", "0510, 2001", "INEI 2007"):
        assert defect in report and defect in capsys.readouterr().out + report
    for level, detail in PAIRS:
        built = gpd.read_parquet(geodata.boundary_path(level, detail, tmp_path))
        committed = geodata.load_boundaries(level, detail)
        pd.testing.assert_frame_equal(pd.DataFrame(built.drop(columns="geometry")),
                                      pd.DataFrame(committed.drop(columns="geometry")))
        assert list(built.geometry.to_wkb()) == list(committed.geometry.to_wkb())
    assert report == (ROOT / "geodata/BUILD_REPORT.md").read_text()
    for name in ("department", "province", "district", "context"):
        assert (tmp_path / "static" / f"{name}.json").read_bytes() == \
            (geodata.STATIC_GEO_DIR / f"{name}.json").read_bytes()
    assert (tmp_path / "manifest.json").read_text() == (ROOT / "geodata/manifest.json").read_text()
