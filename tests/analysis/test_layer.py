"""The map layer: frozen, one rank (of what is shown), one span of years, credits."""

import dataclasses
import io

import pandas as pd
import pytest
from helpers import dataset_with

from mapapp.analysis.layer import build_layer, tooltip_rows
from mapapp.ingest.datasets import demo_dataset
from mapapp.model.view import View
from mapapp.render.exports import export_view

DEMO = demo_dataset()


def test_a_layer_cannot_be_changed_by_those_who_share_it():
    layer = build_layer(DEMO, View())
    with pytest.raises(dataclasses.FrozenInstanceError):
        layer.view = View(level="district")
    before, places = layer.places, layer.places
    places.loc[places.index[0], "shown"] = -1.0
    places["extra"] = 1
    assert layer.places.equals(before) and "extra" not in layer.places


@pytest.mark.parametrize("measure", ["value", "per_km2", "share"])
@pytest.mark.parametrize("level", ["department", "province"])
def test_rank_is_of_the_measure_shown_on_the_map_the_ranking_and_the_exports(measure, level):
    view = View(level=level, measure=measure, indicator="hectares")
    layer = build_layer(DEMO, view)
    places = layer.places.dropna(subset=["shown"]).sort_values("shown", ascending=False)
    assert places["rank"].iloc[0] == 1
    assert places["rank"].is_monotonic_increasing
    on_map = dict(zip(tooltip_rows(layer)["ubigeo"], tooltip_rows(layer)["rank_text"],
                      strict=True))
    exported = pd.read_csv(io.BytesIO(export_view("csv", DEMO, view)), dtype={"ubigeo": str})
    for row in exported.dropna(subset=["rank"]).itertuples():
        assert on_map[row.ubigeo].split(" / ")[0] == str(int(row.rank))


@pytest.mark.parametrize("years, shown", [(None, (2018, 2022)), ((2020, 2021), (2020, 2021))])
def test_the_years_shown_are_the_views_or_all_the_data_has(years, shown):
    layer = build_layer(DEMO, View(years=years))
    assert layer.years == shown and layer.data.years == DEMO.years == (2018, 2022)
    assert layer.subtitle.endswith(f"{shown[0]}–{shown[1]}")


@pytest.mark.parametrize("demo", [True, False])
def test_the_layer_carries_the_credits_of_its_data(demo):
    layer = build_layer(dataset_with(demo, DEMO.localities), View(lang="en"))
    credits = layer.data.credits("en")
    assert (credits.demo_label is not None) is demo
    assert credits.data == ("Demo data — illustrative distribution" if demo else "User data")
    assert layer.localities is not None and len(layer.localities) == len(DEMO.localities)


@pytest.mark.parametrize(("view", "grows"), [
    (View(player=True), True), (View(player=True, level="province", measure="per_km2"), True),
    (View(player=True, indicator="coca_free_share", level="district"), False),  # 100 % each year
])
def test_the_year_player_keeps_classes_and_circle_sizes_across_years(view, grows):
    dataset = demo_dataset()
    layers = [build_layer(dataset, dataclasses.replace(view, years=(y, y)))
              for y in range(2018, 2023)]
    assert len({layer.classes.bounds for layer in layers}) == 1
    assert len({layer.largest for layer in layers}) == 1
    assert any(layer.largest > layer.places["shown"].max() for layer in layers) == grows
    free = [build_layer(dataset, dataclasses.replace(view, player=False, years=(y, y)))
            for y in (2018, 2022)]
    assert free[0].classes.bounds != free[1].classes.bounds  # what the player prevents


@pytest.mark.parametrize("indicator, level", [("hectares", "department"),
                                              ("families_supported", "province"),
                                              ("coca_free_share", "department")])
def test_a_comparison_maps_the_second_period_minus_the_first(indicator, level):
    dataset = demo_dataset()
    view = View(indicator=indicator, level=level, lang="en")
    change = build_layer(dataset, dataclasses.replace(view, compare=(2018, 2019, 2021, 2022)))
    before = build_layer(dataset, dataclasses.replace(view, years=(2018, 2019))).places
    after = build_layer(dataset, dataclasses.replace(view, years=(2021, 2022))).places
    places = change.places.set_index("ubigeo")
    for code, b, a in zip(after["ubigeo"], before["shown"], after["shown"], strict=True):
        if pd.isna(a) and pd.isna(b):
            assert pd.isna(places.loc[code, "shown"])
        elif indicator == "coca_free_share" and (pd.isna(a) or pd.isna(b)):
            assert pd.isna(places.loc[code, "shown"])  # a mean needs both periods
        else:
            expected = (0 if pd.isna(a) else a) - (0 if pd.isna(b) else b)
            assert places.loc[code, "shown"] == pytest.approx(expected)
    assert change.title.endswith("change 2021–2022 minus 2018–2019")
    assert change.view.is_choropleth and change.years is None
    assert change.places["share"].isna().all()
