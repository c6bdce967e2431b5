"""Every rejection reason, warnings apart from errors, duplicates, conservation."""

import datetime as dt

import pytest
from helpers import csv_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapapp.ingest.results import read_results
from mapapp.model.i18n import t

HEADER = ["ubigeo", "department", "province", "district", "year", "value_chain",
          "indicator", "value"]
GOOD = ["220501", "", "", "", "2020", "cacao", "hectares", "10"]
NEXT_YEAR = str(dt.date.today().year + 1)


def validate(*rows: list[str]):
    return read_results(csv_bytes([HEADER, *rows]), "t.csv")


def row_with(**changes: str) -> list[str]:
    row = list(GOOD)
    for column, value in changes.items():
        row[HEADER.index(column)] = value
    return row


REJECTIONS = [  # (changes, column, English, Spanish)
    ({"ubigeo": "", "district": "Nowhere Town"}, "district", "unknown district 'Nowhere Town'",
     "nombre de distrito desconocido: 'Nowhere Town'"),
    ({"ubigeo": "", "district": "Santa Rosa"}, "district", "ambiguous district 'Santa Rosa'",
     "nombre de distrito ambiguo: 'Santa Rosa'"),
    ({"ubigeo": "229999"}, "ubigeo", "not a district in boundary edition INEI 2007",
     "no existe como distrito en la edición de límites INEI 2007"),
    ({"ubigeo": "1608"}, "ubigeo", "not a province in boundary edition INEI 2007",
     "no existe como provincia en la edición de límites INEI 2007"),
    ({"ubigeo": "22-05"}, "ubigeo", "is not a code of 2, 4 or 6 digits",
     "no es un código de 2, 4 o 6 dígitos"),
    ({"ubigeo": ""}, "ubigeo", "no place", "sin lugar"),
    ({"indicator": "happiness"}, "indicator", "unknown indicator 'happiness'",
     "indicador desconocido 'happiness'"),
    ({"indicator": ""}, "indicator", "indicator is empty", "el indicador está vacío"),
    ({"value_chain": "coca"}, "value_chain", "unknown value chain 'coca'",
     "cadena de valor desconocida 'coca'"),
    ({"indicator": "connected_localities"}, "value_chain", "not split by value chain",
     "no se divide por cadena de valor"),
    ({"value": "diez"}, "value", "'diez' is not a number", "el valor 'diez' no es un número"),
    ({"value": ""}, "value", "value is empty", "el valor está vacío"),
    ({"value": "-5"}, "value", "value -5 is negative", "el valor -5 es negativo"),
    ({"year": "1999"}, "year", "year 1999 is outside 2000", "el año 1999 está fuera de 2000"),
    ({"year": NEXT_YEAR}, "year", f"year {NEXT_YEAR} is outside",
     f"el año {NEXT_YEAR} está fuera de"),
    ({"year": "2020/21"}, "year", "is not a whole year", "no es un año entero"),
    ({"year": ""}, "year", "year is empty", "el año está vacío"),
    ({"indicator": "coca_free_share", "value_chain": "", "value": "101"}, "value",
     "above 100 %", "supera el 100 %"),
]


@pytest.mark.parametrize("changes, column, message, _es", REJECTIONS)
def test_each_rejection_names_row_column_and_reason(changes, column, message, _es):
    report = validate(GOOD, row_with(**changes))
    assert report.rows_total == 2 and report.rows_valid == 1 and report.rows_rejected == 1
    assert [(e.row, e.column) for e in report.errors] == [(2, column)]
    assert message in report.errors[0].message  # English, for logs
    assert report.rejected["row"].tolist() == [2]
    assert report.valid["row"].tolist() == [1]


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("changes, column, en, es", REJECTIONS)
def test_each_reason_in_the_readers_language(changes, column, en, es, lang):
    """The same report gives its reasons in Spanish or in English, in the issues and in
    the rejected-rows table (its row and reasons columns named in that language too)."""
    report = validate(GOOD, row_with(**changes))
    expected, other = (es, en) if lang == "es" else (en, es)
    assert expected in report.errors[0].text(lang)
    assert other not in report.errors[0].text(lang)
    table = report.rejected_table(lang)
    assert table[t("row", lang)].tolist() == [2]
    reason = table[t("reasons", lang)].iloc[0]
    assert reason.startswith(f"{column}: ") and expected in reason and other not in reason
    assert "\x1e" not in reason and "[" not in reason


