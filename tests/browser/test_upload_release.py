"""An upload, once read, leaves the server's file manager: the page must still say the
data is the user's, not that the file was lost (a real server, unlike AppTest, then
hands the uploader a DeletedFile)."""

from __future__ import annotations

import pytest
from test_page import wait_for

GONE = ("ya no está en el servidor", "no longer on the server")


@pytest.mark.parametrize("content, shown, text", [
    (b"ubigeo,year,value_chain,indicator,value\n220101,2021,cacao,hectares,500\n",
     "stAlertContentSuccess", "mis_datos.csv"),  # on the map
    (b"ubigeo,year,value_chain,indicator,value\n999999,2021,cacao,hectares,500\n",
     "stAlertContentError", ""),  # read, no valid row: the demo stays
], ids=["valid", "nothing-valid"])
def test_a_read_upload_is_not_taken_for_a_lost_one(offline, tmp_path, content, shown, text):
    view = offline()
    view.open("?basemap=none")
    (tmp_path / "mis_datos.csv").write_bytes(content)
    sidebar = view.sidebar()
    sidebar.get_by_text("Sus datos").click()
    sidebar.locator("input[type=file]").first.set_input_files(str(tmp_path / "mis_datos.csv"))
    message = view.page.get_by_test_id(shown)
    message.first.wait_for(timeout=30_000)
    sidebar.get_by_text("Solo Amazonía").click()  # a rerun: the uploader now holds no bytes
    view.page.wait_for_timeout(1500)
    wait_for(view.page, lambda: view.page.get_by_test_id("stStatusWidget").count() == 0)
    warnings = view.page.get_by_test_id("stAlertContentWarning").all_inner_texts()
    assert not [w for w in warnings if any(g in w for g in GONE)]
    assert text in message.first.inner_text()
    assert view.page.get_by_test_id("stException").count() == 0
    view.map_frame()
    assert view.errors == []


def test_the_downloads_of_an_upload_work_while_its_session_lives(offline, tmp_path):
    """They hold the upload weakly (so a closed session's data can go): while the
    session lives, they still make their files."""
    view = offline()
    view.open("?basemap=none")
    (tmp_path / "mis_datos.csv").write_bytes(
        b"ubigeo,year,value_chain,indicator,value\n220101,2021,,families_supported,321\n"
        b"999999,2021,,families_supported,5\n")
    sidebar = view.sidebar()
    sidebar.get_by_text("Sus datos").click()
    sidebar.locator("input[type=file]").first.set_input_files(str(tmp_path / "mis_datos.csv"))
    view.page.get_by_test_id("stAlertContentSuccess").wait_for(timeout=30_000)
    with view.page.expect_download(timeout=60_000) as rejected:
        view.page.get_by_text("Descargar filas rechazadas (CSV)").click()
    assert "999999" in rejected.value.path().read_text(encoding="utf-8-sig")
    with view.page.expect_download(timeout=60_000) as export:
        view.page.get_by_role("button", name="CSV", exact=True).click()
    table = export.value.path().read_text(encoding="utf-8-sig")
    assert "321" in table and "San Martín" in table
    assert view.errors == []
