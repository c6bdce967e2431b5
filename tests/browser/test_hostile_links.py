"""Hostile links, foreign origins and a server restart, as a browser meets them."""

from __future__ import annotations

import http.client
import os
import subprocess
from urllib.parse import urlparse

import pytest
from conftest import ARTIFACTS, OfflinePage
from helpers import free_port, start_app
from test_page import wait_for

PERU = {"lat": (-19.0, 0.5), "lng": (-82.0, -68.0)}  # a box around the country


def map_center(frame) -> dict:
    """Where Leaflet looks: (0, 0) at the lowest zoom when fitBounds got NaN."""
    return frame.evaluate("""() => {
        const map = Object.values(window).find(v => v && v.latLngToContainerPoint && v._leaflet_id);
        const c = map.getCenter();
        return {lat: c.lat, lng: c.lng};
    }""")


def watch_console(view: OfflinePage) -> list[str]:
    messages: list[str] = []
    view.page.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    return messages


@pytest.mark.parametrize("name, query, note", [
    ("empty-province-list", "?prov=,", "prov=',': an empty item in the list"),
    ("unknown-department", "?dept=99", "dept='99': no department 99 in INEI 2007"),
    ("unknown-province", "?level=district&prov=0000", "prov='0000': no province 0000"),
    ("100kB-lang", "?lang=" + "x" * 100_000, "100,000 characters, more than the 200"),
])
def test_hostile_link_paints_a_map_of_peru_and_a_short_note(offline, name, query, note):
    view = offline()
    console = watch_console(view)
    frame = view.open(f"{query}&basemap=none" if query.startswith("?") else query)
    view.page.wait_for_timeout(1500)  # let the map settle on its bounds
    center = map_center(frame)
    assert PERU["lat"][0] < center["lat"] < PERU["lat"][1]
    assert PERU["lng"][0] < center["lng"] < PERU["lng"][1]
    alert = view.page.get_by_test_id("stAlertContentInfo").first
    alert.wait_for(timeout=30_000)
    assert note in alert.inner_text() and len(alert.inner_text()) < 400
    wait_for(view.page, lambda: len(view.page.url) < 300)  # rewritten to the view shown
    view.screenshot(f"hostile-link-{name}")
    assert view.errors == []
    assert not [m for m in console if "LatLng" in m or "NaN" in m]


# --- foreign origins (server.enableCORS = true: CORS protection on) -------------------

def request(server: str, path: str, headers: dict) -> http.client.HTTPResponse:
    address = urlparse(server)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("GET", path, headers=headers)
    return connection.getresponse()


WEBSOCKET = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
             "Sec-WebSocket-Protocol": "streamlit"}


@pytest.mark.parametrize("origin, opens", [("http://evil.example", False), (None, True)])
def test_a_foreign_page_cannot_open_a_session(server, origin, opens):
    origin = origin or server
    response = request(server, "/_stcore/stream", {**WEBSOCKET, "Origin": origin})
    assert (response.status == 101) is opens
    health = request(server, "/_stcore/health", {"Origin": origin})
    assert health.getheader("Access-Control-Allow-Origin") != "*"


# --- a server restart under a page that had uploaded data -----------------------------

def serve(port: int) -> subprocess.Popen:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS.parent / "server-restart.log", "a")
    process, _url = start_app(dict(os.environ), log, ("-m", "streamlit", "run", "streamlit_app.py"),
                              port=port)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


UPLOAD = ("Región;Provincia;Distrito;Año;Cadena de valor;Indicador;Valor\r\n"
          "San Martín;Tocache;Uchiza;2021;Cacao;Familias apoyadas;1200\r\n").encode("cp1252")


def test_after_a_restart_the_page_shows_the_labelled_demo_not_the_lost_upload(browser, tmp_path):
    port = free_port()
    process = serve(port)
    view = OfflinePage(browser, f"http://127.0.0.1:{port}")
    try:
        view.open("?basemap=none")
        (tmp_path / "mis_datos.csv").write_bytes(UPLOAD)
        sidebar = view.sidebar()
        sidebar.get_by_text("Sus datos").click()
        sidebar.locator("input[type=file]").first.set_input_files(str(tmp_path / "mis_datos.csv"))
        view.page.get_by_test_id("stAlertContentSuccess").wait_for(timeout=30_000)
        stop(process)
        process = serve(port)  # a new process: every session and upload is gone
        view.page.wait_for_timeout(3000)  # the page reconnects, showing its last picture
        sidebar.get_by_text("Solo Amazonía").click()  # the next click starts a new session
        # The new session shows the demo, labelled, and never "Sus datos" over a broken map.
        # (It also says the upload is gone when the browser still reports the file; whether
        # it does after the file was let go depends on timing, so that is not asserted.)
        warning = view.page.get_by_test_id("stAlertContentWarning")
        wait_for(view.page, lambda: any("Datos de demostración" in text
                                        for text in warning.all_inner_texts()))
        assert view.page.get_by_test_id("stAlertContentSuccess").count() == 0  # no "Sus datos"
        view.map_frame()
        view.page.wait_for_timeout(1000)
        view.screenshot("restart-upload-gone")
        assert view.errors == []
    finally:
        view.close()
        stop(process)
