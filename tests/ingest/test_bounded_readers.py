"""Reading is bounded by a file's bytes, not by what it claims: every cap refuses with a
message naming the cap and the file's own figure, blank runs cost nothing, and the
hostile files that took a process past 2 GB stay far below 1.5 GB."""

import datetime as dt
import importlib.util
import io
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
import streamlit
from helpers import ROOT, xlsx_bytes

from mapapp.boundaries import geodata
from mapapp.ingest import limits, localities, places, results
from mapapp.ingest.localities import read_localities
from mapapp.ingest.reader import read_table
from mapapp.ingest.results import looks_like_header, read_results
from mapapp.ingest.table import RowRuns, UnreadableFileError
from mapapp.model.messages import render

_spec = importlib.util.spec_from_file_location("hostile", ROOT / "bench" / "hostile_memory.py")
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)  # the benchmark's payload builders, at test sizes here

HEADER = hostile.HEADER
GOOD = hostile.GOOD_ROW


def csv(*lines: str) -> bytes:
    return "\n".join([",".join(HEADER), *lines, ""]).encode()


def sheet(*rows: list[object], dimension: str | None = None, strings=None) -> bytes:
    body = iter([hostile.row_xml(n, cells) for n, cells in enumerate(rows, start=1)])
    return hostile.workbook(hostile.sheet_xml(body, dimension),
                            hostile._strings(strings) if strings is not None else None)


def shared(count: int, chars: int) -> bytes:
    """A table whose shared-strings part holds ``count`` strings of ``chars`` characters."""
    return sheet(HEADER, GOOD, strings=(f"{n:06d}".ljust(chars, "s") for n in range(count)))


def many_cells(count: int) -> bytes:
    rows = iter([hostile.row_xml(1, HEADER), '<row r="2">' + "<c/>" * count + "</row>"])
    return hostile.workbook(hostile.sheet_xml(rows))


@pytest.mark.parametrize("name, build, caps, message", [
    ("claims.xlsx", lambda: sheet(HEADER, GOOD, dimension="A1:XFD1048576"), {},
     "sheet 'Resultados' claims 1,048,576 × 16,384 cells, more than the 10,000,000 allowed"),
    ("far.xlsx", hostile.far_cell, {},
     "row 1,048,576 of sheet 'Resultados' has a value in column 16,384, beyond the 200 "
     "columns allowed"),
    ("wide.xlsx", lambda: sheet(HEADER, [*GOOD[:4], "9" * 10_001]), {},
     "cell E2 of sheet 'Resultados' has 10,001 characters, more than the 10,000 a cell"),
    ("inline.xlsx", lambda: hostile.wide_cells(rows=2, columns=3, chars=200_000), {},
     "cell A2 of sheet 'Resultados' has 200,000 characters, more than the 10,000"),
    ("sst.xlsx", lambda: shared(1, 20_000), {},
     "shared string 1 has 20,000 characters, more than the 10,000 a cell may hold"),
    ("sst-count.xlsx", lambda: shared(150, 6), {"MAX_SHARED_STRINGS": 100},
     "more than 100 distinct texts (shared strings)"),
    ("sst-text.xlsx", lambda: shared(12, 9_999), {"MAX_SHARED_CHARS": 100_000},
     "shared strings hold more than 100,000 characters"),
    ("columns.xlsx", lambda: sheet(HEADER, [1] * 201), {},
     "row 2 of sheet 'Resultados' has a value in column 201, beyond the 200 columns"),
    ("cells.xlsx", lambda: many_cells(1_500), {"MAX_CELLS": 1_000},
     "sheet 'Resultados' holds more than 1,000 cells, the most allowed"),
    ("tags.xlsx", lambda: many_cells(100_000), {"MAX_XML_TAGS": 50_000},
     "the workbook's XML has more than 50,000 tags"),
    ("part.xlsx", lambda: sheet(HEADER, GOOD), {"MAX_PART_BYTES": 500},
     "the workbook part [Content_Types].xml unpacks to"),
    ("rows.xlsx", lambda: sheet(HEADER, *[GOOD] * 6), {"MAX_ROWS": 5},
     "more than 5 rows, the limit (row 6 holds data)"),
    ("cell.csv", lambda: csv("220501,2020,cacao,hectares," + "9" * 200_000), {},
     "row 2 of the file has a cell of more than 131,072 characters, more than the 10,000 a "
     "cell may hold; check the separator and the quotes"),
    ("cell.csv", lambda: csv("220501,2020,cacao,hectares,1", "2205" + "9" * 11_996), {},
     "row 3 of the file has a cell of 12,000 characters, more than the 10,000 a cell may"),
    ("columns.csv", lambda: csv("220501,2020,cacao,hectares,1" + ",x" * 1_000), {},
     "line 2 has a value in column 1,005, beyond the 200 columns allowed"),
    ("gap.csv", lambda: csv("220501,2020,cacao,hectares,1", *[""] * 20,
                            "220501,2021,cacao,hectares,1"), {"MAX_ROWS": 5},
     "more than 5 rows, the limit (row 22 holds data)"),
])
def test_each_cap_names_itself_and_the_files_figure(monkeypatch, name, build, caps, message):
    for cap, value in caps.items():
        monkeypatch.setattr(limits, cap, value)
    with pytest.raises(UnreadableFileError, match=re.escape(f"{name}: ")) as caught:
        read_results(build(), name)
    assert message in str(caught.value)


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
    b'<!DOCTYPE x SYSTEM "file:///etc/passwd">',
])
def test_xml_with_a_doctype_is_refused_as_damaged(doctype):
    part = (b'<?xml version="1.0"?>' + doctype
            + f'<worksheet xmlns="{hostile.MAIN}"><sheetData/></worksheet>'.encode())
    with pytest.raises(UnreadableFileError, match=r"damaged \.xlsx workbook.*DOCTYPE"):
        read_results(hostile.workbook(iter([part])), "dtd.xlsx")


