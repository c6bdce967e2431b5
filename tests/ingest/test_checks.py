"""What results and localities share: one row-checking base, the separator carried as a
character, one cached place matcher."""

import ast
import inspect

import pytest
from helpers import csv_bytes, xlsx_bytes

from mapapp.ingest import checks, localities, places, results
from mapapp.ingest.localities import read_localities
from mapapp.ingest.reader import read_table
from mapapp.ingest.results import read_results

RESULTS = [["ubigeo", "year", "indicator", "value"], ["220501", "2020", "hectares", "300"]]
LOCALITIES = [["name", "lat", "lon"], ["CP Uno", "-6", "-76"]]  # no decimal mark in sight


@pytest.mark.parametrize("sep, name", [(";", "semicolon"), ("\t", "tab"), (",", "comma")])
def test_a_csv_carries_its_separator_as_a_character_and_shows_its_name(sep, name):
    raw = read_table(csv_bytes(RESULTS, sep), "r.csv", results.looks_like_header)
    assert raw.delimiter == sep and raw.info["delimiter"] == name


def test_a_workbook_has_no_separator():
    raw = read_table(xlsx_bytes(RESULTS), "r.xlsx", results.looks_like_header)
    assert raw.delimiter is None and "delimiter" not in raw.info


@pytest.mark.parametrize("read, rows", [(read_results, RESULTS),
                                        (read_localities, LOCALITIES)])
@pytest.mark.parametrize("sep, decimal", [(";", "comma"), (",", "point"), ("\t", "point")])
def test_the_separator_settles_a_decimal_mark_the_values_leave_open(read, rows, sep, decimal):
    """Spanish-locale Excel writes ";" and a decimal comma: with no value showing its
    mark, a ";" file is read with a comma, any other with a point."""
    report = read(csv_bytes(rows, sep), "file.csv")
    assert report.rows_valid == 1 and report.info["decimal"] == decimal


def test_both_checkers_derive_from_the_one_base():
    assert issubclass(results._ResultsChecker, checks.RowChecker)
    assert issubclass(localities._LocalityChecker, checks.RowChecker)


def test_localities_import_nothing_from_results():
    tree = ast.parse(inspect.getsource(localities))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert "mapapp.ingest.results" not in imported


def test_the_default_matcher_is_made_once_and_can_be_dropped():
    first = places.default_matcher()
    assert places.default_matcher() is first
    places.default_matcher.cache_clear()
    try:
        assert places.default_matcher() is not first
    finally:
        places.default_matcher.cache_clear()
    assert places.default_matcher.cache_info().maxsize == 1
