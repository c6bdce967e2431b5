"""The demo dataset: fact-sheet totals, Amazon districts, reproducible, points inside."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from mapapp.analysis.aggregate import national_value
from mapapp.boundaries import geodata
from mapapp.builders import demo
from mapapp.ingest.results import read_results
from mapapp.model import catalog
from mapapp.model.view import Filters


@pytest.fixture(scope="module")
def report():
    return read_results(demo.RESULTS_FILE.read_bytes(), demo.RESULTS_FILE.name)


@pytest.mark.parametrize("indicator", list(catalog.INDICATORS))
def test_national_figures_equal_the_fact_sheet(report, indicator):
    ind = catalog.INDICATORS[indicator]
    for figure in ind.figures:
        filters = Filters(value_chains=(figure.value_chain,) if figure.value_chain else ())
        value = national_value(report.valid, indicator, filters)
        if ind.is_percentage:
            assert round(value, 1) == figure.value
        else:
            assert value == figure.value


def test_demo_is_clean_district_level_2018_2022_in_the_amazon(report):
    assert report.rows_rejected == 0 and report.warnings == []
    valid = report.valid
    assert (valid["level"] == "district").all()
    assert sorted(valid["year"].unique()) == [2018, 2019, 2020, 2021, 2022]
    assert set(valid["ubigeo"].str[:2]) <= geodata.amazon_departments()
    assert {"cacao", "cafe", "banano", "madera"} <= set(valid["value_chain"])
    assert set(valid.loc[valid["indicator"] == "hectares", "value_chain"]) == {"cacao", "cafe"}


def test_localities_lie_inside_their_district_and_match_the_indicator(report):
    localities = pd.read_csv(demo.LOCALITIES_FILE, dtype={"ubigeo": str})
    assert len(localities) == 117
    points = gpd.points_from_xy(localities["lon"], localities["lat"])
    for detail in ("screen", "print"):
        shapes = geodata.load_boundaries("district", detail).set_index("ubigeo").geometry
        assert shapely.contains(shapes.loc[localities["ubigeo"]].values, points).all()
    counted = localities.groupby(["ubigeo", "year"]).size()
    rows = report.valid[report.valid["indicator"] == "connected_localities"]
    assert rows.set_index(["ubigeo", "year"])["value"].sort_index().tolist() == \
        counted.sort_index().tolist()


def test_demo_files_are_reproduced_by_the_seeded_script(tmp_path):
    demo.build_demo(tmp_path)
    for name in ("results.csv", "localities.csv"):
        assert (tmp_path / name).read_bytes() == (demo.DEMO_DIR / name).read_bytes()


@pytest.mark.parametrize("total, weights", [
    (10, [1, 1, 1]), (87_200, [0.3, 2.5, 7.1, 0.001]), (3, [5, 5, 5, 5, 5]), (0, [1, 2]),
])
def test_apportion_is_exact_and_proportional(total, weights):
    import numpy as np

    parts = demo.apportion(total, np.array(weights, dtype=float))
    assert parts.sum() == total and (parts >= 0).all()
    ideal = np.array(weights) / sum(weights) * total
    assert (abs(parts - ideal) < 1).all()
