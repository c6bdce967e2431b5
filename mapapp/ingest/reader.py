"""Read a results file (CSV in any of Excel's encodings and separators, or XLSX)
into a plain table of cells with their row numbers. No validation here.

The work and memory of reading follow the file's bytes, never what it claims: a CSV
is parsed line by line, a workbook's XML is streamed under caps on cells, columns,
text and elements, blank rows are kept as runs, and ``RawTable.rows`` reads the rows
again on each pass instead of holding them all.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import io
import os
import pickle
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

HEADER_SEARCH_ROWS = 10  # title lines above the header that we skip
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as csv reads them (str.splitlines knows more)
UPLOAD_MB = int(os.environ.get("MAPAPP_MAX_UPLOAD_MB", "50"))
# Streamlit 1.67's uploader turns server.maxUploadSize into bytes as MB × 1,000,000 in
# the browser (× 1024² only on Windows, and in the server's own later check): 10⁶ is the
# figure users meet, so the reader refuses from the same byte and counts MB the same way.
MAX_BYTES = UPLOAD_MB * 1_000_000
MAX_ROWS = int(os.environ.get("MAPAPP_MAX_ROWS", "1000000"))
MAX_UNZIPPED_BYTES = 20 * MAX_BYTES  # a workbook that inflates beyond this is a zip bomb
MAX_CELL_CHARS = 10_000  # any one cell; a place name or a number needs far less
MAX_COLUMNS = 200  # a results table has under 20 columns
MAX_CELLS = 10_000_000  # cells a sheet may claim or hold: MAX_ROWS rows × 10 columns
MAX_XML_TAGS = 6 * MAX_CELLS  # a cell takes 4 to 6: <c><v></v></c>, <c><is><t></t></is></c>
MAX_SHARED_STRINGS = 2 * MAX_ROWS  # distinct texts: at most a name and a note per row
MAX_SHARED_CHARS = MAX_BYTES  # no more text than a CSV at the upload limit holds
MAX_STYLES = 65_536  # Excel allows 64,000 cell formats
MAX_PART_BYTES = 10_000_000  # workbook parts read whole: content types, workbook, links
EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384
DELIMITERS = (";", "\t", ",")
DELIMITER_NAMES = {";": "semicolon", "\t": "tab", ",": "comma"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, or an encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 16  # bytes decoded or parsed at a time


class UnreadableFileError(ValueError):
    """The file is not a table we can read; the message says what to do."""


class UnsavedFormula(str):
    """An XLSX cell with a formula but no value saved by Excel (a workbook written by a
    program, never opened in Excel): empty text, so that validation can say why."""

    __slots__ = ()

    def __reduce__(self):  # stays what it is in the pickled row store
        return UnsavedFormula, ()


UNSAVED_FORMULA_REASON = ("formula without a saved value: open the file in Excel and save "
                          "it, or paste values")


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


def read_table(source: Path | bytes, filename: str, is_header: HeaderTest) -> RawTable:
    """Read CSV/TSV/XLSX bytes; ``is_header`` tells a header row from a title line."""
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    if size > MAX_BYTES:
        raise UnreadableFileError(
            f"{filename}: {_megabytes(size)} MB ({size:,} bytes) is more than the "
            f"{_megabytes(MAX_BYTES)} MB limit; split the file (by year or department)")
    data = source.read_bytes() if isinstance(source, Path) else source
    if not data.strip():
        raise UnreadableFileError(f"{filename}: the file is empty")
    if data.startswith(OLE_MAGIC):
        raise UnreadableFileError(
            f"{filename}: this is an old Excel .xls file or a password-protected workbook; "
            "save it as .xlsx (without a password) or as CSV")
    if data.startswith(ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, filename, is_header)
    return _read_text(data, filename, is_header)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.2f}".rstrip("0").rstrip(".")


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
        raise UnreadableFileError(f"{filename}: binary content, not a text table; "
                                  "upload a CSV or an .xlsx workbook")
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
        raise UnreadableFileError(f"{filename}: text is not valid {exc.encoding}") from exc
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
            if len(text) > MAX_CELL_CHARS and max(map(len, record)) > MAX_CELL_CHARS:
                raise _csv_too_long(filename, position, f"{max(map(len, record)):,}")
            if not text.strip():
                continue  # blank cells only
            if len(record) > MAX_COLUMNS:
                record = _narrowed(record, filename, position)
            yield position, record
            if position == last:
                return
    except csv.Error as exc:
        raise _csv_error(exc, filename, position + 1) from exc
    yield position + 1, None


def _csv_error(exc: csv.Error, filename: str, position: int) -> UnreadableFileError:
    if "field larger than field limit" in str(exc):  # csv's own cap, far above ours
        return _csv_too_long(filename, position, f"more than {csv.field_size_limit():,}")
    return UnreadableFileError(f"{filename}: not a readable CSV ({exc}, row {position:,} of "
                               "the file)")


def _csv_too_long(filename: str, position: int, length: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{filename}: row {position:,} of the file has a cell of {length} characters, more "
        f"than the {MAX_CELL_CHARS:,} a cell may hold; check the separator and the quotes "
        "(a quote left open runs on to the end of the file)")


def _narrowed(record: list[str], filename: str, position: int) -> list[str]:
    """The record cut to MAX_COLUMNS; refused if anything is written beyond."""
    if "".join(record[MAX_COLUMNS:]).strip():
        last = next(i for i in range(len(record) - 1, -1, -1) if record[i].strip()) + 1
        raise _too_wide(filename, f"line {position:,}", last)
    return record[:MAX_COLUMNS]


def _too_wide(filename: str, where: str, column: int) -> UnreadableFileError:
    return UnreadableFileError(
        f"{filename}: {where} has a value in column {column:,}, beyond the {MAX_COLUMNS:,} "
        "columns allowed; delete what lies right of the table, or save the table alone")


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
        if number > MAX_ROWS:
            raise UnreadableFileError(
                f"{filename}: more than {MAX_ROWS:,} rows, the limit (row {number:,} holds "
                "data); split the file (by year or department)")
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
    return UnreadableFileError(
        f"{filename}: no header row found in the first {HEADER_SEARCH_ROWS} rows. "
        "Expected columns such as ubigeo or Departamento/Provincia/Distrito, Año, "
        "Indicador and Valor, or one column per indicator id (for example "
        "families_supported)")


def _cell_text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


# --- XLSX: the zip and the parts openpyxl would load whole are checked first; styles,
# shared strings and sheets are streamed with expat under the caps above.


def _read_xlsx(data: bytes, filename: str, is_header: HeaderTest) -> RawTable:
    book = _Workbook(data, filename)
    for title, path in book.sheets():
        store, sheet = _RowStore(), _SheetParser(book, title)
        records = book.records(sheet, path)
        try:
            layout = _layout(records, filename, is_header, store.add)
        finally:
            records.close()
        if layout is None:
            continue
        store.flush()
        layout.info.update(sheet=title, format="xlsx")
        return RawTable(layout.header, TableRows(store.rows, layout.count), layout.blank,
                        layout.info, unsaved_formulas=sheet.unsaved)
    raise UnreadableFileError(
        f"{filename}: no sheet has a header row. Expected columns such as ubigeo or "
        "Departamento/Provincia/Distrito, Año, Indicador and Valor")


def _check_zip(data: bytes, filename: str) -> zipfile.ZipFile:
    """The workbook's zip, refused if it is no zip or would inflate to a huge size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFileError(f"{filename}: not a readable .xlsx workbook ({exc}); "
                                  "save it again from Excel, or as CSV") from exc
    if inflated > MAX_UNZIPPED_BYTES:
        raise UnreadableFileError(
            f"{filename}: the workbook would unpack to {inflated / 1024 / 1024:,.0f} MB, more "
            f"than the {MAX_UNZIPPED_BYTES // 1024 // 1024:,} MB allowed; it is damaged or "
            "hostile. Save the data as CSV")
    return archive


