"""What only a browser shows: the map paints offline, clicks drill down, modes look right."""

from urllib.parse import parse_qs, urlparse

import pytest
from conftest import ARTIFACTS


def query_of(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def wait_for(page, predicate, timeout_s: float = 30) -> None:
    for _ in range(int(timeout_s * 4)):
        if predicate():
            return
        page.wait_for_timeout(250)
    raise AssertionError("condition not met in time")


def test_map_paints_with_no_internet_and_asks_for_nothing_outside(offline):
    view = offline()
    frame = view.open("?basemap=none")
    assert frame.locator(".map-notice").inner_text().startswith("Datos de demostración")
    assert "INEI (2007)" in frame.locator(".map-source").inner_text()
    assert frame.locator(".locality-cluster, .locality").count() > 0
    view.page.wait_for_timeout(1000)
    view.screenshot("offline-department-es")
    assert view.blocked == [] and view.errors == []


# Records, per canvas path with a ubigeo (places and circles), the style it was first
# drawn with and in which canvas redraw; and delays the neighbouring countries' shapes,
# so that a runtime which draws the places before it has their style would show it.
WATCH_DRAWS = """(() => {
  const record = {redraws: 0, first: {}, placeRedraw: null, circleRedraw: null,
                  placeTime: null};
  window.__draws = record;
  const fetch = window.fetch;
  window.fetch = function (url) {
    const response = fetch.apply(this, arguments);
    return /context[.]json/.test(String(url))
      ? response.then((r) => new Promise((done) => setTimeout(() => done(r), 600)))
      : response;
  };
  let real;
  Object.defineProperty(window, "L", {configurable: true, get() { return real; },
    set(value) {
      real = value;
      if (!value || !value.Canvas || value.Canvas.prototype.__watched) { return; }
      const proto = value.Canvas.prototype;
      proto.__watched = true;
      const redraw = proto._redraw;
      proto._redraw = function () { record.redraws += 1; return redraw.apply(this, arguments); };
      const fillStroke = proto._fillStroke;
      proto._fillStroke = function (ctx, layer) {
        const props = layer.feature && layer.feature.properties;
        if (props && props.ubigeo) {
          const circle = layer instanceof value.CircleMarker;
          const id = value.stamp(layer);
          if (!(id in record.first)) {
            record.first[id] = {fill: layer.options.fillColor,
                                dash: layer.options.dashArray || null};
          }
          if (circle && record.circleRedraw === null) { record.circleRedraw = record.redraws; }
          if (!circle && record.placeRedraw === null) {
            record.placeRedraw = record.redraws;
            record.placeTime = performance.now();
          }
        }
        return fillStroke.apply(this, arguments);
      };
    }});
})();"""

DRAW_REPORT = """() => {
  const draws = window.__draws, layers = window.mapappBase.places.getLayers();
  const restyled = layers.filter((l) => {
    const first = draws.first[L.stamp(l)];
    return first && (first.fill !== l.options.fillColor
                     || first.dash !== (l.options.dashArray || null));
  });
  return {styled: window.mapappStyled, placeTime: draws.placeTime,
          placeRedraw: draws.placeRedraw, circleRedraw: draws.circleRedraw,
          ids: layers.map((l) => L.stamp(l)),
          drawn: layers.filter((l) => L.stamp(l) in draws.first).length,
          restyled: restyled.map((l) => l.feature.properties.ubigeo),
          fills: [...new Set(layers.map((l) => l.options.fillColor))]};
}"""


def test_the_first_frame_is_already_styled_and_a_change_restyles_the_same_shapes(offline):
    """Places are first drawn in the view's style, circles in the same canvas frame, even
    when other shapes arrive late; window.mapappStyled marks that frame, once."""
    view = offline()
    view.page.add_init_script(WATCH_DRAWS)
    frame = view.open("?basemap=none&localities=0")
    wait_for(view.page, lambda: frame.evaluate("typeof window.mapappStyled === 'number'"))
    first = frame.evaluate(DRAW_REPORT)
    assert len(first["ids"]) == 25 and first["drawn"] == 25
    assert first["restyled"] == []  # no place drawn in a default style, then restyled
    assert first["placeRedraw"] == first["circleRedraw"]
    assert first["placeTime"] <= first["styled"]
    sidebar = view.sidebar()
    sidebar.get_by_test_id("stSelectbox").first.click()
    view.page.get_by_role("option", name="Hectáreas ex-coca libres de coca", exact=True).click()
    wait_for(view.page, lambda: "ex-coca" in view.map_frame().locator(".map-legend").inner_text())
    frame = view.map_frame()
    wait_for(view.page, lambda: len(frame.evaluate(DRAW_REPORT)["fills"]) >= 3)
    after = frame.evaluate(DRAW_REPORT)
    assert after["ids"] == first["ids"]  # the same shapes, restyled: none sent again
    assert after["styled"] == first["styled"]
    assert view.errors == []


def test_unreachable_tile_server_does_not_break_the_page(offline):
    view = offline()
    frame = view.open("")  # default basemap: light tiles, blocked here
    assert "Familias apoyadas (familias)" in frame.locator(".map-legend").inner_text()
    assert view.blocked and all("cartocdn" in url for url in view.blocked)
    assert view.errors == []


def test_english_labels(offline):
    view = offline()
    frame = view.open("?lang=en&basemap=none")
    assert "Families supported (families)" in frame.locator(".map-legend").inner_text()
    assert view.page.get_by_text("Program goals").is_visible()
    assert frame.locator(".map-notice").inner_text() == "Demo data — illustrative distribution"
    view.screenshot("offline-department-en")


def test_indicator_filter_changes_legend_and_values(offline):
    view = offline()
    frame = view.open("?basemap=none&localities=0")
    before = frame.locator(".map-legend").inner_text()
    sidebar = view.sidebar()
    sidebar.get_by_test_id("stSelectbox").first.click()
    view.page.get_by_role("option", name="Hectáreas instaladas", exact=True).click()
    wait_for(view.page, lambda: query_of(view.page).get("indicator") == "hectares")
    wait_for(view.page, lambda: "Hectáreas instaladas (ha)" in view.map_frame().locator(
        ".map-legend").inner_text())
    after = view.map_frame().locator(".map-legend").inner_text()
    assert after != before and "familias" not in after
    view.page.wait_for_timeout(1500)  # the map animates to its new bounds
    view.screenshot("filter-hectares")


def test_clicking_a_department_drills_down_and_back(offline):
    view = offline()
    frame = view.open("?basemap=none&labels=0&localities=0")
    view.page.wait_for_timeout(1500)  # let the map settle on its bounds
    x, y = frame.evaluate("""() => {
        const map = Object.values(window).find(v => v && v.latLngToContainerPoint && v._leaflet_id);
        const p = map.latLngToContainerPoint([-7.0, -76.7]);  // inside San Martín
        return [p.x, p.y];
    }""")
    box = view.page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    view.page.mouse.click(box["x"] + x, box["y"] + y)
    wait_for(view.page, lambda: query_of(view.page).get("level") == "province")
    assert query_of(view.page)["dept"] == "22"
    view.map_frame()
    # the URL changes in the script run that draws the breadcrumb: wait for both
    view.page.get_by_role("button", name="› San Martín").wait_for(state="visible",
                                                                   timeout=30_000)
    view.page.wait_for_timeout(1500)
    view.screenshot("drilled-down-san-martin")
    view.page.get_by_role("button", name="Perú").click()
    wait_for(view.page, lambda: query_of(view.page).get("level") == "department")
    assert "dept" not in query_of(view.page)


@pytest.mark.parametrize("lang, title", [("es", "Familias apoyadas"),
                                         ("en", "Families supported")])
def test_presentation_mode_hides_controls_in_a_16_9_frame(offline, lang, title):
    view = offline(width=1600, height=1000)
    view.open(f"?present=1&basemap=none&lang={lang}")
    assert not view.page.get_by_test_id("stSidebar").is_visible()
    assert view.page.get_by_role("heading", name=title).is_visible()
    box = view.page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    assert box["width"] / box["height"] == pytest.approx(16 / 9, rel=0.03)
    view.page.wait_for_timeout(800)
    view.screenshot(f"presentation-{lang}")


UPLOAD = ("Región;Provincia;Distrito;Año;Cadena de valor;Indicador;Valor\r\n"
          "San Martín;Tocache;Uchiza;2021;Cacao;Familias apoyadas;1.200\r\n"
          "Loreto;Maynas;Nowhere;2021;Cacao;Familias apoyadas;10\r\n").encode("cp1252")


def test_upload_round_trip_maps_the_users_data(offline, tmp_path):
    view = offline()
    view.open("?basemap=none")
    path = tmp_path / "mis_resultados.csv"
    path.write_bytes(UPLOAD)
    sidebar = view.sidebar()
    sidebar.get_by_text("Sus datos").click()
    sidebar.locator("input[type=file]").first.set_input_files(str(path))
    view.page.get_by_text("Filas rechazadas (número").wait_for(timeout=30_000)
    assert view.page.get_by_test_id("stAlertContentSuccess").inner_text().endswith(
        "mis_resultados.csv")
    wait_for(view.page, lambda: view.map_frame().locator(".map-notice").inner_text() == "")
    legend = view.map_frame().locator(".map-legend").inner_text()
    assert "Familias apoyadas (familias)" in legend and "1.200" in legend
    view.page.wait_for_timeout(1000)
    view.screenshot("upload-report")
    assert view.blocked == []


def test_png_download_from_the_page(offline):
    view = offline()
    view.open("?basemap=none&lang=en")
    with view.page.expect_download(timeout=60_000) as download:
        view.page.get_by_role("button", name="PNG", exact=True).click()
    saved = download.value.path()
    from PIL import Image

    assert Image.open(saved).size == (1920, 1080)
    assert download.value.suggested_filename == "families_supported_department_en.png"


EXPORT_URL = "http://export.invalid/map.html"


def test_the_standalone_html_export_draws_styled_with_no_network(browser):
    """One file, opened with every request refused: Leaflet, the runtime and the shapes
    are inlined; the places come up styled, with circles, labels, localities, legend."""
    from mapapp.analysis.layer import build_layer
    from mapapp.ingest.datasets import demo_dataset
    from mapapp.model.view import View
    from mapapp.render.exports import standalone_html

    page_html = standalone_html(build_layer(demo_dataset(), View(basemap="none")))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        requests, errors = [], []

        def route(route):  # the file itself, as if opened from disk; nothing else
            if route.request.url == EXPORT_URL:
                route.fulfill(status=200, body=page_html, content_type="text/html")
            else:
                requests.append(route.request.url)
                route.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.add_init_script(WATCH_DRAWS)
        page.goto(EXPORT_URL)
        wait_for(page, lambda: page.evaluate("typeof window.mapappStyled === 'number'"))
        report = page.evaluate(DRAW_REPORT)
        assert len(report["ids"]) == 25 and report["restyled"] == []
        assert report["placeRedraw"] == report["circleRedraw"]
        assert "Familias apoyadas (familias)" in page.locator(".map-legend").inner_text()
        assert page.locator(".map-label").count() > 0
        assert page.locator(".locality-cluster, .locality").count() > 0
        page.wait_for_timeout(800)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "export-html.png"))
        assert requests == [] and errors == []
    finally:
        context.close()


@pytest.mark.parametrize("lang, heading", [("es", "cambio 2021–2022 menos 2018–2019"),
                                           ("en", "change 2021–2022 minus 2018–2019")])
def test_compare_mode_from_a_link_shows_the_change_in_diverging_colours(offline, lang, heading):
    view = offline()
    frame = view.open(f"?lang={lang}&indicator=hectares&compare=2018-2019,2021-2022"
                      "&basemap=none&localities=0")
    assert heading in frame.locator(".map-legend").inner_text()
    swatches = frame.locator(".map-legend .swatch:not(.nodata)")
    colours = [swatches.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
               for i in range(swatches.count())]
    assert colours[0] != colours[-1] and len(colours) == 5  # red … neutral … blue
    view.page.wait_for_timeout(1000)
    view.screenshot(f"compare-{lang}")
    assert view.errors == []
