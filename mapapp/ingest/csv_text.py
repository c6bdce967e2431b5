"""Delimited text (CSV, TSV): decoded from the encoding Excel saved it in (UTF-8 with
or without BOM, UTF-16 with BOM, else Windows-1252), its separator sniffed from the
first lines, and its records streamed line by line through ``csv``, so that no pass
holds the rows: each pass decodes the file's bytes again, up to the last data row.

A cell longer than ``MAX_CELL_CHARS`` (an open quote runs on to the end of the file)
and a value written beyond ``MAX_COLUMNS`` (a wrong separator) are refused naming the
row; blank lines and rows of empty cells cost nothing. Those caps, and the header
search, are shared with the workbook reader (``table``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator

from mapapp.ingest import limits
from mapapp.ingest.table import (
    HEADER_SEARCH_ROWS,
    HeaderTest,
    RawTable,
    Records,
    TableRows,
    UnreadableFileError,
    _Layout,
    _layout,
    _too_wide,
)
from mapapp.model.messages import msg

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as csv reads them (str.splitlines knows more)
DELIMITERS = (";", "\t", ",")
DELIMITER_NAMES = {";": "semicolon", "\t": "tab", ",": "comma"}


def decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """Text and the encoding it was in: UTF-8 (with or without BOM), UTF-16 with BOM,
    else Windows-1252 as Excel writes it in Spanish locale."""
    codec, label = text_encoding(data, filename)
    return data.decode(codec), label


def text_encoding(data: bytes, filename: str) -> tuple[str, str]:
    """(codec, label) of a text file, checked over the whole file chunk by chunk so
    that no full copy of the text is made."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _checked(data, "utf-8-sig", filename), "utf-8 (BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _checked(data, "utf-16", filename), "utf-16"
    if b"\x00" in data[:4096]:
        raise UnreadableFileError(msg("binary_text", file=filename))
    for codec in ("utf-8", "cp1252"):
        try:
            return _checked(data, codec, None), codec
        except UnicodeDecodeError:
            continue
    return "latin-1", "latin-1"


def _checked(data: bytes, codec: str, filename: str | None) -> str:
    """``codec`` if all of ``data`` decodes with it; the text itself is dropped."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(view[start:start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        if filename is None:
            raise
        raise UnreadableFileError(msg("bad_encoding", file=filename,
                                      encoding=exc.encoding)) from exc
    return codec


def _read_text(data: bytes, filename: str, is_header: HeaderTest) -> RawTable:
    codec, label = text_encoding(data, filename)
    head = codecs.getincrementaldecoder(codec)().decode(data[:1 << 20])
    delimiter = _sniff_delimiter(head)

    def records(last: int | None = None) -> Records:
        return _csv_records(data, codec, delimiter, filename, last)

    table = _layout(records(), filename, is_header)
    if table is None:
        raise _no_header(filename)
    table.info.update(encoding=label, delimiter=DELIMITER_NAMES[delimiter])
    return _with_rows(table, records, delimiter)


def _csv_records(data: bytes, codec: str, delimiter: str, filename: str,
                 last: int | None = None) -> Records:
    """(record number, cells) of every non-blank record up to ``last``, then
    (number after the last record, None)."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=codec, newline="")
    position = 0
    try:
        for record in csv.reader(stream, delimiter=delimiter):
            position += 1
            if not record:
                continue  # a blank line
            text = "".join(record)
            if len(text) > limits.MAX_CELL_CHARS and max(map(len, record)) > limits.MAX_CELL_CHARS:
                raise _csv_too_long(filename, position, max(map(len, record)))
            if not text.strip():
                continue  # blank cells only
            if len(record) > limits.MAX_COLUMNS:
                record = _narrowed(record, filename, position)
            yield position, record
            if position == last:
                return
    except csv.Error as exc:
        raise _csv_error(exc, filename, position + 1) from exc
    yield position + 1, None


def _csv_error(exc: csv.Error, filename: str, position: int) -> UnreadableFileError:
    if "field larger than field limit" in str(exc):  # csv's own cap, far above ours
        return _csv_too_long(filename, position,
                             msg("more_than", count=csv.field_size_limit()))
    return UnreadableFileError(msg("csv_error", file=filename, error=str(exc), row=position))


def _csv_too_long(filename: str, position: int, length: int | str) -> UnreadableFileError:
    """``length``: a number of characters, or a message (``more_than``)."""
    return UnreadableFileError(msg("csv_cell_too_long", file=filename, row=position,
                                   length=length, limit=limits.MAX_CELL_CHARS))


def _narrowed(record: list[str], filename: str, position: int) -> list[str]:
    """The record cut to limits.MAX_COLUMNS; refused if anything is written beyond."""
    if "".join(record[limits.MAX_COLUMNS:]).strip():
        last = next(i for i in range(len(record) - 1, -1, -1) if record[i].strip()) + 1
        raise _too_wide(filename, msg("where_line", line=position), last)
    return record[:limits.MAX_COLUMNS]

def _sniff_delimiter(text: str) -> str:
    """The separator that gives the first line the most cells, and most other lines as many."""
    lines = [line for line in _LINE_BREAK.split(text, HEADER_SEARCH_ROWS + 5)
             [:HEADER_SEARCH_ROWS + 5] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:  # a very long first line: the other separators may do
            continue
        if not widths or widths[0] < 2:
            continue
        score = (widths[0], widths.count(widths[0]))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _with_rows(layout: _Layout, records: Callable[[int], Records],
               delimiter: str) -> RawTable:
    """The table, its rows read again from ``records`` on each pass, up to the last."""

    def rows() -> Iterator[tuple[int, list[object]]]:
        for position, cells in records(layout.at + layout.last):
            number = position - layout.at
            if number > layout.last or cells is None:
                return
            if number > 0:
                yield number, cells

    return RawTable(layout.header, TableRows(rows, layout.count), layout.blank, layout.info,
                    delimiter=delimiter)


def _no_header(filename: str) -> UnreadableFileError:
    return UnreadableFileError(msg("no_header", file=filename, rows=HEADER_SEARCH_ROWS))
