"""An XLSX workbook: its zip checked before anything is unpacked, the parts openpyxl
reads whole held to a size, then its styles (which cells are dates), its shared
strings and its sheets, up to the first with a header, streamed through expat a chunk
at a time. A sheet's rows are kept pickled and compressed (``_RowStore``) and read
again from there on each pass. Every size it meets is held to a cap of ``limits``.
"""

from __future__ import annotations

import io
import pickle
import zipfile
import zlib
from collections.abc import Iterator
from xml.parsers import expat

from mapapp.ingest import limits
from mapapp.ingest.table import (
    HeaderTest,
    RawTable,
    Records,
    SharedTexts,
    TableRows,
    UnreadableFileError,
    UnsavedFormula,
    _cell_text,
    _layout,
    _too_wide,
)
from mapapp.model.messages import msg

EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384
_CHUNK = 1 << 16  # bytes decoded or parsed at a time


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
    raise UnreadableFileError(msg("no_sheet_header", file=filename))


def _check_zip(data: bytes, filename: str) -> zipfile.ZipFile:
    """The workbook's zip, refused if it is no zip or would inflate to a huge size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFileError(msg("xlsx_unreadable", file=filename,
                                      error=str(exc))) from exc
    if inflated > limits.MAX_UNZIPPED_BYTES:
        raise UnreadableFileError(msg("zip_bomb", file=filename,
                                      mb=round(inflated / 1024 / 1024),
                                      limit=limits.MAX_UNZIPPED_BYTES // 1024 // 1024))
    return archive


class _PartSizeCheckedZip(zipfile.ZipFile):
    """The zip as openpyxl sees it: a part it would read whole must be small."""

    filename_for_messages = "workbook"

    def read(self, name, pwd=None):
        size = self.getinfo(name).file_size
        if size > limits.MAX_PART_BYTES:
            raise UnreadableFileError(msg("part_too_big", file=self.filename_for_messages,
                                          part=str(name), size=size,
                                          limit=limits.MAX_PART_BYTES))
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
            raise UnreadableFileError(msg("xlsx_not_readable", file=filename,
                                          error=str(exc))) from exc
        except Exception as exc:  # openpyxl and expat raise many types on damaged files
            raise UnreadableFileError(msg("xlsx_damaged", file=filename,
                                          error=str(exc))) from exc

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
            raise UnreadableFileError(msg("xlsx_damaged_sheet", file=self.filename,
                                          sheet=repr(sheet.title), error=str(exc))) from exc


class _Budget:
    """XML tags left to parse in one workbook, counted a chunk at a time in C: the time
    a parse may take, bounded without a cost per element."""

    def __init__(self, filename: str) -> None:
        self.filename, self.left = filename, limits.MAX_XML_TAGS

    def spend(self, chunk: bytes) -> None:
        self.left -= chunk.count(b"<")
        if self.left < 0:
            raise UnreadableFileError(msg("too_many_tags", file=self.filename,
                                          limit=limits.MAX_XML_TAGS, cells=limits.MAX_CELLS))


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
            if len(formats) > limits.MAX_STYLES:
                raise UnreadableFileError(msg("too_many_styles", file=budget.filename,
                                              limit=limits.MAX_STYLES))

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
            if self.length <= limits.MAX_CELL_CHARS:
                self.parts.append(data)

    def keep(self) -> None:
        """The <si> just read, as one string, refused past the caps."""
        filename, length = self.budget.filename, self.length
        if length > limits.MAX_CELL_CHARS:
            raise _too_long(filename, msg("where_shared_string", number=len(self.strings) + 1),
                            length)
        self.total += length
        if self.total > limits.MAX_SHARED_CHARS:
            raise UnreadableFileError(msg("shared_chars", file=filename,
                                          limit=limits.MAX_SHARED_CHARS))
        self.strings.append("".join(self.parts).replace("x005F_", ""))  # as openpyxl reads it
        if len(self.strings) > limits.MAX_SHARED_STRINGS:
            raise UnreadableFileError(msg("shared_count", file=filename,
                                          limit=limits.MAX_SHARED_STRINGS))


def _too_long(filename: str, where: str, length: int) -> UnreadableFileError:
    """``where``: a message (``where_cell``, ``where_shared_string``)."""
    return UnreadableFileError(msg("cell_too_long", file=filename, where=where, length=length,
                                   limit=limits.MAX_CELL_CHARS))


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
            if self.cells > limits.MAX_CELLS:
                raise UnreadableFileError(msg("sheet_cells", file=self.book.filename,
                                              sheet=repr(self.title), limit=limits.MAX_CELLS))
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
            if column > limits.MAX_COLUMNS:
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
            if self.length <= limits.MAX_CELL_CHARS:
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
        if rows * columns > limits.MAX_CELLS:
            raise UnreadableFileError(msg("sheet_claims", file=self.book.filename,
                                          sheet=repr(self.title), rows=rows, columns=columns,
                                          limit=limits.MAX_CELLS))

    def value(self) -> object:
        text = self.text
        if self.length > limits.MAX_CELL_CHARS:
            raise _too_long(self.book.filename, msg("where_cell", cell=self.reference(),
                                                    sheet=repr(self.title)), self.length)
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
        """A cell right of limits.MAX_COLUMNS: refused if it holds anything."""
        if _cell_text(value) or isinstance(value, UnsavedFormula):
            raise _too_wide(self.book.filename, msg("where_sheet_row", row=self.number,
                                                    sheet=repr(self.title)), self.column)

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
