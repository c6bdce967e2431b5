"""What the user looks at, as one value that round-trips through the URL.

``View.from_query`` reads query parameters (ignoring, with a note, what it
cannot use); ``View.to_query`` writes them back. Parameters: lang, level,
indicator, measure, chain (comma list), years (2019-2021), dept (comma list
of ubigeo), prov (a province ubigeo, after drilling down), amazon, scheme, k,
palette, basemap, localities, labels, present, player (1: the year player, one
year at a time on class breaks and circle sizes fixed across the data's years),
compare (two periods, ``2018-2019,2021-2022``: a map of the second minus the first).

A link is text anyone can write: each value is capped in length, every code
must name a place of the boundary edition that has shapes at the map's level,
and years must meet the data's; anything else falls back to that parameter's
default with a note quoting (the start of) the value, so the map always draws.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace

from mapapp.boundaries import geodata
from mapapp.model import catalog
from mapapp.model.names import ascii_digits

BASEMAPS = ("positron", "osm", "satellite", "none")
SCHEMES = ("quantiles", "natural_breaks", "equal_interval")  # classification methods
# ColorBrewer sequential palettes marked colour-blind safe.
PALETTES = ("YlGnBu", "YlOrBr", "PuBuGn", "Greens", "Purples")
K_RANGE = range(3, 8)  # number of classes
MEASURES = ("value", "per_km2", "share")
DEFAULT_INDICATOR = "families_supported"
MAX_PARAM_CHARS = 200  # far above any link the app writes (a list of all 25 departments: 74)
QUOTE_CHARS = 40  # how much of a bad value a note repeats


@dataclass(frozen=True)
class Filters:
    years: tuple[int, int] | None = None  # inclusive range
    value_chains: tuple[str, ...] = ()  # empty: all
    areas: tuple[str, ...] = ()  # department or province ubigeo; empty: all Peru
    amazon_only: bool = False


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
    player: bool = False  # one year at a time, on a scale fixed across the years
    compare: tuple[int, int, int, int] | None = None  # periods A, B: the map shows B − A
    data: str | None = None  # a published dataset: "slug" (its latest version) or "slug@N"

    @property
    def filters(self) -> Filters:
        areas = (self.prov,) if self.prov else self.depts
        return Filters(years=self.years, value_chains=self.chains, areas=areas,
                       amazon_only=self.amazon)

    @property
    def is_choropleth(self) -> bool:
        """Counts are circles; densities, shares, percentages and changes are choropleths."""
        return (self.measure != "value" or catalog.INDICATORS[self.indicator].is_percentage
                or self.compare is not None)

    @property
    def periods(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """(A, B) of a comparison: the map shows B − A."""
        if self.compare is None:
            return None
        a0, a1, b0, b1 = self.compare
        return (a0, a1), (b0, b1)

    def settled(self) -> View:
        """Without the drilled-down province once the view has moved away from it (to
        another level, or other departments): the one rule for the page and links."""
        if self.prov and (self.level != "district" or self.depts != (self.prov[:2],)):
            return replace(self, prov=None)
        return self

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
    def from_query(cls, params: Mapping[str, object],
                   years_in_data: tuple[int, int] | None = None) -> tuple[View, list[str]]:
        """The view a URL asks for, and a note for each parameter that was ignored or
        adjusted (its default is used instead). ``years_in_data`` checks ``years``."""
        values: dict[str, object] = {}
        notes: list[str] = []
        for name, raw in params.items():
            parser = _PARSERS.get(name)
            if parser is None:
                continue  # not ours (or from a newer version): leave it alone
            text = _last(raw)
            try:
                values[_FIELD.get(name, name)] = parser(_capped(text))
            except ValueError as exc:
                notes.append(f"{name}={_quote(text)}: {exc}")
        view = _drawable(cls(**values), notes)  # type: ignore[arg-type]
        asked = _last(params.get("years", ""))
        return _within_data(view, years_in_data, asked, notes), notes


def param_note(name: str, value: str, reason: str) -> str:
    """A link's note: ``name='value': reason`` (the value's start, quoted)."""
    return f"{name}={_quote(value)}: {reason}"


def _quote(text: str) -> str:
    """The start of a value, as Python writes it (control characters escaped)."""
    return repr(text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…")


def _last(raw: object) -> str:
    """A repeated parameter: the last one wins, as in Streamlit's ``st.query_params``."""
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    return str(raw).strip()


