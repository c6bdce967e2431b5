"""Hostile links and local faults on the page: a map is always drawn, a note or a
message says what was wrong, no traceback or server path reaches the browser."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest
import streamlit as st
from helpers import ROOT
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest
from test_app import map_payload, query, run_page

from mapapp.boundaries import geodata
from mapapp.ingest import limits
from mapapp.model.formatting import escape_markdown
from mapapp.model.view import URL_PARAMETERS, View
from mapapp.render import web_map

DEMO_YEARS = (2018, 2022)
CONFIG = tomllib.loads((ROOT / ".streamlit/config.toml").read_text())

# A value the page accepts, per parameter (the first of a repeated pair).
VALID = {"lang": "en", "level": "district", "indicator": "hectares", "measure": "share",
         "chain": "cacao", "years": "2019-2021", "dept": "22", "prov": "2210", "amazon": "1",
         "scheme": "natural_breaks", "k": "4", "palette": "Greens", "basemap": "none",
         "localities": "0", "labels": "0", "present": "1", "player": "1",
         "compare": "2018-2019,2021-2022", "data": "resultados"}
HOSTILE = {
    "empty": "",
    "100 kB": "x" * 100_000,
    "comma": ",",
    "commas": ",,",
    "arabic digits": "٢٠٢٠",
    "NUL": "\x00",
    "script": "<script>alert(1)</script>",
    "jinja": "{{7*7}}",
    "negative": "-1",
    "huge int": "9" * 60,
    "repeated": None,  # VALID, then ","
}


def quoted(text: str) -> str:
    """How a note quotes a value, as it reaches the page (markdown-escaped)."""
    return escape_markdown(repr(text if len(text) <= 40 else text[:40] + "…"))


def map_bounds(app: AppTest) -> list[float]:
    script = map_payload(app)["script"]
    corners = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", script, flags=re.S)[1]
    return [float(v) for v in re.findall(r"-?[\d.]+|NaN|-?Infinity", corners)]


def url_notes(app: AppTest) -> str:
    return " ".join(i.value for i in app.info if i.value.startswith(("Parámetros", "URL")))


def assert_drawn(app: AppTest) -> None:
    assert not app.exception
    bounds = map_bounds(app)
    assert len(bounds) == 4 and all(math.isfinite(b) for b in bounds)


def assert_url_is_a_valid_view(app: AppTest) -> None:
    shown = query(app)
    assert View.from_query(shown, DEMO_YEARS)[1] == []
    assert all(len(v) <= 200 for v in shown.values())


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize("name", URL_PARAMETERS)
def test_hostile_value_in_any_parameter_draws_the_map_with_a_note(name, case):
    value = HOSTILE[case] if case != "repeated" else [VALID[name], ","]
    app = run_page(**{name: value})
    assert_drawn(app)
    notes = url_notes(app)
    last = value[-1] if isinstance(value, list) else value
    assert f"{name}={quoted(last)}" in notes
    assert len(notes) < 400  # the 100 kB value is not repeated
    assert_url_is_a_valid_view(app)
    assert query(app).get(name) != last


@pytest.mark.parametrize("query_, note", [
    ({"prov": ","}, "prov=',': an empty item in the list"),
    ({"prov": "2210,2201", "level": "district"}, "prov='2210,2201': one province only"),
    ({"dept": "99"}, "dept='99': no department 99 in INEI 2007"),
    ({"dept": "22,,10"}, "dept='22,,10': an empty item in the list"),
    ({"dept": ""}, "dept='': empty"),
    ({"level": "district", "prov": "0000"}, "prov='0000': no province 0000 in INEI 2007"),
    ({"chain": "cacao,,cafe"}, "chain='cacao,,cafe': an empty item in the list"),
    ({"lang": "x" * 100_000},
     "lang='" + "x" * 40 + "…': 100,000 characters, more than the 200 allowed"),
    ({"years": "٢٠٢٠"}, "years='٢٠٢٠': write a year or a range like 2019-2021"),
    ({"k": "\x00"}, "k='\\x00': use 3 to 7"),
    ({"years": "3000"}, "years='3000': the data covers 2018–2022; showing every year"),
    ({"years": "1990-2000"}, "years='1990-2000': the data covers 2018–2022; showing every year"),
    ({"years": "2015-2020"}, "years='2015-2020': the data covers 2018–2022; showing 2018–2020"),
    ({"years": "2022-2030"}, "years='2022-2030': the data covers 2018–2022; showing 2022"),
])
def test_each_fault_is_named_in_its_note(query_, note):
    view, notes = View.from_query(query_, DEMO_YEARS)
    assert notes == [note]
    assert View.from_query(view.to_query(), DEMO_YEARS) == (view, [])


@pytest.mark.parametrize("query_, years", [
    ({"years": "3000"}, None),
    ({"years": "2015-2020"}, (2018, 2020)),
    ({"years": "2018-2022"}, None),  # the whole span is the default: no note
    ({"level": "district", "prov": "0102"}, None),  # El Parco has no shape; its province does
])
def test_views_that_fit_the_data_are_kept_or_narrowed(query_, years):
    view, _ = View.from_query(query_, DEMO_YEARS)
    assert view.years == years


@pytest.mark.parametrize("params, widget, value, shown", [
    ({"years": "3000"}, "w_years", (2018, 2022), "showing every year"),
    ({"years": "2015-2020"}, "w_years", (2018, 2020), "showing 2018–2020"),
    ({"dept": "99"}, "w_depts", [], "no department 99"),
    ({"level": "district", "prov": "0000"}, "prov", None, "no province 0000"),
])
def test_page_falls_back_and_says_what_it_shows(params, widget, value, shown):
    app = run_page(**params)
    assert_drawn(app)
    assert app.session_state[widget] == value
    assert escape_markdown(shown) in url_notes(app)
    assert_url_is_a_valid_view(app)


def test_the_note_goes_once_the_view_changes():
    app = run_page(k="99")
    assert "k=" in url_notes(app)
    app.sidebar.selectbox(key="w_indicator").set_value("hectares").run()
    assert url_notes(app) == ""


@pytest.fixture
def shapeless(monkeypatch):
    """Boundaries where the places under some codes lost their shapes (a damaged build)."""
    original = geodata.load_boundaries
    lost: list[str] = []

    def load(level, detail="screen"):
        frame = original(level, detail)
        gone = frame["ubigeo"].str.startswith(tuple(lost)) if lost else frame["ubigeo"] == ""
        return frame.assign(geometry=frame.geometry.where(~gone, None))

    monkeypatch.setattr(geodata, "load_boundaries", load)
    yield lost
    web_map._bounds.cache_clear()
    st.cache_resource.clear()  # layers built from the damaged shapes must not be reused


@pytest.mark.parametrize("lost, params, note", [
    ("2210", {"level": "district", "prov": "2210"}, "prov='2210': its districts have no shapes"),
    ("22", {"level": "province", "dept": "22,10"}, "no province shapes in the geodata for 22"),
    ("22", {"dept": "22"}, "no department shapes in the geodata for 22; showing all of Peru"),
])
def test_a_place_without_shapes_falls_back_to_a_drawn_map(shapeless, lost, params, note):
    shapeless.append(lost)
    app = run_page(**params)
    assert_drawn(app)
    assert escape_markdown(note) in url_notes(app)
    assert "prov" not in query(app) and "dept" not in query(app)


# --- local faults: a broken copy of geodata/, served through MAPAPP_GEODATA ----------

PAGE_IN_A_SUBPROCESS = """
import json, sys
from streamlit.testing.v1 import AppTest
app = AppTest.from_file(sys.argv[1], default_timeout=90).run()
kinds = ("error", "exception", "markdown", "info", "warning", "title", "caption")
print(json.dumps({"errors": [e.value for e in app.error],
                  "exceptions": [e.value for e in app.exception],
                  "text": [str(e.value) for kind in kinds for e in getattr(app, kind)]}))
