"""Roll validated results up to a level, filter them, join them to boundaries.

Pure functions on the tidy table of ``results.ValidationReport.valid``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mapapp.boundaries import geodata
from mapapp.model import catalog
from mapapp.model.view import Filters


@dataclass
class Aggregate:
    """Values of one indicator per place of a level.

    ``unallocated`` is what the filters keep but the level cannot show: values
    given for a coarser place (a department total on a district map).
    """

    indicator: str
    level: str
    values: pd.DataFrame  # ubigeo, value, weight
    unallocated: float
    unallocated_rows: int


def filter_results(results: pd.DataFrame, filters: Filters,
                   indicator: str | None = None) -> pd.DataFrame:
    keep = pd.Series(True, index=results.index)
    if indicator:
        keep &= results["indicator"] == indicator
    if filters.years:
        keep &= results["year"].between(*filters.years)
    if filters.value_chains:
        chained = results["indicator"].isin(
            [i for i, ind in catalog.INDICATORS.items() if ind.by_value_chain])
        # Indicators not split by value chain are not narrowed by a chain filter.
        keep &= ~chained | results["value_chain"].isin(filters.value_chains)
    areas = set(filters.areas)
    if filters.amazon_only:
        amazon = geodata.amazon_departments()
        areas = {a for a in areas if a[:2] in amazon} if areas else amazon
    if areas or filters.amazon_only:
        keep &= within_areas(results["ubigeo"], areas)
    return results[keep]


def within_areas(ubigeo: pd.Series, areas: Iterable[str]) -> pd.Series:
    """Which codes lie in one of the areas (ubigeo prefixes of any length)."""
    inside = pd.Series(False, index=ubigeo.index)
    by_length: dict[int, set[str]] = {}
    for area in areas:
        by_length.setdefault(len(area), set()).add(area)
    for length, codes in by_length.items():
        inside |= ubigeo.str[:length].isin(codes)
    return inside


def aggregate_results(results: pd.DataFrame, indicator: str, level: str,
                      filters: Filters = Filters()) -> Aggregate:
    """Sum counts, take weighted means of percentages, per place of ``level``."""
    length = geodata.CODE_LENGTH[level]
    ind = catalog.INDICATORS[indicator]
    rows = filter_results(results, filters, indicator)
    fine = rows["ubigeo"].str.len() >= length
    coarse = rows[~fine]
    values = _combine(rows[fine].assign(place=rows.loc[fine, "ubigeo"].str[:length]),
                      results, ind, filters)
    values = values.rename(columns={"place": "ubigeo"}).sort_values("ubigeo", ignore_index=True)
    unallocated = float(coarse["value"].sum()) if ind.aggregation == "sum" else 0.0
    return Aggregate(indicator, level, values, unallocated, len(coarse))


def national_value(results: pd.DataFrame, indicator: str,
                   filters: Filters = Filters()) -> float | None:
    """The indicator over everything the filters keep, as the fact sheet states it
    (a sum, or a weighted mean); None when nothing is left."""
    ind = catalog.INDICATORS[indicator]
    rows = filter_results(results, filters, indicator).assign(place="PE")
    values = _combine(rows, results, ind, filters)
    return None if values.empty else float(values["value"].iloc[0])


def national_values_by_year(results: pd.DataFrame, indicator: str,
                            filters: Filters = Filters()) -> pd.DataFrame:
    """``national_value`` for each year the filters keep that has rows, in one pass
    (columns ``year``, ``value``; a weighted mean's weights are joined by year anyway)."""
    ind = catalog.INDICATORS[indicator]
    rows = filter_results(results, filters, indicator)
    values = _combine(rows.assign(place=rows["year"]), results, ind, filters)
    return values.rename(columns={"place": "year"})[["year", "value"]].sort_values("year")


def _combine(rows: pd.DataFrame, results: pd.DataFrame, ind: catalog.Indicator,
             filters: Filters) -> pd.DataFrame:
    """One value per ``place`` column value: a sum or a weighted mean."""
    # No overflow guard needed: validated values are at most numbers.MAX_MAGNITUDE (1e15)
    # and a file at most limits.MAX_ROWS rows, so sums stay <= 1e21 and value x weight
    # sums <= 1e36 (see MAX_MAGNITUDE), far below inf.
    if ind.aggregation == "sum":
        values = rows.groupby("place", as_index=False)["value"].sum()
        return values.assign(weight=np.nan)
    return _weighted_mean(rows, results, ind, filters)


def _weighted_mean(rows: pd.DataFrame, results: pd.DataFrame, ind: catalog.Indicator,
                   filters: Filters) -> pd.DataFrame:
    """Mean weighted by ``ind.weight_indicator`` at the same place and year (all
    value chains); a place where any row lacks a weight gets the plain mean."""
    weights = filter_results(results, Filters(years=filters.years), ind.weight_indicator)
    weights = weights.groupby(["ubigeo", "year"])["value"].sum().rename("weight")
    rows = rows.join(weights, on=["ubigeo", "year"])
    out = []
    for place, group in rows.groupby("place"):
        w = group["weight"].to_numpy(dtype=float)
        v = group["value"].to_numpy(dtype=float)
        if np.all(np.isfinite(w)) and w.sum() > 0:
            out.append((place, float(np.dot(v, w) / w.sum()), float(w.sum())))
        else:
            out.append((place, float(v.mean()), np.nan))
    return pd.DataFrame(out, columns=["place", "value", "weight"])


def join_with_boundaries(aggregate: Aggregate, boundaries, areas: Iterable[str] = ()):
    """Every place of the level in the areas (no data stays NaN, distinct from zero),
    with its value and share of the total (``layer.build_layer`` ranks what is shown)."""
    layer = boundaries.copy()
    areas = list(areas)
    if areas:
        layer = layer[within_areas(layer["ubigeo"], areas)]
    layer = layer.merge(aggregate.values[["ubigeo", "value"]], on="ubigeo", how="left")
    total = layer["value"].sum()
    is_sum = catalog.INDICATORS[aggregate.indicator].aggregation == "sum"
    layer["share"] = layer["value"] / total if is_sum and total > 0 else np.nan
    return layer
