"""A PPTX deck for slides: title, the goals' key figures, one slide per map.

Sources and attribution go in every slide's notes and in the footer line.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from mapapp.analysis.kpis import describe_kpi, goal_kpis, kpi_title
from mapapp.analysis.layer import MapLayer, build_layer
from mapapp.model import catalog
from mapapp.model.i18n import t
from mapapp.model.provenance import Credits
from mapapp.model.view import View
from mapapp.render.png_map import render_png

if TYPE_CHECKING:
    from mapapp.ingest.datasets import Dataset

SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5  # 16:9


def build_deck(dataset: Dataset, view: View) -> bytes:
    """Title slide, goals/KPI slide, one map slide per value chain chosen (or one)."""
    from pptx import Presentation
    from pptx.util import Inches

    lang = view.lang
    credits = dataset.shown.credits(lang)
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W_IN), Inches(SLIDE_H_IN)
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = t("title", lang)
    first.placeholders[1].text = f"{t('subtitle', lang)}\n{credits.headline}"
    for shape in first.placeholders:
        _full_width(shape)
    first.notes_slide.notes_text_frame.text = credits.notes
    _goals_slide(deck, dataset.results, view, credits)
    _progress_slide(deck, dataset.results, view, credits)
    for one in map_views(view, dataset.years):
        _map_slide(deck, build_layer(dataset, one, "print"), credits)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def map_views(view: View, years_in_data: tuple[int, int] | None = None) -> list[View]:
    """One map per value chain chosen (for an indicator split by chain), else one; the
    year player: that for each year of the data, on the player's one scale (a comparison
    is one map, of the change)."""
    views = [view]
    if len(view.chains) > 1 and catalog.INDICATORS[view.indicator].by_value_chain:
        views = [replace(view, chains=(chain,)) for chain in view.chains]
    if view.player and years_in_data:
        first, last = years_in_data
        views = [replace(one, years=(year, year)) for one in views
                 for year in range(first, last + 1)]
    return views


def _goals_slide(deck, results: pd.DataFrame, view: View, credits: Credits) -> None:
    from pptx.util import Inches, Pt

    lang = view.lang
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = t("goals", lang)
    _full_width(slide.shapes.title)
    width = (SLIDE_W_IN - 1.0) / 3
    for i, goal in enumerate(catalog.GOALS):
        box = slide.shapes.add_textbox(Inches(0.5 + i * width), Inches(1.6), Inches(width - 0.2),
                                       Inches(5.2)).text_frame
        box.word_wrap = True
        box.text = f"{t('goal', lang)} {goal.number}. {goal.title[lang]}"
        box.paragraphs[0].runs[0].font.bold = True
        box.paragraphs[0].runs[0].font.size = Pt(18)
        for kpi in goal_kpis(results, goal.number, view.filters):
            paragraph = box.add_paragraph()
            paragraph.text = describe_kpi(kpi, lang)
            paragraph.runs[0].font.size = Pt(12)
        if goal.number == 1:  # the shortest column also holds the headline results
            heading = box.add_paragraph()
            heading.text = t("headline", lang)
            heading.runs[0].font.bold = True
            heading.runs[0].font.size = Pt(18)
            heading.space_before = Pt(18)
            for kpi in goal_kpis(results, None, view.filters):
                paragraph = box.add_paragraph()
                paragraph.text = describe_kpi(kpi, lang)
                paragraph.runs[0].font.size = Pt(12)
    _footer(slide, credits.headline, credits.notes)


def _progress_slide(deck, results: pd.DataFrame, view: View, credits: Credits) -> None:
    """Each goal's key figures by year as native column charts (editable in PowerPoint:
    the numbers travel in the chart's own workbook), three to a row."""
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches, Pt

    lang = view.lang
    kpis = [kpi for goal in catalog.GOALS
            for kpi in goal_kpis(results, goal.number, view.filters) if kpi.by_year]
    if not kpis:
        return
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = t("progress_by_year", lang)
    _full_width(slide.shapes.title)
    rows = -(-len(kpis) // 3)
    width, height = (SLIDE_W_IN - 1.0) / 3, (SLIDE_H_IN - 2.3) / rows
    for i, kpi in enumerate(kpis):
        data = CategoryChartData(number_format="#,##0")
        data.categories = [str(year) for year, _ in kpi.by_year]
        data.add_series(t("per_year", lang), [value for _, value in kpi.by_year])
        frame = slide.shapes.add_chart(
            XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(0.5 + (i % 3) * width),
            Inches(1.5 + (i // 3) * height), Inches(width - 0.15), Inches(height - 0.1), data)
        chart = frame.chart
        chart.has_legend = False
        chart.has_title = True
        chart.chart_title.text_frame.text = kpi_title(kpi, lang)
        chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(11)
        chart.value_axis.tick_labels.font.size = Pt(9)
        chart.value_axis.has_major_gridlines = False
        chart.category_axis.tick_labels.font.size = Pt(9)
        plot = chart.plots[0]
        plot.has_data_labels = True
        plot.data_labels.number_format, plot.data_labels.number_format_is_linked = "#,##0", False
        plot.data_labels.font.size = Pt(8)
    _footer(slide, credits.headline, credits.notes)


def _map_slide(deck, layer: MapLayer, credits: Credits) -> None:
    from pptx.util import Inches

    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank: the PNG has its own title
    slide.shapes.add_picture(io.BytesIO(render_png(layer)), Inches(0), Inches(0),
                             width=Inches(SLIDE_W_IN))
    slide.notes_slide.notes_text_frame.text = (
        f"{layer.title} — {layer.subtitle}\n{credits.notes}")


def _full_width(shape) -> None:
    """The default layouts are laid out for 4:3; stretch a placeholder across 16:9."""
    from pptx.util import Inches

    top, height = shape.top, shape.height  # inherited from the layout until set
    shape.left, shape.width = Inches(0.5), Inches(SLIDE_W_IN - 1.0)
    shape.top, shape.height = top, height


def _footer(slide, text: str, notes: str) -> None:
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(0.5), Inches(SLIDE_H_IN - 0.6), Inches(12.3),
                                   Inches(0.4)).text_frame
    box.text = text
    box.paragraphs[0].runs[0].font.size = Pt(11)
    slide.notes_slide.notes_text_frame.text = notes
