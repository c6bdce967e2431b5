"""Hostile numbers (non-finite, overflowing, absurdly large) are rejected per row with
a short reason and never reach a total; the rejected-rows table never has two columns
of one name, whatever the file's header (issue 9, items 3 and 4)."""

import csv
import io
import json
import math
import sys
import zipfile
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from helpers import csv_bytes, xlsx_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapapp.analysis.aggregate import aggregate_results, national_value
from mapapp.ingest import rows as row_tables
from mapapp.ingest.limits import MAX_ROWS
from mapapp.ingest.localities import read_localities
from mapapp.ingest.numbers import (
    ECHO_CHARS,
    MAX_MAGNITUDE,
    DecimalConvention,
    parse_number,
    plain_number,
    range_problem,
    shown,
)
from mapapp.ingest.results import TIDY_COLUMNS, read_results
from mapapp.ingest.rows import (
    REASONS,
    RESERVED,
    ROW,
    Issues,
    RejectedRows,
    RowIssue,
    rejected_table,
)
from mapapp.model.catalog import LANGS
from mapapp.model.i18n import t
from mapapp.model.messages import render
from mapapp.render.exports import csv_bytes as download_csv

HEADER = ["ubigeo", "year", "value_chain", "indicator", "value"]
GOOD = ["220501", "2020", "cacao", "hectares", "10"]
NOT_A_NUMBER, OUT_OF_RANGE = "is not a number", "is out of range"
BIG = "9" * 400
NEAR_MAX_FLOAT = "1" + "0" * 308  # 1e308 written out: finite, but two of them make inf


def reject(name: str, value: str) -> None:
    raise ValueError(f"non-standard JSON constant {name}")


def strict_json(report) -> dict:
    """The report as ``validate --json`` prints it, read back by a strict parser."""
    text = json.dumps(report.to_json_dict(), ensure_ascii=False, allow_nan=False)
    return json.loads(text, parse_constant=lambda name: reject(name, text))


def assert_finite_totals(report) -> None:
    totals = strict_json(report)["totals"]
    assert all(math.isfinite(v) for entry in totals.values() for v in entry.values())
    assert report.valid["value"].map(math.isfinite).all()


def assert_short_reasons(report) -> None:
    """A reason quotes a cell in at most ECHO_CHARS characters (plus its size)."""
    assert all(len(e.message) < ECHO_CHARS + 150 for e in report.errors)
    assert all("9" * (ECHO_CHARS + 1) not in reasons for reasons in report.rejected[REASONS])


# --- numbers ------------------------------------------------------------------------

COMMA, POINT = DecimalConvention(",", settled=True), DecimalConvention(".", settled=True)


@pytest.mark.parametrize("raw, convention, problem", [
    (BIG, POINT, OUT_OF_RANGE),  # float() reads it as inf
    ("-" + BIG, POINT, OUT_OF_RANGE),
    (10 ** 400, POINT, OUT_OF_RANGE),  # an int cell float() cannot take
    (float("inf"), POINT, OUT_OF_RANGE),
    (float("-inf"), POINT, OUT_OF_RANGE),
    (1e308, POINT, OUT_OF_RANGE),
    (1e16, POINT, OUT_OF_RANGE),
    (1.5e15, POINT, OUT_OF_RANGE),
    ("1.000.000.000.000.000,5", COMMA, OUT_OF_RANGE),
    ("1,000,000,000,000,001", POINT, OUT_OF_RANGE),
    (float("nan"), POINT, None),  # None: not read as a number at all
    ("nan", POINT, None), ("NaN", POINT, None), ("inf", POINT, None),
    ("Infinity", POINT, None), ("-inf", POINT, None), ("1e309", POINT, None),
    ("999999999999999", POINT, "ok"),
    ("1.000.000.000.000.000", COMMA, "ok"),  # exactly the cap
    (999999999999999, POINT, "ok"),
    ("-5", POINT, "ok"),  # negative is the validator's reason, not a range problem
])
def test_parse_then_range_problem(raw, convention, problem):
    value, _ = parse_number(raw, convention)
    if problem is None:
        assert value is None
    else:
        assert value is not None
        assert render(range_problem(value) or "ok").startswith(problem)


@pytest.mark.parametrize("raw, expected", [
    ("diez", "'diez'"),
    ("x" * ECHO_CHARS, repr("x" * ECHO_CHARS)),
    (BIG, "'" + "9" * (ECHO_CHARS - 1) + "…' (400 characters)"),
    (10 ** 400, "1" + "0" * (ECHO_CHARS - 2) + "… (401 characters)"),
    (float("inf"), "inf"),
    (1e308, "1e+308"),
])
def test_reasons_quote_a_cell_in_at_most_echo_chars(raw, expected):
    assert render(shown(raw)) == expected


