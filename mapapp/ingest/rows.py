"""The parts of a row report that grow with a file, kept compact: its issues, the cells
of its rejected rows, and the rejected-rows table, each rejected input row as read
between its row number and its reasons, under column names that never collide.

A file of a million rejected rows gives a million issues and a million kept rows. As
Python objects (an issue object, a tuple of strings, a dict entry, an int, a reasons
list each) they took 1.2 GB for a 49 MB file; as columns (row numbers in arrays, texts
as codes into tables of distinct texts, cells and distinct reasons as Arrow text) they
take less than 10 times the file's bytes (bench/hostile_memory.md).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby, zip_longest
from operator import itemgetter

import numpy as np
import pandas as pd
import pyarrow as pa

from mapapp.ingest.table import SharedTexts
from mapapp.model.catalog import LANGS, Lang
from mapapp.model.i18n import t
from mapapp.model.messages import join_reasons, reasons_code, render, render_reasons

ROW, REASONS = "row", "reasons"
# The page renames ROW and REASONS to these labels, so no user column may take them either.
RESERVED = frozenset({ROW, REASONS} | {t(key, lang) for key in (ROW, REASONS) for lang in LANGS})
_NO_ROW = -1  # how Issues stores a row of None (an issue of the whole file)
_MESSAGE_CHARS = 400  # longer messages are kept as they are, not looked up to be shared
_MOST_MESSAGES = 20_000  # distinct messages looked up to be shared (a file repeats a few)


@dataclass(frozen=True, slots=True)
class RowIssue:
    row: int | None  # 1-based data row, header excluded; None for the whole file
    column: str
    code: str  # a message code (messages.msg), put into words when shown

    @property
    def message(self) -> str:
        """The message in English (logs, tests); ``text(lang)`` in a language."""
        return render(self.code, "en")

    def text(self, lang: Lang = "en") -> str:
        return render(self.code, lang)

    def as_dict(self, lang: Lang = "en") -> dict:
        return {"row": self.row, "column": self.column, "message": render(self.code, lang)}

    def __repr__(self) -> str:
        return f"RowIssue(row={self.row!r}, column={self.column!r}, message={self.message!r})"


@dataclass
class RowReport:
    """Where every input row ended: ``valid`` records, or ``rejected`` with reasons.
    What a results file and a localities file have in common; each adds its own."""

    valid: pd.DataFrame
    rejected: pd.DataFrame  # the rejected input rows as read, with row and reasons
    errors: Sequence[RowIssue]  # Issues: compact, read like a list
    warnings: Sequence[RowIssue]
    rows_total: int

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    def rejected_table(self, lang: Lang = "en", head: int | None = None) -> pd.DataFrame:
        """The rejected rows as shown and downloaded: ROW and REASONS named in ``lang``
        (``t("row")``, ``t("reasons")``: no user column takes them), the reasons in
        ``lang``; only the first ``head`` rows when given (the rest are not rendered)."""
        table = self.rejected if head is None else self.rejected.head(head)
        table = table.rename(columns={ROW: t(ROW, lang), REASONS: t(REASONS, lang)})
        if t(REASONS, lang) in table.columns:
            table[t(REASONS, lang)] = rendered_reasons(table[t(REASONS, lang)], lang)
        return table

    def warnings_table(self, lang: Lang = "en", head: int | None = None) -> pd.DataFrame:
        """The warnings as rows (row, column, message), named and worded in ``lang``."""
        issues = self.warnings if head is None else self.warnings[:head]
        return pd.DataFrame([issue.as_dict(lang) for issue in issues],
                            columns=["row", "column", "message"]).rename(
            columns={name: t(name, lang) for name in ("row", "column", "message")})

    @property
    def rows_valid(self) -> int:
        return self.rows_total - self.rows_rejected


class _Texts:
    """Texts by code, each repeated one kept once. The first ``_MOST_MESSAGES``
    distinct texts are Python strings (looked up to be shared); later ones are kept as
    UTF-8 in one buffer, 8 bytes more each, where a string takes 50 more (and twice its
    length with a character past Latin-1, as in "2000–2026")."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._known: list[str] = []  # by code, as long as they are looked up
        self._blob = bytearray()
        self._ends = array("q")  # of each later text in the blob

    def code(self, text: str) -> int:
        code = self._codes.get(text)
        if code is not None:
            return code
        if len(self._known) < _MOST_MESSAGES and len(text) <= _MESSAGE_CHARS:
            code = self._codes[text] = len(self._known)
            self._known.append(text)
            return code
        self._blob += text.encode("utf-8", "surrogatepass")  # any str, back as it was
        self._ends.append(len(self._blob))
        return _MOST_MESSAGES + len(self._ends) - 1

    def __getitem__(self, code: int) -> str:
        if code < _MOST_MESSAGES:
            return self._known[code]
        index = code - _MOST_MESSAGES
        start = self._ends[index - 1] if index else 0
        return self._blob[start:self._ends[index]].decode("utf-8", "surrogatepass")


