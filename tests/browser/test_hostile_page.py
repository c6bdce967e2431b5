"""Names from files stay text in the browser: no dialog, no script, no template, the
literal shows."""

from test_page import wait_for

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
# Evaluated by branca before the fix (tests/render/test_template_safety.py).
JINJA = "X{{7*7}}X{% broken"


def test_hostile_names_show_as_text_and_run_nothing(offline):
    view = offline()
    dialogs: list[str] = []
    view.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    view.open("?basemap=none&lang=en")
    sidebar = view.sidebar()
    sidebar.get_by_text("Your data").click()
    uploads = sidebar.locator("input[type=file]")
    results = (f"Departamento,Provincia,Distrito,Año,Indicador,Valor,{IMG}\n"
               f"San Martín,Tocache,Uchiza,2021,families_supported,12,{SCRIPT}\n"
               f"San Martín,Tocache,{SCRIPT},2021,families_supported,5,x\n").encode()
    uploads.nth(0).set_input_files(files=[{"name": f"{IMG}.csv", "mimeType": "text/csv",
                                           "buffer": results}])
    success = view.page.get_by_test_id("stAlertContentSuccess")
    success.wait_for(timeout=30_000)
    assert success.inner_text().endswith(f"{IMG}.csv")
    view.page.wait_for_timeout(1500)  # the rerun has started (and shows its status) …
    view.idle()  # … and settled before the next upload
    localities = ("name,lat,lon,year,connection_type\n"
                  f"\"{SCRIPT}{IMG}{JINJA}\",-8.4,-76.4,2021,fixed\n").encode()
    uploads.nth(1).set_input_files(files=[{"name": "loc.csv", "mimeType": "text/csv",
                                           "buffer": localities}])
    try:
        wait_for(view.page, lambda: view.map_frame().locator(".locality").count() == 1)
    except AssertionError:
        view.screenshot("hostile-names-no-locality")
        alerts = view.page.get_by_test_id("stAlert").all_inner_texts()
        raise AssertionError(f"no locality on the map; the page says {alerts}; "
                             f"{view.diagnose()}") from None
    frame = view.map_frame()
    frame.locator(".locality").dispatch_event("click")  # Leaflet opens the popup on click
    popup = frame.locator(".locality-popup")
    popup.wait_for(timeout=10_000)
    assert popup.inner_text().startswith(SCRIPT + IMG + JINJA)
    assert popup.locator("img, script").count() == 0
    view.page.wait_for_timeout(1000)
    view.screenshot("hostile-names")
    assert dialogs == [] and view.errors == []
    assert view.page.locator("img[src=x]").count() == 0
