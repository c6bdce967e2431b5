"""Map first: a session's first run draws the header and the map, and the rest of the
page once the map reports its first styled frame (or after MAP_WAIT_S)."""

import pytest
from helpers import ROOT
from streamlit.testing.v1 import AppTest

from mapapp import app as page


@pytest.fixture
def calls(monkeypatch):
    """The order in which the page draws the map and the sidebar, run by run."""
    seen: list[str] = []
    real_map, real_sidebar = page.st_folium, page.sidebar

    def st_folium(*args, **kwargs):
        seen.append("map")
        return real_map(*args, **kwargs)

    def sidebar(*args, **kwargs):
        seen.append("sidebar")
        return real_sidebar(*args, **kwargs)

    monkeypatch.setattr(page, "st_folium", st_folium)
    monkeypatch.setattr(page, "sidebar", sidebar)
    monkeypatch.setattr(page, "MAP_WAIT_S", 0.3)
    return seen


def open_page(**query) -> AppTest:
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    for name, value in {"basemap": "none", **query}.items():
        app.query_params[name] = value
    return app


@pytest.mark.parametrize("query", [{}, {"present": "1"}, {"level": "district", "prov": "2201"}])
def test_the_first_run_draws_the_map_before_any_widget_and_the_rest_follows(calls, query):
    app = open_page(**query).run()
    assert calls[:2] == ["map", "map"] and calls[2:] == ["sidebar"]  # no widget before
    assert not app.exception and app.session_state["map_ready"]
    assert app.sidebar.selectbox(key="w_indicator").value == "families_supported"


def test_a_map_that_reported_gets_the_whole_page_at_once(calls):
    app = open_page()
    app.session_state["map_ready"] = True  # AppTest's way to say the map has painted
    app.run()
    assert calls == ["map", "sidebar"] and not app.exception


def report_script():
    import streamlit as st

    from mapapp import app as page

    st.session_state["map-test"] = st.session_state["reported"]
    page.on_map_event("map-test", (2018, 2022))


@pytest.mark.parametrize("reported, ready", [
    ({"map_ready": True, "last_active_drawing": None}, True),
    ({"last_active_drawing": None}, False),  # a map's other reports say nothing of it
])
def test_the_maps_first_frame_report_marks_the_page_ready(reported, ready):
    app = AppTest.from_function(report_script)
    app.session_state["reported"] = reported
    app.run()
    assert not app.exception and bool(app.session_state["map_ready"]
                                      if "map_ready" in app.session_state else False) is ready
