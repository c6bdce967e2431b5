"""The Streamlit page, run headless with AppTest: widgets, state and URL parameters."""

import json
import re

import pytest
from helpers import ROOT
from streamlit.testing.v1 import AppTest

from mapapp.model import catalog
from mapapp.model.provenance import BOUNDARIES_ATTRIBUTION, DEMO_LABEL


def run_page(**query: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    for key, value in query.items():
        app.query_params[key] = value
    return app.run()


def query(app: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in app.query_params.items()}


def map_payload(app: AppTest) -> dict:
    element = next(e for e in app.main if type(e).__name__ == "UnknownElement"
                   and "st_folium" in e.proto.component_name)
    payload = json.loads(element.proto.json_args)
    payload["all"] = payload["script"] + (payload["feature_group"] or "")
    return payload


def texts(app: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "caption", "markdown", "warning", "info")
             for e in getattr(app, kind)]
    return re.sub(r"\\(\W)", r"\1", "\n".join(str(p) for p in parts))  # markdown escapes


@pytest.mark.parametrize("lang, title, families, goal", [
    ("es", "Desarrollo sostenible en la Amazonía peruana", "87.200 familias", "Meta 3"),
    ("en", "Sustainable development in the Peruvian Amazon", "87,200 families", "Goal 3"),
])
def test_page_shows_map_goals_and_demo_label_in_each_language(lang, title, families, goal):
    app = run_page(lang=lang)
    assert not app.exception
    assert app.title[0].value == title
    assert DEMO_LABEL[lang] in [w.value for w in app.warning]
    page = texts(app)
    assert families in page and goal in page and BOUNDARIES_ATTRIBUTION[lang] in page
    assert catalog.INDICATORS["families_supported"].label[lang] in [s.value for s in app.subheader]
    payload = map_payload(app)
    assert DEMO_LABEL[lang] in payload["all"]


@pytest.mark.parametrize("params, widget, value", [
    ({"level": "district"}, "w_level", "district"),
    ({"indicator": "hectares", "chain": "cacao"}, "w_chains", ["cacao"]),
    ({"years": "2019-2021"}, "w_years", (2019, 2021)),
    ({"dept": "22,10"}, "w_depts", ["22", "10"]),
    ({"basemap": "none"}, "w_basemap", "none"),
    ({"amazon": "1"}, "w_amazon", True),
    ({"scheme": "equal_interval", "measure": "share"}, "w_scheme", "equal_interval"),
])
def test_url_parameters_set_the_widgets(params, widget, value):
    app = run_page(**params)
    assert not app.exception
    assert app.session_state[widget] == value
    assert params.items() <= query(app).items()


def test_changing_a_widget_updates_the_url_and_the_map():
    app = run_page(basemap="none")
    before = map_payload(app)["all"]
    app.sidebar.selectbox(key="w_indicator").set_value("hectares").run()
    assert query(app)["indicator"] == "hectares"
    after = map_payload(app)["all"]
    assert "Hectáreas instaladas (ha)" in after and "Hectáreas instaladas" not in before
    app.sidebar.radio(key="w_level").set_value("province").run()
    assert query(app)["level"] == "province"


def test_language_switch_relabels_everything():
    app = run_page()
    app.sidebar.radio(key="w_lang").set_value("en").run()
    assert query(app)["lang"] == "en"
    assert app.title[0].value.startswith("Sustainable")
    assert "Families supported (families)" in map_payload(app)["all"]


def test_bad_url_parameters_are_reported_not_fatal():
    app = run_page(level="country", years="soon")
    assert not app.exception
    notes = " ".join(i.value for i in app.info)
    assert "level='country'" in notes and "years='soon'" in notes
    assert query(app)["level"] == "department"


def test_breadcrumb_goes_back_to_peru():
    app = run_page(level="district", prov="2210")
    labels = [b.label for b in app.button]
    assert labels[:3] == ["Perú", "› San Martín", "› Tocache"]
    next(b for b in app.button if b.label == "Perú").click().run()
    assert query(app)["level"] == "department" and "dept" not in query(app)