def _capped(text: str) -> str:
    if len(text) > MAX_PARAM_CHARS:
        raise ValueError(f"{len(text):,} characters, more than the {MAX_PARAM_CHARS} allowed")
    return text


def _drawable(view: View, notes: list[str]) -> View:
    """Drop a province or departments the map cannot frame (no shapes at its level)."""
    # A link may leave out the province's department: it is implied.
    implied = replace(view, depts=(view.prov[:2],)) if view.prov and not view.depts else view
    if view.prov and implied.settled() != implied:
        notes.append(f"prov={_quote(view.prov)}: only for a district map of its own department")
        view = replace(view, prov=None)
    elif view.prov and not _has_shapes("district", view.prov):
        notes.append(f"prov={_quote(view.prov)}: its districts have no shapes in the geodata")
        view = replace(view, prov=None)
    else:
        view = implied
    shapeless = [code for code in view.depts if not _has_shapes(view.level, code)]
    if shapeless and not view.prov:
        notes.append(f"dept={_quote(','.join(view.depts))}: no {view.level} shapes in the "
                     f"geodata for {_short(', '.join(shapeless))}; showing all of Peru")
        view = replace(view, depts=())
    return view


def _has_shapes(level: str, code: str) -> bool:
    """Whether the map can frame ``code`` at ``level``: some place there, inside it, has a
    shape (8 districts of INEI 2007 have none; a damaged build may lose more)."""
    places = geodata.load_boundaries(level)
    return bool(places.loc[places["ubigeo"].str.startswith(code), "geometry"].notna().any())


def _within_data(view: View, years_in_data: tuple[int, int] | None, asked: str,
                 notes: list[str]) -> View:
    """Years outside the data: clamped to it when they overlap, else every year."""
    if years_in_data is not None and view.compare:
        view = _periods_within(view, years_in_data, notes)
    if years_in_data is not None and view.player:
        return _one_year(view, years_in_data, asked, notes)
    if view.years is None or years_in_data is None:
        return view
    span = years_text(years_in_data)
    clamped = years_within(view.years, years_in_data)
    if clamped is None:
        notes.append(f"years={_quote(asked)}: the data covers {span}; showing every year")
        return replace(view, years=None)
    if clamped != view.years:
        notes.append(f"years={_quote(asked)}: the data covers {span}; showing "
                     f"{years_text(clamped)}")
    return replace(view, years=None if clamped == years_in_data else clamped)


def _periods_within(view: View, years_in_data: tuple[int, int], notes: list[str]) -> View:
    """Both periods clamped to the data's years, or no comparison (with a note)."""
    a, b = view.periods or ((0, 0), (0, 0))
    clamped = [years_within(a, years_in_data), years_within(b, years_in_data)]
    asked = _to_text(view.compare)
    if None in clamped:
        notes.append(f"compare={_quote(asked)}: the data covers {years_text(years_in_data)}")
        return replace(view, compare=None)
    if clamped[0] == clamped[1]:
        notes.append(f"compare={_quote(asked)}: the two periods are the same years")
        return replace(view, compare=None)
    compare = (*clamped[0], *clamped[1])
    if compare != view.compare:
        notes.append(f"compare={_quote(asked)}: the data covers {years_text(years_in_data)}; "
                     f"comparing {_to_text(compare)}")
    return replace(view, compare=compare, player=False)  # type: ignore[arg-type]


def _one_year(view: View, years_in_data: tuple[int, int], asked: str,
              notes: list[str]) -> View:
    """The player shows one year of the data: the first of the years asked for."""
    clamped = years_within(view.years, years_in_data) if view.years else years_in_data
    if clamped is None:
        notes.append(f"years={_quote(asked)}: the data covers {years_text(years_in_data)}; "
                     f"showing {years_in_data[0]}")
        clamped = years_in_data
    return replace(view, years=(clamped[0], clamped[0]))