"""


def page_on(geodata) -> tuple[dict, str]:
    """The page run headless on another geodata folder (a fresh process: fresh caches)."""
    done = subprocess.run(
        [sys.executable, "-c", PAGE_IN_A_SUBPROCESS, str(ROOT / "streamlit_app.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "MAPAPP_GEODATA": str(geodata),
             "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


def damage_manifest(geodata):
    (geodata / "manifest.json").write_text("{ not json")


def damage_demo(geodata):
    (geodata / "demo" / "results.csv").unlink()


@pytest.mark.parametrize("damage, shown, error, fix", [
    (damage_manifest, "$MAPAPP_GEODATA/manifest.json", "JSONDecodeError", "make geodata"),
    (damage_demo, "$MAPAPP_GEODATA/demo/results.csv", "FileNotFoundError", "make demo"),
])
def test_local_faults_show_the_file_and_the_fix_not_a_traceback(tmp_path, damage, shown,
                                                                error, fix):
    geodata = tmp_path / "geodata"
    shutil.copytree(ROOT / "geodata", geodata)
    damage(geodata)
    page, log = page_on(geodata)
    assert page["exceptions"] == []
    [message] = page["errors"]
    message = message.replace("\\", "")  # as shown: markdown unescaped
    assert shown in message and error in message and fix in message
    everything = json.dumps(page)
    assert "Traceback" not in everything and str(tmp_path) not in everything
    assert str(ROOT) not in everything
    assert "Traceback" in log and error in log  # the full error is in the server log


# --- server settings -----------------------------------------------------------------

@pytest.mark.parametrize("section, key, value", [
    ("server", "enableXsrfProtection", True),
    ("server", "enableCORS", True),  # Streamlit's name for CORS *protection*: keep it on
    ("server", "maxUploadSize", 50),
    ("server", "headless", True),
    ("client", "showErrorDetails", "none"),  # not false: that still sends the traceback
    ("client", "toolbarMode", "viewer"),
    ("browser", "gatherUsageStats", False),
])
def test_server_settings_a_deployment_must_keep(section, key, value):
    assert CONFIG[section][key] == value
    readme = (ROOT / "README.md").read_text()
    assert f"`{section}.{key}" in readme.split("### Settings a deployment must keep")[1]


def test_streamlit_reads_the_settings_as_written():
    done = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    for line in ('showErrorDetails = "none"', "enableCORS = true",
                 "enableXsrfProtection = true", "maxUploadSize = 50"):
        assert f"\n{line}\n" in done.stdout


def test_upload_limit_is_the_same_figure_everywhere():
    limit = CONFIG["server"]["maxUploadSize"]
    assert limits.MAX_BYTES == limit * 10**6  # a megabyte as the browser's uploader counts it
    assert f"uploads up to {limit} MB = {limits.MAX_BYTES:,} bytes" in (
        ROOT / "README.md").read_text()


def test_no_unsafe_html_in_the_app():
    sources = "".join(p.read_text() for p in (ROOT / "mapapp").glob("*.py"))
    assert "unsafe_allow_html" not in sources


@pytest.fixture
def production_errors():
    before = st_config.get_option("client.showErrorDetails")
    st_config.set_option("client.showErrorDetails", CONFIG["client"]["showErrorDetails"])
    yield
    st_config.set_option("client.showErrorDetails", before)


def test_an_unexpected_error_shows_no_details(production_errors, monkeypatch):
    from mapapp import app as page

    secret = f"boom in {ROOT}/mapapp/secret.py"

    def broken(*args, **kwargs):
        raise RuntimeError(secret)

    monkeypatch.setattr(page, "ranking", broken)
    app = run_page()
    [shown] = app.exception
    assert "redacted" in shown.message
    assert secret not in shown.message and not shown.stack_trace and not shown.proto.type
    assert str(ROOT) not in str(shown.proto)
