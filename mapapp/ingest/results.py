"""Program results: read a file, validate every row, report what was kept and why not.

One tidy record = one value of one indicator, for one place, year and value
chain. Every input row ends in ``ValidationReport.valid`` or in its
``errors``; a row with any error is rejected whole, with all its values, so
that per indicator ``valid + rejected == input``.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mapapp.boundaries import geodata
from mapapp.ingest import limits
from mapapp.ingest.checks import MIN_YEAR, RowChecker, decimal_convention
from mapapp.ingest.memo import BoundedMemo
from mapapp.ingest.numbers import (
    DecimalConvention,
    other_reading,
    parse_number,
    plain_number,
    range_problem,
    shown,
)
from mapapp.ingest.places import PlaceMatcher, default_matcher
from mapapp.ingest.reader import read_table
from mapapp.ingest.rows import RowIssue, RowReport
from mapapp.ingest.table import RawTable, UnreadableFileError
from mapapp.model import catalog
from mapapp.model.catalog import Lang
from mapapp.model.messages import msg
from mapapp.model.names import ascii_digits, normalize_key

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
class ValidationReport(RowReport):
    totals: dict[str, dict[str, float]] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)

    def to_json_dict(self, lang: Lang = "en") -> dict:
        """The shape of ``python -m mapapp validate --json`` (DESIGN's CLI contract), its
        messages in ``lang``."""
        return {
            "rows_total": self.rows_total,
            "rows_valid": self.rows_valid,
            "rows_rejected": self.rows_rejected,
            "errors": [e.as_dict(lang) for e in self.errors],
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
        missing.append(msg("missing_place"))
    if "year" not in schema.columns:
        missing.append(msg("missing_column", column="year", header="Año"))
    if not schema.wide:
        missing += [msg("missing_column", column=c, header=COLUMN_ALIASES[c][0].capitalize())
                    for c in ("indicator", "value") if c not in schema.columns]
    if missing:
        found = ", ".join(h for h in schema.header if h)
        raise UnreadableFileError(msg("not_results", file=filename, missing=missing,
                                      found=found or msg("none_found")))


def read_results(source: Path | bytes, filename: str,
                 matcher: PlaceMatcher | None = None) -> ValidationReport:
    """Read and validate a results file. Raises UnreadableFileError (CLI exit 2)."""
    raw = read_table(source, filename, looks_like_header)
    return validate_table(raw, filename, matcher)


def validate_table(raw: RawTable, filename: str = "table",
                   matcher: PlaceMatcher | None = None) -> ValidationReport:
    """Validate every row of a table as read (``read_results`` without the reading)."""
    schema = identify_columns(raw.header)
    check_schema(schema, filename)
    convention = decimal_convention(raw, list(schema.wide) or [schema.columns["value"]])
    checker = _ResultsChecker(schema, matcher or default_matcher(), convention, filename,
                              formulas=bool(getattr(raw, "unsaved_formulas", 0)))
    for number, cells in raw.rows:  # one row at a time: only rejected rows keep cells
        checker.validate(number, cells)
    checker.reject_duplicate_percentages(raw.rows)
    return checker.report(raw)


class _Records:
    """Tidy records of valid rows as typed columns (texts as codes into one table):
    about 32 bytes a record while validating, one DataFrame at the end."""

    def __init__(self) -> None:
        self.texts: dict[str, int] = {}  # ubigeo, value chain and indicator ids → code
        self.row, self.value = array("q"), array("d")
        self.year, self.ubigeo, self.chain, self.indicator = (array("i") for _ in range(4))

    def __len__(self) -> int:
        return len(self.row)

    def code(self, text: str) -> int:
        code = self.texts.get(text)
        if code is None:
            code = self.texts[text] = len(self.texts)
        return code

    def add(self, row: int, ubigeo: str, year: int, chain: str, indicator: str,
            value: float) -> None:
        self.row.append(row)
        self.ubigeo.append(self.code(ubigeo))
        self.year.append(year)
        self.chain.append(self.code(chain))
        self.indicator.append(self.code(indicator))
        self.value.append(value)

    def columns(self) -> dict[str, np.ndarray]:
        texts = np.array(list(self.texts), dtype=object)
        column = {name: np.frombuffer(getattr(self, name), dtype=np.int32)
                  for name in ("year", "ubigeo", "chain", "indicator")}
        return {"row": np.frombuffer(self.row, dtype=np.int64),
                "ubigeo": texts[column["ubigeo"]], "year": column["year"],
                "value_chain": texts[column["chain"]],
                "indicator": texts[column["indicator"]],
                "value": np.frombuffer(self.value, dtype=np.float64)}

    def keys(self) -> list[np.ndarray]:
        """Place, year, value chain and indicator of each record, as codes."""
        return [np.frombuffer(getattr(self, name), dtype=np.int32)
                for name in ("ubigeo", "year", "chain", "indicator")]

    def keep(self, mask: np.ndarray) -> None:
        """Only the records where ``mask`` is true."""
        for name in ("row", "value", "year", "ubigeo", "chain", "indicator"):
            kept = np.frombuffer(getattr(self, name), dtype=_DTYPES[name])[mask]
            setattr(self, name, array(getattr(self, name).typecode, kept.tobytes()))

    def frame(self) -> pd.DataFrame:
        if not len(self):
            frame = pd.DataFrame([], columns=TIDY_COLUMNS)
            frame["level"] = frame["ubigeo"].str.len().map(geodata.LEVEL_OF_LENGTH)
            return frame.astype({"row": "int64", "year": "int64", "value": "float64"})
        columns = self.columns()
        levels = np.array([geodata.LEVEL_OF_LENGTH.get(len(t)) for t in self.texts], dtype=object)
        columns["level"] = levels[self.keys()[0]]
        columns["year"] = columns["year"].astype(np.int64)
        return pd.DataFrame(columns, columns=TIDY_COLUMNS, copy=False)  # no second copy


_NO_VALUE, _VALUE_EMPTY = msg("no_value"), msg("value_empty")  # made once, used per row
_PICKED = ("ubigeo", "department", "province", "district", "year", "value_chain", "indicator",
           "value")  # the cells validate reads, in its order


def _blank_none(value: object) -> object:
    """None for a blank cell ("", spaces, a formula without a saved value)."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


_DTYPES = {"row": np.int64, "value": np.float64, "year": np.int32, "ubigeo": np.int32,
           "chain": np.int32, "indicator": np.int32}


class _Numbers:
    """(row, indicator, value) of every number as read, kept in arrays (20 bytes a
    number), for the totals."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}  # in order of first appearance, as totals list them
        self.rows, self.codes, self.values = array("q"), array("i"), array("d")

    def add(self, row: int, key: str, value: float) -> None:
        code = self.keys.get(key)
        if code is None:
            code = self.keys[key] = len(self.keys)
        self.rows.append(row)
        self.codes.append(code)
        self.values.append(value)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        names = list(self.keys)
        return ((row, names[code], value)
                for row, code, value in zip(self.rows, self.codes, self.values, strict=True))

    def totals(self, rejected: np.ndarray) -> dict[str, dict[str, float]]:
        """Input, valid and rejected (``rejected``: row numbers) sum per key, each added
        up in row order."""
        if not len(self):
            return {}
        rows = np.frombuffer(self.rows, dtype=np.int64)
        codes = np.frombuffer(self.codes, dtype=np.int32)
        values = np.frombuffer(self.values, dtype=np.float64)
        out = np.isin(rows, rejected)
        size = len(self.keys)
        sums = {"input": np.bincount(codes, values, size),  # a plain loop: same order
                "valid": np.bincount(codes[~out], values[~out], size),
                "rejected": np.bincount(codes[out], values[out], size)}
        return {key: {kind: float(sums[kind][code]) for kind in sums}
                for key, code in self.keys.items()}


class _ResultsChecker(RowChecker):
    """Checks a results table row by row into tidy records (one per value), the
    numbers as read (for the totals) and the rejected rows."""

    # A row whose values are all unsaved formulas says so, not "no value".
    REPLACED_BY_FORMULA = ("no_value",)

    def __init__(self, schema: Schema, matcher: PlaceMatcher, convention: DecimalConvention,
                 filename: str = "table", formulas: bool = False) -> None:
        super().__init__(schema.header, schema.columns, _PICKED, matcher, convention,
                         formulas=formulas, also_read=schema.wide)
        self.schema, self.filename = schema, filename
        # What a text says as an indicator or value chain, read once per text.
        self.indicators = BoundedMemo(self._read_indicator)
        self.chains = BoundedMemo(lambda text, indicator_id: self._read_chain(indicator_id, text))
        self.valid = _Records()  # tidy records of rows without errors
        self.numbers = _Numbers()  # (row, indicator, value) as read

    def validate(self, row: int, cells: list[object]) -> None:
        """Check one row: its values become records, or the row is rejected whole."""
        issues: list[RowIssue] = []
        ubigeo, department, province, district, year_cell, chain_text, indicator_text, \
            value_cell = self.pick(cells)
        place = self.resolve(ubigeo, department, province, district)
        if place.error:
            issues.append(RowIssue(row, self.names[place.error[0]], place.error[1]))
        if place.warnings:
            self.warnings += [RowIssue(row, self.names[c], m) for c, m in place.warnings]
        year = self._year(row, year_cell, issues)
        records = []
        values = self._wide_values(cells) if self.schema.wide else \
            ((self.names["value"], indicator_text, value_cell),)
        for column, indicator, value in values:
            record = self._record(row, column, indicator, chain_text, value, issues)
            if record:
                records.append(record)
        if not records and not issues:
            issues.append(RowIssue(row, self.names["value"], _NO_VALUE))
        if self.formula_columns:
            self._explain_formulas(row, cells, issues)
        if issues:
            self._reject(row, cells, issues)
            return
        for chain, indicator, value in records:
            self.valid.add(row, place.ubigeo, year, chain, indicator, value)
        if len(self.valid) > limits.MAX_VALUES:
            raise UnreadableFileError(msg("too_many_values", file=self.filename,
                                          limit=limits.MAX_VALUES, row=row))

    def _wide_values(self, cells: list[object]):
        """(column header, indicator id, value cell) for each value of a wide row."""
        for index, indicator_id in self.schema.wide.items():
            value = _blank_none(cells[index]) if index < len(cells) else None
            if value is not None:
                yield self.schema.header[index], indicator_id, value

    def _read_year(self, raw: object) -> int | str:
        """The year of a cell, or why it is none (a results row needs one)."""
        if raw is None:
            return msg("year_empty")
        text = str(raw).strip().removesuffix(".0")
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        if not ascii_digits(text):
            return msg("year_not_whole", cell=shown(raw))
        year = int(text)
        if not MIN_YEAR <= year <= self.max_year:
            return msg("year_outside", year=year, first=MIN_YEAR, last=self.max_year)
        return year

    def _record(self, row: int, column: str, indicator_text: object, chain_text: object,
                value_cell: object, issues: list[RowIssue]) -> tuple[str, str, float] | None:
        """(value chain, indicator id, value) of one value of a row, or None."""
        indicator_id = self._indicator(row, indicator_text, issues)
        value, ambiguous = (None, False) if value_cell is None else \
            plain_number(value_cell, self.convention) or parse_number(value_cell,
                                                                      self.convention)
        out_of_range = None if value is None else range_problem(value)
        if value is not None and not out_of_range:  # totals hold only finite, capped values
            key = indicator_id or str(indicator_text or "").strip() or "(no indicator)"
            self.numbers.add(row, key, value)
        chain = self._chain(row, indicator_id, chain_text, issues)
        if value_cell is None:
            issues.append(RowIssue(row, column, _VALUE_EMPTY))
            return None
        if value is None:
            mark = "comma" if self.convention.decimal == "," else "point"
            issues.append(RowIssue(row, column, msg("value_not_number", cell=shown(value_cell),
                                                    mark=mark)))
            return None
        if out_of_range:
            issues.append(RowIssue(row, column, msg("value_problem", cell=shown(value_cell),
                                                    problem=out_of_range)))
            return None
        if ambiguous:
            self.warnings.append(RowIssue(row, column, _ambiguous_message(value_cell, value,
                                                                          self.convention)))
        if value < 0:
            issues.append(RowIssue(row, column, msg("value_negative", value=value)))
        if indicator_id:
            ind = catalog.INDICATORS[indicator_id]
            if ind.max_value is not None and value > ind.max_value:
                issues.append(RowIssue(row, column, msg("value_above_share", value=value,
                                                        most=ind.max_value)))
            elif ind.warn_above is not None and value > ind.warn_above:
                self.warnings.append(RowIssue(row, column, msg("value_check", value=value,
                                                               most=ind.warn_above)))
        if not indicator_id:
            return None
        return chain, indicator_id, value

    def _indicator(self, row: int, text: object, issues: list[RowIssue]) -> str | None:
        if self.schema.wide:
            return str(text)
        indicator_id, problem = self.indicators(text)
        if problem:
            issues.append(RowIssue(row, self.names["indicator"], problem))
        return indicator_id

    @staticmethod
    def _read_indicator(text: object) -> tuple[str | None, str | None]:
        """(indicator id, None), or (None, why there is none)."""
        if text is None:
            return None, msg("indicator_empty")
        found = INDICATOR_KEYS.get(normalize_key(text))
        if not found:
            return None, msg("indicator_unknown", text=shown(str(text)),
                             ids=", ".join(catalog.INDICATORS))
        return found, None

    def _chain(self, row: int, indicator_id: str | None, text: object,
               issues: list[RowIssue]) -> str:
        if text is None:
            return ""
        chain, problem = self.chains(text, indicator_id)
        if problem:
            issues.append(RowIssue(row, self.names["value_chain"], problem))
        return chain

    @staticmethod
    def _read_chain(indicator_id: str | None, text: object) -> tuple[str, str | None]:
        """(value chain id or "", None or what is wrong with it)."""
        chain = VALUE_CHAIN_KEYS.get(normalize_key(text))
        if not chain:
            return "", msg("chain_unknown", text=shown(str(text)),
                           ids=", ".join(catalog.VALUE_CHAINS))
        if indicator_id and not catalog.INDICATORS[indicator_id].by_value_chain:
            return chain, msg("chain_not_split", indicator=indicator_id)
        return chain, None

    def reject_duplicate_percentages(self, table_rows=()) -> None:
        """Same place, year, chain and indicator twice: counts add up (with a warning);
        a percentage cannot be added, so its later rows are rejected, their cells read
        again from ``table_rows`` (valid rows keep no cells)."""
        if not len(self.valid):
            return
        rows = np.frombuffer(self.valid.row, dtype=np.int64)
        first_row = _first_rows(rows, self.valid.keys())
        texts = list(self.valid.texts)
        later: dict[int, None] = {}  # rows rejected here, in order
        for index in np.flatnonzero(first_row != rows):
            row, first = int(rows[index]), int(first_row[index])
            ind = catalog.INDICATORS[texts[self.valid.indicator[index]]]
            if ind.aggregation == "sum":
                self.warnings.append(RowIssue(row, self.schema.header_of("value"),
                                              msg("duplicate_added", row=first)))
            elif row not in later:  # a wide row may repeat two percentages
                self.errors.append(RowIssue(row, self.schema.header_of("value"),
                                            msg("duplicate_share", row=first)))
                later[row] = None
        if later:
            self._reread(set(later), table_rows)
            self.valid.keep(~np.isin(rows, list(later)))

    def _reread(self, left: set[int], rows) -> None:
        """Cells of rows rejected after the pass, from one more pass over ``rows``."""
        for number, cells in rows:
            if number in left:
                self.rejected.add(number, cells)
                left.discard(number)
                if not left:
                    return
        for number in sorted(left):  # not read again: no cells to show
            self.rejected.add(number, [])

    def report(self, raw: RawTable) -> ValidationReport:
        """Where every row of ``raw`` ended, its totals, and what was noticed on the way."""
        valid = self.valid.frame()
        totals = self.numbers.totals(np.frombuffer(self.rejected.rows, dtype=np.int64))
        self.errors.sort_by_row()
        self.warnings.sort_by_row()
        if raw.blank_rows:
            self.warnings.insert(0, RowIssue(None, "", msg(
                "blank_rows", count=len(raw.blank_rows), rows=_row_numbers(raw.blank_rows))))
        if self.schema.ignored:
            self.warnings.insert(0, RowIssue(None, "", msg(
                "columns_unused", columns=", ".join(self.schema.ignored))))
        info = self.info(raw, layout=self.schema.layout)
        return ValidationReport(
            valid=valid, rejected=self.rejected_frame(), errors=self.errors,
            warnings=self.warnings, rows_total=len(raw.rows), totals=totals, info=info)


_KEY_ROOM = 2 ** 62  # combined keys stay below this


def _first_rows(rows: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """The first row of each record's key (place, year, chain, indicator), ``rows``
    ascending: the codes made one int64 and ``np.unique`` (40 MB for a million records,
    where a pandas groupby on four columns took 110 MB)."""
    combined, room = np.zeros(len(rows), dtype=np.int64), 1
    for part in keys:
        low, span = int(part.min()), int(part.max()) - int(part.min()) + 1
        room *= span
        if room >= _KEY_ROOM:  # not seen: codes count distinct texts, years a few dozen
            return pd.Series(rows).groupby(keys, sort=False).transform("min").to_numpy()
        combined = combined * span + (part - low)
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    return rows[first][inverse.reshape(-1)]


def _row_numbers(numbers, most: int = 20) -> str:
    """Row numbers for a message: runs as "5–9", at most ``most`` of them, then "…"."""
    runs = numbers.runs() if hasattr(numbers, "runs") else [(n, n) for n in numbers[:most + 1]]
    shown = [str(a) if a == b else f"{a}–{b}" for a, b in runs[:most]]
    return ", ".join(shown) + (", …" if len(runs) > most else "")


def _ambiguous_message(cell: object, value: float, convention: DecimalConvention) -> str:
    mark = "comma" if convention.decimal == "," else "point"
    return msg("value_ambiguous", cell=repr(cell), value=value, mark=mark,
               other=other_reading(cell, convention))