def test_presentation_mode_keeps_title_map_and_exit():
    app = run_page(present="1", lang="en")
    assert not app.exception
    assert app.title[0].value == "Families supported"
    assert any(b.label == "Leave presentation mode" for b in app.button)
    assert not [s for s in app.subheader if s.value == "Program goals"]
    next(b for b in app.button if b.label == "Leave presentation mode").click().run()
    assert "present" not in query(app)


def test_map_reruns_only_for_clicks():
    app = run_page()
    payload = map_payload(app)
    assert payload["returned_objects"] == ["last_active_drawing"]


def test_filters_narrow_the_goal_kpis_and_the_ranking():
    app = run_page(dept="22")
    page = texts(app)
    assert "Familias apoyadas: **33.159 familias**" in page  # San Martín's share of 87.200
    assert "38,0 % de ≈ 87.200 familias" in page
    assert "Hectáreas ex-coca libres de coca" in page  # headline results
    ranking = app.dataframe[0].value
    assert ranking.iloc[0]["Lugar"] == "San Martín" and len(ranking) == 1


UPLOAD = ("Región;Provincia;Distrito;Año;Cadena de valor;Indicador;Valor\r\n"
          "San Martín;Tocache;Uchiza;2021;Cacao;Hectáreas instaladas;1.234,5\r\n"
          "San Martín;Tocache;Nowhere;2021;Cacao;Hectáreas instaladas;10\r\n"
          "Loreto;;;2022;;Familias apoyadas;300\r\n").encode("cp1252")


def upload(app: AppTest, key: str, name: str, data: bytes) -> AppTest:
    return app.file_uploader(key=key).set_value((name, data, "text/csv")).run()


def test_upload_round_trip_replaces_demo_and_reports_rejected_rows():
    app = upload(run_page(basemap="none"), "upload_results", "mis_resultados.csv", UPLOAD)
    assert not app.exception
    assert not [w for w in app.warning if "demostración" in w.value]
    assert "mis\\_resultados\\.csv" in app.success[0].value
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Filas"], metrics["Válidas"], metrics["Rechazadas"]) == ("3", "2", "1")
    rejected = next(d.value for d in app.dataframe if "motivos" in d.value.columns)
    assert rejected["fila"].tolist() == [2] and "nombre de distrito desconocido: 'Nowhere'" in \
        rejected["motivos"][0]
    assert "Datos de demostración" not in map_payload(app)["all"]
    app.sidebar.selectbox(key="w_indicator").set_value("hectares").run()
    assert "1.234 ha" in map_payload(app)["all"]  # Uchiza's 1.234,5 ha reach the map
    next(b for b in app.button if b.label == "Volver a los datos de demostración").click().run()
    assert DEMO_LABEL["es"] in [w.value for w in app.warning]


def test_unreadable_upload_says_why_and_keeps_the_map():
    app = upload(run_page(), "upload_results", "notas.txt", b"just some notes\n")
    assert "no se encontró una fila de encabezado" in app.error[0].value
    assert DEMO_LABEL["es"] in [w.value for w in app.warning]


def test_localities_upload_shows_on_the_map():
    data = (b"name,lat,lon,year,connection_type\n"
            b"Puerto Test,-6.5,-76.4,2021,fixed\n")
    app = upload(run_page(basemap="none"), "upload_localities", "loc.csv", data)
    assert not app.exception
    assert "Puerto Test" in map_payload(app)["all"]


def test_a_long_report_shows_its_first_rows_and_offers_them_all_as_csv():
    """A table of a million rejected rows would stay on the server for the session's
    life: the page shows the first SHOWN_ROWS, the download has every row."""
    from mapapp.app import SHOWN_ROWS

    bad = SHOWN_ROWS + 5
    data = ("ubigeo,año,indicador,valor\n" + "220901,2021,families_supported,-1\n" * bad
            + "220901,2021,families_supported,7\n").encode()
    app = upload(run_page(basemap="none", lang="en"), "upload_results", "long.csv", data)
    assert not app.exception
    assert len(app.dataframe[0].value) == SHOWN_ROWS
    assert any(f"first {SHOWN_ROWS:,} of {bad:,} rows" in c.value for c in app.caption)


