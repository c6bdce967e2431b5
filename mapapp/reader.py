"""Read a results file (CSV in any of Excel's encodings and separators, or XLSX)
into a plain table of cells with their row numbers. No validation here.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HEADER_SEARCH_ROWS = 10  # title lines above the header that we skip
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as csv reads them (str.splitlines knows more)
MAX_BYTES = int(os.environ.get("MAPAPP_MAX_UPLOAD_MB", "50")) * 1024 * 1024
MAX_ROWS = int(os.environ.get("MAPAPP_MAX_ROWS", "1000000"))
MAX_UNZIPPED_BYTES = 20 * MAX_BYTES  # a workbook that inflates beyond this is a zip bomb
DELIMITERS = (";", "\t", ",")
DELIMITER_NAMES = {";": "semicolon", "\t": "tab", ",": "comma"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, or an encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"


class UnreadableFileError(ValueError):
    """The file is not a table we can read; the message says what to do."""


@dataclass
class RawTable:
    """Cells as read. ``rows`` holds (1-based data row number, cells); blank rows are
    left out and their numbers listed in ``blank_rows``."""

    header: list[str]
    rows: list[tuple[int, list[object]]]
    blank_rows: list[int] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)


HeaderTest = Callable[[list[str]], bool]


def read_table(source: Path | bytes, filename: str, is_header: HeaderTest) -> RawTable:
    """Read CSV/TSV/XLSX bytes; ``is_header`` tells a header row from a title line."""
    data = source.read_bytes() if isinstance(source, Path) else source
    if len(data) > MAX_BYTES:
        raise UnreadableFileError(
            f"{filename}: {len(data) / 1024 / 1024:.0f} MB is more than the "
            f"{MAX_BYTES // 1024 // 1024} MB limit; split the file (by year or department)")
    if not data.strip():
        raise UnreadableFileError(f"{filename}: the file is empty")
    if data.startswith(OLE_MAGIC):
        raise UnreadableFileError(
            f"{filename}: this is an old Excel .xls file or a password-protected workbook; "
            "save it as .xlsx (without a password) or as CSV")
    if data.startswith(ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, filename, is_header)
    return _read_text(data, filename, is_header)


def decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """Text and the encoding it was in: UTF-8 (with or without BOM), UTF-16 with BOM,
    else Windows-1252 as Excel writes it in Spanish locale."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8 (BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise UnreadableFileError(f"{filename}: binary content, not a text table; "
                                  "upload a CSV or an .xlsx workbook")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _read_text(data: bytes, filename: str, is_header: HeaderTest) -> RawTable:
    try:
        text, encoding = decode_text(data, filename)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{filename}: text is not valid {exc.encoding}") from exc
    delimiter = _sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableFileError(f"{filename}: not a readable CSV ({exc})") from exc
    table = _split_header(records, filename, is_header)
    table.info.update(encoding=encoding, delimiter=DELIMITER_NAMES[delimiter])
    return table


def _sniff_delimiter(text: str) -> str:
    """The separator that gives the first line the most cells, and most other lines as many."""
    lines = [line for line in _LINE_BREAK.split(text)[:HEADER_SEARCH_ROWS + 5] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        if not widths or widths[0] < 2:
            continue
        score = (widths[0], widths.count(widths[0]))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _split_header(records: list[list[object]], filename: str,
                  is_header: HeaderTest) -> RawTable:
    for index, record in enumerate(records[:HEADER_SEARCH_ROWS]):
        header = [_cell_text(c) for c in record]
        if is_header(header):
            return _table_after(header, records[index + 1:], filename)
    raise UnreadableFileError(
        f"{filename}: no header row found in the first {HEADER_SEARCH_ROWS} rows. "
        "Expected columns such as ubigeo or Departamento/Provincia/Distrito, Año, "
        "Indicador and Valor, or one column per indicator id (for example "
        "families_supported)")


def _table_after(header: list[str], records: list[list[object]], filename: str) -> RawTable:
    if len(records) > MAX_ROWS:
        raise UnreadableFileError(
            f"{filename}: more than {MAX_ROWS:,} rows, the limit; split the file "
            "(by year or department)")
    rows, blank = [], []
    for number, record in enumerate(records, start=1):
        cells = list(record)
        if all(_cell_text(c) == "" for c in cells):
            blank.append(number)
            continue
        rows.append((number, cells))
    return RawTable(header=header, rows=rows, blank_rows=blank)


def _cell_text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _read_xlsx(data: bytes, filename: str, is_header: HeaderTest) -> RawTable:
    import openpyxl  # only needed for workbooks

    _check_zip(data, filename)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFileError(f"{filename}: not a readable .xlsx workbook ({exc})") from exc
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise UnreadableFileError(f"{filename}: damaged .xlsx workbook ({exc})") from exc
    try:
        for sheet in book.worksheets:
            records = []
            for row in sheet.iter_rows(values_only=True):
                records.append(list(row))
                if len(records) > MAX_ROWS + HEADER_SEARCH_ROWS:
                    break  # _table_after says the file is too long
            try:
                table = _split_header(records, filename, is_header)
            except UnreadableFileError:
                continue
            table.info.update(sheet=sheet.title, format="xlsx")
            return table
    finally:
        book.close()
    raise UnreadableFileError(
        f"{filename}: no sheet has a header row. Expected columns such as ubigeo or "
        "Departamento/Provincia/Distrito, Año, Indicador and Valor")


def _check_zip(data: bytes, filename: str) -> None:
    """Refuse a workbook that is not a zip, or that would inflate to a huge size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFileError(f"{filename}: not a readable .xlsx workbook ({exc}); "
                                  "save it again from Excel, or as CSV") from exc
    if inflated > MAX_UNZIPPED_BYTES:
        raise UnreadableFileError(
            f"{filename}: the workbook would unpack to {inflated / 1024 / 1024:,.0f} MB, more "
            f"than the {MAX_UNZIPPED_BYTES // 1024 // 1024:,} MB allowed; it is damaged or "
            "hostile. Save the data as CSV")
