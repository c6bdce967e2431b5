"""The deck's progress slide: native charts whose series are the yearly figures."""

import io

import pytest
from pptx import Presentation

from mapapp.analysis.kpis import goal_kpis, kpi_title
from mapapp.ingest.datasets import demo_dataset
from mapapp.model import catalog
from mapapp.model.view import View
from mapapp.render.deck import build_deck

DEMO = demo_dataset()


def charts_of(deck_bytes: bytes) -> dict[str, object]:
    deck = Presentation(io.BytesIO(deck_bytes))
    return {frame.chart.chart_title.text_frame.text: frame.chart
            for slide in deck.slides for frame in slide.shapes if frame.has_chart}


@pytest.mark.parametrize("view", [View(), View(lang="en", depts=("22",), years=(2020, 2022)),
                                  View(chains=("cafe",))])
def test_progress_slide_has_an_editable_chart_per_key_figure(view):
    charts = charts_of(build_deck(DEMO, view))
    kpis = [k for g in catalog.GOALS for k in goal_kpis(DEMO.results, g.number, view.filters)]
    assert len(charts) == len(kpis) > 0
    for kpi in kpis:
        chart = charts[kpi_title(kpi, view.lang)]
        (series,) = chart.plots[0].series
        assert list(series.values) == pytest.approx([v for _, v in kpi.by_year])
        assert list(chart.plots[0].categories) == [str(y) for y, _ in kpi.by_year]


@pytest.mark.parametrize("view, titles", [
    (View(player=True, years=(2020, 2020)),
     [f"Familias apoyadas — Por departamento · {y}" for y in range(2018, 2023)]),
    (View(lang="en", indicator="hectares", compare=(2018, 2019, 2021, 2022)),
     ["Hectares established — change 2021–2022 minus 2018–2019 — By department"]),
])
def test_map_slides_follow_the_player_and_the_comparison(view, titles):
    deck = Presentation(io.BytesIO(build_deck(DEMO, view)))
    notes = [slide.notes_slide.notes_text_frame.text.splitlines()[0] for slide in deck.slides
             if any(shape.shape_type == 13 for shape in slide.shapes)]
    assert notes == titles
