"""One symbology for both maps: legend rows, circle sizes, label picks and colours are
computed once, and the web map and the PNG show the same."""

import ast
import html
import math
import re
from itertools import pairwise

import pytest
from helpers import ROOT, dataset_with

from mapapp.analysis import symbology
from mapapp.analysis.classify import NO_DATA_COLOR
from mapapp.analysis.layer import build_layer
from mapapp.analysis.symbology import (
    COLORS,
    MAX_LABELS,
    MAX_RADIUS_PT,
    MAX_RADIUS_PX,
    PRINT_LABEL_CANDIDATES,
    circle_radii,
    circle_radius,
    format_bound,
    label_places,
    label_priority,
    legend_rows,
    print_label_candidates,
    round_nicely,
)
from mapapp.ingest.datasets import demo_dataset
from mapapp.model.view import View

DEMO = demo_dataset()


def layer_for(dataset_localities=DEMO.localities, **view_args):
    return build_layer(dataset_with(True, dataset_localities), View(**view_args))


@pytest.mark.parametrize("lang, k", [("es", 4), ("en", 7)])
def test_choropleth_legend_has_a_box_per_class_then_no_data(lang, k):
    layer = layer_for(indicator="coca_free_share", k=k, lang=lang)
    rows = legend_rows(layer, 30, with_localities=False)
    assert [r.kind for r in rows] == ["box"] * k + ["nodata"]
    assert [r.color for r in rows[:-1]] == list(layer.classes.colors)
    bounds = [format_bound(b, layer.unit, lang) for b in layer.classes.bounds]
    assert [r.text for r in rows[:-1]] == [f"{lo} – {hi}" for lo, hi in pairwise(bounds)]
    assert rows[-1].text == ("sin datos" if lang == "es" else "no data")


@pytest.mark.parametrize("level", ["department", "province", "district"])
@pytest.mark.parametrize("max_radius", [MAX_RADIUS_PX, MAX_RADIUS_PT])
def test_circle_legend_shows_nicely_rounded_shares_of_the_largest_value(level, max_radius):
    layer = layer_for(level=level)
    rows = legend_rows(layer, max_radius[level], with_localities=True)
    assert [r.kind for r in rows] == ["circle"] * 3 + ["nodata", "point"]
    largest = float(layer.places["shown"].max())
    values = [round_nicely(largest * f) for f in (1.0, 0.25, 0.05)]
    assert [r.text for r in rows[:3]] == [format_bound(v, layer.unit, "es") for v in values]
    assert [r.radius for r in rows[:3]] == [circle_radius(v, largest, max_radius[level])
                                            for v in values]
    assert rows[0].radius == pytest.approx(max_radius[level], rel=0.05)  # about the largest
    assert rows[0].color == COLORS.circle and rows[-1].color == COLORS.locality


def test_a_legend_without_data_has_no_circles():
    layer = layer_for(depts=("15",))  # Lima: no data in the demo
    rows = legend_rows(layer, 30, with_localities=False)
    assert not layer.has_data and [r.kind for r in rows] == ["nodata"]


@pytest.mark.parametrize("value, largest, radius", [
    (100, 100, 30), (25, 100, 15), (1, 100, 3), (0, 100, 0), (-5, 100, 0),
    (float("nan"), 100, 0), (0.0001, 100, 2), (5, 0, 0),
])
def test_circle_area_is_proportional_to_value(value, largest, radius):
    assert circle_radius(value, largest, 30) == pytest.approx(radius)


@pytest.mark.parametrize("values", [[400, 100, 25, 1], [7.5, 30, float("nan"), 3]])
def test_circle_areas_keep_the_ratios_of_the_values(values):
    radii = circle_radii(values, 20)
    largest = max(v for v in values if not math.isnan(v))
    assert max(radii) == 20
    for value, radius in zip(values, radii, strict=True):
        if math.isnan(value):
            assert radius == 0
        elif radius > symbology.MIN_RADIUS:
            assert (radius / 20) ** 2 == pytest.approx(value / largest)