class Issues(Sequence[RowIssue]):
    """A list of RowIssue kept as columns: row numbers in an array, column names and
    messages as codes into tables of distinct texts (16 bytes an issue, where a RowIssue
    object, its row number and its message took 100 to 200). Reads like a list of
    RowIssue (made as read) and equals one with the same issues."""

    def __init__(self, issues: Iterable[RowIssue] = ()) -> None:
        self._rows = array("q")
        self._columns = array("i")
        self._messages = array("i")
        self._names: list[str] = []  # column names, by code
        self._codes: dict[str, int] = {}
        self._texts = _Texts()  # messages
        self.extend(issues)

    def add(self, row: int | None, column: str, message: str) -> None:
        code = self._codes.get(column)
        if code is None:
            code = self._codes[column] = len(self._names)
            self._names.append(column)
        self._rows.append(_NO_ROW if row is None else row)
        self._columns.append(code)
        self._messages.append(self._texts.code(message))

    def append(self, issue: RowIssue) -> None:
        self.add(issue.row, issue.column, issue.code)

    def extend(self, issues: Iterable[RowIssue]) -> None:
        for issue in issues:
            self.add(issue.row, issue.column, issue.code)

    def __iadd__(self, issues: Iterable[RowIssue]) -> Issues:
        self.extend(issues)
        return self

    def insert(self, index: int, issue: RowIssue) -> None:
        self.append(issue)
        for part in (self._rows, self._columns, self._messages):
            part.insert(index, part.pop())

    def sort_by_row(self) -> None:
        """Ascending row, issues of the whole file first, in their order within a row."""
        rows = np.frombuffer(self._rows, dtype=np.int64)
        if len(rows) < 2 or bool(np.all(rows[1:] >= rows[:-1])):
            return
        order = np.argsort(np.where(rows == _NO_ROW, 0, rows), kind="stable")
        for name in ("_rows", "_columns", "_messages"):
            part = getattr(self, name)
            ordered = np.frombuffer(part, dtype=np.int64 if name == "_rows" else np.int32)
            setattr(self, name, array(part.typecode, ordered[order].tobytes()))

    def triples(self) -> Iterator[tuple[int | None, str, str]]:
        """(row, column, message code) of each issue, without making RowIssue objects."""
        rows = (None if row == _NO_ROW else row for row in self._rows)
        return zip(rows, map(self._names.__getitem__, self._columns),
                   map(self._texts.__getitem__, self._messages), strict=True)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        row = self._rows[index]
        return RowIssue(None if row == _NO_ROW else row, self._names[self._columns[index]],
                        self._texts[self._messages[index]])

    def __iter__(self) -> Iterator[RowIssue]:
        return (RowIssue(*triple) for triple in self.triples())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Issues, list, tuple)):
            return len(self) == len(other) and all(map(_same, self, other))
        return NotImplemented

    __hash__ = None  # mutable, like a list

    def __repr__(self) -> str:
        shown = ", ".join(map(repr, self[:3]))
        return f"Issues([{shown}{', …' if len(self) > 3 else ''}], {len(self):,} issues)"


def _same(a: RowIssue, b: object) -> bool:
    return a == b


