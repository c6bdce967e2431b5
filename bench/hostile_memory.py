"""Memory and time of reading hostile and near-limit files, one fresh process each.

    python bench/hostile_memory.py [--keep DIR]

Writes a corpus into a temporary folder — small files that claim or unpack to a lot
(an XLSX whose dimension claims every cell of a sheet, workbooks with huge or many
texts, wide rows, 49 MB of blank lines, a 200 kB cell, formulas without saved values),
and files near the 50 MB upload limit (a CSV of 1,000,000 rows, a workbook, CSVs of
rejected rows, 1,000,000 of them or 200 columns wide; localities CSVs of 1,000,000
rows, valid or all rejected) —
then runs ``python -m mapapp validate FILE`` on each (``read_localities`` on a
localities file) in a fresh process and prints a Markdown table: outcome, peak RSS,
peak above an idle ``import mapapp.ingest.results``, the ratio of that to the file's bytes,
wall and CPU time. Writes bench/hostile_memory.md.

The payload builders are also used by tests/ingest/test_bounded_readers.py.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: mapapp from this checkout
OUT = ROOT / "bench" / "hostile_memory.md"
HEADER = ["ubigeo", "year", "value_chain", "indicator", "value"]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Resultados" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')

Chunks = Iterator[bytes]


# --- payload builders: a workbook is written part by part, streamed into the zip


def workbook(sheet: Chunks, strings: Chunks | None = None) -> bytes:
    """An .xlsx holding one sheet (and a shared-strings part), written as Excel would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, text in (("[Content_Types].xml", _TYPES), ("_rels/.rels", _ROOT_RELS),
                           ("xl/workbook.xml", _WORKBOOK),
                           ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)):
            book.writestr(name, text)
        for name, chunks in (("xl/worksheets/sheet1.xml", sheet),
                             ("xl/sharedStrings.xml", strings or _strings([]))):
            with book.open(name, "w", force_zip64=True) as part:
                for chunk in chunks:
                    part.write(chunk)
    return buffer.getvalue()


def sheet_xml(rows: Iterator[str], dimension: str | None = None) -> Chunks:
    """A worksheet part from ``<row>`` elements given as text."""
    claim = f'<dimension ref="{dimension}"/>' if dimension else ""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{claim}'.encode()
    yield b"<sheetData>"
    batch: list[str] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 10_000:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode() + b"</sheetData></worksheet>"


def _strings(texts) -> Chunks:
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
    for text in texts:
        yield f"<si><t>{escape(text)}</t></si>".encode()
    yield b"</sst>"


def row_xml(number: int, cells: list[object], first_column: int = 1) -> str:
    """A ``<row>``: numbers as numbers, ``=…`` as a formula with no saved value, other
    text inline, None skipped."""
    out = []
    for offset, cell in enumerate(cells):
        ref = f"{column_letters(first_column + offset)}{number}"
        if cell is None:
            continue
        if isinstance(cell, (int, float)):
            out.append(f'<c r="{ref}"><v>{cell}</v></c>')
        elif str(cell).startswith("="):
            out.append(f'<c r="{ref}"><f>{escape(str(cell)[1:])}</f><v></v></c>')
        else:
            out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(cell))}</t></is></c>')
    return f'<row r="{number}">{"".join(out)}</row>'


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _table(rows: list[list[object]]) -> Iterator[str]:
    return (row_xml(n, cells) for n, cells in enumerate(rows, start=1))


GOOD_ROW = ["220501", 2020, "cacao", "hectares", 10]


def huge_dimension(rows: int = 20_000) -> bytes:
    """Under 4 kB: a header and ``rows`` one-cell rows (no references, so they pack
    tight) in a sheet that claims all 1,048,576 × 16,384 cells; a reader that trusts
    the claim pads every row to 16,384 cells (2.6 GB for 20,000 rows)."""
    rows_xml = [row_xml(1, HEADER), *["<row><c><v>1</v></c></row>"] * rows]
    return workbook(sheet_xml(iter(rows_xml), "A1:XFD1048576"))


def far_cell() -> bytes:
    """A two-row table and one stray value in the sheet's very last cell."""
    rows = [*_table([HEADER, GOOD_ROW]), row_xml(1_048_576, ["x"], first_column=16_384)]
    return workbook(sheet_xml(iter(rows)))