@pytest.mark.parametrize("value, nice", [(0, 0), (7, 7), (12_345, 12_000), (987, 990),
                                         (33_159, 33_000), (0.37, 0)])
def test_round_nicely_keeps_two_digits(value, nice):
    assert round_nicely(value) == nice


@pytest.mark.parametrize("level", ["department", "province", "district"])
def test_label_picks_are_the_largest_values_capped_per_level(level):
    layer = layer_for(level=level)
    picked = label_places(layer)
    places = layer.places
    if len(places) <= MAX_LABELS[level]:
        assert len(picked) == len(places)  # few places: every one, with data or not
    else:
        with_data = places["shown"].dropna()
        assert len(picked) == min(MAX_LABELS[level], len(with_data))
        assert picked["shown"].min() >= with_data.nlargest(len(picked)).min()
    assert len(label_places(layer_for(level=level, labels=False))) == 0


def test_label_priority_is_largest_value_then_largest_area_no_data_last():
    import pandas as pd

    places = pd.DataFrame({"name": list("abcde"), "shown": [None, 5, None, 7, 5],
                           "area_km2": [10, 1, 30, 2, 3]})
    assert label_priority(places)["name"].tolist() == ["d", "e", "b", "c", "a"]


@pytest.mark.parametrize("level", ["department", "province", "district"])
def test_print_tries_the_web_labels_first_then_more(level):
    layer = layer_for(level=level)
    tried = print_label_candidates(layer)
    assert len(tried) == min(len(layer.places), PRINT_LABEL_CANDIDATES[level])
    web = label_places(layer)
    if len(layer.places) > MAX_LABELS[level]:  # the web's picks lead, in the same order
        assert tried["ubigeo"].head(len(web)).tolist() == web["ubigeo"].tolist()
    assert len(print_label_candidates(layer_for(level=level, labels=False))) == 0


def web_legend_texts(layer) -> list[str]:
    from mapapp.render.web_map import legend_html

    return [html.unescape(t) for t in
            re.findall(r'<div class="row">.*?<span>([^<]*)</span></div>', legend_html(layer))]


def png_legend_texts(layer) -> list[str]:
    from matplotlib.figure import Figure

    from mapapp.render import png_map

    fig = Figure(figsize=png_map.SIZE_IN, dpi=png_map.DPI)
    png_map._legend(fig, layer)
    return [t.get_text() for t in fig.axes[-1].texts]


@pytest.mark.parametrize("view_args", [
    {}, {"level": "district", "lang": "en"}, {"indicator": "coca_free_share", "k": 5},
    {"level": "province", "measure": "per_km2"}, {"localities": False},
])
def test_web_and_png_legends_list_the_same_rows(view_args):
    layer = layer_for(**view_args)
    rows = legend_rows(layer, 1, with_localities=layer.view.localities)
    assert web_legend_texts(layer) == png_legend_texts(layer) == [r.text for r in rows]


def test_a_legend_names_localities_only_when_the_data_has_them():
    """Results published without localities: no localities row, on the web or on paper."""
    layer = layer_for(dataset_localities=None)
    assert "Localidades conectadas" not in web_legend_texts(layer)
    assert png_legend_texts(layer) == web_legend_texts(layer)


def test_the_web_legend_keeps_the_localities_row_when_filters_leave_none_in_view():
    layer = layer_for(dataset_localities=DEMO.localities.iloc[0:0])
    assert web_legend_texts(layer)[-1] == "Localidades conectadas"
    assert png_legend_texts(layer) == web_legend_texts(layer)[:-1]


def test_no_data_has_one_colour_everywhere():
    assert COLORS.no_data == NO_DATA_COLOR


def test_each_renderer_draws_from_the_symbology_not_from_the_other():
    for name, other in (("png_map", "web_map"), ("web_map", "png_map")):
        tree = ast.parse((ROOT / "mapapp" / "render" / f"{name}.py").read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "mapapp.analysis.symbology" in imported
        assert f"mapapp.render.{other}" not in imported
