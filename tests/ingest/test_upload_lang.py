"""The page's validation report in the page's language: reasons, column names, file
errors, and the same report put into the other language without reading the file again."""

from unittest.mock import patch

from helpers import ROOT
from streamlit.testing.v1 import AppTest

from mapapp.ingest import datasets
from mapapp.ingest.results import read_results

BAD = ("Región;Provincia;Distrito;Año;Cadena de valor;Indicador;Valor\r\n"
       "San Martín;Tocache;Uchiza;2021;Cacao;Hectáreas instaladas;10\r\n"
       "San Martín;Tocache;Nowhere;2021;Cacao;Hectáreas instaladas;10\r\n"
       "Loreto;;;1999;coca;Familias apoyadas;-5\r\n"
       "Loreto;;;2021;;Familias apoyadas;diez\r\n").encode("cp1252")
ENGLISH = ["unknown district", "is outside", "unknown value chain", "is negative",
           "is not a number", "not split by"]
SPANISH = ["nombre de distrito desconocido", "está fuera de", "cadena de valor desconocida",
           "es negativo", "no es un número"]


def upload(app: AppTest, name: str, data: bytes) -> AppTest:
    return app.file_uploader(key="upload_results").set_value((name, data, "text/csv")).run()


def reasons_table(app: AppTest, column: str):
    return next(d.value for d in app.dataframe if column in d.value.columns)


def test_the_report_follows_the_pages_language_without_reading_again():
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    app.query_params["basemap"] = "none"
    app = upload(app.run(), "malo.csv", BAD)
    assert not app.exception
    table = reasons_table(app, "motivos")
    reasons = " ".join(table["motivos"])
    assert table["fila"].tolist() == [2, 3, 4]
    assert all(word in reasons for word in SPANISH), reasons
    assert not [word for word in ENGLISH if word in reasons], reasons
    with patch.object(datasets, "read_results", side_effect=AssertionError("read again")), \
            patch.dict(datasets._READERS, {"results": read_results}):
        app.sidebar.radio(key="w_lang").set_value("en").run()
    assert not app.exception
    table = reasons_table(app, "reasons")
    reasons = " ".join(table["reasons"])
    assert table["row"].tolist() == [2, 3, 4]
    assert all(word in reasons for word in ENGLISH[:5]) and "desconocid" not in reasons


def test_an_unreadable_file_is_explained_in_the_pages_language():
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    app = upload(app.run(), "notas.txt", b"just some notes\n")
    assert "no se encontró una fila de encabezado" in app.error[0].value
    app.sidebar.radio(key="w_lang").set_value("en").run()
    assert "no header row" in app.error[0].value


def test_upload_report_on_a_spanish_page_has_no_english_reason():
    """The report as the page shows it, and its download, in Spanish."""
    from mapapp import app as page

    report = read_results(BAD, "malo.csv")
    import weakref

    download = page._rejected_csv(weakref.ref(report), "es").decode("utf-8-sig")
    assert download.splitlines()[0].startswith("fila,") and "motivos" in download
    assert not [word for word in ENGLISH if word in download]
    assert all(word in download for word in SPANISH)