def wide_cells(rows: int = 40, columns: int = 60, chars: int = 100_000) -> bytes:
    """About 300 kB: ``rows`` rows of ``columns`` inline texts of ``chars`` characters
    (240 MB of text once unpacked)."""
    text = "a" * chars
    body = (row_xml(n, [text] * columns) for n in range(2, rows + 2))
    return workbook(sheet_xml(iter([row_xml(1, HEADER), *body])))


def huge_shared_string(chars: int = 200_000_000) -> bytes:
    """One shared string of ``chars`` characters (200 MB: the old reader held it whole)."""
    def strings() -> Chunks:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"><si><t>'.encode()
        for _ in range(chars // 1_000_000):
            yield b"b" * 1_000_000
        yield b"</t></si></sst>"
    use = '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return workbook(sheet_xml(iter([row_xml(1, HEADER), use])), strings())


def many_shared_strings(count: int = 3_000_000) -> bytes:
    """More distinct shared strings than any table needs."""
    return workbook(sheet_xml(_table([HEADER, GOOD_ROW])), _strings(map(str, range(count))))


def much_shared_text(count: int = 6_000, chars: int = 9_999) -> bytes:
    """Shared strings each under the cell cap, together beyond the text cap."""
    return workbook(sheet_xml(_table([HEADER, GOOD_ROW])),
                    _strings(f"{n:09d}" + "c" * (chars - 9) for n in range(count)))


def many_columns_xlsx(columns: int = 16_384, rows: int = 100) -> bytes:
    """Rows with a value in every one of Excel's 16,384 columns."""
    body = (row_xml(n, [1] * columns) for n in range(2, rows + 2))
    return workbook(sheet_xml(iter([row_xml(1, HEADER), *body])))


def empty_cells(count: int = 12_000_000) -> bytes:
    """One row of millions of empty cells (no values, no references)."""
    def rows() -> Iterator[str]:
        yield row_xml(1, HEADER)
        yield '<row r="2">' + "<c/>" * count + "</row>"
    return workbook(sheet_xml(rows()))


def unsaved_formulas() -> bytes:
    """A table whose values are formulas nobody calculated (written by a program)."""
    return workbook(sheet_xml(_table([HEADER, ["220501", 2020, "cacao", "hectares", "=1+1"],
                                      GOOD_ROW])))


def valid_xlsx(rows: int = 1_000_000) -> bytes:
    """A valid workbook of ``rows`` rows (inline texts, as openpyxl writes them)."""
    body = (row_xml(n + 1, cells) for n, cells in enumerate(_valid_rows(rows), start=1))
    return workbook(sheet_xml(iter([row_xml(1, HEADER), *body])))


def blank_lines_csv(size: int = 49_000_000, line: bytes = b"\n", sep: str = ",") -> bytes:
    """A header, then blank lines up to ``size`` bytes."""
    head = sep.join(HEADER).encode() + b"\n"
    return head + line * ((size - len(head)) // len(line))


def long_cell_csv(chars: int = 200_000) -> bytes:
    return (",".join(HEADER) + "\n" + "220501,2020,cacao,hectares," + "9" * chars + "\n").encode()


def many_columns_csv(columns: int = 1_000) -> bytes:
    return (",".join(HEADER) + "\n" + "220501,2020,cacao,hectares,1" + ",x" * columns
            + "\n").encode()


def valid_csv(rows: int = 1_000_000, width: int = 0) -> bytes:
    """A valid results CSV of ``rows`` rows, each padded by a note to ``width`` bytes."""
    lines = [",".join([*HEADER, "notes"])]
    for cells in _valid_rows(rows):
        line = ",".join(map(str, cells)) + ","
        lines.append(line + "x" * max(0, width - len(line) - 2))
    return ("\r\n".join(lines) + "\r\n").encode()


def rejected_csv(rows: int = 1_000_000, width: int = 50) -> bytes:
    """Every row rejected (an unknown place), each row a little different."""
    lines = [",".join(HEADER)]
    for n in range(rows):
        line = f"99{n % 10000:04d},2020,cacao,hectares,{n}"
        lines.append(line + " " * max(0, width - len(line) - 2))
    return ("\r\n".join(lines) + "\r\n").encode()


def wide_rejected_csv(size: int = 49_000_000, extra: int = 195) -> bytes:
    """Rows rejected (an unknown place) under a header of ``extra`` more columns, every
    extra cell empty, up to ``size`` bytes: 200 columns of rejected rows to show."""
    head = ",".join([*HEADER, *(f"note {n}" for n in range(1, extra + 1))]) + "\r\n"
    lines, total = [head], len(head)
    while total < size:
        lines.append(f"99{len(lines) % 10000:04d},2020,cacao,hectares,{len(lines)}"
                     + "," * extra + "\r\n")
        total += len(lines[-1])
    return "".join(lines).encode()


LOCALITY_HEADER = ["name", "lat", "lon", "year", "connection_type"]
KINDS = ("móvil", "fijo", "fijo y móvil")


def localities_csv(rows: int = 1_000_000, width: int = 0, swapped: bool = False) -> bytes:
    """A localities CSV of ``rows`` rows at distinct positions inside Peru's districts,
    each name padded to make a line of ``width`` bytes; ``swapped`` writes lon as lat
    (every row rejected, each with its own position in its reason)."""
    lines = [",".join(LOCALITY_HEADER)]
    for n, (lat, lon) in enumerate(_inside_peru(rows)):
        year, kind = 2015 + n % 10, KINDS[n % 3]
        first, second = (lon, lat) if swapped else (lat, lon)
        tail = f",{first:.5f},{second:.5f},{year},{kind}"
        size = len(tail.encode()) + 2
        lines.append(f"CP {n:07d}".ljust(max(0, width - size), "x") + tail)
    return ("\r\n".join(lines) + "\r\n").encode()


def _inside_peru(count: int, seed: int = 7) -> Iterator[tuple[float, float]]:
    """(lat, lon) of ``count`` random points, each inside a district's shape."""
    import numpy as np
    import shapely

    from mapapp.boundaries import geodata

    shapes = geodata.load_boundaries("district", "screen").geometry.dropna().to_numpy()
    tree, random = shapely.STRtree(shapes), np.random.default_rng(seed)
    made = 0
    while made < count:
        lon = random.uniform(-81.4, -68.6, 200_000).round(5)  # as written: still inside
        lat = random.uniform(-18.4, 0.0, 200_000).round(5)
        inside = np.unique(tree.query(shapely.points(lon, lat), predicate="within")[0])
        for index in inside[:count - made].tolist():
            yield float(lat[index]), float(lon[index])
        made += min(len(inside), count - made)


def _valid_rows(count: int) -> Iterator[list[object]]:
    """Distinct (place, year, value chain, indicator) keys over Peru's districts."""
    from mapapp.boundaries import geodata
    from mapapp.model import catalog

    places = geodata.places()
    districts = places.loc[places["level"] == "district", "ubigeo"].tolist()
    combos = [(chain, key) for key, ind in catalog.INDICATORS.items()
              if ind.aggregation == "sum"
              for chain in ([*catalog.VALUE_CHAINS, ""] if ind.by_value_chain else [""])]
    made = 0
    for year in range(2000, 2026):
        for chain, indicator in combos:
            for ubigeo in districts:
                if made == count:
                    return
                yield [ubigeo, year, chain, indicator, round(made % 99_991 * 1.25, 2)]
                made += 1


# --- the benchmark


def corpus() -> dict[str, Callable[[], bytes]]:
    limit = 49_600_000
    return {
        "huge-dimension.xlsx": huge_dimension,
        "far-cell.xlsx": far_cell,
        "wide-cells.xlsx": wide_cells,
        "huge-shared-string.xlsx": huge_shared_string,
        "many-shared-strings.xlsx": many_shared_strings,
        "much-shared-text.xlsx": much_shared_text,
        "many-columns.xlsx": many_columns_xlsx,
        "empty-cells.xlsx": empty_cells,
        "unsaved-formulas.xlsx": unsaved_formulas,
        "blank-lines.csv": lambda: blank_lines_csv(49_000_000),
        "blank-separators.csv": lambda: blank_lines_csv(49_000_000, b";;;;\r\n", ";"),
        "long-cell.csv": long_cell_csv,
        "many-columns.csv": many_columns_csv,
        "valid-1M-rows.csv": lambda: valid_csv(1_000_000, limit // 1_000_000),
        "valid-1M-rows.xlsx": valid_xlsx,
        "rejected-1M-rows.csv": lambda: rejected_csv(1_000_000, limit // 1_000_000),
        "rejected-200-columns.csv": wide_rejected_csv,
        "localities-1M-rows.csv": lambda: localities_csv(1_000_000, limit // 1_000_000),
        "localities-rejected-1M-rows.csv": lambda: localities_csv(
            1_000_000, limit // 1_000_000, swapped=True),
    }


# The CLI validates results files only: a localities file is read the way the app reads
# it, and summed up in the CLI's first line.
READ_LOCALITIES = """
import sys
from pathlib import Path
from mapapp.ingest.localities import read_localities
from mapapp.ingest.table import UnreadableFileError
path = Path(sys.argv[1])
try:
    report = read_localities(path.read_bytes(), path.name)
except UnreadableFileError as exc:
    sys.exit(f"error: {exc}")
info = ", ".join(f"{k}: {v}" for k, v in report.info.items())
print(f"{path.name}: {report.rows_total} rows, {report.rows_valid} valid, "
      f"{report.rows_rejected} rejected ({info})")
sys.exit(1 if report.rows_rejected else 0)
"""


def command(path: Path) -> list[str]:
    """How ``path`` is read: ``python -m mapapp validate``, or as localities."""
    if path.name.startswith("localities-"):
        return [sys.executable, "-c", READ_LOCALITIES, str(path)]
    return [sys.executable, "-m", "mapapp", "validate", str(path)]


def peak(command: list[str]) -> tuple[int, str, int, float, float]:
    """(exit code, first line of output, peak RSS in bytes, wall and CPU seconds) of
    ``command`` in a fresh process, measured by a wrapper that runs nothing else."""
    wrapper = ("import resource, subprocess, sys, time\n"
               "start = time.perf_counter()\n"
               "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "seconds = time.perf_counter() - start\n"
               "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "out = (done.stderr.strip() or done.stdout.strip()).splitlines() or ['']\n"
               "print(done.returncode, use.ru_maxrss, round(seconds, 2),\n"
               "      round(use.ru_utime + use.ru_stime, 2), out[0], sep='\\t')\n")
    done = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True,
                          text=True, cwd=ROOT, check=True)
    code, kb, seconds, cpu, line = done.stdout.rstrip("\n").split("\t", 4)
    return int(code), line, int(kb) * 1024, float(seconds), float(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    parser.add_argument("--only", nargs="*", help="file names to run (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        idle = peak([sys.executable, "-c", "import mapapp.ingest.results"])[2]
        rest = peak([sys.executable, "-m", "mapapp", "validate", "--help"])[2]
        lines = _table_head(idle, rest)
        worst, timings = None, []
        for name, build in corpus().items():
            if args.only and name not in args.only:
                continue
            path = folder / name
            if not path.exists():
                path.write_bytes(build())
            size = path.stat().st_size
            code, first, rss, seconds, cpu = peak(command(path))
            above = max(0, rss - idle)
            outcome = f"exit {code}: {_short(first, name)}"
            lines.append(f"| {name} | {size:,} | {outcome} | {rss / 1e6:,.0f} MB | "
                         f"{above / 1e6:,.0f} MB | {above / size:,.1f}× | {seconds:.1f} s | "
                         f"{cpu:.1f} s |")
            print(lines[-1], flush=True)
            timings.append((name, seconds, cpu))
            if worst is None or rss > worst[1]:
                worst = (name, rss, above, size, seconds)
    name, rss, above, size, seconds = worst
    slowest = max(timings, key=lambda item: item[1])
    lines += ["", f"worst: {name}, peak {rss / 1e6:,.0f} MB RSS ({above / 1e6:,.0f} MB above "
              f"idle, {above / size:,.1f}× its {size:,} bytes), {seconds:.1f} s; slowest: "
              f"{slowest[0]}, {slowest[1]:.1f} s ({slowest[2]:.1f} s CPU); limits: 1,500 MB "
              "and 30 s"]
    print(lines[-1])
    OUT.write_text("\n".join(lines) + "\n")
    return 0


def _table_head(idle: int, rest: int) -> list[str]:
    cpu = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [f"Each file validated by `python -m mapapp validate FILE` (a `localities-` file "
            "by `read_localities`, as the app reads it) in a fresh process "
            f"({time.strftime('%Y-%m-%d')}, {cpu}, load average {load} at the start). "
            f"Idle baseline (`python -c \"import mapapp.ingest.results\"`): {idle / 1e6:,.0f} MB; "
            f"the CLI at rest (`python -m mapapp validate --help`, which imports the "
            f"exporters too): {rest / 1e6:,.0f} MB. Time is wall clock; CPU is user + "
            "system time of the process (the machine's other work slows the first, not "
            "the second).",
            "", "| file | bytes | outcome | peak RSS | above idle | ratio to bytes | time | "
            "CPU |", "|---|---:|---|---:|---:|---:|---:|---:|"]


def _short(line: str, name: str) -> str:
    text = line.replace(name + ": ", "").replace("|", "/")
    return text if len(text) <= 110 else text[:109] + "…"


if __name__ == "__main__":
    sys.exit(main())
