"""What both readers share: the table they give (``RawTable``: the header, the rows read
again from the file on each pass, blank rows kept as ``RowRuns``), the error they
raise, and finding the header among the first records. The caps they work under are
in ``limits``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from mapapp.ingest import limits
from mapapp.model.catalog import Lang
from mapapp.model.messages import msg, render

HEADER_SEARCH_ROWS = 10  # title lines above the header that we skip


class UnreadableFileError(ValueError):
    """The file is not a table we can read; the message says what to do.

    Raised with a message code (``messages.msg``): ``str(exc)`` is its English text (for
    logs), ``exc.text(lang)`` its text in a language, ``exc.message`` the code itself,
    kept by whoever shows it later (``datasets.Upload.error``). A plain text works too."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def text(self, lang: Lang = "en") -> str:
        return render(self.message, lang)

    def __str__(self) -> str:
        return self.text("en")


class UnsavedFormula(str):
    """An XLSX cell with a formula but no value saved by Excel (a workbook written by a
    program, never opened in Excel): empty text, so that validation can say why."""

    __slots__ = ()

    def __reduce__(self):  # stays what it is in the pickled row store
        return UnsavedFormula, ()


UNSAVED_FORMULA_REASON = msg("formula_unsaved")


class SharedTexts:
    """One copy of each repeated short text: a million kept rows that all say "2020"
    or "cacao" hold one string each, not a million (a CSV reader makes a new one per
    cell). Bounded: past ``most`` distinct texts, new ones are kept as they are."""

    def __init__(self, most: int = 100_000, longest: int = 64) -> None:
        self.texts: dict[str, str] = {}
        self.most, self.longest = most, longest

    def text(self, text: str) -> str:
        if len(text) > self.longest:
            return text
        shared = self.texts.get(text)
        if shared is not None:
            return shared
        if len(self.texts) < self.most:
            self.texts[text] = text
        return text

    def cells(self, cells: Sequence[object]) -> tuple[object, ...]:
        """The cells, each text replaced by its kept copy (looked up in C)."""
        texts = self.texts
        kept = tuple(map(texts.get, cells, cells))  # a cell not kept stands for itself
        if len(texts) < self.most:
            texts.update((c, c) for c in kept if type(c) is str and len(c) <= self.longest)
        return kept


class RowRuns(Sequence[int]):
    """Row numbers in ascending order kept as runs: a million blank rows cost two ints."""

    def __init__(self) -> None:
        self._firsts: list[int] = []
        self._lasts: list[int] = []
        self._before: list[int] = []  # how many numbers the earlier runs hold
        self._count = 0

    def add(self, first: int, last: int | None = None) -> None:
        last = first if last is None else last
        if self._lasts and self._lasts[-1] == first - 1:
            self._lasts[-1] = last
        else:
            self._firsts.append(first)
            self._lasts.append(last)
            self._before.append(self._count)
        self._count += last - first + 1

    def runs(self) -> list[tuple[int, int]]:
        return list(zip(self._firsts, self._lasts, strict=True))

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        for first, last in zip(self._firsts, self._lasts, strict=True):
            yield from range(first, last + 1)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(self._count)[index]]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        run = bisect.bisect_right(self._before, index) - 1
        return self._firsts[run] + index - self._before[run]

    def __repr__(self) -> str:
        return f"RowRuns({self.runs()})"


class TableRows:
    """The non-blank data rows of a table as (row number, cells), read again from the
    file (or from a compact copy of it) on each pass, so that no pass holds them all."""

    def __init__(self, read: Callable[[], Iterator[tuple[int, list[object]]]],
                 count: int) -> None:
        self._read, self._count = read, count

    def __iter__(self) -> Iterator[tuple[int, list[object]]]:
        return self._read()

    def __len__(self) -> int:
        return self._count


@dataclass
class RawTable:
    """Cells as read. ``rows`` gives (1-based data row number, cells) for each non-blank
    row (any sized iterable; the reader's reads the file again on each pass); blank rows
    are left out and their numbers listed in ``blank_rows``. ``info`` is what reports
    show (encoding, separator by name, sheet); ``delimiter`` is the separator itself,
    for what is decided from it (the decimal mark)."""

    header: list[str]
    rows: Iterable[tuple[int, list[object]]]
    blank_rows: Sequence[int] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)
    unsaved_formulas: int = 0  # XLSX cells with a formula and no saved value
    delimiter: str | None = None  # a CSV's separator character; None for a workbook


HeaderTest = Callable[[list[str]], bool]
Records = Iterator[tuple[int, "list[object] | None"]]  # (position, cells); None ends


@dataclass
class _Layout:
    """Where a table lies among its records, found in one pass that keeps no rows."""

    header: list[str]
    at: int  # position of the header record
    count: int = 0  # non-blank data rows
    last: int = 0  # number of the last non-blank data row
    blank: RowRuns = field(default_factory=RowRuns)
    info: dict[str, str] = field(default_factory=dict)


def _layout(records: Records, filename: str, is_header: HeaderTest,
            keep: Callable[[int, list[object]], None] | None = None) -> _Layout | None:
    """The header among the first records, then every data row counted (and given to
    ``keep``); None when no header comes first."""
    found = _find_header(records, is_header)
    if found is None:
        return None
    layout = _Layout(*found)
    previous = 0
    for position, cells in records:
        number = position - layout.at
        if number > previous + 1:
            layout.blank.add(previous + 1, number - 1)
        if cells is None:
            break
        if number > limits.MAX_ROWS:
            raise UnreadableFileError(msg("too_many_rows", file=filename,
                                          limit=limits.MAX_ROWS, row=number))
        layout.count += 1
        layout.last = previous = number
        if keep is not None:
            keep(number, cells)
    return layout


def _find_header(records: Records, is_header: HeaderTest) -> tuple[list[str], int] | None:
    for position, cells in records:
        if position > HEADER_SEARCH_ROWS or cells is None:
            return None
        header = [_cell_text(c) for c in cells]
        if is_header(header):
            return header, position
    return None


def _cell_text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _too_wide(filename: str, where: str, column: int) -> UnreadableFileError:
    """``where``: a message (``where_line``, ``where_sheet_row``)."""
    return UnreadableFileError(msg("too_wide", file=filename, where=where, column=column,
                                   limit=limits.MAX_COLUMNS))
