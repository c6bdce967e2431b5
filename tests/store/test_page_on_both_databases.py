"""The page reads published versions the same way from SQLite and from PostgreSQL
(tests/test_publishing.py has the page's cases, on SQLite)."""

import re

from helpers import ROOT, csv_bytes
from streamlit.testing.v1 import AppTest

from mapapp.ingest.results import read_results
from mapapp.store import FileInfo, Store


def publish(store: Store, families: int) -> None:
    data = csv_bytes([["ubigeo", "year", "indicator", "value"],
                      ["220901", 2021, "families_supported", families]])
    store.publish("resultados", "Resultados", read_results(data, "r.csv"),
                  FileInfo.of(data, "r.csv"), by="ana")


def families_on_page(ref: str) -> str:
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    app.query_params.update(lang="es", data=ref)
    app.run()
    assert not app.exception
    text = "\n".join(str(e.value) for e in [*app.markdown, *app.caption])
    return re.search(r"([\d.]+) familias", text.replace("\\", "")).group(1)


def test_each_version_shows_its_own_figures(url, monkeypatch):
    monkeypatch.setenv("MAPAPP_DATABASE_URL", url)
    store = Store(url)
    publish(store, 1200)
    publish(store, 5000)
    assert families_on_page("resultados@1") == "1.200"
    assert families_on_page("resultados") == "5.000"