def test_goal_figures_come_with_a_chart_by_year_for_the_filtered_years():
    app = run_page(dept="22", years="2020-2022")
    charts = [e.proto for e in app.main if getattr(e, "type", "") == "vega_lite_chart"]
    figures = sum(len(ind.figures) for g in catalog.GOALS
                  for ind in catalog.indicators_for_goal(g.number))
    assert len(charts) == figures  # one per key figure (hectares: one per value chain)
    spec = json.loads(charts[0].spec)
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert charts[0].alt.startswith("Por año: 2020 ")  # the filtered years only
    assert "2019" not in charts[0].alt


def test_the_year_player_steps_through_years_with_a_link_per_year():
    app = run_page(years="2020-2022")
    app.toggle(key="w_player").set_value(True).run()
    assert query(app)["player"] == "1" and query(app)["years"] == "2020"
    app.button(key="w_year_forward").click().run()
    assert query(app)["years"] == "2021"
    assert "2021" in texts(app)  # the map's subtitle says which year
    app.button(key="w_year_back").click().run()
    app.button(key="w_year_back").click().run()
    assert query(app)["years"] == "2019"
    linked = run_page(player="1", years="2022")
    assert linked.select_slider(key="w_year").value == 2022
    assert linked.button(key="w_year_forward").disabled


def test_compare_maps_the_change_between_two_periods_with_a_link():
    app = run_page(indicator="hectares", lang="en")
    app.toggle(key="w_compare_on").set_value(True).run()
    app.slider(key="w_period_a").set_value((2018, 2019)).run()
    app.slider(key="w_period_b").set_value((2021, 2022)).run()
    assert query(app)["compare"] == "2018-2019,2021-2022"
    legend = map_payload(app)
    assert "change 2021–2022 minus 2018–2019" in json.dumps(legend, ensure_ascii=False)
    linked = run_page(indicator="hectares", compare="2018-2019,2021-2022")
    assert linked.toggle(key="w_compare_on").value
    assert linked.slider(key="w_period_b").value == (2021, 2022)
    assert "cambio 2021–2022 menos 2018–2019" in json.dumps(map_payload(linked),
                                                               ensure_ascii=False)


@pytest.mark.parametrize(("header", "asked"), [
    (None, False),
    ("streamlit, 2|a6f3|1795825219", False),  # a page load: the subprotocol, the XSRF token
    ("streamlit, 2|a6f3|1795825219, ", False),
    ("streamlit, 2|a6f3|1795825219, b3048193-a740-40e1-8bd0-4e3e362267a4", True),
])
def test_a_websocket_asking_to_resume_a_session_is_told_apart(header, asked):
    from mapapp.app import asked_to_resume

    assert asked_to_resume(header) is asked


@pytest.mark.parametrize(("lang", "resumed"), [("es", True), ("en", True), ("es", False)])
def test_a_page_whose_server_session_was_lost_says_to_repeat_the_last_change(
        monkeypatch, lang, resumed):
    """A replica died (or the server restarted) under the page: its first run elsewhere
    brings no widget values, so it shows the link's view and says so until it moves on."""
    from mapapp import app as page
    from mapapp.model.i18n import t

    monkeypatch.setattr(page, "asked_to_resume", lambda subprotocols: resumed)
    app = run_page(lang=lang, indicator="hectares")
    said = t("session_lost", lang) in [w.value for w in app.warning]
    assert said is resumed
    app.sidebar.selectbox(key="w_indicator").set_value("families_supported").run()
    assert t("session_lost", lang) not in [w.value for w in app.warning]