class _PartSizeCheckedZip(zipfile.ZipFile):
    """The zip as openpyxl sees it: a part it would read whole must be small."""

    filename_for_messages = "workbook"

    def read(self, name, pwd=None):
        size = self.getinfo(name).file_size
        if size > MAX_PART_BYTES:
            raise UnreadableFileError(
                f"{self.filename_for_messages}: the workbook part {name} unpacks to "
                f"{size:,} bytes, more than the {MAX_PART_BYTES:,} allowed; save the data "
                "as CSV")
        return super().read(name, pwd)


class _Workbook:
    """Sheet names and paths, date styles and shared strings of an XLSX workbook."""

    def __init__(self, data: bytes, filename: str) -> None:
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.xml.constants import ARC_STYLE, SHARED_STRINGS

        _check_zip(data, filename).close()
        self.filename = filename
        self.budget = _Budget(filename)
        try:
            reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True,
                                 keep_links=False)
            reader.archive.close()
            reader.archive = self.archive = _PartSizeCheckedZip(io.BytesIO(data))
            self.archive.filename_for_messages = filename
            reader.read_manifest()
            reader.read_workbook()
            self._sheets = [(sheet.name, rel.target)
                            for sheet, rel in reader.parser.find_sheets()
                            if "chartsheet" not in rel.Type
                            and rel.target in reader.valid_files]
            self.epoch = reader.wb.epoch
            styles = self._part(ARC_STYLE)
            self.dates, self.durations = (_read_styles(styles, self.budget)
                                          if styles else (set(), set()))
            part = reader.package.find(SHARED_STRINGS)
            strings = self._part(part.PartName[1:]) if part is not None else None
            self.strings = _read_strings(strings, self.budget) if strings else []
        except UnreadableFileError:
            raise
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise UnreadableFileError(
                f"{filename}: not a readable .xlsx workbook ({exc})") from exc
        except Exception as exc:  # openpyxl and expat raise many types on damaged files
            raise UnreadableFileError(f"{filename}: damaged .xlsx workbook ({exc})") from exc

    def _part(self, name: str):
        return self.archive.open(name) if name in self.archive.NameToInfo else None

    def sheets(self) -> list[tuple[str, str]]:
        return self._sheets

    def records(self, sheet: _SheetParser, path: str) -> Records:
        try:
            with self.archive.open(path) as source:
                yield from sheet.records(source)
        except UnreadableFileError:
            raise
        except Exception as exc:  # expat, a bad number or index in a damaged sheet
            raise UnreadableFileError(
                f"{self.filename}: damaged .xlsx workbook (sheet {sheet.title!r}: {exc})"
            ) from exc