def test_the_cap_keeps_every_possible_sum_finite():
    # A total: MAX_ROWS values of at most MAX_MAGNITUDE; a weighted mean: value x weight.
    assert MAX_ROWS * MAX_MAGNITUDE * MAX_MAGNITUDE < sys.float_info.max / 1e200
    assert math.isfinite(np.full(MAX_ROWS, MAX_MAGNITUDE).sum())


def test_aggregating_the_most_rows_of_the_largest_value_stays_finite():
    n = MAX_ROWS
    frame = pd.DataFrame({"row": np.arange(1, n + 1), "ubigeo": "220501", "level": "district",
                          "year": 2020, "value_chain": "cacao", "indicator": "hectares",
                          "value": np.full(n, MAX_MAGNITUDE)}, columns=TIDY_COLUMNS)
    assert aggregate_results(frame, "hectares", "department").values["value"].tolist() \
        == [n * MAX_MAGNITUDE]
    assert national_value(frame, "hectares") == n * MAX_MAGNITUDE


def test_a_weighted_mean_over_the_largest_weights_stays_finite():
    n = 100_000
    base = {"row": np.arange(1, n + 1), "ubigeo": "220501", "level": "district", "year": 2020}
    weights = pd.DataFrame({**base, "value_chain": "cacao", "indicator": "hectares",
                            "value": np.full(n, MAX_MAGNITUDE)}, columns=TIDY_COLUMNS)
    shares = pd.DataFrame({**base, "value_chain": "", "indicator": "coca_free_share",
                           "value": np.full(n, 100.0)}, columns=TIDY_COLUMNS)
    frame = pd.concat([weights, shares], ignore_index=True)
    assert national_value(frame, "coca_free_share") == pytest.approx(100.0)


def test_totals_at_the_cap_print_as_strict_json():
    rows = [[*GOOD[:4], "1000000000000000"] for _ in range(50)]
    report = read_results(csv_bytes([HEADER, *rows], ";"), "max.csv")
    assert report.rows_valid == 50
    assert strict_json(report)["totals"]["hectares"]["input"] == 50 * MAX_MAGNITUDE


@pytest.mark.parametrize("values, reason", [
    ([NEAR_MAX_FLOAT, NEAR_MAX_FLOAT], OUT_OF_RANGE),  # two 1e308 at one place
    (["1e308", "1e308"], NOT_A_NUMBER),
    (["1e309"], NOT_A_NUMBER),
    ([BIG], OUT_OF_RANGE),
    (["-" + BIG], OUT_OF_RANGE),
    (["inf"], NOT_A_NUMBER),
    (["-inf"], NOT_A_NUMBER),
    (["nan"], NOT_A_NUMBER),
    (["NaN"], NOT_A_NUMBER),
    (["Infinity"], NOT_A_NUMBER),
    (["1e16"], NOT_A_NUMBER),  # exponents are not how people type numbers
    (["1.5e15"], NOT_A_NUMBER),
    (["10000000000000000"], OUT_OF_RANGE),
    (["1000000000000001"], OUT_OF_RANGE),
    (["1.000.000.000.000.000,5"], OUT_OF_RANGE),
    (["1.000.000.000.000.001"], OUT_OF_RANGE),
    (["999999999999999"], None),  # None: kept
    (["1.000.000.000.000.000"], None),
])
def test_csv_numbers_beyond_the_cap_are_rejected_with_a_short_reason(values, reason):
    rows = [GOOD, *([*GOOD[:4], v] for v in values)]
    report = read_results(csv_bytes([HEADER, *rows], ";"), "numbers.csv")
    assert_finite_totals(report)
    assert_short_reasons(report)
    if reason is None:
        assert report.errors == [] and report.rows_valid == len(rows)
        return
    assert report.rows_valid == 1
    assert report.rejected[ROW].tolist() == list(range(2, len(rows) + 1))
    assert [(e.column, reason in e.message) for e in report.errors] \
        == [("value", True)] * len(values)
    assert strict_json(report)["totals"]["hectares"] == {"input": 10, "valid": 10, "rejected": 0}


