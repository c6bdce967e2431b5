"""The goals' key figures by year: the numbers behind the charts, and the charts' specs."""

import pandas as pd
import pytest

from mapapp.analysis.kpis import goal_kpis, yearly_values
from mapapp.ingest.datasets import demo_dataset
from mapapp.model import catalog
from mapapp.model.view import Filters
from mapapp.render import charts
from mapapp.render.charts import kpi_alt_text, kpi_chart, kpi_chart_spec, kpi_frame


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    return demo_dataset().results


def results_of(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([(i + 1, code, "district", year, "", indicator, value)
                         for i, (code, year, indicator, value) in enumerate(rows)],
                        columns=["row", "ubigeo", "level", "year", "value_chain",
                                 "indicator", "value"])


SMALL = results_of([("220101", 2019, "families_supported", 10),
                    ("220101", 2021, "families_supported", 5),
                    ("160101", 2021, "families_supported", 7),
                    ("220101", 2019, "people_trained_digital", 3)])


@pytest.mark.parametrize(("filters", "expected"), [
    (Filters(), ((2019, 10.0), (2021, 12.0))),  # a year with no rows has no bar
    (Filters(years=(2020, 2022)), ((2021, 12.0),)),
    (Filters(areas=("22",)), ((2019, 10.0), (2021, 5.0))),
    (Filters(years=(2018, 2018)), ()),
])
def test_yearly_values_follow_the_filters(filters, expected):
    assert yearly_values(SMALL, "families_supported", filters) == expected


@pytest.mark.parametrize("goal", [g.number for g in catalog.GOALS])
def test_years_of_a_sum_add_up_to_the_key_figure(results, goal):
    for kpi in goal_kpis(results, goal):
        if catalog.INDICATORS[kpi.indicator].is_percentage:
            assert kpi.cumulative == ()
            continue
        assert kpi.by_year and sum(v for _, v in kpi.by_year) == pytest.approx(kpi.value)
        assert kpi.cumulative[-1][1] == pytest.approx(kpi.value)
        assert [y for y, _ in kpi.cumulative] == [y for y, _ in kpi.by_year]


@pytest.mark.parametrize(("lang", "marks", "tooltip", "series"), [
    ("es", {"thousands": ".", "decimal": ","}, "10.468 familias", ["Por año", "Acumulado"]),
    ("en", {"thousands": ",", "decimal": "."}, "10,468 families", ["Per year", "Cumulative"]),
])
def test_chart_speaks_the_readers_language(results, lang, marks, tooltip, series):
    kpi = next(k for k in goal_kpis(results, 3) if k.indicator == "families_supported")
    spec = kpi_chart(kpi, lang).to_dict()
    number = spec["config"]["locale"]["number"]
    assert {k: number[k] for k in marks} == marks
    frame = kpi_frame(kpi, lang)
    assert frame["text"].iloc[0] == tooltip
    assert list(dict.fromkeys(frame["series"])) == series
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == series
    assert kpi_alt_text(kpi, lang).startswith(f"{series[0]}: 2018 {tooltip}")


def test_a_percentage_is_bars_only(results):
    kpi = next(k for k in goal_kpis(results, None)
               if catalog.INDICATORS[k.indicator].is_percentage)
    frame = kpi_frame(kpi, "es")
    assert set(frame["series"]) == {"Por año"} and len(frame) == len(kpi.by_year) > 1


@pytest.mark.parametrize(("lang", "highlight"), [("es", None), ("en", None), ("es", 2020)])
@pytest.mark.parametrize("goal", [None, *(g.number for g in catalog.GOALS)])
def test_the_page_gets_altairs_spec_with_the_figures_rows(results, lang, highlight, goal):
    """The page draws the dict Altair writes (less its default theme's 300 px view, which
    the page sizes itself): the chart's frame written once, each figure's rows put in."""
    for kpi in goal_kpis(results, goal):
        expected = kpi_chart(kpi, lang, highlight).to_dict()
        view = expected["config"]["view"]
        del view["continuousWidth"], view["continuousHeight"]
        spec = kpi_chart_spec(kpi, lang, highlight)
        rows = expected.pop("datasets")[expected.pop("data")["name"]]
        assert spec.pop("datasets") == {spec.pop("data")["name"]: rows}
        assert spec == expected


def test_a_charts_frame_is_written_once_and_handed_out_whole(results, monkeypatch):
    first, second = goal_kpis(results, 3)[:2]
    charts._skeleton.cache_clear()
    charts._spec_text.cache_clear()
    spec = kpi_chart_spec(first, "es")
    written = []
    monkeypatch.setattr(charts, "_chart", lambda *a: written.append(a))
    other = kpi_chart_spec(second, "es")
    assert written == [] and other["datasets"] != spec["datasets"]
    assert other["data"]["name"] != spec["data"]["name"]  # named by content, as Altair does
    spec["layer"].clear()  # Streamlit edits the dict it is given: the next call is whole
    framed = []
    monkeypatch.setattr(charts, "kpi_frame", lambda *a: framed.append(a))
    assert kpi_chart_spec(first, "es")["layer"]
    assert framed == []  # the same figures again (every rerun): the finished dict is kept