class _Budget:
    """XML tags left to parse in one workbook, counted a chunk at a time in C: the time
    a parse may take, bounded without a cost per element."""

    def __init__(self, filename: str) -> None:
        self.filename, self.left = filename, MAX_XML_TAGS

    def spend(self, chunk: bytes) -> None:
        self.left -= chunk.count(b"<")
        if self.left < 0:
            raise UnreadableFileError(
                f"{self.filename}: the workbook's XML has more than {MAX_XML_TAGS:,} tags, "
                f"more than {MAX_CELLS:,} cells need; save the table alone, or as CSV")


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parser(start, end=None, text=None) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = _CHUNK
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = _no_doctype  # Excel writes none; entities are a bomb
    return parser


def _no_doctype(*_args) -> None:
    raise ValueError("XML with a DOCTYPE declaration, which Excel never writes")


def _parse(parser: expat.XMLParserType, source, budget: _Budget) -> Iterator[None]:
    """Feed ``source`` to ``parser`` a chunk at a time, yielding after each chunk."""
    while chunk := source.read(_CHUNK):
        budget.spend(chunk)
        parser.Parse(chunk, False)
        yield
    parser.Parse(b"", True)
    yield


def _read_styles(source, budget: _Budget) -> tuple[set[str], set[str]]:
    """Cell style numbers (as written in ``s="…"``) that format dates and durations."""
    from openpyxl.styles.numbers import (
        builtin_format_code,
        is_date_format,
        is_timedelta_format,
    )

    custom: dict[int, str] = {}
    formats: list[int] = []
    inside = []

    def start(name, attrs):
        tag = _local(name)
        if tag == "numFmt":
            custom[_int(attrs.get("numFmtId"))] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            inside.append(True)
        elif tag == "xf" and inside:
            formats.append(_int(attrs.get("numFmtId")))
            if len(formats) > MAX_STYLES:
                raise UnreadableFileError(
                    f"{budget.filename}: more than {MAX_STYLES:,} cell styles, more than "
                    "Excel allows; the workbook is damaged. Save the data as CSV")

    def end(name):
        if _local(name) == "cellXfs":
            inside.clear()

    with source:
        for _ in _parse(_parser(start, end), source, budget):
            pass
    dates, durations = set(), set()
    for index, number in enumerate(formats):
        code = custom[number] if number in custom else builtin_format_code(number)
        if is_date_format(code):
            dates.add(str(index))
        if is_timedelta_format(code):
            durations.add(str(index))
    return dates, durations


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _read_strings(source, budget: _Budget) -> list[str]:
    """The shared-strings table, under caps on its count, each string and the total."""
    table = _SharedStrings(budget)
    with source:
        for _ in _parse(_parser(table.start, table.end, table.text), source, budget):
            pass
    return table.strings