@pytest.mark.parametrize("name, data, rows, blank", [
    ("gap.csv", csv("220501,2020,cacao,hectares,1", *[""] * 10_000,
                    "220501,2021,cacao,hectares,2"), [1, 10_002], "10000 empty row(s) "
     "skipped: 2–10001"),
    ("tail.csv", csv("220501,2020,cacao,hectares,1", *[",,,,"] * 50_000), [1],
     "50000 empty row(s) skipped: 2–50001"),
    ("gap.xlsx", hostile.workbook(hostile.sheet_xml(iter([
        hostile.row_xml(1, HEADER), hostile.row_xml(2, GOOD),
        hostile.row_xml(900_000, ["220501", 2021, "cacao", "hectares", 3])]))), [1, 899_999],
     "899997 empty row(s) skipped: 2–899998"),
    ("styled.xlsx", hostile.workbook(hostile.sheet_xml(iter([
        hostile.row_xml(1, HEADER), hostile.row_xml(2, GOOD),
        *(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(3, 30_000)),
        '<row r="30000"><c r="XFD30000" s="1"/></row>']))), [1],
     "29998 empty row(s) skipped: 2–29999"),
])
def test_blank_rows_are_runs_read_at_the_cost_of_their_bytes(name, data, rows, blank):
    report = read_results(data, name)
    assert sorted({*report.valid["row"], *report.rejected["row"]}) == rows
    assert [w.message for w in report.warnings if "empty row(s)" in w.message] == [blank]


def test_trailing_blank_rows_do_not_count_against_the_row_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 5)
    report = read_results(csv("220501,2020,cacao,hectares,1", *[""] * 100), "tail.csv")
    assert report.rows_total == 1 and "100 empty row(s) skipped: 2–101" in str(report.warnings)


@pytest.mark.parametrize("cells, messages", [
    (["220501", 2020, "cacao", "hectares", "=1+1"],
     [("value", "formula without a saved value: open the file in Excel and save it, "
                "or paste values")]),
    (["220501", "=2019+1", "cacao", "hectares", 5],
     [("year", "formula without a saved value: open the file in Excel and save it, "
               "or paste values")]),
    (["220501", 2020, "=A1", "hectares", 5],  # a column that may be empty is no exception
     [("value_chain", "formula without a saved value: open the file in Excel and save it, "
                      "or paste values")]),
])
def test_formula_without_a_saved_value_says_so(cells, messages):
    report = read_results(sheet(HEADER, cells, GOOD), "formulas.xlsx")
    assert [(e.row, e.column, e.message) for e in report.errors] == \
        [(1, c, m) for c, m in messages]
    assert report.valid["row"].tolist() == [2]


