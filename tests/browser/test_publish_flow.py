"""Issue 13's acceptance flow, end to end: a publisher logs in at a real OpenID Connect
provider process (oidc-provider-mock), uploads results in the browser, publishes them as
a new version, sees the audit say so, and anyone's link to ``@N`` keeps its version.
The real page (``python -m mapapp serve``), Streamlit's real login and cookie, a
SQLite store of the test's own; no ``st.user`` is faked."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

from conftest import OfflinePage
from oidc import free_port, login, oidc_provider, streamlit_server, write_auth_secrets
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from mapapp.ingest.results import read_results
from mapapp.store import FileInfo, Store

EMAIL = "ana@example.org"
FIRST = "admin@example.org"  # who published version 1, outside the page
WAIT_MS = 30_000
OUTSIDE = {"cdn.jsdelivr.net", "a.basemaps.cartocdn.com", "b.basemaps.cartocdn.com",
           "c.basemaps.cartocdn.com", "d.basemaps.cartocdn.com"}


def results_csv(families: int) -> bytes:
    """Families supported in two San Martín districts in 2021: ``families`` + 100."""
    return (f"ubigeo,year,indicator,value\r\n220901,2021,families_supported,{families}\r\n"
            "221001,2021,families_supported,100\r\n").encode()


def data_param(page) -> list[str] | None:
    return parse_qs(urlparse(page.url).query).get("data")


def families(view: OfflinePage, figure: str):
    """The goals panel's families figure as the page writes it (es: ``5.100 familias``),
    once the rest of the page (drawn after the map reports) is there."""
    view.map_frame()
    shown = view.page.get_by_text(re.compile(rf"(^|\D){re.escape(figure)} familias"))
    expect(shown.first).to_be_visible(timeout=WAIT_MS)
    view.idle()
    return shown


def field(form, label: str):
    """A text field by its label (``get_by_label`` also finds the label's help button)."""
    return form.get_by_role("textbox", name=label, exact=True)


def log_tail(path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else "(no log)"


def test_a_publisher_logs_in_publishes_from_the_browser_and_links_keep_versions(
        browser, tmp_path):
    database = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = Store(database)
    first = results_csv(1200)
    store.publish("resultados", "Resultados T3", read_results(first, "t3.csv"),
                  FileInfo.of(first, "t3.csv"), by=FIRST)
    upload = tmp_path / "resultados_t4.csv"
    upload.write_bytes(results_csv(5000))
    port = free_port()
    server_log, provider_log = tmp_path / "streamlit.log", tmp_path / "oidc.log"
    with oidc_provider(log=provider_log) as issuer:
        secrets_file = write_auth_secrets(tmp_path / "secrets", issuer, port,
                                          mapapp={"publishers": ["@example.org"]})
        env = {"MAPAPP_DATABASE_URL": database, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        with streamlit_server(None, port, secrets_file, log=server_log, env=env) as url:
            view = OfflinePage(browser, url)
            page = view.page
            viewers: list[OfflinePage] = []
            try:
                # --- logged out: the latest version, a log-in button, nothing to manage
                view.open("?data=resultados&lang=es&basemap=none")
                bar = view.sidebar()
                families(view, "1.300")
                expect(bar.get_by_text("Gestionar datos publicados")).to_have_count(0)
                bar.get_by_role("button", name="Iniciar sesión", exact=True).click()

                # --- at the provider, and back: the e-mail and the role in the sidebar
                page.get_by_placeholder("sub").wait_for(timeout=WAIT_MS)
                assert page.url.startswith(f"{issuer}/oauth2/authorize?"), page.url
                login(page, EMAIL)
                assert urlparse(page.url).netloc == urlparse(url).netloc, page.url
                view.map_frame()
                bar = view.sidebar()
                expect(bar.get_by_text(f"{EMAIL} · publicador")).to_be_visible(timeout=WAIT_MS)
                expect(bar.get_by_role("button", name="Cerrar sesión")).to_be_visible()
                view.idle()
                view.screenshot("publish-flow-1-logged-in")

                # --- upload, the report, the publish form
                bar.get_by_text("Sus datos", exact=True).click()
                bar.locator("input[type=file]").first.set_input_files(str(upload))
                report = page.get_by_test_id("stExpander").filter(
                    has_text="Informe de validación: resultados_t4.csv")
                expect(report).to_be_visible(timeout=WAIT_MS)
                form = page.get_by_test_id("stForm")
                expect(form).to_be_visible(timeout=WAIT_MS)
                view.idle()
                name = field(form, "Nombre del conjunto (en el enlace)")
                expect(name).to_have_value("resultados-t4")  # suggested from the file name
                name.fill("resultados")
                field(form, "Título").fill("Resultados T4")
                field(form, "Nota (opcional)").fill("cuarto trimestre")
                form.get_by_role("button", name="Publicar", exact=True).click()

                # --- the page shows the new version, and its link
                banner = page.get_by_test_id("stAlertContentSuccess").filter(
                    has_text="Datos publicados: Resultados T4")
                expect(banner).to_be_visible(timeout=WAIT_MS)
                expect(page.get_by_text(re.compile(
                    rf"resultados@2 · publicado por {re.escape(EMAIL)}"))).to_be_visible(
                    timeout=WAIT_MS)
                page.wait_for_url(lambda u: parse_qs(urlparse(u).query).get("data")
                                  == ["resultados"], timeout=WAIT_MS)
                families(view, "5.100")
                expect(page.get_by_test_id("stForm")).to_have_count(0)  # the upload went
                view.screenshot("publish-flow-2-published")
                versions = store.versions("resultados")
                assert [(v.version, v.title, v.published_by, v.note) for v in versions] == [
                    (1, "Resultados T3", FIRST, ""),
                    (2, "Resultados T4", EMAIL, "cuarto trimestre")], versions

                # --- the audit: both publications, who and what
                bar = view.sidebar()
                bar.get_by_text("Gestionar datos publicados", exact=True).click()
                manage = bar.get_by_test_id("stExpander").filter(
                    has_text="Gestionar datos publicados")
                expect(manage.get_by_text("Registro de cambios")).to_be_visible(timeout=WAIT_MS)
                table = manage.get_by_test_id("stDataFrame")
                expect(table).to_be_visible(timeout=WAIT_MS)
                view.idle()
                rows = audit_rows(view, table, 2)
                assert [(r["quién"], r["qué"], r["conjunto"]) for r in rows] == [
                    (EMAIL, "publish", "resultados@2"),
                    (FIRST, "publish", "resultados@1")], rows
                view.screenshot("publish-flow-3-audit")  # the audit, full screen
                page.keyboard.press("Escape")
                assert [(e.actor, e.action, e.version) for e in store.audit()] == [
                    (EMAIL, "publish", 2), (FIRST, "publish", 1)]

                # --- someone else, not logged in: a link to @1 keeps version 1
                viewer = OfflinePage(browser, url)
                viewers.append(viewer)
                viewer.open("?data=resultados@1&lang=es&basemap=none")
                families(viewer, "1.300")
                expect(viewer.page.get_by_text(re.compile(
                    r"resultados@1 · publicado por"))).to_be_visible(timeout=WAIT_MS)
                assert "5.100 familias" not in viewer.page.inner_text("body")
                assert data_param(viewer.page) == ["resultados@1"], viewer.page.url
                bar = viewer.sidebar()
                expect(bar.get_by_role("button", name="Iniciar sesión")).to_be_visible()
                expect(bar.get_by_text("Gestionar datos publicados")).to_have_count(0)
                viewer.screenshot("publish-flow-4-link-at-1")
                viewer.open("?data=resultados&lang=es&basemap=none")  # the latest version
                families(viewer, "5.100")
                expect(viewer.page.get_by_text(re.compile(
                    r"resultados@2 · publicado por"))).to_be_visible(timeout=WAIT_MS)

                assert view.errors == [] and viewer.errors == [], (view.errors, viewer.errors)
                assert viewer.blocked == [], viewer.blocked  # nothing outside
                # the publisher's page: the mock's CDN stylesheet (its form works without
                # it), and the default basemap's tiles of the page "/" the login ends on
                assert all(urlparse(b).hostname in OUTSIDE for b in view.blocked), view.blocked
            except Exception:
                view.screenshot("publish-flow-failed")
                for viewer in viewers:
                    viewer.screenshot("publish-flow-failed-viewer")
                print(f"--- page errors: {view.errors}; console: {view.console[-10:]}\n"
                      f"--- streamlit log:\n{log_tail(server_log)}\n"
                      f"--- oidc log:\n{log_tail(provider_log)}")
                raise
            finally:
                for each in (view, *viewers):
                    each.close()
                store.close()


def audit_rows(view: OfflinePage, table, rows: int) -> list[dict[str, str]]:
    """The audit table's rows as the page shows them, once it shows ``rows`` of them.
    The data grid draws on a canvas; the cells it shows are also in the page for screen
    readers, but only the columns in view: the table goes full screen first, as a person
    in a narrow sidebar would."""
    # Its toolbar shows while the mouse is on the table; a rerun that moves the table
    # leaves the mouse elsewhere (and a click never moves it onto a covered button):
    # the mouse goes there again until the click lands.
    button = table.get_by_role("button", name="Fullscreen")
    for attempt in range(5):
        table.scroll_into_view_if_needed()
        table.hover()
        try:
            button.click(timeout=5_000)
            break
        except PlaywrightTimeout:
            if attempt == 4:
                raise
            view.idle()
    header = table.locator("table[role=grid] th[role=columnheader]")
    body = table.locator("table[role=grid] tbody tr[role=row]")
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:  # the grid's screen-reader table comes a moment after its canvas
        titles = [c.strip() for c in header.all_text_contents()]
        if body.count() >= rows and {"quién", "qué", "conjunto"} <= set(titles):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"the audit table never showed {rows} rows: {titles}, "
                                 f"{body.all_text_contents()}")
        view.page.wait_for_timeout(200)
    view.idle()
    return [dict(zip(titles, [c.strip() for c in row.locator("td").all_text_contents()],
                     strict=True)) for row in body.all()]
