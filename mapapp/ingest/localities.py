"""Connected localities from a file: name, position (lat/lon and/or ubigeo), year,
connection type. Every row ends valid or rejected with its number and reason."""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from mapapp.boundaries import geodata
from mapapp.ingest.checks import MIN_YEAR, RowChecker, decimal_convention
from mapapp.ingest.memo import BoundedMemo
from mapapp.ingest.numbers import parse_number, plain_number, shown
from mapapp.ingest.places import PlaceMatcher, default_matcher
from mapapp.ingest.reader import read_table
from mapapp.ingest.rows import RowIssue, RowReport
from mapapp.ingest.table import RawTable
from mapapp.model import catalog
from mapapp.model.messages import msg
from mapapp.model.names import ascii_digits, normalize_key

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
    batch: list[tuple[int, tuple[object, ...]]] = []
    for number, cells in raw.rows:  # a batch at a time: only rejected rows keep cells
        batch.append((number, tuple(cells)))  # texts in tuples: soon untracked by the GC
        if len(batch) == _BATCH:
            checker.check_batch(batch)
            batch = []
    checker.check_batch(batch)
    return checker.report()


_BATCH = 10_000  # rows whose positions are looked up in the districts together
_PICKED = ("name", "ubigeo", "lat", "lon", "year", "connection_type")  # cells check reads
_NOT_LOOKED_UP = object()
_NAME_EMPTY = msg("name_empty")


class _Districts:
    """The district whose shape contains a point, for many points at once: candidates
    from one STRtree of the shapes by their boxes, then ``shapely.contains`` on those
    only (a point in two shapes, where simplified borders overlap, gets the first in
    index order)."""

    def __init__(self, shapes: pd.Series) -> None:
        drawn = shapes[shapes.notna()]
        self.codes = [str(code) for code in drawn.index]
        self.shapes = drawn.to_numpy()
        self.tree = shapely.STRtree(self.shapes)

    def containing(self, lons: np.ndarray, lats: np.ndarray) -> list[str | None]:
        first = np.full(len(lons), len(self.shapes))
        for start in range(0, len(lons), 500):  # few points at a time: they die young,
            part = slice(start, start + 500)  # the GC never scans them again
            points = shapely.points(lons[part], lats[part])
            point, shape = self.tree.query(points)
            inside = shapely.contains(self.shapes[shape], points[point])
            np.minimum.at(first[part], point[inside], shape[inside])
        codes = self.codes
        return [codes[i] if i < len(codes) else None for i in first.tolist()]