def test_formula_with_a_saved_value_or_an_empty_result_is_read_as_saved():
    row = ('<row r="2"><c r="A2" t="inlineStr"><is><t>220501</t></is></c><c r="B2"><v>2020</v>'
           '</c><c r="C2" t="str"><f>IF(1,"","x")</f><v></v></c><c r="D2" t="inlineStr"><is>'
           '<t>hectares</t></is></c><c r="E2"><f>2*5</f><v>10</v></c></row>')
    book = hostile.workbook(hostile.sheet_xml(iter([hostile.row_xml(1, HEADER), row])))
    report = read_results(book, "saved.xlsx")
    assert report.errors == []
    assert report.valid[["value_chain", "value"]].values.tolist() == [["", 10.0]]


def test_a_localities_formula_without_a_saved_value_rejects_its_row():
    header = ["Nombre", "Latitud", "Longitud", "Año"]
    report = read_localities(sheet(header, ["CP", "=-6.5", -76.4, 2020],
                                   ["CP Dos", -6.5, -76.4, 2020]), "loc.xlsx")
    assert {e.row for e in report.errors} == {1} and report.valid["row"].tolist() == [2]
    assert ("Latitud", "formula without a saved value: open the file in Excel and save it, "
            "or paste values") in [(e.column, e.message) for e in report.errors]


