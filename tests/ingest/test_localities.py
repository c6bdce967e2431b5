"""Connected localities from files: positions, districts, years, connection types."""

import pytest
from helpers import csv_bytes, xlsx_bytes

from mapapp.ingest.localities import read_localities
from mapapp.ingest.table import UnreadableFileError
from mapapp.model.i18n import t

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


REJECTIONS = [  # (row, column, English, Spanish)
    (["", "", "-6,5", "-76,4", "2020", ""], "Nombre", "name is empty", "el nombre está vacío"),
    (["CP", "", "-76,4", "-6,5", "2020", ""], "Latitud", "outside Peru (lat and lon swapped?)",
     "la posición -76,4; -6,5 está fuera del Perú (¿latitud y longitud invertidas?)"),
    (["CP", "", "norte", "-76,4", "2020", ""], "Latitud", "'norte' is not a number",
     "la latitud 'norte' no es un número"),
    (["CP", "", "", "", "2020", ""], "Ubigeo", "no position", "sin posición"),
    (["CP", "229999", "", "", "2020", ""], "Ubigeo", "not a district in boundary edition",
     "no existe como distrito en la edición de límites"),
    (["CP", "2209", "", "", "2020", ""], "Ubigeo", "is not a district (6 digits)",
     "no es un distrito (6 dígitos)"),
    (["CP", "", "-6,5", "-76,4", "1990", ""], "Año", "not a year", "no es un año"),
    (["CP", "", "-6,5", "-76,4", "2020", "satelital"], "Tipo de conexión",
     "unknown connection type 'satelital'", "tipo de conexión desconocido 'satelital'"),
]


@pytest.mark.parametrize("row, column, message, _es", REJECTIONS)
def test_each_rejection_has_row_column_and_reason(row, column, message, _es):
    report = check(GOOD, row)
    assert report.rows_valid == 1 and report.rows_rejected == 1
    assert [(e.row, e.column) for e in report.errors] == [(2, column)]
    assert message in report.errors[0].message
    rejected = report.rejected_table("en")
    assert rejected["row"].tolist() == [2] and message in rejected["reasons"][0]


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("row, column, en, es", REJECTIONS)
def test_each_reason_in_the_readers_language(row, column, en, es, lang):
    report = check(GOOD, row)
    expected, other = (es, en) if lang == "es" else (en, es)
    assert expected in report.errors[0].text(lang) and other not in report.errors[0].text(lang)
    rejected = report.rejected_table(lang)
    reason = rejected[t("reasons", lang)].iloc[0]
    assert rejected[t("row", lang)].tolist() == [2]
    assert reason == f"{column}: {report.errors[0].text(lang)}" and other not in reason


def test_warnings_in_the_readers_language():
    report = check(["CP", "250101", "-6,5", "-76,4", "2020", ""])
    assert report.warnings[0].text("es") == ("la posición -6,5; -76,4 queda fuera del distrito "
                                             "250101; se mantiene el ubigeo")
    table = report.warnings_table("es")
    assert list(table.columns) == ["fila", "columna", "mensaje"]
    assert table["mensaje"][0] == report.warnings[0].text("es")


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
    with pytest.raises(UnreadableFileError, match="no header row") as raised:
        read_localities(csv_bytes([["ubigeo", "year", "indicator", "value"]]), "r.csv")
    assert raised.value.text("es").startswith("r.csv: no se encontró una fila de encabezado")