@pytest.mark.parametrize("place, ubigeo", [
    ({"department": "San Martín"}, "22"),
    ({"department": "REGION SAN MARTIN"}, "22"),
    ({"department": "Lima Metropolitana"}, "15"),
    ({"province": "Leoncio Prado"}, "1006"),
    ({"department": "Huánuco", "province": "leoncio prado", "district": "Rupa-Rupa"}, "100601"),
    ({"department": "Junin", "district": "Santa Rosa de Sacco"}, "120808"),
    ({"department": "Loreto", "province": "Maynas", "district": "Punchana"}, "160108"),
    ({"province": "Coronel Portillo", "district": "Calleria"}, "250101"),
])
def test_names_resolve_to_the_ubigeo(place, ubigeo):
    report = validate(row_with(ubigeo="", **place))
    assert report.errors == []
    assert report.valid["ubigeo"].tolist() == [ubigeo]


def test_suggestion_for_a_misspelt_name():
    report = validate(row_with(ubigeo="", department="San Martín", province="Tocache",
                               district="Uchisa"))
    assert "did you mean 'Uchiza'" in report.errors[0].message


@pytest.mark.parametrize("changes, column, message", [
    ({"ubigeo": "10101", "value_chain": ""}, "ubigeo", "read as 010101"),
    ({"district": "Juanjui"}, "district", "does not match ubigeo 220501"),
    ({"indicator": "income_change_pct", "value_chain": "", "value": "250"}, "value",
     "please check"),
    ({"value": "1.234"}, "value", "read as 1.234 (decimal point); it could also mean 1234"),
])
def test_warnings_keep_the_row_and_explain(changes, column, message):
    report = validate(row_with(**changes))
    assert report.errors == [] and report.rows_valid == 1
    assert [(w.row, w.column) for w in report.warnings] == [(1, column)]
    assert message in report.warnings[0].message


def test_duplicate_counts_add_up_with_a_warning():
    report = validate(GOOD, GOOD)
    assert report.rows_valid == 2 and report.valid["value"].sum() == 20
    assert [(w.row, "as row 1" in w.message) for w in report.warnings] == [(2, True)]


def test_duplicate_percentage_is_rejected():
    share = row_with(indicator="coca_free_share", value_chain="", value="91")
    report = validate(share, share)
    assert [(e.row, "duplicate of row 1" in e.message) for e in report.errors] == [(2, True)]
    assert report.totals["coca_free_share"] == {"input": 182, "valid": 91, "rejected": 91}


def test_a_row_with_any_error_is_rejected_whole_in_wide_tables():
    rows = [["ubigeo", "year", "families_supported", "hectares"],
            ["220501", "2020", "12", "abc"], ["220501", "2021", "5", "7"]]
    report = read_results(csv_bytes(rows), "wide.csv")
    assert report.rows_rejected == 1 and report.valid["row"].tolist() == [2, 2]
    assert report.totals["families_supported"] == {"input": 17, "valid": 5, "rejected": 12}


CELL = st.one_of(
    st.sampled_from(["", "220501", "2205", "22", "229999", "1507", "abc", "10101"]),
    st.text(alphabet="0123456789.,-x ", max_size=8),
)
ROW = st.tuples(
    CELL,
    st.sampled_from(["2018", "2022", "1999", "", "x"]),
    st.sampled_from(["", "cacao", "Café", "coca"]),
    st.sampled_from(["hectares", "families_supported", "coca_free_share", "nope", ""]),
    st.one_of(st.text(alphabet="0123456789.,- ", max_size=9),
              st.floats(min_value=-1e6, max_value=1e6).map(str)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=25), sep=st.sampled_from([",", ";", "\t"]))
def test_every_row_is_accounted_for_and_totals_are_conserved(rows, sep):
    header = ["ubigeo", "year", "value_chain", "indicator", "value"]
    report = read_results(csv_bytes([header, *map(list, rows)], sep), "random.csv")
    blank = sum(all(c.strip() == "" for c in row) for row in rows)
    assert report.rows_total + blank == len(rows)
    assert report.rows_valid + report.rows_rejected == report.rows_total
    assert set(report.valid["row"]).isdisjoint(report.rejected["row"])
    assert len(set(report.valid["row"]) | set(report.rejected["row"])) == report.rows_total
    assert {e.row for e in report.errors} == set(report.rejected["row"])
    for totals in report.totals.values():
        assert totals["valid"] + totals["rejected"] == pytest.approx(totals["input"])
    by_indicator = report.valid.groupby("indicator")["value"].sum()
    for indicator, total in by_indicator.items():
        assert report.totals[indicator]["valid"] == pytest.approx(total)
