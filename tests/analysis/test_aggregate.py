"""Roll-up to each level, filters, weighted means, the join with boundaries."""

import pandas as pd
import pytest

from mapapp.analysis.aggregate import (
    Filters,
    aggregate_results,
    join_with_boundaries,
    national_value,
)
from mapapp.boundaries import geodata
from mapapp.ingest.results import TIDY_COLUMNS


def tidy(*records: tuple) -> pd.DataFrame:
    rows = [(i + 1, u, geodata.LEVEL_OF_LENGTH[len(u)], y, c, ind, v)
            for i, (u, y, c, ind, v) in enumerate(records)]
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


RESULTS = tidy(
    ("220901", 2019, "cacao", "hectares", 10.0),  # San Martín / San Martín / Tarapoto
    ("220902", 2020, "cafe", "hectares", 5.0),
    ("221005", 2021, "cacao", "hectares", 7.0),  # Tocache / Uchiza
    ("1006", 2020, "cacao", "hectares", 100.0),  # a province total, Leoncio Prado
    ("15", 2020, "cacao", "hectares", 1000.0),  # Lima, outside the Amazon
    ("220901", 2019, "", "families_supported", 30.0),
    ("221005", 2021, "", "families_supported", 10.0),
    ("220901", 2019, "", "income_change_pct", 100.0),
    ("221005", 2021, "", "income_change_pct", 60.0),
)


@pytest.mark.parametrize("level, filters, expected, unallocated", [
    ("department", Filters(), {"22": 22, "10": 100, "15": 1000}, 0),
    ("province", Filters(), {"2209": 15, "2210": 7, "1006": 100}, 1000),
    ("district", Filters(), {"220901": 10, "220902": 5, "221005": 7}, 1100),
    ("department", Filters(years=(2020, 2021)), {"22": 12, "10": 100, "15": 1000}, 0),
    ("department", Filters(value_chains=("cafe",)), {"22": 5}, 0),
    ("department", Filters(areas=("22",)), {"22": 22}, 0),
    ("department", Filters(amazon_only=True), {"22": 22, "10": 100}, 0),
    ("province", Filters(areas=("22", "15"), amazon_only=True), {"2209": 15, "2210": 7},
     0),
    ("district", Filters(areas=("2210",)), {"221005": 7}, 0),
    ("district", Filters(areas=("2210", "1006")), {"221005": 7}, 100),
])
def test_sums_roll_up_to_the_level(level, filters, expected, unallocated):
    result = aggregate_results(RESULTS, "hectares", level, filters)
    assert dict(zip(result.values["ubigeo"], result.values["value"], strict=True)) == expected
    assert result.unallocated == unallocated


def test_percentages_are_weighted_means_never_sums():
    result = aggregate_results(RESULTS, "income_change_pct", "department")
    # weights: families 30 (Tarapoto, 2019) and 10 (Uchiza, 2021)
    assert result.values["value"].tolist() == [pytest.approx((100 * 30 + 60 * 10) / 40)]
    assert national_value(RESULTS, "income_change_pct") == pytest.approx(90.0)


def test_percentage_without_weights_falls_back_to_plain_mean():
    rows = tidy(("220901", 2019, "", "coca_free_share", 80.0),
                ("221005", 2019, "", "coca_free_share", 100.0))
    assert national_value(rows, "coca_free_share") == pytest.approx(90.0)


def test_chain_filter_leaves_indicators_without_chains_alone():
    cafe = Filters(value_chains=("cafe",))
    assert national_value(RESULTS, "income_change_pct", cafe) == pytest.approx(90.0)
    assert national_value(RESULTS, "families_supported", cafe) is None  # given without chain


def test_national_value_is_none_when_filters_leave_nothing():
    assert national_value(RESULTS, "hectares", Filters(years=(2005, 2006))) is None


def test_join_keeps_every_place_and_no_data_apart_from_zero():
    layer = join_with_boundaries(aggregate_results(RESULTS, "hectares", "department"),
                                 geodata.load_boundaries("department"))
    assert len(layer) == 25 and layer["value"].isna().sum() == 22
    row = layer.set_index("ubigeo").loc["10"]
    assert row["share"] == pytest.approx(100 / 1122)
    assert layer.geometry.notna().all()


def test_join_can_narrow_to_departments():
    layer = join_with_boundaries(aggregate_results(RESULTS, "hectares", "district"),
                                 geodata.load_boundaries("district"), areas=["22"])
    assert set(layer["ubigeo"].str[:2]) == {"22"} and layer["value"].notna().sum() == 3