def test_workbook_cells_read_as_openpyxl_reads_them():
    rows = [HEADER, ["010101", 2020, "Café con ñ", "hectares", 12.5],
            [10101, 2021.0, "", "x" * 300, -0.0], [None, True, False, "a\nb", 1e-7],
            [dt.datetime(2020, 1, 2, 3, 4), dt.date(2021, 5, 6), dt.time(7, 8), None, 3]]
    data = xlsx_bytes(rows)
    raw = read_table(data, "book.xlsx", looks_like_header)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    expected = [list(r) for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert [cells + [None] * (len(e) - len(cells)) for (_, cells), e in
            zip(raw.rows, expected, strict=True)] == expected
    assert [n for n, _ in raw.rows] == [1, 2, 3, 4] and len(raw.rows) == 4


def test_rows_are_read_again_on_each_pass():
    raw = read_table(csv("220501,2020,cacao,hectares,1", "", "220501,2021,cacao,hectares,2"),
                     "t.csv", looks_like_header)
    assert list(raw.rows) == list(raw.rows) == [
        (1, ["220501", "2020", "cacao", "hectares", "1"]),
        (3, ["220501", "2021", "cacao", "hectares", "2"])]
    assert len(raw.rows) == 2 and list(raw.blank_rows) == [2]


@pytest.mark.parametrize("runs, index, expected", [
    ([(2, 4), (9, 9)], slice(None, 20), [2, 3, 4, 9]),
    ([(2, 1_000_000)], -1, 1_000_000),
    ([(2, 1_000_000)], slice(3, 5), [5, 6]),
    ([(5, 5), (6, 7)], slice(None), [5, 6, 7]),
])
def test_row_runs_hold_numbers_as_runs(runs, index, expected):
    numbers = RowRuns()
    for first, last in runs:
        numbers.add(first, last)
    assert numbers[index] == expected
    assert len(numbers) == sum(b - a + 1 for a, b in runs)


def test_upload_limit_counts_megabytes_as_the_uploader_does(tmp_path):
    """Streamlit's uploader turns maxUploadSize into bytes as MB × 1000² in the browser
    (1024² on Windows only): the reader uses the smaller, the same number, the same unit."""
    config = tomllib.loads((ROOT / ".streamlit/config.toml").read_text())
    assert limits.MAX_BYTES == config["server"]["maxUploadSize"] * 1_000_000
    scripts = Path(streamlit.__file__).parent / "static" / "static" / "js"
    bundle = "".join(p.read_text(errors="ignore") for p in scripts.glob("utils.*.js"))
    assert re.search(r"=\w+\(\)\?1024:1e3", bundle)  # isWindows() ? 1024 : 1000
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(50_332_351)  # sparse: the size is refused before anything is read
    with pytest.raises(UnreadableFileError, match=re.escape(
            "big.csv: 50.33 MB (50,332,351 bytes) is more than the 50 MB limit")):
        read_table(big, "big.csv", looks_like_header)


PEAK = """
import resource, sys
from pathlib import Path
from mapapp.ingest.table import UnreadableFileError
from mapapp.ingest.results import read_results
for path in sys.argv[1:]:
    try:
        report = read_results(Path(path).read_bytes(), Path(path).name)
        print(path, "rows", report.rows_total)
    except UnreadableFileError as exc:
        print(path, str(exc)[:80])
print("peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def test_hostile_files_at_real_size_stay_far_below_the_memory_cap(tmp_path):
    files = {"claims.xlsx": hostile.huge_dimension(), "wide.xlsx": hostile.wide_cells(),
             "blank.csv": hostile.blank_lines_csv(49_000_000)}
    paths = []
    for name, data in files.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(data)
    assert len(files["claims.xlsx"]) < 4_096 and 250_000 < len(files["wide.xlsx"]) < 400_000
    done = subprocess.run([sys.executable, "-c", PEAK, *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=True)
    lines = done.stdout.splitlines()
    assert "claims 1,048,576 × 16,384 cells" in lines[0]
    assert "has 100,000 characters" in lines[1]
    assert lines[2].endswith("rows 0")
    peak = int(lines[-1].split()[1])
    assert peak < 1_500_000_000, f"peak RSS {peak:,} bytes"


def test_values_beyond_the_cap_are_refused_in_a_wide_table(monkeypatch):
    monkeypatch.setattr(limits, "MAX_VALUES", 5)
    header = ["ubigeo", "year", "families_supported", "hectares"]
    data = "\n".join(",".join(r) for r in [header, *[["220501", str(y), "1", "2"]
                                                     for y in (2018, 2019, 2020)]]).encode()
    with pytest.raises(UnreadableFileError, match=re.escape(
            "wide.csv: more than 5 values, the limit (row 3 goes past it)")):
        read_results(data, "wide.csv")


# --- big files, read in a fresh process: memory above rest follows the file's bytes ---

ABOVE_REST = """
import sys
from pathlib import Path
from mapapp.boundaries import geodata
from mapapp.ingest.localities import read_localities
from mapapp.ingest.places import default_matcher
from mapapp.ingest.results import read_results

def status(field):  # this process's own figures (ru_maxrss counts its parent's, via exec)
    line = next(l for l in open("/proc/self/status") if l.startswith(field + ":"))
    return int(line.split()[1]) * 1024

default_matcher(), geodata.load_boundaries("district", "screen")  # as a server at rest has
read_localities(b"name,lat,lon\\nA,-6.5,-76.4\\n", "warm.csv")
read_results(b"ubigeo,year,indicator,value\\n220501,2020,hectares,1\\n", "warm.csv")
path = Path(sys.argv[1])
data = path.read_bytes()
rest = status("VmRSS")
read = read_localities if path.name.startswith("localities") else read_results
report = read(data, path.name)
print(report.rows_valid, report.rows_rejected, status("VmHWM") - rest)
"""


@pytest.mark.parametrize("name, build, valid", [
    ("localities.csv", lambda: hostile.localities_csv(100_000, 49), 100_000),
    ("localities-swapped.csv", lambda: hostile.localities_csv(100_000, 49, swapped=True), 0),
    ("rejected.csv", lambda: hostile.rejected_csv(100_000, 49), 0),
    ("rejected-wide.csv", lambda: hostile.wide_rejected_csv(22_600_000), 0),
])
def test_100k_rows_valid_or_rejected_stay_within_16x_their_bytes(tmp_path, name, build, valid):
    """A million rejected rows took 24× their bytes (a tuple, an issue object and a
    reasons list per row); now cells, issues and reasons are columns and empty cells
    cost nothing (under 10× at full size, a little more at this size, where buffers
    weigh more)."""
    path = tmp_path / name
    path.write_bytes(build())
    done = subprocess.run([sys.executable, "-c", ABOVE_REST, str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=True)
    rows_valid, rows_rejected, above = map(int, done.stdout.split())
    rows = path.read_bytes().count(b"\n") - 1
    assert (rows_valid, rows_rejected) == (valid, rows - valid) and rows > 90_000
    size = path.stat().st_size
    assert above < 16 * size, f"{above:,} bytes above rest for {size:,} bytes"


def test_positions_are_looked_up_a_batch_at_a_time_in_one_tree(monkeypatch):
    """One STRtree per file and one vectorised lookup per batch of rows: the lookup
    per row against every district took 0.2–0.5 ms, 8 minutes for a million rows."""
    data, trees, lookups = hostile.localities_csv(25_000), [], []
    real_tree, real_lookup = shapely.STRtree, localities._Districts.containing
    monkeypatch.setattr(shapely, "STRtree", lambda *a: trees.append(1) or real_tree(*a))
    monkeypatch.setattr(localities._Districts, "containing",
                        lambda self, *a: lookups.append(len(a[0])) or real_lookup(self, *a))
    report = read_localities(data, "localities.csv")
    assert report.rows_valid == 25_000 and report.rows_rejected == 0
    assert len(trees) == 1 and lookups == [10_000, 10_000, 5_000]


@pytest.mark.parametrize("reverse", [False, True])
def test_a_point_in_two_shapes_is_in_the_first_in_index_order(reverse):
    shapes = pd.Series([shapely.box(0, 0, 2, 2), None, shapely.box(1, 1, 3, 3)],
                       index=["010101", "010102", "010103"])
    if reverse:
        shapes = shapes[::-1]
    finder = localities._Districts(shapes)
    found = finder.containing(np.array([1.5, 0.5, 2.5, 9.0, 2.0]),
                              np.array([1.5, 0.5, 2.5, 9.0, 2.0]))
    overlap = "010103" if reverse else "010101"
    assert found == [overlap, "010101", "010103", None, "010103"]  # (2, 2): on A's border


def test_district_lookup_agrees_with_contains_against_every_district():
    """The tree finds what ``shapely.contains`` against every shape found, first in
    index order, for random points and for points on shared borders (shape vertices)."""
    shapes = geodata.load_boundaries("district", "screen").set_index("ubigeo").geometry
    drawn = shapes[shapes.notna()]
    random = np.random.default_rng(1)
    corners = shapely.get_coordinates(drawn.to_numpy())[::997]
    lons = np.concatenate([random.uniform(-81.5, -68.5, 400), corners[:, 0]])
    lats = np.concatenate([random.uniform(-18.5, 0.1, 400), corners[:, 1]])
    expected = []
    for lon, lat in zip(lons, lats, strict=True):
        hits = drawn.index[shapely.contains(drawn.to_numpy(), shapely.Point(lon, lat))]
        expected.append(str(hits[0]) if len(hits) else None)
    assert localities._Districts(shapes).containing(lons, lats) == expected


def test_place_lookups_are_cached_per_file_and_bounded():
    matcher = places.default_matcher()
    assert not any(isinstance(value, dict) and len(value) > 10_000
                   for value in vars(matcher).values() if value is not matcher.by_key)
    resolve = matcher.resolver(most=50, suggestions=2)
    for n in range(200):
        resolve(f"99{n:04d}")
    assert resolve.cache_info().currsize == 50 and resolve.cache_info().maxsize == 50
    named = [render(resolve(None, None, None, f"Uchizza{'a' * n}").error[1]) for n in range(4)]
    assert ["did you mean" in m for m in named] == [True, True, False, False]
    found = matcher.resolve(None, None, None, "Uchizzaaa").error[1]
    assert "did you mean 'Uchiza'" in render(found, "en")
    assert "¿quiso decir 'Uchiza'?" in render(found, "es")


def test_prefixed_sheet_names_read_as_plain_ones():
    """Some writers prefix every name (x:c); the reader matches plain names first."""
    rows = [HEADER, GOOD, [*GOOD[:4], "=1+1"], ["0101", 2020, "", "hectares", "abc"]]
    plain = "".join(hostile.row_xml(n, cells) for n, cells in enumerate(rows, start=1))
    prefixed = re.sub(r"<(/?)(row|c|v|is|t|f)\b", r"<\1x:\2", plain)

    def book(body: str, root: str) -> bytes:
        return hostile.workbook(iter([
            f'<?xml version="1.0"?><{root}worksheet xmlns{":x" if root else ""}='
            f'"{hostile.MAIN}"><{root}sheetData>{body}</{root}sheetData></{root}worksheet>'
            .encode()]))

    plain_report = read_results(book(plain, ""), "plain.xlsx")
    prefixed_report = read_results(book(prefixed, "x:"), "prefixed.xlsx")
    assert (plain_report.rows_valid, plain_report.rows_rejected) == (1, 2)
    assert prefixed_report.errors == list(plain_report.errors)
    pd.testing.assert_frame_equal(prefixed_report.valid, plain_report.valid)
    pd.testing.assert_frame_equal(prefixed_report.rejected, plain_report.rejected)


@pytest.mark.parametrize("room", [results._KEY_ROOM, 10])
def test_first_row_of_each_key_as_a_groupby_finds_it(monkeypatch, room):
    monkeypatch.setattr(results, "_KEY_ROOM", room)  # 10: too little room, the groupby
    random = np.random.default_rng(0)
    rows = np.sort(random.integers(1, 3_000, 2_000))
    keys = [random.integers(low, low + 4, 2_000).astype(np.int32) for low in (0, 2020, 7, 9)]
    expected = pd.Series(rows).groupby(keys, sort=False).transform("min").to_numpy()
    assert (results._first_rows(rows, keys) == expected).all()
