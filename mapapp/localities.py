"""Connected localities from a file: name, position (lat/lon and/or ubigeo), year,
connection type. Every row ends valid or rejected with its number and reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import shapely

from mapapp import catalog, geo
from mapapp.numbers import detect_decimal, parse_number
from mapapp.places import PlaceMatcher
from mapapp.reader import DELIMITER_NAMES, RawTable, read_table
from mapapp.results import MIN_YEAR, RowIssue, RowReport, default_matcher
from mapapp.text import ascii_digits, normalize_key

COLUMNS = ["name", "ubigeo", "lat", "lon", "year", "connection_type"]
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("nombre", "localidad", "centro poblado", "name", "locality"),
    "ubigeo": ("ubigeo", "codigo ubigeo", "cod ubigeo", "codigo"),
    "lat": ("lat", "latitud", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitud", "longitude", "x"),
    "year": ("ano", "anio", "year"),
    "connection_type": ("tipo de conexion", "conexion", "connection type", "connection", "tipo"),
}
_ALIAS_TO_COLUMN = {normalize_key(a): c for c, aliases in ALIASES.items() for a in aliases}
CONNECTION_KEYS = {normalize_key(text): kind for kind, labels in catalog.CONNECTION_TYPES.items()
                   for text in (kind, *labels.values())} | {
    "movil": "mobile", "fijo": "fixed", "fijo y movil": "fixed_mobile", "ambos": "fixed_mobile",
    "fixed and mobile": "fixed_mobile", "fijo movil": "fixed_mobile"}
PERU_BOUNDS = (-81.5, -18.5, -68.5, 0.1)  # lon/lat box around Peru


@dataclass
class LocalityReport(RowReport):
    info: dict[str, str] = field(default_factory=dict)


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = _ALIAS_TO_COLUMN.get(normalize_key(cell))
        if column and column not in found:
            found[column] = index
    return found


def looks_like_header(header: list[str]) -> bool:
    found = _columns(header)
    return "name" in found and ("ubigeo" in found or {"lat", "lon"} <= found.keys())


def read_localities(source: Path | bytes, filename: str,
                    matcher: PlaceMatcher | None = None) -> LocalityReport:
    """Read and check a localities file. Raises UnreadableFileError (not a table)."""
    raw = read_table(source, filename, looks_like_header)
    return _validate(raw, matcher or default_matcher())


def _validate(raw: RawTable, matcher: PlaceMatcher) -> LocalityReport:
    checker = _LocalityChecker(raw, matcher)
    for number, cells in raw.rows:
        checker.check(number, cells)
    return checker.report()


class _LocalityChecker:
    def __init__(self, raw: RawTable, matcher: PlaceMatcher) -> None:
        self.raw, self.matcher = raw, matcher
        self.columns = _columns(raw.header)
        self.header = {c: raw.header[i] for c, i in self.columns.items()}
        delimiter = next((d for d, n in DELIMITER_NAMES.items()
                          if n == raw.info.get("delimiter")), None)
        texts = [cells[i] for _, cells in raw.rows for c, i in self.columns.items()
                 if c in ("lat", "lon") and i < len(cells) and isinstance(cells[i], str)]
        self.convention = detect_decimal(texts, delimiter)
        self.districts = geo.load_boundaries("district", "screen").set_index("ubigeo").geometry
        self.valid: list[dict] = []
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []
        self.rejected: dict[int, list[object]] = {}
        self.max_year = dt.date.today().year

    def cell(self, cells: list[object], column: str) -> object:
        index = self.columns.get(column)
        value = cells[index] if index is not None and index < len(cells) else None
        return None if value is None or str(value).strip() == "" else value

    def issue(self, row: int, column: str, message: str) -> RowIssue:
        return RowIssue(row, self.header.get(column, column), message)

    def check(self, row: int, cells: list[object]) -> None:
        issues: list[RowIssue] = []
        name = self.cell(cells, "name")
        if name is None:
            issues.append(self.issue(row, "name", "name is empty"))
        code, lat, lon = self._position(row, cells, issues)
        year = self._year(row, cells, issues)
        kind = self._kind(row, cells, issues)
        if issues:
            self.errors += issues
            self.rejected[row] = cells
            return
        self.valid.append({"name": str(name).strip(), "ubigeo": code, "lat": lat, "lon": lon,
                           "year": year, "connection_type": kind, "row": row})

    def _number(self, row: int, cells: list[object], column: str,
                issues: list[RowIssue]) -> float | None:
        raw = self.cell(cells, column)
        if raw is None:
            return None
        value, _ = parse_number(raw, self.convention)
        if value is None:
            issues.append(self.issue(row, column, f"{column} {raw!r} is not a number"))
        return value

    def _position(self, row: int, cells: list[object], issues: list[RowIssue]):
        lat = self._number(row, cells, "lat", issues)
        lon = self._number(row, cells, "lon", issues)
        point = None
        if lat is not None and lon is not None:
            minx, miny, maxx, maxy = PERU_BOUNDS
            if miny <= lat <= maxy and minx <= lon <= maxx:
                point = shapely.Point(lon, lat)
            else:
                issues.append(self.issue(row, "lat", f"position {lat}, {lon} is outside Peru "
                                         "(lat and lon swapped?)"))
        code = self._district(row, cells, issues)
        if issues:
            return None, None, None
        if point is None and code is None:
            issues.append(self.issue(row, "ubigeo", "no position: give lat and lon, or the "
                                     "district ubigeo"))
            return None, None, None
        if code is None:
            return self._district_of(row, point, issues), lat, lon
        shape = self.districts.get(code)
        if point is None:
            if shape is None:
                issues.append(self.issue(row, "ubigeo", f"district {code} has no shape in "
                                         f"{geo.EDITION}; give lat and lon"))
                return None, None, None
            centre = shape.representative_point()
            self.warnings.append(self.issue(row, "ubigeo",
                                            "no lat/lon: placed inside its district"))
            return code, round(centre.y, 5), round(centre.x, 5)
        if shape is not None and not shape.buffer(0.01).contains(point):
            self.warnings.append(self.issue(row, "lat", f"position {lat}, {lon} lies outside "
                                            f"district {code}; the ubigeo is kept"))
        return code, lat, lon

    def _district(self, row: int, cells: list[object], issues: list[RowIssue]) -> str | None:
        raw = self.cell(cells, "ubigeo")
        if raw is None:
            return None
        place = self.matcher.resolve(raw)
        self.warnings += [self.issue(row, "ubigeo", m) for _, m in place.warnings]
        if place.error:
            issues.append(self.issue(row, "ubigeo", place.error[1]))
        elif len(place.ubigeo) != 6:
            issues.append(self.issue(row, "ubigeo", f"ubigeo {place.ubigeo} is not a district "
                                     "(6 digits)"))
        else:
            return place.ubigeo
        return None

    def _district_of(self, row: int, point, issues: list[RowIssue]) -> str | None:
        drawn = self.districts[self.districts.notna()]
        hits = drawn.index[shapely.contains(drawn.values, point)]
        if len(hits):
            return str(hits[0])
        issues.append(self.issue(row, "lat", f"position {point.y}, {point.x} is in no district "
                                 f"of {geo.EDITION}"))
        return None

    def _year(self, row: int, cells: list[object], issues: list[RowIssue]) -> int | None:
        raw = self.cell(cells, "year")
        if raw is None:
            return None
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        if ascii_digits(text) and MIN_YEAR <= int(text) <= self.max_year:
            return int(text)
        issues.append(self.issue(row, "year", f"year {raw!r} is not a year in "
                                 f"{MIN_YEAR}–{self.max_year}"))
        return None

    def _kind(self, row: int, cells: list[object], issues: list[RowIssue]) -> str:
        raw = self.cell(cells, "connection_type")
        if raw is None:
            return ""
        kind = CONNECTION_KEYS.get(normalize_key(raw), "")
        if not kind:
            issues.append(self.issue(row, "connection_type", f"unknown connection type "
                                     f"{str(raw)!r}; use móvil/mobile, fijo/fixed or "
                                     "fijo y móvil/fixed and mobile"))
        return kind

    def report(self) -> LocalityReport:
        frame = pd.DataFrame(self.valid, columns=[*COLUMNS, "row"])
        reasons: dict[int, list[str]] = {}
        for issue in self.errors:
            reasons.setdefault(issue.row, []).append(f"{issue.column}: {issue.message}")
        header = [h or f"column {i + 1}" for i, h in enumerate(self.raw.header)]
        rows = [[n, *[("" if c is None else str(c)) for c in cells[:len(header)]]
                 + [""] * (len(header) - len(cells)), "; ".join(reasons[n])]
                for n, cells in sorted(self.rejected.items())]
        rejected = pd.DataFrame(rows, columns=["row", *header, "reasons"], dtype=object)
        info = dict(self.raw.info,
                    decimal="comma" if self.convention.decimal == "," else "point")
        return LocalityReport(frame, rejected, self.errors, self.warnings, len(self.raw.rows),
                              info)
