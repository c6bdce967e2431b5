"""Key figures of the three goals for the current filters, beside the fact sheet."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from mapapp.analysis.aggregate import national_value, national_values_by_year
from mapapp.model import catalog
from mapapp.model.formatting import format_share, format_value
from mapapp.model.i18n import QUALIFIER, t
from mapapp.model.view import Filters


@dataclass(frozen=True)
class KPI:
    indicator: str
    value_chain: str | None
    value: float | None  # for the current filters
    figure: catalog.NationalFigure
    by_year: tuple[tuple[int, float], ...] = ()  # the same figure, year by year

    @property
    def cumulative(self) -> tuple[tuple[int, float], ...]:
        """Running totals by year; none for percentages (a mean does not add up)."""
        if catalog.INDICATORS[self.indicator].is_percentage:
            return ()
        total, out = 0.0, []
        for year, value in self.by_year:
            total += value
            out.append((year, total))
        return tuple(out)

    @property
    def share_of_figure(self) -> float | None:
        """Share of the fact-sheet figure; for percentages, None (a mean is not a part)."""
        if self.value is None or catalog.INDICATORS[self.indicator].is_percentage:
            return None
        return self.value / self.figure.value


def goal_kpis(results: pd.DataFrame, goal: int | None, filters: Filters = Filters()) -> list[KPI]:
    """One KPI per fact-sheet figure of the goal's indicators (hectares: one per chain)."""
    kpis = []
    for ind in catalog.indicators_for_goal(goal):
        for figure in ind.figures:
            narrowed = filters
            if figure.value_chain:
                if filters.value_chains and figure.value_chain not in filters.value_chains:
                    continue
                narrowed = replace(filters, value_chains=(figure.value_chain,))
            kpis.append(KPI(ind.id, figure.value_chain,
                            national_value(results, ind.id, narrowed), figure,
                            yearly_values(results, ind.id, narrowed)))
    return kpis


def yearly_values(results: pd.DataFrame, indicator: str,
                  filters: Filters = Filters()) -> tuple[tuple[int, float], ...]:
    """The indicator for each year the filters keep that has data, as the fact sheet
    states it (a sum, or a weighted mean)."""
    values = national_values_by_year(results, indicator, filters)
    return tuple((int(year), float(value)) for year, value in values.itertuples(index=False))


def kpi_label(kpi: KPI, lang: catalog.Lang) -> str:
    """``Hectáreas instaladas (Cacao)``."""
    label = catalog.INDICATORS[kpi.indicator].label[lang]
    if kpi.value_chain:
        label += f" ({catalog.VALUE_CHAINS[kpi.value_chain].label[lang]})"
    return label


def kpi_title(kpi: KPI, lang: catalog.Lang) -> str:
    """A chart's title: ``Familias apoyadas (familias)``."""
    return f"{kpi_label(kpi, lang)} ({catalog.INDICATORS[kpi.indicator].unit[lang]})"


def describe_kpi(kpi: KPI, lang: catalog.Lang, emphasis=lambda text: text) -> str:
    """``Familias apoyadas: 33.159 familias — 38,0 % de ≈ 87.200 familias``."""
    ind = catalog.INDICATORS[kpi.indicator]
    label = kpi_label(kpi, lang)
    unit = ind.unit[lang]
    figure = QUALIFIER[kpi.figure.qualifier] + format_value(kpi.figure.value, unit, lang)
    if kpi.value is None:
        return f"{label}: {t('no_data', lang)} — {t('fact_sheet', lang)}: {figure}"
    value = emphasis(format_value(kpi.value, unit, lang))
    if kpi.share_of_figure is None:
        return f"{label}: {value} — {t('fact_sheet', lang)}: {figure}"
    return (f"{label}: {value} — {format_share(kpi.share_of_figure, lang)} "
            f"{t('of_figure', lang)} {figure}")
