"""Program results: read a file, validate every row, report what was kept and why not.

One tidy record = one value of one indicator, for one place, year and value
chain. Every input row ends in ``ValidationReport.valid`` or in its
``errors``; a row with any error is rejected whole, with all its values, so
that per indicator ``valid + rejected == input``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mapapp import catalog, geo
from mapapp.numbers import DecimalConvention, detect_decimal, other_reading, parse_number
from mapapp.places import PlaceMatcher
from mapapp.reader import DELIMITER_NAMES, RawTable, UnreadableFileError, read_table
from mapapp.text import ascii_digits, normalize_key

MIN_YEAR = 2000
TIDY_COLUMNS = ["row", "ubigeo", "level", "year", "value_chain", "indicator", "value"]
KEY_COLUMNS = ["ubigeo", "year", "value_chain", "indicator"]

# Canonical column → headers people write (compared after normalize_key).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "ubigeo": ("ubigeo", "codigo ubigeo", "cod ubigeo", "ubigeo inei", "codigo", "code"),
    "department": ("departamento", "region", "department", "dpto", "depto", "dep"),
    "province": ("provincia", "province", "prov"),
    "district": ("distrito", "district", "dist"),
    "year": ("ano", "anio", "year", "periodo", "period"),
    "value_chain": ("cadena de valor", "cadena", "cultivo", "value chain", "chain", "crop"),
    "indicator": ("indicador", "indicator", "indicator id", "id indicador"),
    "value": ("valor", "value", "cantidad", "amount"),
}
_ALIAS_TO_COLUMN = {normalize_key(a): c for c, aliases in COLUMN_ALIASES.items()
                    for a in aliases}


def _lookup_table(items: dict, extra=lambda item: ()) -> dict[str, str]:
    table = {}
    for item_id, item in items.items():
        for text in (item_id, *item.label.values(), *extra(item)):
            table[normalize_key(text)] = item_id
    return table


INDICATOR_KEYS = _lookup_table(catalog.INDICATORS)
VALUE_CHAIN_KEYS = _lookup_table(catalog.VALUE_CHAINS, lambda vc: vc.aliases)


@dataclass(frozen=True)
class RowIssue:
    row: int | None  # 1-based data row, header excluded; None for the whole file
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Schema:
    columns: dict[str, int]  # canonical → index in the row
    wide: dict[int, str]  # index → indicator id, for one-column-per-indicator tables
    header: list[str]
    ignored: list[str]

    @property
    def layout(self) -> str:
        return "wide" if self.wide else "long"

    def header_of(self, canonical: str) -> str:
        index = self.columns.get(canonical)
        return self.header[index] if index is not None else canonical


@dataclass
class RowReport:
    """Where every input row ended: ``valid`` records, or ``rejected`` with reasons."""

    valid: pd.DataFrame
    rejected: pd.DataFrame  # the rejected input rows as read, with row and reasons
    errors: list[RowIssue]
    warnings: list[RowIssue]
    rows_total: int

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def rows_valid(self) -> int:
        return self.rows_total - self.rows_rejected


@dataclass
class ValidationReport(RowReport):
    totals: dict[str, dict[str, float]] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)

    def to_json_dict(self) -> dict:
        """The shape of ``python -m mapapp validate --json`` (DESIGN's CLI contract)."""
        return {
            "rows_total": self.rows_total,
            "rows_valid": self.rows_valid,
            "rows_rejected": self.rows_rejected,
            "errors": [e.as_dict() for e in self.errors],
            "totals": {k: {n: _plain_number(v) for n, v in t.items()}
                       for k, t in self.totals.items()},
        }


def _plain_number(value: float) -> int | float:
    rounded = round(value, 6)
    return int(rounded) if rounded.is_integer() else rounded


def identify_columns(header: list[str]) -> Schema:
    columns: dict[str, int] = {}
    wide: dict[int, str] = {}
    ignored = []
    for index, cell in enumerate(header):
        key = normalize_key(cell)
        if key in _ALIAS_TO_COLUMN and _ALIAS_TO_COLUMN[key] not in columns:
            columns[_ALIAS_TO_COLUMN[key]] = index
        elif key in INDICATOR_KEYS and INDICATOR_KEYS[key] not in wide.values():
            wide[index] = INDICATOR_KEYS[key]
        elif key:
            ignored.append(cell)
    if "indicator" in columns or "value" in columns:
        ignored += [header[i] for i in wide]
        wide = {}
    return Schema(columns, wide, header, ignored)


def looks_like_header(header: list[str]) -> bool:
    """A header names at least two known columns, one of them a value or indicator."""
    schema = identify_columns(header)
    known = len(schema.columns) + len(schema.wide)
    return known >= 2 and bool(schema.wide or {"value", "indicator"} & schema.columns.keys())


def check_schema(schema: Schema, filename: str) -> None:
    """Raise UnreadableFileError naming the columns a results table lacks."""
    missing = []
    if not ({"ubigeo", "department", "province", "district"} & schema.columns.keys()):
        missing.append("a place (ubigeo, or Departamento/Provincia/Distrito)")
    if "year" not in schema.columns:
        missing.append("year (Año)")
    if not schema.wide:
        missing += [f"{c} ({COLUMN_ALIASES[c][0].capitalize()})"
                    for c in ("indicator", "value") if c not in schema.columns]
    if missing:
        raise UnreadableFileError(
            f"{filename}: not a results table; missing column(s): {'; '.join(missing)}. "
            f"Columns found: {', '.join(h for h in schema.header if h) or 'none'}")


def read_results(source: Path | bytes, filename: str,
                 matcher: PlaceMatcher | None = None) -> ValidationReport:
    """Read and validate a results file. Raises UnreadableFileError (CLI exit 2)."""
    raw = read_table(source, filename, looks_like_header)
    return validate_table(raw, filename, matcher)


def validate_table(raw: RawTable, filename: str = "table",
                   matcher: PlaceMatcher | None = None) -> ValidationReport:
    schema = identify_columns(raw.header)
    check_schema(schema, filename)
    matcher = matcher or default_matcher()
    convention = _decimal_convention(raw, schema)
    validator = _RowValidator(schema, matcher, convention)
    for number, cells in raw.rows:
        validator.validate(number, cells)
    validator.reject_duplicate_percentages()
    return validator.report(raw, convention)


_MATCHER: PlaceMatcher | None = None


def default_matcher() -> PlaceMatcher:
    global _MATCHER
    if _MATCHER is None:
        _MATCHER = PlaceMatcher(geo.places())
    return _MATCHER


def _decimal_convention(raw: RawTable, schema: Schema) -> DecimalConvention:
    indexes = list(schema.wide) or [schema.columns["value"]]
    texts = (cells[i] for _, cells in raw.rows for i in indexes
             if i < len(cells) and isinstance(cells[i], str))
    delimiter = next((d for d, n in DELIMITER_NAMES.items()
                      if n == raw.info.get("delimiter")), None)
    return detect_decimal(texts, delimiter)


class _RowValidator:
    def __init__(self, schema: Schema, matcher: PlaceMatcher,
                 convention: DecimalConvention) -> None:
        self.schema, self.matcher, self.convention = schema, matcher, convention
        self.records: list[dict] = []  # tidy records of rows without errors
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []
        self.rejected: dict[int, list[object]] = {}
        self.cells: dict[int, list[object]] = {}
        self.numbers: list[tuple[int, str, float]] = []  # (row, indicator, value) as read
        self.max_year = dt.date.today().year

    def cell(self, cells: list[object], column: str) -> object:
        index = self.schema.columns.get(column)
        if index is None or index >= len(cells):
            return None
        value = cells[index]
        return None if value is None or str(value).strip() == "" else value

    def validate(self, row: int, cells: list[object]) -> None:
        self.cells[row] = cells
        issues: list[RowIssue] = []
        place = self.matcher.resolve(*(self.cell(cells, c) for c in
                                       ("ubigeo", "department", "province", "district")))
        if place.error:
            issues.append(RowIssue(row, self.schema.header_of(place.error[0]), place.error[1]))
        self.warnings += [RowIssue(row, self.schema.header_of(c), m) for c, m in place.warnings]
        year = self._year(row, cells, issues)
        chain_text = self.cell(cells, "value_chain")
        records = []
        for column, indicator_text, value_cell in self._values(cells):
            record = self._record(row, column, indicator_text, chain_text, value_cell, issues)
            if record:
                records.append(record)
        if not records and not issues:
            issues.append(RowIssue(row, self.schema.header_of("value"),
                                   "no value: every indicator cell is empty"))
        if issues:
            self.errors += issues
            self.rejected[row] = cells
            return
        for record in records:
            record.update(row=row, ubigeo=place.ubigeo, year=year)
        self.records += records

    def _values(self, cells: list[object]):
        """(column header, indicator text, value cell) for each value of the row."""
        if self.schema.wide:
            for index, indicator_id in self.schema.wide.items():
                value = cells[index] if index < len(cells) else None
                if value is not None and str(value).strip() != "":
                    yield self.schema.header[index], indicator_id, value
        else:
            yield (self.schema.header_of("value"), self.cell(cells, "indicator"),
                   self.cell(cells, "value"))

    def _year(self, row: int, cells: list[object], issues: list[RowIssue]) -> int | None:
        column = self.schema.header_of("year")
        raw = self.cell(cells, "year")
        if raw is None:
            issues.append(RowIssue(row, column, "year is empty"))
            return None
        text = str(raw).strip().removesuffix(".0")
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        if not ascii_digits(text):
            issues.append(RowIssue(row, column, f"year {raw!r} is not a whole year like 2021"))
            return None
        year = int(text)
        if not MIN_YEAR <= year <= self.max_year:
            issues.append(RowIssue(row, column, f"year {year} is outside "
                                   f"{MIN_YEAR}–{self.max_year}"))
            return None
        return year

    def _record(self, row: int, column: str, indicator_text: object, chain_text: object,
                value_cell: object, issues: list[RowIssue]) -> dict | None:
        indicator_id = self._indicator(row, indicator_text, issues)
        value, ambiguous = parse_number(value_cell, self.convention) \
            if value_cell is not None else (None, False)
        if value is not None:
            key = indicator_id or str(indicator_text or "").strip() or "(no indicator)"
            self.numbers.append((row, key, value))
        chain = self._chain(row, indicator_id, chain_text, issues)
        if value_cell is None:
            issues.append(RowIssue(row, column, "value is empty"))
            return None
        if value is None:
            mark = "a comma" if self.convention.decimal == "," else "a point"
            issues.append(RowIssue(row, column, f"value {value_cell!r} is not a number "
                                   f"(this file writes decimals with {mark})"))
            return None
        if ambiguous:
            self.warnings.append(RowIssue(row, column, _ambiguous_message(value_cell, value,
                                                                          self.convention)))
        if value < 0:
            issues.append(RowIssue(row, column, f"value {_fmt(value)} is negative"))
        if indicator_id:
            ind = catalog.INDICATORS[indicator_id]
            if ind.max_value is not None and value > ind.max_value:
                issues.append(RowIssue(row, column, f"value {_fmt(value)} is above "
                                       f"{_fmt(ind.max_value)} %, impossible for a share"))
            elif ind.warn_above is not None and value > ind.warn_above:
                self.warnings.append(RowIssue(row, column, f"value {_fmt(value)} % is above "
                                              f"{_fmt(ind.warn_above)} %: please check it"))
        if not indicator_id:
            return None
        return {"level": None, "value_chain": chain, "indicator": indicator_id, "value": value}

    def _indicator(self, row: int, text: object, issues: list[RowIssue]) -> str | None:
        if self.schema.wide:
            return str(text)
        column = self.schema.header_of("indicator")
        if text is None:
            issues.append(RowIssue(row, column, "indicator is empty"))
            return None
        found = INDICATOR_KEYS.get(normalize_key(text))
        if not found:
            issues.append(RowIssue(row, column, f"unknown indicator {str(text)!r}; use one of "
                                   f"{', '.join(catalog.INDICATORS)}"))
        return found

    def _chain(self, row: int, indicator_id: str | None, text: object,
               issues: list[RowIssue]) -> str:
        column = self.schema.header_of("value_chain")
        if text is None:
            return ""
        chain = VALUE_CHAIN_KEYS.get(normalize_key(text))
        if not chain:
            issues.append(RowIssue(row, column, f"unknown value chain {str(text)!r}; use one "
                                   f"of {', '.join(catalog.VALUE_CHAINS)} or leave it empty"))
            return ""
        if indicator_id and not catalog.INDICATORS[indicator_id].by_value_chain:
            issues.append(RowIssue(row, column, f"indicator {indicator_id} is not split by "
                                   f"value chain; leave the value chain empty"))
        return chain

    def reject_duplicate_percentages(self) -> None:
        """Same place, year, chain and indicator twice: counts add up (with a warning);
        a percentage cannot be added, so its later rows are rejected."""
        if not self.records:
            return
        frame = pd.DataFrame(self.records)
        first_row = frame.groupby(KEY_COLUMNS, sort=False)["row"].transform("min")
        for record, first in zip(self.records, first_row, strict=True):
            if record["row"] == first:
                continue
            ind = catalog.INDICATORS[record["indicator"]]
            if ind.aggregation == "sum":
                self.warnings.append(RowIssue(record["row"], self.schema.header_of("value"),
                                              f"same place, year, value chain and indicator "
                                              f"as row {first}: the values are added"))
            elif record["row"] not in self.rejected:
                self.errors.append(RowIssue(record["row"], self.schema.header_of("value"),
                                            f"duplicate of row {first}: a percentage cannot "
                                            "be added; keep one row per place and year"))
                self.rejected[record["row"]] = self.cells[record["row"]]
        self.records = [r for r in self.records if r["row"] not in self.rejected]

    def report(self, raw: RawTable, convention: DecimalConvention) -> ValidationReport:
        valid = pd.DataFrame(self.records, columns=TIDY_COLUMNS)
        valid["level"] = valid["ubigeo"].str.len().map(geo.LEVEL_OF_LENGTH)
        valid = valid.astype({"row": "int64", "year": "int64", "value": "float64"})
        totals: dict[str, dict[str, float]] = {}
        for row, key, value in self.numbers:
            entry = totals.setdefault(key, {"input": 0.0, "valid": 0.0, "rejected": 0.0})
            entry["input"] += value
            entry["rejected" if row in self.rejected else "valid"] += value
        self.errors.sort(key=lambda e: e.row or 0)
        self.warnings.sort(key=lambda e: e.row or 0)
        if raw.blank_rows:
            shown = ", ".join(map(str, raw.blank_rows[:20]))
            self.warnings.insert(0, RowIssue(None, "", f"{len(raw.blank_rows)} empty row(s) "
                                             f"skipped: {shown}"))
        if self.schema.ignored:
            self.warnings.insert(0, RowIssue(None, "", "column(s) not used: "
                                             + ", ".join(self.schema.ignored)))
        info = dict(raw.info, layout=self.schema.layout,
                    decimal="comma" if convention.decimal == "," else "point")
        return ValidationReport(
            valid=valid, rejected=self._rejected_frame(), errors=self.errors,
            warnings=self.warnings, rows_total=len(raw.rows), totals=totals, info=info)

    def _rejected_frame(self) -> pd.DataFrame:
        header = [h or f"column {i + 1}" for i, h in enumerate(self.schema.header)]
        reasons: dict[int, list[str]] = {}
        for issue in self.errors:
            reasons.setdefault(issue.row, []).append(f"{issue.column}: {issue.message}")
        rows = []
        for row, cells in sorted(self.rejected.items()):
            padded = [_as_text(c) for c in cells[:len(header)]]
            padded += [""] * (len(header) - len(padded))
            rows.append([row, *padded, "; ".join(reasons.get(row, []))])
        return pd.DataFrame(rows, columns=["row", *_unique(header), "reasons"], dtype=object)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _as_text(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ""
    return str(cell)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _ambiguous_message(cell: object, value: float, convention: DecimalConvention) -> str:
    mark = "comma" if convention.decimal == "," else "point"
    return (f"value {cell!r} is ambiguous: read as {_fmt(value)} (decimal {mark}); it could "
            f"also mean {_fmt(other_reading(cell, convention))}. Nothing else in the file "
            "shows its decimal mark: check it, or write it without a thousands separator")
