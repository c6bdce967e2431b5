"""What the user looks at, as one value that round-trips through the URL.

``View.from_query`` reads query parameters (ignoring, with a note, what it
cannot use); ``View.to_query`` writes them back. Parameters: lang, level,
indicator, measure, chain (comma list), years (2019-2021), dept (comma list
of ubigeo), prov (a province ubigeo, after drilling down), amazon, scheme, k,
palette, basemap, localities, labels, present.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from mapapp import catalog, geo
from mapapp.aggregate import Filters
from mapapp.classify import K_RANGE, PALETTES, SCHEMES
from mapapp.text import ascii_digits

BASEMAPS = ("positron", "osm", "satellite", "none")
MEASURES = ("value", "per_km2", "share")
DEFAULT_INDICATOR = "families_supported"


@dataclass(frozen=True)
class View:
    lang: catalog.Lang = "es"
    level: str = "department"
    indicator: str = DEFAULT_INDICATOR
    measure: str = "value"  # value (circles for counts), per_km2 or share (choropleth)
    chains: tuple[str, ...] = ()
    years: tuple[int, int] | None = None  # None: every year in the data
    depts: tuple[str, ...] = ()
    prov: str | None = None
    amazon: bool = False
    scheme: str = "quantiles"
    k: int = 5
    palette: str = "YlGnBu"
    basemap: str = "positron"
    localities: bool = True
    labels: bool = True
    present: bool = False

    @property
    def filters(self) -> Filters:
        areas = (self.prov,) if self.prov else self.depts
        return Filters(years=self.years, value_chains=self.chains, areas=areas,
                       amazon_only=self.amazon)

    @property
    def is_choropleth(self) -> bool:
        """Counts are circles; densities, shares and percentages are choropleths."""
        return self.measure != "value" or catalog.INDICATORS[self.indicator].is_percentage

    def drill_down(self, ubigeo: str) -> View:
        """The view one level below the clicked place (districts are the bottom)."""
        if len(ubigeo) == 2:
            return replace(self, level="province", depts=(ubigeo,), prov=None)
        if len(ubigeo) == 4:
            return replace(self, level="district", depts=(ubigeo[:2],), prov=ubigeo)
        return self

    def breadcrumb(self) -> list[tuple[str | None, View]]:
        """(ubigeo or None for Peru, view) from the country down to the current focus."""
        crumbs: list[tuple[str | None, View]] = [
            (None, replace(self, level="department", depts=(), prov=None))]
        if len(self.depts) == 1 and self.level != "department":
            crumbs.append((self.depts[0], replace(self, level="province", prov=None)))
        if self.prov:
            crumbs.append((self.prov, self))
        return crumbs

    def to_query(self) -> dict[str, str]:
        """Parameters that differ from the defaults (lang, level, indicator always)."""
        default = View()
        query = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name) and f.name not in ("lang", "level", "indicator"):
                continue
            query[f.name] = _to_text(value)
        if "chains" in query:
            query["chain"] = query.pop("chains")
        if "depts" in query:
            query["dept"] = query.pop("depts")
        return query

    @classmethod
    def from_query(cls, params: Mapping[str, object]) -> tuple[View, list[str]]:
        """The view a URL asks for, and a note for each parameter that was ignored."""
        values: dict[str, object] = {}
        notes: list[str] = []
        for name, raw in params.items():
            text = str(raw[-1] if isinstance(raw, list) and raw else raw).strip()
            parser = _PARSERS.get(name)
            if parser is None:
                continue  # not ours (or from a newer version): leave it alone
            try:
                values[_FIELD.get(name, name)] = parser(text)
            except ValueError as exc:
                notes.append(f"{name}={text!r}: {exc}")
        view = cls(**values)  # type: ignore[arg-type]
        if view.prov and (view.level != "district" or view.depts not in ((), (view.prov[:2],))):
            notes.append(f"prov={view.prov!r}: only for a district map of its own department")
            view = replace(view, prov=None)
        elif view.prov:
            view = replace(view, depts=(view.prov[:2],))
        return view, notes


def _to_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}-{value[1]}"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def _choice(options) -> callable:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"use one of {', '.join(options)}")
        return text
    return parse


def _flag(text: str) -> bool:
    if text not in ("0", "1", "true", "false"):
        raise ValueError("use 1 or 0")
    return text in ("1", "true")


def _years(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", text, flags=re.ASCII)
    if not match:
        raise ValueError("write a year or a range like 2019-2021")
    start, end = int(match[1]), int(match[2] or match[1])
    if start > end:
        raise ValueError("the first year is after the last")
    return start, end


def _codes(length: int):
    def parse(text: str) -> tuple[str, ...]:
        codes = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
        bad = [c for c in codes if not re.fullmatch(rf"\d{{{length}}}", c, flags=re.ASCII)]
        if bad:
            raise ValueError(f"{', '.join(bad)} is not a {length}-digit ubigeo")
        return codes
    return parse


def _chains(text: str) -> tuple[str, ...]:
    chains = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    unknown = [c for c in chains if c not in catalog.VALUE_CHAINS]
    if unknown:
        raise ValueError(f"unknown value chain {', '.join(unknown)}")
    return chains


def _province(text: str) -> str:
    return _codes(4)(text)[0] if text else None


def _k(text: str) -> int:
    if not ascii_digits(text) or int(text) not in K_RANGE:
        raise ValueError(f"use {K_RANGE.start} to {K_RANGE.stop - 1}")
    return int(text)


_PARSERS = {
    "lang": _choice(catalog.LANGS), "level": _choice(geo.LEVELS),
    "indicator": _choice(tuple(catalog.INDICATORS)), "measure": _choice(MEASURES),
    "chain": _chains, "years": _years, "dept": _codes(2), "prov": _province,
    "amazon": _flag, "scheme": _choice(SCHEMES), "k": _k, "palette": _choice(PALETTES),
    "basemap": _choice(BASEMAPS), "localities": _flag, "labels": _flag, "present": _flag,
}
_FIELD = {"chain": "chains", "dept": "depts"}
URL_PARAMETERS = tuple(_PARSERS)