class _SharedStrings:
    """The expat handlers that read a shared-strings part: the text of each <si>, its
    phonetic runs (<rPh>) left out, as openpyxl reads it."""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.strings: list[str] = []
        self.parts: list[str] = []  # of the current <si>
        self.in_text = False
        self.phonetic = 0  # <rPh> elements open
        self.length = 0  # characters of the current <si>
        self.total = 0  # characters of the strings kept

    def start(self, name, attrs):
        tag = _local(name)
        if tag == "t":
            self.in_text = not self.phonetic
        elif tag == "si":
            self.parts.clear()
            self.length = 0
        elif tag == "rPh":
            self.phonetic += 1

    def end(self, name):
        tag = _local(name)
        if tag == "t":
            self.in_text = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "si":
            self.keep()

    def text(self, data):
        if self.in_text:
            self.length += len(data)
            if self.length <= MAX_CELL_CHARS:
                self.parts.append(data)

    def keep(self) -> None:
        """The <si> just read, as one string, refused past the caps."""
        filename, length = self.budget.filename, self.length
        if length > MAX_CELL_CHARS:
            raise _too_long(filename, f"shared string {len(self.strings) + 1:,}", length)
        self.total += length
        if self.total > MAX_SHARED_CHARS:
            raise UnreadableFileError(
                f"{filename}: the workbook's shared strings hold more than "
                f"{MAX_SHARED_CHARS:,} characters, the most allowed (as much text as "
                "a CSV at the upload limit); save the data as CSV")
        self.strings.append("".join(self.parts).replace("x005F_", ""))  # as openpyxl reads it
        if len(self.strings) > MAX_SHARED_STRINGS:
            raise UnreadableFileError(
                f"{filename}: the workbook has more than {MAX_SHARED_STRINGS:,} "
                "distinct texts (shared strings), the most allowed; save the data as CSV")


def _too_long(filename: str, where: str, length: int) -> UnreadableFileError:
    return UnreadableFileError(
        f"{filename}: {where} has {length:,} characters, more than the {MAX_CELL_CHARS:,} a "
        "cell may hold; shorten it, or save the table alone")


_COLUMNS: dict[str, int] = {}  # column letters → number, filled as met


def _column(reference: str) -> int:
    letters = reference.rstrip("0123456789")
    number = _COLUMNS.get(letters)
    if number is None:
        from openpyxl.utils.cell import column_index_from_string

        number = column_index_from_string(letters)  # ValueError past XFD: damaged
        _COLUMNS[letters] = number
    return number


