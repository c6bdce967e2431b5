"""Reading every file shape people have: encodings, separators, decimals, XLSX, wide."""

import re

import pytest
from helpers import csv_bytes, xlsx_bytes

from mapapp.ingest.results import read_results
from mapapp.ingest.table import UnreadableFileError

LONG_EN = [
    ["ubigeo", "year", "value_chain", "indicator", "value"],
    ["220501", "2020", "cacao", "hectares", "1200.5"],
    ["220501", "2021", "cafe", "hectares", "300"],
]
SPANISH = [
    ["Región", "Provincia", "Distrito", "Año", "Cadena de valor", "Indicador", "Valor"],
    ["SAN MARTÍN", "tocache", "Uchiza", "2020", "Cacao", "hectares", "1.200,5"],
    ["san martin", "Tocache", "UCHIZA", "2021", "Café", "hectares", "300"],
]


@pytest.mark.parametrize("rows, sep, encoding, bom, expected_info", [
    (LONG_EN, ",", "utf-8", False, {"encoding": "utf-8", "delimiter": "comma"}),
    (LONG_EN, "\t", "utf-8", False, {"delimiter": "tab"}),
    (LONG_EN, ";", "utf-8", True, {"encoding": "utf-8 (BOM)", "delimiter": "semicolon"}),
    (SPANISH, ";", "cp1252", False, {"encoding": "cp1252", "decimal": "comma"}),
    (SPANISH, ";", "utf-8", True, {"encoding": "utf-8 (BOM)", "decimal": "comma"}),
    (SPANISH, "\t", "utf-16", False, {"encoding": "utf-16", "delimiter": "tab"}),
])
def test_csv_variants_read_the_same_values(rows, sep, encoding, bom, expected_info):
    report = read_results(csv_bytes(rows, sep, encoding, bom), "results.csv")
    assert report.errors == []
    assert report.valid["value"].tolist() == [1200.5, 300.0]
    assert set(report.valid["ubigeo"]) in ({"220501"}, {"221005"})
    assert expected_info.items() <= report.info.items()


def test_spanish_place_names_match_without_case_or_accents():
    report = read_results(csv_bytes(SPANISH, ";", "cp1252"), "excel.csv")
    assert report.valid["ubigeo"].tolist() == ["221005", "221005"]  # Uchiza, Tocache
    assert report.valid["value_chain"].tolist() == ["cacao", "cafe"]


def test_xlsx_reads_numbers_and_restores_lost_zeros():
    rows = [["Ubigeo", "Año", "Indicador", "Valor"], [10101, 2019, "families_supported", 12],
            ["010101", 2020.0, "Familias apoyadas", 3.5]]
    report = read_results(xlsx_bytes(rows), "results.xlsx")
    assert report.errors == []
    assert report.valid["ubigeo"].tolist() == ["010101", "010101"]
    assert report.valid["year"].tolist() == [2019, 2020]
    assert report.info["sheet"] == "Resultados"
    assert any("leading zero" in w.message and w.row == 1 for w in report.warnings)


def test_xlsx_skips_sheets_and_title_lines_without_a_table():
    rows = [["Reporte trimestral"], [], ["Departamento", "Año", "Indicador", "Valor"],
            ["Loreto", 2022, "connected_localities", 4]]
    report = read_results(xlsx_bytes(rows, before=[["Léame"], ["nada aquí"]]), "r.xlsx")
    assert report.valid[["ubigeo", "value"]].values.tolist() == [["16", 4.0]]
    assert report.valid["row"].tolist() == [1]


def test_wide_table_gives_one_record_per_indicator_column():
    rows = [["Departamento", "Provincia", "Año", "families_supported", "Hectáreas instaladas",
             "Notas"],
            ["Ucayali", "Padre Abad", "2020", "120", "", "ok"],
            ["Ucayali", "Atalaya", "2021", "80", "40", ""]]
    report = read_results(csv_bytes(rows), "wide.csv")
    assert report.info["layout"] == "wide"
    records = report.valid[["ubigeo", "indicator", "value"]].values.tolist()
    assert records == [["2503", "families_supported", 120.0], ["2502", "families_supported", 80.0],
                       ["2502", "hectares", 40.0]]
    assert any("Notas" in w.message for w in report.warnings)


def test_blank_rows_are_reported_and_keep_row_numbers():
    rows = [LONG_EN[0], LONG_EN[1], ["", "", "", "", ""], ["220501", "2022", "", "bogus", "1"]]
    report = read_results(csv_bytes(rows), "blank.csv")
    assert [e.row for e in report.errors] == [3]
    assert any("1 empty row(s) skipped: 2" in w.message for w in report.warnings)


@pytest.mark.parametrize("data, filename, message", [
    (b"", "empty.csv", "empty"),
    (b"\x00\x01\x02binary\x00", "blob.csv", "binary"),
    (b"\xd0\xcf\x11\xe0rest", "old.xls", ".xls"),
    (b"PK\x03\x04 broken zip", "broken.xlsx", "not a readable .xlsx"),
    (b"just,some\nwords,here\n", "words.csv", "no header row"),
    (b"Departamento;Valor\nLoreto;3\n", "noyear.csv", "year (Año)"),
])
def test_unreadable_files_say_what_to_fix(data, filename, message):
    with pytest.raises(UnreadableFileError, match=re.escape(message)):
        read_results(data, filename)
