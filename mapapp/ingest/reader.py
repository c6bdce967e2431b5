"""Read a results file (CSV in any of Excel's encodings and separators, or XLSX)
into a plain table of cells with their row numbers. No validation here.

The work and memory of reading follow the file's bytes, never what it claims: a CSV
is parsed line by line, a workbook's XML is streamed under caps on cells, columns,
text and elements, blank rows are kept as runs, and ``RawTable.rows`` reads the rows
again on each pass instead of holding them all.

This module is the entry point: ``read_table`` refuses a file over the upload limit,
an old .xls or a locked workbook, and hands the rest to ``xlsx`` (a workbook) or to
``csv_text`` (delimited text); what both share (the table, the error, the header
search) is in ``table``, and the caps in ``limits``.
"""

from __future__ import annotations

from pathlib import Path

from mapapp.ingest import limits
from mapapp.ingest.csv_text import _read_text
from mapapp.ingest.table import HeaderTest, RawTable, UnreadableFileError
from mapapp.ingest.xlsx import _read_xlsx
from mapapp.model.messages import msg

OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, or an encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"


def read_table(source: Path | bytes, filename: str, is_header: HeaderTest) -> RawTable:
    """Read CSV/TSV/XLSX bytes; ``is_header`` tells a header row from a title line."""
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    if size > limits.MAX_BYTES:
        raise UnreadableFileError(msg("file_too_large", file=filename, mb=_megabytes(size),
                                      size=size, limit=_megabytes(limits.MAX_BYTES)))
    data = source.read_bytes() if isinstance(source, Path) else source
    if not data.strip():
        raise UnreadableFileError(msg("file_empty", file=filename))
    if data.startswith(OLE_MAGIC):
        raise UnreadableFileError(msg("old_xls", file=filename))
    if data.startswith(ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, filename, is_header)
    return _read_text(data, filename, is_header)


def _megabytes(size: int) -> float:
    """Megabytes (10⁶ bytes) to two decimals, shown without trailing zeros."""
    return round(size / 1_000_000, 2)