class _Valid:
    """Valid localities as typed columns (texts as codes), one DataFrame at the end."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.texts: dict[str, int] = {}  # ubigeo and connection type → code
        self.lat, self.lon, self.year = array("d"), array("d"), array("d")  # NaN: no year
        self.ubigeo, self.kind, self.row = array("i"), array("i"), array("q")

    def add(self, row: int, name: str, code: str, lat: float, lon: float,
            year: int | None, kind: str) -> None:
        texts = self.texts
        self.names.append(name)
        self.ubigeo.append(texts.setdefault(code, len(texts)))
        self.lat.append(lat)
        self.lon.append(lon)
        self.year.append(math.nan if year is None else year)
        self.kind.append(texts.setdefault(kind, len(texts)))
        self.row.append(row)

    def frame(self) -> pd.DataFrame:
        """As pandas makes it from lists: a year column of ints, of floats with NaN
        where some are missing, of None where all are."""
        columns = [*COLUMNS, "row"]
        if not self.row:
            return pd.DataFrame([], columns=columns)
        texts = np.array(list(self.texts), dtype=object)
        year = np.frombuffer(self.year, dtype=np.float64)
        missing = np.isnan(year)
        data = {"name": self.names,
                "ubigeo": texts[np.frombuffer(self.ubigeo, dtype=np.int32)],
                "lat": np.frombuffer(self.lat, dtype=np.float64),
                "lon": np.frombuffer(self.lon, dtype=np.float64),
                "year": (np.full(len(year), None, dtype=object) if missing.all()
                         else year if missing.any() else year.astype(np.int64)),
                "connection_type": texts[np.frombuffer(self.kind, dtype=np.int32)],
                "row": np.frombuffer(self.row, dtype=np.int64)}
        return pd.DataFrame(data, columns=columns)


class _LocalityChecker(RowChecker):
    """Checks a localities table a batch of rows at a time into valid localities (each
    placed in a district) and the rejected rows."""

    def __init__(self, raw: RawTable, matcher: PlaceMatcher) -> None:
        columns = _columns(raw.header)
        positions = [i for c, i in columns.items() if c in ("lat", "lon")]
        super().__init__(raw.header, columns, _PICKED, matcher,
                         decimal_convention(raw, positions),
                         formulas=bool(getattr(raw, "unsaved_formulas", 0)))
        self.raw = raw
        self.districts = geodata.load_boundaries("district", "screen").set_index("ubigeo").geometry
        self.finder = _Districts(self.districts)
        self.located: dict[tuple[float, float], str | None] = {}  # (lon, lat) of a batch
        self.near: dict[str, object] = {}  # district → its shape grown by 0.01°, prepared
        self.kinds = BoundedMemo(_read_kind)  # a connection type cell → its type, or why not
        self.valid = _Valid()

    def check_batch(self, rows: list[tuple[int, tuple[object, ...]]]) -> None:
        """Check ``rows``, their positions in Peru looked up in the districts together."""
        read = [tuple(self.pick(cells)) for _, cells in rows]  # tuples: untracked by the GC
        positions = [(self._value(lat), self._value(lon)) for _, _, lat, lon, _, _ in read]
        self.located = dict.fromkeys((lon, lat) for lat, lon in positions
                                     if lat is not None and lon is not None
                                     and _in_peru(lat, lon))
        if self.located:
            lons, lats = np.array(list(self.located), dtype=float).T
            self.located.update(zip(self.located, self.finder.containing(lons, lats),
                                    strict=True))
        for (number, cells), picked, position in zip(rows, read, positions, strict=True):
            self.check(number, cells, picked, position)

    def check(self, row: int, cells: Sequence[object], picked: tuple[object, ...],
              position: tuple[float | None, float | None]) -> None:
        """One row: ``picked`` are its cells as ``self.pick`` reads them, ``position``
        its lat and lon as ``self._value`` reads them."""
        issues: list[RowIssue] = []
        name, ubigeo, lat_cell, lon_cell, year_cell, kind_cell = picked
        if name is None:
            issues.append(self.issue(row, "name", _NAME_EMPTY))
        code, lat, lon = self._position(row, ubigeo, (lat_cell, lon_cell), position, issues)
        year = None if year_cell is None else self._year(row, year_cell, issues)  # optional
        kind = self._kind(row, kind_cell, issues)
        if self.formula_columns:
            self._explain_formulas(row, cells, issues)
        if issues:
            self._reject(row, cells, issues)
            return
        self.valid.add(row, str(name).strip(), code, lat, lon, year, kind)

    def _value(self, raw: object) -> float | None:
        """A position cell's number, None when it is none (or not finite)."""
        if raw is None:
            return None
        value = (plain_number(raw, self.convention) or parse_number(raw, self.convention))[0]
        return value if value is not None and math.isfinite(value) else None

    def _position(self, row: int, ubigeo: object, cells: tuple[object, object],
                  position: tuple[float | None, float | None], issues: list[RowIssue]):
        """(district, lat, lon) of a row, from its cells and their numbers."""
        lat, lon = position
        if lat is None and cells[0] is not None:  # 400 digits read as inf: no number either
            issues.append(self.issue(row, "lat", msg("lat_not_number", cell=shown(cells[0]))))
        if lon is None and cells[1] is not None:
            issues.append(self.issue(row, "lon", msg("lon_not_number", cell=shown(cells[1]))))
        placed = False  # a position inside Peru's box
        if lat is not None and lon is not None:
            placed = _in_peru(lat, lon)
            if not placed:
                issues.append(self.issue(row, "lat", msg("outside_peru", lat=lat, lon=lon)))
        code = self._district(row, ubigeo, issues)
        if issues:
            return None, None, None
        if not placed and code is None:
            issues.append(self.issue(row, "ubigeo", msg("no_position")))
            return None, None, None
        if code is None:
            return self._district_of(row, lat, lon, issues), lat, lon
        shape = self.districts.get(code)
        if not placed:
            if shape is None:
                issues.append(self.issue(row, "ubigeo", msg("no_shape", code=code,
                                                            edition=geodata.EDITION)))
                return None, None, None
            centre = shape.representative_point()
            self.warnings.append(self.issue(row, "ubigeo", msg("placed_in_district")))
            return code, round(centre.y, 5), round(centre.x, 5)
        if shape is not None and not shapely.contains_xy(self._near(code, shape), lon, lat):
            self.warnings.append(self.issue(row, "lat", msg("outside_district", lat=lat,
                                                            lon=lon, code=code)))
        return code, lat, lon

    def _near(self, code: str, shape) -> object:
        """The district's shape grown by 0.01° (a position that close is its own), made
        once per district, prepared for many points."""
        near = self.near.get(code)
        if near is None:
            near = self.near[code] = shape.buffer(0.01)
            shapely.prepare(near)
        return near

    def _district(self, row: int, raw: object, issues: list[RowIssue]) -> str | None:
        if raw is None:
            return None
        place = self.resolve(raw)
        if place.warnings:
            self.warnings += [self.issue(row, "ubigeo", m) for _, m in place.warnings]
        if place.error:
            issues.append(self.issue(row, "ubigeo", place.error[1]))
        elif len(place.ubigeo) != 6:
            issues.append(self.issue(row, "ubigeo", msg("not_a_district", code=place.ubigeo)))
        else:
            return place.ubigeo
        return None

    def _district_of(self, row: int, lat: float, lon: float,
                     issues: list[RowIssue]) -> str | None:
        code = self.located.get((lon, lat), _NOT_LOOKED_UP)
        if code is _NOT_LOOKED_UP:
            code = self.finder.containing(np.array([lon]), np.array([lat]))[0]
        if code is None:
            issues.append(self.issue(row, "lat", msg("in_no_district", lat=lat, lon=lon,
                                                     edition=geodata.EDITION)))
        return code

    def _read_year(self, raw: object) -> int | str:
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        if ascii_digits(text) and MIN_YEAR <= int(text) <= self.max_year:
            return int(text)
        return msg("year_not_year", cell=shown(raw), first=MIN_YEAR, last=self.max_year)

    def _kind(self, row: int, raw: object, issues: list[RowIssue]) -> str:
        if raw is None:
            return ""
        kind, problem = self.kinds(raw)
        if problem:
            issues.append(self.issue(row, "connection_type", problem))
        return kind

    def report(self) -> LocalityReport:
        """Where every row ended, and how the file was read."""
        frame = self.valid.frame()
        rejected = self.rejected_frame()
        return LocalityReport(frame, rejected, self.errors, self.warnings, len(self.raw.rows),
                              self.info(self.raw))


def _in_peru(lat: float, lon: float) -> bool:
    minx, miny, maxx, maxy = PERU_BOUNDS
    return miny <= lat <= maxy and minx <= lon <= maxx


def _read_kind(raw: object) -> tuple[str, str | None]:
    """(connection type, None), or ("", why the text is none)."""
    kind = CONNECTION_KEYS.get(normalize_key(raw), "")
    if not kind:
        return "", msg("connection_unknown", text=shown(str(raw)))
    return kind, None