def xlsx_with_raw(rows: list[list[object]], marker: float, raw: str) -> bytes:
    """A workbook whose numeric cell ``marker`` holds ``raw`` verbatim (openpyxl writes
    inf and nan as empty cells, so write a marker and replace it in the sheet XML)."""
    data = xlsx_bytes(rows)
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = content.replace(f"<v>{marker}</v>".encode(), f"<v>{raw}</v>".encode())
            target.writestr(info, content)
    return out.getvalue()


MARKER = 123456.25
XLSX_HEADER = ["ubigeo", "year", "value_chain", "indicator", "value"]
XLSX_GOOD = ["220501", 2020, "cacao", "hectares", 10]


@pytest.mark.parametrize("cells, reason", [
    ([1e308, 1e308], OUT_OF_RANGE),  # two 1e308 at one place
    ([1e16], OUT_OF_RANGE),
    ([1.5e15], OUT_OF_RANGE),
    ([-1.5e15], OUT_OF_RANGE),
    (["<1e309>"], OUT_OF_RANGE),  # <…>: written verbatim into the sheet XML
    (["<-1e309>"], OUT_OF_RANGE),
    ([f"<{BIG}>"], OUT_OF_RANGE),  # openpyxl reads it as a 400-digit int
    (["<nan>"], NOT_A_NUMBER),  # text that is no number: the reader keeps it as text
    (["<inf>"], NOT_A_NUMBER),
    ([999999999999999], None),
    ([MAX_MAGNITUDE], None),
])
def test_xlsx_numeric_cells_beyond_the_cap_are_rejected(cells, reason):
    raw = [c[1:-1] for c in cells if isinstance(c, str)]
    rows = [XLSX_HEADER, XLSX_GOOD,
            *([*XLSX_GOOD[:4], MARKER if isinstance(c, str) else c] for c in cells)]
    data = xlsx_with_raw(rows, MARKER, raw[0]) if raw else xlsx_bytes(rows)
    report = read_results(data, "numbers.xlsx")
    assert_finite_totals(report)
    assert_short_reasons(report)
    if reason is None:
        assert report.errors == [] and report.rows_valid == 1 + len(cells)
        return
    assert report.rows_valid == 1 and report.rows_rejected == len(cells)
    assert all(reason in e.message for e in report.errors)


LOC_HEADER = ["Nombre", "Ubigeo", "Latitud", "Longitud", "Año", "Tipo de conexión"]
LOC_GOOD = ["CP Uno", "", "-6,5", "-76,4", "2020", "móvil"]


@pytest.mark.parametrize("lat, lon", [
    ("nan", "-76,4"), ("-6,5", "NaN"), ("inf", "-76,4"), ("-6,5", "-inf"),
    ("Infinity", "-76,4"), (BIG, "-76,4"), ("-6,5", "-" + BIG),
])
def test_locality_positions_that_are_not_finite_are_not_numbers(lat, lon):
    row = ["CP", "", lat, lon, "2020", ""]
    report = read_localities(csv_bytes([LOC_HEADER, LOC_GOOD, row], ";"), "loc.csv")
    assert report.rows_valid == 1 and report.rows_rejected == 1
    assert [NOT_A_NUMBER in e.message for e in report.errors] == [True]
    assert_short_reasons(report)


@pytest.mark.parametrize("raw", ["1e309", "-1e309", BIG])
def test_locality_xlsx_cells_beyond_floats_are_not_numbers(raw):
    rows = [["name", "lat", "lon", "year"], ["A", -6.5, -76.4, 2022], ["B", MARKER, -76.4, 2022]]
    report = read_localities(xlsx_with_raw(rows, MARKER, raw), "loc.xlsx")
    assert report.rows_valid == 1 and report.rows_rejected == 1
    assert NOT_A_NUMBER in report.errors[0].message


# --- the rejected-rows table --------------------------------------------------------