class RejectedRows:
    """The cells of rejected rows as text (None as ""), column by column in Arrow
    arrays (8 bytes a cell and its UTF-8, where a tuple of Python strings per row in a
    dict took about 250 bytes a row of five cells). Rows are added as read and stored
    a batch at a time; a column that holds only empty cells in a batch past the header
    and past every value is stored as such."""

    BATCH = 4_096

    def __init__(self, header_width: int = 0) -> None:
        self.header_width = header_width
        self.rows = array("q")
        self.columns: list[list[_Chunk]] = []
        self._width = 0  # up to the last non-blank cell of any row
        self._pending: list[tuple[object, ...]] = []
        self._stored = 0  # rows stored in columns

    @classmethod
    def of(cls, rows: Mapping[int, Sequence[object]], header_width: int = 0) -> RejectedRows:
        store = cls(header_width)
        for row, cells in sorted(rows.items()):
            store.add(row, cells)
        return store

    def add(self, row: int, cells: Sequence[object]) -> None:
        self.rows.append(row)
        self._pending.append(tuple(cells))  # of texts and numbers: the GC stops tracking it
        if len(self._pending) == self.BATCH:
            self._store()

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        """Cells up to the last non-blank one of any row (trailing blanks add no column)."""
        self._store()
        return self._width

    def take_column(self, index: int, order: np.ndarray | None = None) -> pd.Series:
        """Column ``index`` (0-based), its rows in ``order``, given up by the store."""
        self._store()
        chunks: list[_Chunk] = _empty(len(self.rows))
        if index < len(self.columns):
            chunks, self.columns[index] = self.columns[index], []
        return _text_series(chunks, order)

    def _store(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        texts = [_as_texts(column) for column in zip_longest(*batch, fillvalue="")]
        used = len(texts)
        while used and not any(map(str.strip, texts[used - 1])):
            used -= 1
        self._width = max(self._width, used)
        keep = len(texts)  # blank, but not empty, cells are kept verbatim
        while keep > max(used, self.header_width) and not any(texts[keep - 1]):
            keep -= 1
        while len(self.columns) < keep:
            self.columns.append(_empty(self._stored))
        for index, column in enumerate(self.columns):
            empty = index >= keep or not any(texts[index])
            column.extend(_empty(len(batch)) if empty else [_chunk(texts[index])])
        self._stored += len(batch)


_TEXT = pa.large_string()  # as pandas' own str dtype stores text
_Chunk = pa.Array | list  # a list where Arrow cannot hold the texts


_EMPTY = pa.array([""] * 65_536, type=_TEXT)  # slices of it stand for empty cells


def _empty(count: int) -> list[pa.Array]:
    """``count`` empty cells as slices of one array: an empty column costs nothing (a
    table 200 columns wide, of rows with five values, stays the size of five)."""
    size = len(_EMPTY)
    return [_EMPTY.slice(0, min(size, count - start)) for start in range(0, count, size)]


def _chunk(texts: list[str]) -> _Chunk:
    """Texts as an Arrow array; as they are where Arrow cannot hold them (a lone
    surrogate, which no file read here has: they are decoded strictly)."""
    try:
        return pa.array(texts, type=_TEXT)
    except UnicodeEncodeError:
        return texts


def _text_series(chunks: list[_Chunk], order: np.ndarray | None) -> pd.Series:
    """One text column from its chunks: pandas' str dtype over the Arrow arrays, or
    Python strings (object) where a chunk could not be Arrow."""
    if chunks and all(isinstance(chunk, pa.Array) for chunk in chunks):  # none: no rows
        column = pa.chunked_array(chunks, type=_TEXT)
        return pd.Series(column if order is None else column.take(order), dtype="str")
    values = np.array([text for chunk in chunks for text in
                       (chunk.to_pylist() if isinstance(chunk, pa.Array) else chunk)],
                      dtype=object)
    return pd.Series(values if order is None else values[order], dtype=object, copy=False)


def _as_texts(cells: tuple[object, ...]) -> list[str]:
    """Cells as text: a column of a batch, in C when it holds texts only."""
    return list(cells) if set(map(type, cells)) <= {str} else list(map(_as_text, cells))


def rejected_table(header: Sequence[str],
                   rejected: RejectedRows | Mapping[int, Sequence[object]],
                   errors: Iterable[RowIssue]) -> pd.DataFrame:
    """One row per rejected row: ROW, the cells as text exactly as read, REASONS
    ("column: message" of each of its errors, joined by "; ").

    Cells beyond the header get their own "column N"; user columns are renamed only
    where they would repeat a name, be empty or take a reserved one ("row (2)").
    A RejectedRows store is emptied into the table, a column at a time."""
    store = rejected if isinstance(rejected, RejectedRows) else RejectedRows.of(rejected)
    width = max(len(header), store.width)
    names = unique_names([*header, *[""] * (width - len(header))], RESERVED)
    rows = np.frombuffer(store.rows, dtype=np.int64).copy()
    order = None if bool(np.all(rows[1:] > rows[:-1])) else np.argsort(rows, kind="stable")
    if order is not None:
        rows = rows[order]
    data = {ROW: rows}
    for index, name in enumerate(names):
        data[name] = store.take_column(index, order)
    data[REASONS] = _reasons(rows, errors)
    return pd.DataFrame(data, columns=[ROW, *names, REASONS], copy=False)


def rendered_reasons(codes: pd.Series, lang: Lang) -> pd.Series:
    """A REASONS column (reason codes) in ``lang``: each distinct code rendered once
    while they repeat (a bounded number of them)."""
    known: dict[str, str] = {}
    out = []
    for code in codes.tolist():
        text = known.get(code)
        if text is None:
            text = render_reasons(code, lang)
            if len(known) < _MOST_LINES:
                known[code] = text
        out.append(text)
    return pd.Series(out, index=codes.index, dtype=codes.dtype if len(out) else object)


_REASONS_CHUNK = 65_536
_MOST_LINES = 10_000  # "column: message" lines kept to be shared, while they repeat
_NO_GROUP = (math.inf, ())  # after the last row's issues


def _reasons(rows: np.ndarray, errors: Iterable[RowIssue]) -> pd.Series:
    """The reasons of each of ``rows`` (ascending): its errors' column and message, in
    their order, as one code (``messages.reasons_code``; ``render_reasons`` puts it into
    "column: message; …" in a language). Reasons repeat in most files (a wrong column
    gives a few reasons, each kept once, 8 bytes a row); where they do not (each quotes
    its own cell), they are kept as Arrow text, as the cells are."""
    lines: dict[tuple[str, str], str] = {}  # (column, message) → its code, kept once
    joined = SharedTexts(longest=_MESSAGE_CHARS)
    groups = ((row, group) for row, group in groupby(_by_row(errors), key=itemgetter(0))
              if row is not None)  # issues of the whole file are no row's
    group_row, group = next(groups, _NO_GROUP)
    chunks: list[list[str]] = []
    chunk: list[str] = []
    made = 0  # texts made for the chunk, not found kept
    distinct = False  # some chunk made more texts than it found
    for row in array("q", rows.tobytes()):
        while group_row < row:
            group_row, group = next(groups, _NO_GROUP)
        reason = ""
        if group_row == row:
            parts = []
            for _, column, message in group:
                line = lines.get((column, message))
                if line is None:
                    line, made = reasons_code(((column, message),)), made + 1
                    if not distinct and len(lines) < _MOST_LINES:
                        lines[column, message] = line
                parts.append(line)
            reason = parts[0] if len(parts) == 1 else joined.text(join_reasons(parts))
            group = ()  # read
        chunk.append(reason)
        if len(chunk) == _REASONS_CHUNK:
            distinct = distinct or made > len(chunk) // 2
            chunks.append(_chunk(chunk) if distinct else chunk)
            chunk, made = [], 0
    distinct = distinct or made > len(chunk) // 2
    chunks.append(chunk)
    if distinct:
        chunks = [_chunk(c) if isinstance(c, list) else c for c in chunks]
    return _text_series(chunks, None)


def _by_row(errors: Iterable[RowIssue]) -> Iterable[tuple[int | None, str, str]]:
    """(row, column, message) of each error, by ascending row (stable)."""
    if isinstance(errors, Issues):
        errors.sort_by_row()
        return errors.triples()
    triples = [(e.row, e.column, e.code) for e in errors]
    return sorted(triples, key=lambda triple: triple[0] or 0)


def unique_names(names: Sequence[str], reserved: Iterable[str] = ()) -> list[str]:
    """``names`` made distinct from each other and from ``reserved``: the first use of
    a name keeps it; a repeat, a reserved or an empty name gets the first free
    "name (2)", "name (3)"…, an empty one "column N" (its 1-based position)."""
    taken = set(reserved)
    keep = set()
    for index, name in enumerate(names):
        if name and name not in taken:
            taken.add(name)
            keep.add(index)
    out = []
    last: dict[str, int] = {}  # suffix last tried per name: many repeats stay linear
    for index, name in enumerate(names):
        if index in keep:
            out.append(name)
            continue
        base = name or f"column {index + 1}"
        candidate, n = base, last.get(base, 1)
        while candidate in taken:
            n += 1
            candidate = f"{base} ({n})"
        last[base] = n
        taken.add(candidate)
        out.append(candidate)
    return out


def _as_text(cell: object) -> str:
    return "" if cell is None else str(cell)
