"""Key figures of the three goals for the current filters, beside the fact sheet."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from mapapp.analysis.aggregate import national_value
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
                            national_value(results, ind.id, narrowed), figure))
    return kpis


def describe_kpi(kpi: KPI, lang: catalog.Lang, emphasis=lambda text: text) -> str:
    """``Familias apoyadas: 33.159 familias — 38,0 % de ≈ 87.200 familias``."""
    ind = catalog.INDICATORS[kpi.indicator]
    label = ind.label[lang]
    if kpi.value_chain:
        label += f" ({catalog.VALUE_CHAINS[kpi.value_chain].label[lang]})"
    unit = ind.unit[lang]
    figure = QUALIFIER[kpi.figure.qualifier] + format_value(kpi.figure.value, unit, lang)
    if kpi.value is None:
        return f"{label}: {t('no_data', lang)} — {t('fact_sheet', lang)}: {figure}"
    value = emphasis(format_value(kpi.value, unit, lang))
    if kpi.share_of_figure is None:
        return f"{label}: {value} — {t('fact_sheet', lang)}: {figure}"
    return (f"{label}: {value} — {format_share(kpi.share_of_figure, lang)} "
            f"{t('of_figure', lang)} {figure}")