def renamed(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """As the page shows it (app.upload_report)."""
    return table.rename(columns={ROW: t("row", lang), REASONS: t("reasons", lang)})


def assert_unique_everywhere(table: pd.DataFrame) -> None:
    assert table.columns.is_unique
    assert list(table.columns[[0, -1]]) == [ROW, REASONS]
    for lang in LANGS:
        assert renamed(table, lang).columns.is_unique
    download_csv(table)  # the CSV download builds too


LABELS = sorted({t(key, lang) for key in ("row", "reasons") for lang in LANGS})
HOSTILE_EXTRA = ["row", "reasons", "Row", "Reasons", *LABELS, "Nota", "Nota", "", "",
                 "Nota (2)", "column 6"]


@pytest.mark.parametrize("extra", [
    ["row"], ["reasons"], ["row", "reasons"], ["Nota", "Nota"], [""], ["", ""],
    LABELS, HOSTILE_EXTRA, ["value", "Valor"],  # a repeated known column
])
def test_results_rejected_table_never_repeats_a_column(extra):
    header = [*HEADER, *extra]
    bad = [*GOOD[:4], "diez", *[f"x{i}" for i in range(len(extra))]]
    rows = [header, [*GOOD, *[""] * len(extra)], bad]
    report = read_results(csv_file(rows), "collide.csv")
    assert report.rows_rejected == 1
    assert_unique_everywhere(report.rejected)
    assert report.rejected.iloc[0, 1:-1].tolist() == bad
    assert "'diez' is not a number" in report.rejected_table("en")[REASONS][0]
    assert "'diez' no es un número" in report.rejected_table("es")[t("reasons", "es")][0]


@pytest.mark.parametrize("extra", [
    ["row"], ["reasons"], ["Nombre"], ["Latitud", "Latitud"], [""], ["", ""], LABELS,
    HOSTILE_EXTRA,
])
def test_localities_rejected_table_never_repeats_a_column(extra):
    header = [*LOC_HEADER, *extra]
    bad = ["", "", "-6,5", "-76,4", "2020", "", *[f"x{i}" for i in range(len(extra))]]
    rows = [header, [*LOC_GOOD, *[""] * len(extra)], bad]
    report = read_localities(csv_file(rows, ";"), "collide.csv")
    assert report.rows_rejected == 1
    assert_unique_everywhere(report.rejected)
    assert report.rejected.iloc[0, 1:-1].tolist() == bad
    assert "name is empty" in report.rejected_table("en")[REASONS][0]
    assert "el nombre está vacío" in report.rejected_table("es")[t("reasons", "es")][0]


def csv_file(rows: list[list[str]], sep: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


class Issue:
    def __init__(self, row: int, column: str, message: str) -> None:
        self.row, self.column, self.message = row, column, message
        self.code = message  # a plain text: rendered as it is


NAMES = st.one_of(st.sampled_from(["row", "reasons", "Row", "Reasons", "", "a", "a (2)",
                                   "row (2)", "column 1", "column 2", "column 3", *LABELS,
                                   *(f"{label} (2)" for label in LABELS)]),
                  st.text(max_size=6))
CELLS = st.lists(st.one_of(st.text(max_size=5), st.none(), st.integers(), st.floats()),
                 max_size=8)


@settings(max_examples=300, deadline=None)
@given(header=st.lists(NAMES, max_size=8),
       rejected=st.dictionaries(st.integers(1, 10_000), CELLS, max_size=6))
def test_rejected_table_columns_are_unique_and_cells_verbatim(header, rejected):
    errors = [Issue(row, "value", f"bad {row}") for row in rejected]
    table = rejected_table(header, rejected, errors)
    assert_unique_everywhere(table)
    assert len(table) == len(rejected) and table[ROW].tolist() == sorted(rejected)
    width = table.shape[1] - 2
    assert width >= len(header)
    for (_, cells), out in zip(sorted(rejected.items()), table.itertuples(index=False),
                               strict=True):
        as_read = ["" if c is None else str(c) for c in cells]
        assert list(out[1:-1]) == (as_read + [""] * width)[:width]
        assert all(not c.strip() for c in as_read[width:])  # only trailing blanks left out
    # a header name used once and not reserved keeps its name, in its place
    for index, name in enumerate(header):
        if name and name not in RESERVED and header.index(name) == index:
            assert table.columns[index + 1] == name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=st.lists(st.sampled_from(HOSTILE_EXTRA), max_size=6))
def test_any_hostile_header_gives_a_unique_table_from_both_validators(extra):
    results = read_results(csv_file([[*HEADER, *extra], [*GOOD[:4], "diez", *extra]]),
                           "r.csv")
    localities = read_localities(csv_file([[*LOC_HEADER, *extra],
                                           ["", "", "-6,5", "-76,4", "2020", "", *extra]], ";"),
                                 "l.csv")
    for report in (results, localities):
        assert report.rows_rejected == 1
        assert_unique_everywhere(report.rejected)
        assert report.rejected.iloc[0, -1 - len(extra):-1].tolist() == extra


# --- the row report kept compact: rejected rows, issues, plain numbers ----------------

def reference_table(header: list[str], rejected: dict, errors: list) -> list[list[str]]:
    """The rejected table as the first version built it, row by row: the contract."""
    reasons: dict[int, list[str]] = {}
    for issue in errors:
        reasons.setdefault(issue.row, []).append(f"{issue.column}: {issue.message}")
    text = [["" if c is None else str(c) for c in cells] for cells in rejected.values()]
    used = [max((i + 1 for i, c in enumerate(cells) if c.strip()), default=0) for cells in text]
    width = max([len(header), *used])
    out = []
    for row, cells in sorted(rejected.items()):
        text = ["" if c is None else str(c) for c in cells[:width]]
        out.append([row, *text, *[""] * (width - len(text)), "; ".join(reasons.get(row, []))])
    return out


@settings(max_examples=200, deadline=None)
@given(header=st.lists(NAMES, max_size=4),
       rejected=st.dictionaries(st.integers(1, 50), CELLS, max_size=9),
       messages=st.lists(st.sampled_from(["bad", "worse", "", "x" * 500]), min_size=1),
       batch=st.integers(1, 4))
def test_rejected_table_in_small_batches_is_the_row_by_row_table(header, rejected, messages,
                                                                  batch):
    errors = [Issue(row, "value", messages[(row + n) % len(messages)])
              for row in rejected for n in range(row % 3)]
    with patch.object(RejectedRows, "BATCH", batch), \
            patch.object(row_tables, "_REASONS_CHUNK", batch + 1):
        table = rejected_table(header, rejected, errors)
    table[REASONS] = row_tables.rendered_reasons(table[REASONS], "en")
    assert [list(row) for row in table.itertuples(index=False)] == \
        reference_table(header, rejected, errors)


def test_rejected_cells_are_arrow_text_unless_arrow_cannot_hold_them():
    table = rejected_table(["a", "b"], {2: ["x\ud800", 1.5], 1: [None, "y"]},
                           [Issue(1, "a", "bad"), Issue(2, "b", "worse")])
    assert table["a"].dtype == object and table["b"].dtype == "str"
    table[REASONS] = row_tables.rendered_reasons(table[REASONS], "en")
    assert table.values.tolist() == [[1, "", "y", "a: bad"], [2, "x\ud800", "1.5", "b: worse"]]


@pytest.mark.parametrize("most", [2, 20_000])
def test_issues_read_and_compare_like_a_list_of_row_issues(monkeypatch, most):
    monkeypatch.setattr(row_tables, "_MOST_MESSAGES", most)  # later texts: in the buffer
    listed = [RowIssue(3, "año", "year 1990 is outside 2000–2026"), RowIssue(None, "", "file"),
              RowIssue(1, "valor", "x" * 500), RowIssue(3, "año", "second \ud800"),
              RowIssue(2, "valor", "year 1990 is outside 2000–2026")]
    issues = Issues(listed)
    assert issues == listed and list(issues) == listed and issues[1:3] == listed[1:3]
    assert issues[-1] == listed[-1] and len(issues) == 5 and issues != listed[:4]
    issues.insert(0, RowIssue(None, "", "first"))
    issues.sort_by_row()
    assert issues == sorted([RowIssue(None, "", "first"), *listed], key=lambda i: i.row or 0)
    assert [i.as_dict() for i in issues][-1] == {"row": 3, "column": "año",
                                                 "message": "second \ud800"}


def test_issues_keep_a_repeated_message_once():
    issues = Issues()
    for row in range(1, 10_001):
        issues.add(row, "ubigeo", f"ubigeo {row % 3} is not a district")
    assert len(issues._texts._known) == 3 and len(issues._texts._blob) == 0


@settings(max_examples=3000, deadline=None)
@given(text=st.text(alphabet="0123456789.,- \u00a0'e+%$²٣", max_size=12),
       convention=st.sampled_from([DecimalConvention(mark, settled)
                                   for mark in ".," for settled in (True, False)]))
def test_plain_numbers_read_as_parse_number_reads_them(text, convention):
    quick = plain_number(text, convention)
    assert quick is None or quick == parse_number(text, convention)


def test_the_validators_memo_stays_bounded_and_computes_other_cells_each_time():
    from mapapp.ingest.memo import BoundedMemo

    calls = []
    memo = BoundedMemo(lambda cell, *context: calls.append(cell) or (cell, context), size=3)
    for cell in ["a", "a", 7, 7, "b", "c", "d", "d"]:
        assert memo(cell, "x") == (cell, ("x",))
    assert calls == ["a", 7, "b", "c", "d", "d"]  # "c" and "d" came after the memo was full
    assert len(memo.known) == 3
    memo(1.5), memo(1.5)
    assert calls[-2:] == [1.5, 1.5]  # floats are not remembered