class _SheetParser:
    """One worksheet's rows, streamed from its XML: (row number, cells) of each
    non-blank row, where cells[i] is column i + 1, then (last row + 1, None)."""

    def __init__(self, book: _Workbook, title: str) -> None:
        self.book, self.title, self.budget = book, title, book.budget
        self.strings, self.dates = book.strings, book.dates
        self.done: list[tuple[int, list[object]]] = []
        self.row: list[object] = []
        self.number = 0  # the current row's number
        self.filled = False  # the current row has something besides blanks
        self.column = 0
        self.kind = self.style = None
        self.text: list[str] | None = None  # text of <v> or <is>, None when absent
        self.length = 0
        self.collect = False
        self.formula = False
        self.phonetic = 0
        self.cells = 0
        self.unsaved = 0  # cells with a formula and no saved value
        self.intern = SharedTexts().text  # repeated texts pickle as one in the row store

    def records(self, source) -> Records:
        parser = _parser(self.start, self.end, self.chars)
        for _ in _parse(parser, source, self.budget):
            yield from self.done
            self.done.clear()
        yield self.number + 1, None

    def start(self, name, attrs):
        tag = name  # a prefixed name (x:c) is looked at last: names are rarely prefixed
        if tag == "c":
            reference = attrs.get("r")
            if reference:
                column = _COLUMNS.get(reference.rstrip("0123456789"))
                self.column = column or _column(reference)
            else:
                self.column += 1
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s")
            self.text, self.length, self.formula = None, 0, False
            self.cells += 1
            if self.cells > MAX_CELLS:
                raise UnreadableFileError(
                    f"{self.book.filename}: sheet {self.title!r} holds more than "
                    f"{MAX_CELLS:,} cells, the most allowed; save the table alone, or as CSV")
        elif tag == "v" or (tag == "t" and not self.phonetic):
            if self.text is None:
                self.text = []
            self.collect = True
        elif tag == "row":
            self.begin_row(attrs.get("r"))
        elif tag == "is":
            self.text = []
        elif tag == "f":
            self.formula = True
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "dimension":
            self.check_claim(attrs.get("ref", ""))
        elif ":" in tag:
            self.start(_local(tag), attrs)

    def end(self, name):
        tag = name
        if tag == "c":
            value = self.value()
            if value is None:
                return
            column, row = self.column, self.row
            if column > MAX_COLUMNS:
                self.beyond(value)
            elif column > len(row):
                if column - 1 > len(row):
                    row.extend([None] * (column - 1 - len(row)))
                row.append(value)
            else:
                row[column - 1] = value
            if not self.filled and (isinstance(value, UnsavedFormula) or _cell_text(value)):
                self.filled = True
        elif tag == "v" or tag == "t":
            self.collect = False
        elif tag == "row":
            if self.filled:
                self.done.append((self.number, self.row))
            self.row = []
        elif tag == "rPh":
            self.phonetic -= 1
        elif ":" in tag:
            self.end(_local(tag))

    def chars(self, data):
        if self.collect:
            self.length += len(data)
            if self.length <= MAX_CELL_CHARS:
                self.text.append(data)

    def begin_row(self, reference: str | None) -> None:
        number = int(float(reference)) if reference else self.number + 1
        if number <= self.number or number > EXCEL_MAX_ROWS:
            raise ValueError(f"row number {reference} out of order")
        self.number, self.row, self.filled, self.column = number, [], False, 0

    def check_claim(self, reference: str) -> None:
        from openpyxl.utils.cell import range_boundaries

        try:
            first_column, first_row, last_column, last_row = range_boundaries(reference)
        except (ValueError, TypeError):
            return  # no usable claim; the cell caps still hold
        if None in (first_column, first_row, last_column, last_row):
            return
        rows, columns = last_row - first_row + 1, last_column - first_column + 1
        if rows * columns > MAX_CELLS:
            raise UnreadableFileError(
                f"{self.book.filename}: sheet {self.title!r} claims {rows:,} × {columns:,} "
                f"cells, more than the {MAX_CELLS:,} allowed; copy the table into a new "
                "workbook, or save it as CSV")

    def value(self) -> object:
        text = self.text
        if self.length > MAX_CELL_CHARS:
            raise _too_long(self.book.filename, f"cell {self.reference()} of sheet "
                            f"{self.title!r}", self.length)
        kind = self.kind
        if kind == "inlineStr":
            return None if text is None else self.intern("".join(text))
        raw = "".join(text) if text else None
        if raw is None:
            if self.formula and not (kind == "str" and text is not None):
                self.unsaved += 1
                return UnsavedFormula()
            return None
        if kind == "n":
            number = _number(raw)
            if self.style in self.dates and not isinstance(number, str):
                return _date(number, self.book.epoch, self.style in self.book.durations)
            return number
        if kind == "s":
            return self.strings[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return from_ISO8601(raw)
        return self.intern(raw)  # str (a formula's text), e (an error such as #N/A)

    def beyond(self, value: object) -> None:
        """A cell right of MAX_COLUMNS: refused if it holds anything."""
        if _cell_text(value) or isinstance(value, UnsavedFormula):
            raise _too_wide(self.book.filename, f"row {self.number:,} of sheet "
                            f"{self.title!r}", self.column)

    def reference(self) -> str:
        from openpyxl.utils.cell import get_column_letter

        return f"{get_column_letter(min(self.column, EXCEL_MAX_COLUMNS))}{self.number}"


def _number(text: str) -> int | float | str:
    """A numeric cell's value as openpyxl reads it; text that is no number (nan, inf:
    nothing Excel writes) stays text, so that its row is rejected saying so."""
    try:
        return float(text) if ("." in text or "e" in text or "E" in text) else int(text)
    except ValueError:
        pass
    if text.strip().lstrip("+-").isdigit():
        return float(text)  # beyond Python's 4,300 digits: inf, which is out of range
    return text


def _date(number: float, epoch, duration: bool) -> object:
    from openpyxl.utils.datetime import from_excel

    try:
        return from_excel(number, epoch, timedelta=duration)
    except (OverflowError, ValueError):
        return "#VALUE!"  # as openpyxl reads a date out of range


class _RowStore:
    """A sheet's data rows, pickled and compressed in batches: a few bytes a cell
    instead of a Python object each, read again on every pass."""

    BATCH = 2_000

    def __init__(self) -> None:
        self.batches: list[bytes] = []
        self.pending: list[tuple[int, list[object]]] = []

    def add(self, number: int, cells: list[object]) -> None:
        self.pending.append((number, cells))
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            rows = pickle.dumps(self.pending, protocol=pickle.HIGHEST_PROTOCOL)
            self.batches.append(zlib.compress(rows, 1))  # 5× smaller, 0.2 s a million rows
            self.pending = []

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        self.flush()
        for batch in self.batches:
            yield from pickle.loads(zlib.decompress(batch))


