"""The data a map shows for a view: places with values, ranks, classes, titles, the
view's localities and the credits of the data.

Pure: the app, the exports and the tests build the same ``MapLayer``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapapp.analysis.aggregate import (
    Aggregate,
    aggregate_results,
    filter_results,
    join_with_boundaries,
)
from mapapp.analysis.classify import Classes, classify, classify_change
from mapapp.boundaries import geodata
from mapapp.model import catalog
from mapapp.model.formatting import format_number, format_share, format_value
from mapapp.model.i18n import t
from mapapp.model.provenance import DataShown
from mapapp.model.view import View, years_text

if TYPE_CHECKING:
    import geopandas as gpd

    from mapapp.ingest.datasets import Dataset


@dataclass(frozen=True, eq=False)
class MapLayer:
    """Frozen, and shared by every session that looks at the same view of the same data:
    ``places`` hands out a copy (copy-on-write, so cheap) that callers may change."""

    view: View
    table: pd.DataFrame = field(repr=False)  # GeoDataFrame: see ``places``
    classes: Classes
    unit: str  # unit of the shown measure, in the view's language
    unallocated: float
    unallocated_rows: int
    data: DataShown
    localities: pd.DataFrame | None  # those in the view's areas and years
    largest: float = math.nan  # the value of the largest circle (the player: of any year)

    @property
    def places(self):
        """GeoDataFrame: ubigeo, name, value, shown, rank (of shown), share, geometry."""
        return self.table.copy(deep=False)

    @property
    def has_data(self) -> bool:
        return bool(self.table["shown"].notna().any())

    @property
    def title(self) -> str:
        return title(self.view)

    @property
    def subtitle(self) -> str:
        return subtitle(self.view, self.years)

    @property
    def years(self) -> tuple[int, int] | None:
        """The years shown: the view's, or all the data has (a comparison: its title
        says which)."""
        if self.view.compare:
            return None
        return self.view.years or self.data.years


def measure_unit(view: View) -> str:
    unit = catalog.INDICATORS[view.indicator].unit[view.lang]
    if view.measure == "per_km2" and unit != "%":
        return f"{unit}/km²"
    if view.measure == "share" and unit != "%":
        return "%"
    return unit


def build_layer(dataset: Dataset, view: View,
                detail: geodata.Detail = "screen") -> MapLayer:
    """What ``view`` shows of ``dataset``: one row per place of the level in the view's
    areas (no data stays NaN), ranked by the measure shown (1 = largest). The year
    player's classes and circle sizes are those of every year of the data together, so
    that a colour or a size means the same amount in each year."""
    places, aggregate = (_change_shown if view.compare else _places_shown)(dataset, view, detail)
    places["rank"] = places["shown"].rank(ascending=False, method="min").astype("Int64")
    scale = _every_year_shown(dataset, view) if view.player else places["shown"]
    classes = classify_change(scale.to_numpy(dtype=float), view.k) if view.compare else \
        classify(scale.to_numpy(dtype=float), view.scheme, view.k, view.palette)
    localities = None if dataset.localities is None else \
        filter_localities(dataset.localities, view)
    return MapLayer(view, places, classes, measure_unit(view), aggregate.unallocated,
                    aggregate.unallocated_rows, dataset.shown, localities,
                    largest=float(scale.max()) if scale.notna().any() else math.nan)


def _places_shown(dataset: Dataset, view: View,
                  detail: geodata.Detail) -> tuple[gpd.GeoDataFrame, Aggregate]:
    """The places of the view with their value and the measure shown."""
    aggregate = aggregate_results(dataset.results, view.indicator, view.level, view.filters)
    places = join_with_boundaries(aggregate, geodata.load_boundaries(view.level, detail),
                                  shown_areas(view))
    places = places[places.geometry.notna()].reset_index(drop=True)
    ind = catalog.INDICATORS[view.indicator]
    if ind.is_percentage or view.measure == "value":
        places["shown"] = places["value"]
    elif view.measure == "per_km2":
        places["shown"] = places["value"] / places["area_km2"]
    else:
        places["shown"] = places["share"] * 100
    return places, aggregate


def _change_shown(dataset: Dataset, view: View,
                  detail: geodata.Detail) -> tuple[gpd.GeoDataFrame, Aggregate]:
    """The measure's change from period A to period B in each place (B − A). A sum with
    no rows in one period counts as zero there; a mean needs both periods."""
    (a, b) = view.periods or ((0, 0), (0, 0))
    first, _ = _places_shown(dataset, replace(view, compare=None, years=a), detail)
    places, aggregate = _places_shown(dataset, replace(view, compare=None, years=b), detail)
    before, after = first["shown"], places["shown"]
    if not catalog.INDICATORS[view.indicator].is_percentage:
        some = before.notna() | after.notna()
        before, after = before.fillna(0).where(some), after.fillna(0).where(some)
    places["value"] = places["shown"] = after - before
    places["share"] = np.nan  # a share of a change is no share
    return places, aggregate


def _every_year_shown(dataset: Dataset, view: View) -> pd.Series:
    """The measure shown for each place in each year of the data (the player's scale)."""
    first, last = dataset.years
    each = [_places_shown(dataset, replace(view, years=(year, year)), "screen")[0]["shown"]
            for year in range(first, last + 1)]
    return pd.concat(each, ignore_index=True)


def shown_areas(view: View) -> tuple[str, ...]:
    if view.prov:
        return (view.prov,)
    areas = view.depts
    if view.amazon:
        amazon = geodata.amazon_departments()
        areas = tuple(a for a in areas if a in amazon) if areas else tuple(sorted(amazon))
    return areas


def context_departments(view: View):
    """Departments outside the areas shown, drawn grey for context."""
    departments = geodata.load_boundaries("department", "screen")
    areas = {a[:2] for a in shown_areas(view)}
    return departments[~departments["ubigeo"].isin(areas)] if areas else departments.iloc[0:0]


def filter_localities(localities: pd.DataFrame, view: View) -> pd.DataFrame:
    """Localities inside the areas and years of the view."""
    if localities.empty:
        return localities
    as_results = localities.assign(indicator="connected_localities", value_chain="")
    return localities.loc[filter_results(as_results, view.filters).index]


def title(view: View) -> str:
    ind = catalog.INDICATORS[view.indicator]
    label = ind.label[view.lang]
    if view.measure == "per_km2" and not ind.is_percentage:
        label += f" {t('per_km2', view.lang)}"
    elif view.measure == "share" and not ind.is_percentage:
        label += f" — {t('share_of_total', view.lang)}"
    if view.periods:  # which period minus which
        a, b = view.periods
        label += (f" — {t('change', view.lang)} {years_text(b)} {t('minus', view.lang)} "
                  f"{years_text(a)}")
    return label


def subtitle(view: View, years: tuple[int, int] | None = None) -> str:
    """Filters in words: level, places, value chains, the years shown."""
    lang = view.lang
    parts = [f"{t('by_' + view.level, lang)}"]
    codes = (view.prov,) if view.prov else view.depts
    names = [geodata.place_name(code) or code for code in codes]
    if names:
        parts.append(", ".join(names))
    elif view.amazon:
        parts.append(t("amazon_only", lang))
    if view.chains and catalog.INDICATORS[view.indicator].by_value_chain:
        parts.append(", ".join(catalog.VALUE_CHAINS[c].label[lang] for c in view.chains))
    if years:
        parts.append(years_text(years))
    return " · ".join(parts)


def format_shown(value: float | None, unit: str, lang: catalog.Lang) -> str:
    if unit.endswith("/km²") and _finite(value):
        return f"{format_number(value, lang, decimals=2)} {unit}"
    return format_value(value, unit, lang)


def tooltip_rows(layer: MapLayer) -> pd.DataFrame:
    """Formatted text per place: value, rank among places with data, share of total."""
    lang = layer.view.lang
    places = layer.places
    with_data = int(places["shown"].notna().sum())
    return pd.DataFrame({
        "ubigeo": places["ubigeo"],
        "name": places["name"],
        "value_text": [format_shown(v, layer.unit, lang) if _finite(v) else t("no_data", lang)
                       for v in places["shown"]],
        "rank_text": [f"{r} / {with_data}" if not pd.isna(r) else "–" for r in places["rank"]],
        "share_text": [format_share(s, lang) if _finite(s) else "–" for s in places["share"]],
    })


def _finite(value: object) -> bool:
    return value is not None and bool(np.isfinite(value))
