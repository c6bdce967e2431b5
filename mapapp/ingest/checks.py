"""What checking a file row by row takes, whatever the file holds (program results or
connected localities): the cells a check reads, blanks as None; the year; formulas
Excel never calculated; where each row ends (valid, or rejected with its issues and
its cells as read); the decimal mark of the file.

Each kind of file derives its checker from ``RowChecker`` and adds its own columns,
readings and messages (results.py, localities.py): the words of every message stay
with the file they describe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from mapapp.ingest.memo import BoundedMemo
from mapapp.ingest.numbers import DecimalConvention, detect_decimal
from mapapp.ingest.places import PlaceMatcher
from mapapp.ingest.rows import Issues, RejectedRows, RowIssue, rejected_table
from mapapp.ingest.table import UNSAVED_FORMULA_REASON, RawTable, UnsavedFormula
from mapapp.model.messages import key_of

MIN_YEAR = 2000  # the earliest year a row may give; the latest is the current one


def decimal_convention(raw: RawTable, indexes: Iterable[int]) -> DecimalConvention:
    """The file's decimal mark, from the texts in the columns at ``indexes`` (those
    that hold numbers), its separator breaking a tie. One pass over the rows, none kept."""
    indexes = list(indexes)
    # A text without a point or a comma has no vote: skipped here, in C, not cleaned.
    texts = (text for _, cells in raw.rows for i in indexes if i < len(cells)
             and isinstance(text := cells[i], str) and ("." in text or "," in text))
    return detect_decimal(texts, raw.delimiter)


class RowChecker:
    """The part of checking a file's rows that every kind of file shares.

    A subclass checks a row in its own hot path: it reads the cells with ``pick``,
    gathers a RowIssue per error in a list, calls ``_explain_formulas`` when
    ``formula_columns`` is not empty, then ``_reject`` when the list is not empty. It
    defines ``_read_year``, the words of its own year messages.
    """

    # Message keys of a whole row that an unsaved formula in it explains better: they are
    # replaced by UNSAVED_FORMULA_REASON, as "… is empty" (a key ending in "_empty") in the
    # formula's column is.
    REPLACED_BY_FORMULA: tuple[str, ...] = ()

    def __init__(self, header: list[str], columns: Mapping[str, int], picked: Sequence[str],
                 matcher: PlaceMatcher, convention: DecimalConvention, *, formulas: bool,
                 also_read: Iterable[int] = ()) -> None:
        """``columns``: canonical name → index of the file's columns; ``picked``: the
        canonical names of the cells ``pick`` reads, in its order (every column a check
        may name in an issue); ``formulas``: the file has unsaved formulas (XLSX);
        ``also_read``: indexes of further columns read (a wide table's indicators)."""
        self.header = header
        self.convention = convention
        self.picks = [columns.get(c) for c in picked]  # indexes of the cells read
        # Canonical column → the header issues name it by (the canonical name if absent).
        self.names = {c: c if i is None else header[i] for c, i in zip(picked, self.picks,
                                                                        strict=True)}
        self.resolve = matcher.resolver()  # its cache goes with this file
        self.max_year = dt.date.today().year
        self.years = BoundedMemo(self._read_year)  # a year cell → its year, or why not
        self.errors, self.warnings = Issues(), Issues()
        self.rejected = RejectedRows(len(header))  # the only rows whose cells are kept
        # Columns read, to look for formulas without a saved value (XLSX only).
        self.formula_columns = sorted({*columns.values(), *also_read}) if formulas else []

    def pick(self, cells: Sequence[object]) -> list[object]:
        """The cells a check reads (``picked``, in its order), None where blank or
        missing. One call a row: the test of each cell stays inline."""
        count = len(cells)
        return [None if i is None or i >= count or (cell := cells[i]) is None
                or (isinstance(cell, str) and not cell.strip()) else cell
                for i in self.picks]

    def issue(self, row: int | None, column: str, message: str) -> RowIssue:
        """An issue of ``column`` (canonical), named as the file's header names it."""
        return RowIssue(row, self.names[column], message)

    def _year(self, row: int, cell: object, issues: list[RowIssue]) -> int | None:
        """The year of a row's year cell; None, with an issue, when it gives none."""
        found = self.years(cell)
        if isinstance(found, str):  # a message (messages.msg): why there is none
            issues.append(self.issue(row, "year", found))
            return None
        return found

    def _read_year(self, cell: object) -> int | str:
        """The year a cell gives (``MIN_YEAR`` to ``max_year``), or why it gives none."""
        raise NotImplementedError

    def _explain_formulas(self, row: int, cells: Sequence[object],
                          issues: list[RowIssue]) -> None:
        """A formula Excel never calculated has no value to check: the row is rejected
        with that reason, in place of "… is empty"."""
        for index in self.formula_columns:
            if index < len(cells) and isinstance(cells[index], UnsavedFormula):
                column = self.header[index]
                issues[:] = [i for i in issues if not (
                    (i.column == column and (key_of(i.code) or "").endswith("_empty"))
                    or key_of(i.code) in self.REPLACED_BY_FORMULA)]
                issues.append(RowIssue(row, column, UNSAVED_FORMULA_REASON))

    def _reject(self, row: int, cells: Sequence[object], issues: list[RowIssue]) -> None:
        """The row is rejected: its issues are errors, its cells kept for the table."""
        self.errors += issues
        self.rejected.add(row, cells)

    def rejected_frame(self) -> pd.DataFrame:
        """The rejected rows as read, with their reasons (the store is emptied into it)."""
        return rejected_table(self.header, self.rejected, self.errors)

    def info(self, raw: RawTable, **more: str) -> dict[str, str]:
        """What the report says about the file: how it was read, ``more``, its decimal mark."""
        return dict(raw.info, **more,
                    decimal="comma" if self.convention.decimal == "," else "point")
