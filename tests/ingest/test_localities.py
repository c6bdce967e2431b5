"""Connected localities from files: positions, districts, years, connection types."""

import pytest
from helpers import csv_bytes, xlsx_bytes

from mapapp.ingest.localities import read_localities
from mapapp.ingest.table import UnreadableFileError

HEADER = ["Nombre", "Ubigeo", "Latitud", "Longitud", "Año", "Tipo de conexión"]
GOOD = ["CP Uno", "", "-6,5", "-76,4", "2020", "móvil"]  # inside Tarapoto's district area


def check(*rows, sep=";"):
    return read_localities(csv_bytes([HEADER, *rows], sep, "cp1252"), "localidades.csv")


def test_position_finds_its_district_and_kind_is_normalised():
    report = check(GOOD)
    assert report.errors == [] and report.rows_valid == 1
    row = report.valid.iloc[0]
    assert (row["lat"], row["lon"], row["connection_type"]) == (-6.5, -76.4, "mobile")
    assert len(row["ubigeo"]) == 6 and row["ubigeo"].startswith("22")


def test_ubigeo_alone_places_the_locality_inside_its_district():
    report = check(["CP Dos", "221005", "", "", "2021", "fijo y móvil"])
    assert report.rows_valid == 1 and report.valid.iloc[0]["connection_type"] == "fixed_mobile"
    assert "placed inside its district" in report.warnings[0].message


@pytest.mark.parametrize("row, column, message", [
    (["", "", "-6,5", "-76,4", "2020", ""], "Nombre", "name is empty"),
    (["CP", "", "-76,4", "-6,5", "2020", ""], "Latitud", "outside Peru (lat and lon swapped?)"),
    (["CP", "", "norte", "-76,4", "2020", ""], "Latitud", "'norte' is not a number"),
    (["CP", "", "", "", "2020", ""], "Ubigeo", "no position"),
    (["CP", "229999", "", "", "2020", ""], "Ubigeo", "not a district in boundary edition"),
    (["CP", "2209", "", "", "2020", ""], "Ubigeo", "is not a district (6 digits)"),
    (["CP", "", "-6,5", "-76,4", "1990", ""], "Año", "not a year"),
    (["CP", "", "-6,5", "-76,4", "2020", "satelital"], "Tipo de conexión",
     "unknown connection type 'satelital'"),
])
def test_each_rejection_has_row_column_and_reason(row, column, message):
    report = check(GOOD, row)
    assert report.rows_valid == 1 and report.rows_rejected == 1
    assert [(e.row, e.column) for e in report.errors] == [(2, column)]
    assert message in report.errors[0].message
    assert report.rejected["row"].tolist() == [2] and message in report.rejected["reasons"][0]


def test_point_outside_its_ubigeo_keeps_the_ubigeo_with_a_warning():
    report = check(["CP", "250101", "-6,5", "-76,4", "2020", ""])
    assert report.valid.iloc[0]["ubigeo"] == "250101"
    assert "lies outside district 250101" in report.warnings[0].message


def test_xlsx_with_english_headers():
    rows = [["name", "lat", "lon", "year", "connection_type"],
            ["Alpha", -6.5, -76.4, 2022, "fixed"]]
    report = read_localities(xlsx_bytes(rows), "localities.xlsx")
    assert report.rows_valid == 1 and report.valid.iloc[0]["connection_type"] == "fixed"


def test_a_results_table_is_not_a_localities_table():
    with pytest.raises(UnreadableFileError, match="no header row"):
        read_localities(csv_bytes([["ubigeo", "year", "indicator", "value"]]), "r.csv")
