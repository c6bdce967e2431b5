"""Small charts of a key figure by year (bars per year, the cumulative line), as
Vega-Lite specifications made with Altair: the page shows them with
``st.vega_lite_chart``; the numbers follow the reader's format (es ``1.200``)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

import altair as alt
import pandas as pd

from mapapp.analysis.kpis import KPI
from mapapp.analysis.symbology import COLORS
from mapapp.model import catalog
from mapapp.model.catalog import Lang
from mapapp.model.formatting import format_value, number_marks
from mapapp.model.i18n import t

CHART_HEIGHT_PX = 150  # the plot; axes and legend come on top


def kpi_frame(kpi: KPI, lang: Lang) -> pd.DataFrame:
    """Long form: one row per year and series (per year; cumulative), with the value
    as the reader writes it for the tooltip."""
    unit = catalog.INDICATORS[kpi.indicator].unit[lang]
    rows = [(year, t("per_year", lang), value, format_value(value, unit, lang))
            for year, value in kpi.by_year]
    rows += [(year, t("cumulative", lang), value, format_value(value, unit, lang))
             for year, value in kpi.cumulative]
    return pd.DataFrame(rows, columns=["year", "series", "value", "text"])


def kpi_chart(kpi: KPI, lang: Lang, highlight: int | None = None) -> alt.LayerChart:
    """Bars per year and, for figures that add up, the running total as a line; with
    ``highlight`` (the year player's year), that year's bar stands out."""
    frame = kpi_frame(kpi, lang)
    return _chart(frame, lang, highlight, _axis_format(frame))


def _chart(frame: pd.DataFrame, lang: Lang, highlight: int | None,
           axis_format: str) -> alt.LayerChart:
    per_year, cumulative = t("per_year", lang), t("cumulative", lang)
    colour = alt.Color("series:N", title=None,
                       scale=alt.Scale(domain=[per_year, cumulative],
                                       range=[COLORS.circle, COLORS.ink]),
                       legend=alt.Legend(orient="top", direction="horizontal",
                                         symbolSize=60, labelFontSize=11))
    base = alt.Chart(frame).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format=axis_format, tickCount=3)),
        color=colour,
        tooltip=[alt.Tooltip("year:O", title=t("year", lang)),
                 alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("text:N", title=t("value", lang))])
    opacity = alt.value(0.8) if highlight is None else alt.condition(
        alt.datum.year == highlight, alt.value(1.0), alt.value(0.3))
    bars = base.transform_filter(alt.datum.series == per_year).mark_bar().encode(
        opacity=opacity)
    line = base.transform_filter(alt.datum.series == cumulative).mark_line(point=True)
    return (alt.layer(bars, line).properties(height=CHART_HEIGHT_PX,
                                             autosize={"type": "fit-x", "contains": "padding"})
            .configure(locale=_locale(lang)).configure_view(stroke=None))


def kpi_chart_spec(kpi: KPI, lang: Lang, highlight: int | None = None) -> dict:
    """``kpi_chart`` as a Vega-Lite dict, a fresh one each call (the caller may change it).

    Altair builds and validates a chart against the whole Vega-Lite schema when it writes
    the dict: ~35 ms a chart, and the page draws eleven, new ones for every new filter
    and dataset. Only the rows differ from one figure to the next, so Altair writes each
    chart's frame once (per language, highlighted year and axis format) and the rows go
    into a copy of it, named by their content as Altair names them. A rerun with the
    same figures reads the finished dict back (the page draws it on every rerun)."""
    return json.loads(_spec_text(kpi, lang, highlight))


@lru_cache(maxsize=1024)  # ~2 kB each; a KPI is its figures (frozen), not a dataset's
def _spec_text(kpi: KPI, lang: Lang, highlight: int | None) -> str:
    frame = kpi_frame(kpi, lang)
    spec = json.loads(_skeleton(lang, highlight, _axis_format(frame)))
    rows = frame.to_dict(orient="records")  # Python ints, floats and strings
    name = "data-" + hashlib.md5(json.dumps(rows, sort_keys=True).encode(),
                                 usedforsecurity=False).hexdigest()
    spec["data"], spec["datasets"] = {"name": name}, {name: rows}
    return json.dumps(spec)


@lru_cache(maxsize=64)
def _skeleton(lang: Lang, highlight: int | None, axis_format: str) -> str:
    empty = pd.DataFrame({"year": pd.Series(dtype=int), "series": pd.Series(dtype=str),
                          "value": pd.Series(dtype=float), "text": pd.Series(dtype=str)})
    spec = _chart(empty, lang, highlight, axis_format).to_dict()
    # Altair's default theme adds a 300 px view; the page sizes the chart (fit-x, height).
    for size in ("continuousWidth", "continuousHeight"):
        spec["config"]["view"].pop(size, None)
    return json.dumps(spec)


def kpi_alt_text(kpi: KPI, lang: Lang) -> str:
    """The chart in words, for a screen reader: ``Por año: 2018 10.468 familias; …``."""
    unit = catalog.INDICATORS[kpi.indicator].unit[lang]
    years = "; ".join(f"{year} {format_value(value, unit, lang)}" for year, value in kpi.by_year)
    return f"{t('per_year', lang)}: {years}"


def _axis_format(frame: pd.DataFrame) -> str:
    """Grouped digits; large sums as 24M (the tooltip has every digit)."""
    return "~s" if not frame.empty and frame["value"].abs().max() >= 100_000 else ",.0f"


def _locale(lang: Lang) -> dict:
    thousands, decimal = number_marks(lang)
    return {"number": {"decimal": decimal, "thousands": thousands, "grouping": [3],
                       "currency": ["", ""]}}
