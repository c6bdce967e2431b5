"""What the server keeps of an upload: only while its session lives, only the last one.

The root causes these tests pin down (bench/upload_memory.py measures the effect):
server-wide caches keyed by an upload's dataset, the dataset and its report in the
session state (which Streamlit keeps for a closed session until some later session
happens to expire it), the upload's bytes in the uploader's state and Streamlit's file
manager, download buttons whose callables held the data, and reading in the server
process itself (freed memory that its allocator keeps).
"""

from __future__ import annotations

import gc
import time
import weakref

import pytest
from helpers import ROOT
from streamlit.runtime import caching
from streamlit.runtime.uploaded_file_manager import DeletedFile
from streamlit.testing.v1 import AppTest

import mapapp.app as page
from mapapp.ingest import datasets
from mapapp.ingest.table import UnreadableFileError


def results_file(value: int) -> bytes:
    return ("ubigeo,year,value_chain,indicator,value\n"
            f"220101,2021,cacao,hectares,{value}\n"
            f"100101,2020,,families_supported,{value + 1}\n").encode()


@pytest.fixture
def tracked(monkeypatch):
    """Every layer built from uploaded data (weakly), and every download callable the
    page registers (strongly, as Streamlit's media file manager keeps them)."""
    layers: list[weakref.ref] = []
    downloads: list[object] = []
    demo = datasets.demo_dataset()
    real_build = page.build_layer

    def build(dataset, view, *args, **kwargs):
        layer = real_build(dataset, view, *args, **kwargs)
        if dataset is not demo:
            layers.append(weakref.ref(layer))
        return layer

    real_download = page.st.delta_generator.DeltaGenerator.download_button

    def download_button(self, label, data, *args, **kwargs):
        downloads.append(data)
        return real_download(self, label, data, *args, **kwargs)

    monkeypatch.setattr(page, "build_layer", build)
    monkeypatch.setattr(page.st.delta_generator.DeltaGenerator, "download_button",
                        download_button)
    monkeypatch.setattr(page, "RELEASE_GRACE_S", 0.0)
    return layers, downloads


def open_page() -> AppTest:
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    app.query_params["basemap"] = "none"
    return app.run()


def upload(app: AppTest, name: str, data: bytes) -> AppTest:
    app.file_uploader(key="upload_results").set_value((name, data, "text/csv")).run()
    assert not app.exception
    return app


def holder(app: AppTest) -> page.SessionData:
    """The session's data holder (in its session-scoped cache), found by its token."""
    token = app.session_state["data_token"]
    return next(o for o in gc.get_objects()
                if isinstance(o, page.SessionData) and o.token == token)


def end_session(data: page.SessionData) -> None:
    """What Streamlit does when the session's connection closes: empty its
    session-scoped caches (then the grace period, 0 s here, runs out)."""
    caching.clear_session_resource_cache(data.session_id)
    deadline = time.monotonic() + 10
    while not data.released and time.monotonic() < deadline:
        time.sleep(0.05)
    assert data.released
    gc.collect()


def test_an_upload_is_released_when_its_session_ends(tracked):
    layers, downloads = tracked
    app = upload(open_page(), "mine.csv", results_file(500))
    app.sidebar.selectbox(key="w_indicator").set_value("hectares").run()  # one more view
    data = holder(app)
    dataset, results = weakref.ref(data.dataset), weakref.ref(data.dataset.results)
    assert app.session_state["dataset"] == data.dataset.key  # only a marker in the state
    assert layers and all(ref() is not None for ref in layers)
    assert downloads  # the export buttons' callables, kept like Streamlit keeps them
    widget = app.session_state["upload_results"]  # the uploader's state: no bytes left
    assert isinstance(widget, DeletedFile) or widget.getvalue() == b""

    end_session(data)
    # The session state lingers (as Streamlit keeps a closed session's state), and so
    # do the download callables: neither keeps the upload, nor does any shared cache.
    assert dataset() is None and results() is None
    assert all(ref() is None for ref in layers)
    assert data.dataset is None and data.outcome is None


def test_a_session_back_after_its_data_was_released_shows_the_demo(tracked):
    app = upload(open_page(), "mine.csv", results_file(500))
    app.sidebar.checkbox(key="w_amazon").check().run()  # reruns keep the data
    assert "mine\\.csv" in app.success[0].value

    end_session(holder(app))
    app.sidebar.checkbox(key="w_amazon").uncheck().run()
    assert not app.exception
    assert not app.success  # no "Sus datos: mine.csv" over the demo
    assert "Datos de demostración" in " ".join(w.value for w in app.warning)
    assert "dataset" not in app.session_state


def test_uploads_in_a_row_keep_only_the_last(tracked):
    layers, _ = tracked
    app = open_page()
    previous: list[weakref.ref] = []
    for i in range(4):
        upload(app, f"file{i}.csv", results_file(100 + i))
        current = holder(app).dataset
        assert current.name == f"file{i}.csv"
        gc.collect()
        assert all(ref() is None for ref in previous)  # earlier uploads are gone
        previous.append(weakref.ref(current))
        del current
    assert sum(ref() is not None for ref in layers) == 1  # the last upload's view only


def test_back_to_demo_lets_the_upload_go(tracked):
    app = upload(open_page(), "mine.csv", results_file(500))
    dataset = weakref.ref(holder(app).dataset)
    next(b for b in app.button if b.label == "Volver a los datos de demostración").click().run()
    gc.collect()
    assert dataset() is None


@pytest.mark.parametrize("kind, data", [
    ("results", results_file(7)),
    ("localities", b"name,lat,lon,year,connection_type\nPuerto,-6.5,-76.4,2021,fixed\n"),
])
def test_reading_in_a_child_process_gives_the_same_report(monkeypatch, kind, data):
    monkeypatch.setattr(datasets, "CHILD_READ_BYTES", 0)
    here = datasets._READERS[kind](data, "f.csv")
    with datasets.spooled(data) as path:
        there = datasets.read_in_child(kind, path, "f.csv")
    assert (there.rows_total, there.rows_valid, there.rows_rejected) == \
        (here.rows_total, here.rows_valid, here.rows_rejected)
    assert there.valid.equals(here.valid)
    with pytest.raises(UnreadableFileError) as child_error:
        datasets.read_in_child(kind, b"just some notes\n", "notes.txt")
    with pytest.raises(UnreadableFileError) as own_error:
        datasets._READERS[kind](b"just some notes\n", "notes.txt")
    assert str(child_error.value) == str(own_error.value)


def test_the_page_reads_large_uploads_in_a_child(monkeypatch, tracked):
    calls = []
    real = datasets.read_in_child
    monkeypatch.setattr(datasets, "read_in_child",
                        lambda *args: calls.append(args[0]) or real(*args))
    monkeypatch.setattr(datasets, "CHILD_READ_BYTES", 0)
    app = upload(open_page(), "mine.csv", results_file(500))
    assert calls == ["results"]
    assert "mine\\.csv" in app.success[0].value
    assert {m.label: m.value for m in app.metric}["Válidas"] == "2"
