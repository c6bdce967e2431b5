"""A PPTX deck for slides: title, the goals' key figures, one slide per map.

Sources and attribution go in every slide's notes and in the footer line.
"""

from __future__ import annotations

import io

import pandas as pd

from mapapp.analysis.kpis import describe_kpi, goal_kpis
from mapapp.analysis.layer import subtitle, title
from mapapp.boundaries import geodata
from mapapp.model import catalog
from mapapp.model.i18n import t
from mapapp.model.view import View

SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5  # 16:9


def build_deck(results: pd.DataFrame, view: View, maps: list[tuple[View, bytes]], *,
               demo: bool, years_in_data: tuple[int, int] | None) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    lang = view.lang
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W_IN), Inches(SLIDE_H_IN)
    notes = _notes(lang, demo)
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = t("title", lang)
    first.placeholders[1].text = f"{t('subtitle', lang)}\n{_data_line(lang, demo)}"
    for shape in first.placeholders:
        _full_width(shape)
    first.notes_slide.notes_text_frame.text = notes
    _goals_slide(deck, results, view, notes, demo)
    for one, png in maps:
        _map_slide(deck, one, png, notes, years_in_data)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _data_line(lang: catalog.Lang, demo: bool) -> str:
    from mapapp.builders.demo import DEMO_LABEL

    return DEMO_LABEL[lang] if demo else catalog.SOURCE_DOCUMENT[lang]


def _notes(lang: catalog.Lang, demo: bool) -> str:
    from mapapp.render.exports import LICENCE

    lines = [f"{t('data', lang)}: {catalog.SOURCE_DOCUMENT[lang]}",
             f"{t('source', lang)}: {geodata.ATTRIBUTION[lang]}", LICENCE]
    if demo:
        lines.insert(0, _data_line(lang, demo))
    return "\n".join(lines)


def _goals_slide(deck, results: pd.DataFrame, view: View, notes: str, demo: bool) -> None:
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
    _footer(slide, _data_line(lang, demo), notes)


def _map_slide(deck, view: View, png: bytes, notes: str,
               years_in_data: tuple[int, int] | None) -> None:
    from pptx.util import Inches

    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank: the PNG has its own title
    slide.shapes.add_picture(io.BytesIO(png), Inches(0), Inches(0), width=Inches(SLIDE_W_IN))
    slide.notes_slide.notes_text_frame.text = (
        f"{title(view)} — {subtitle(view, years_in_data)}\n{notes}")


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