def years_within(years: tuple[int, int], span: tuple[int, int]) -> tuple[int, int] | None:
    """The part of ``years`` inside ``span`` (the data's), or None where they do not meet:
    the one rule for links, the page's slider and the CLI's ``--years``."""
    (start, end), (first, last) = years, span
    if end < first or start > last:
        return None
    return max(start, first), min(end, last)


def years_text(years: tuple[int, int]) -> str:
    """``2021`` or ``2019–2021``."""
    return str(years[0]) if years[0] == years[1] else f"{years[0]}–{years[1]}"


def _short(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def _to_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return str(value[0]) if value[0] == value[1] else f"{value[0]}-{value[1]}"
    if isinstance(value, tuple) and len(value) == 4 and all(isinstance(v, int) for v in value):
        return f"{_to_text(value[:2])},{_to_text(value[2:])}"  # compare: two periods
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
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


def _periods(text: str) -> tuple[int, int, int, int]:
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError("write two periods like 2018-2019,2021-2022")
    (a0, a1), (b0, b1) = (_years(part.strip()) for part in parts)
    return a0, a1, b0, b1


def _items(text: str) -> tuple[str, ...]:
    """A comma list without repeats; an empty list or an empty member is a mistake."""
    items = [item.strip() for item in text.split(",")]
    if not text or "" in items:
        raise ValueError("empty" if not text else "an empty item in the list")
    return tuple(dict.fromkeys(items))


def _codes(level: str) -> Callable[[str], tuple[str, ...]]:
    """Ubigeo of ``level`` that name a place of the boundary edition."""
    length = geodata.CODE_LENGTH[level]

    def parse(text: str) -> tuple[str, ...]:
        codes = _items(text)
        bad = [c for c in codes if not re.fullmatch(rf"\d{{{length}}}", c, flags=re.ASCII)]
        if bad:
            raise ValueError(f"{_short(', '.join(bad))} is not a {length}-digit ubigeo")
        places = geodata.places()
        known = set(places.loc[places["level"] == level, "ubigeo"])
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValueError(f"no {level} {_short(', '.join(unknown))} in {geodata.EDITION}")
        return codes
    return parse


def _chains(text: str) -> tuple[str, ...]:
    chains = _items(text)
    unknown = [c for c in chains if c not in catalog.VALUE_CHAINS]
    if unknown:
        raise ValueError(f"unknown value chain {_short(', '.join(unknown))}")
    return chains


def _province(text: str) -> str:
    codes = _codes("province")(text)
    if len(codes) > 1:
        raise ValueError("one province only")
    return codes[0]


SLUG_WORDS = "a-z, 0-9 and '-', starting with a letter or digit, at most 63 characters"
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")  # a published dataset's name
_VERSION = re.compile(r"[1-9][0-9]{0,8}")


def parse_data_ref(text: str) -> tuple[str, int | None]:
    """A published dataset's reference, ``slug`` (its latest version) or ``slug@N``.
    The one syntax of links and of the command line."""
    slug, at, version = text.partition("@")
    if not SLUG.fullmatch(slug):
        raise ValueError(f"not a dataset name ({SLUG_WORDS})")
    if at and not _VERSION.fullmatch(version):
        raise ValueError("the version after @ is a number from 1")
    return slug, int(version) if at else None


def _data_ref(text: str) -> str:
    slug, version = parse_data_ref(text)
    return slug if version is None else f"{slug}@{version}"


def _k(text: str) -> int:
    if not ascii_digits(text) or int(text) not in K_RANGE:
        raise ValueError(f"use {K_RANGE.start} to {K_RANGE.stop - 1}")
    return int(text)


_PARSERS = {
    "lang": _choice(catalog.LANGS), "level": _choice(geodata.LEVELS),
    "indicator": _choice(tuple(catalog.INDICATORS)), "measure": _choice(MEASURES),
    "chain": _chains, "years": _years, "dept": _codes("department"), "prov": _province,
    "amazon": _flag, "scheme": _choice(SCHEMES), "k": _k, "palette": _choice(PALETTES),
    "basemap": _choice(BASEMAPS), "localities": _flag, "labels": _flag, "present": _flag,
    "player": _flag, "compare": _periods, "data": _data_ref,
}
_FIELD = {"chain": "chains", "dept": "depts"}
URL_PARAMETERS = tuple(_PARSERS)
