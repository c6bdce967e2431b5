"""The Streamlit page. The only module that imports streamlit: it gathers options
into a ``View``, keeps it in the URL, and shows what the pure modules compute."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
import weakref
from dataclasses import replace
from functools import partial

import pandas as pd
import streamlit as st
from streamlit import runtime
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import DeletedFile, UploadedFile
from streamlit_folium import st_folium

from mapapp import app_publish
from mapapp.analysis.kpis import KPI, describe_kpi, goal_kpis
from mapapp.analysis.layer import MapLayer, build_layer, shown_areas, tooltip_rows
from mapapp.boundaries import geodata
from mapapp.ingest.datasets import (
    DEMO_KEY,
    Dataset,
    Upload,
    demo_dataset,
    release_memory,
    spooled,
    with_localities,
    with_results,
)
from mapapp.ingest.localities import LocalityReport
from mapapp.ingest.results import ValidationReport
from mapapp.ingest.templates import template
from mapapp.model import catalog
from mapapp.model.catalog import Lang
from mapapp.model.formatting import escape_markdown, format_number
from mapapp.model.i18n import t
from mapapp.model.names import ascii_digits
from mapapp.model.provenance import Credits
from mapapp.model.view import (
    BASEMAPS,
    K_RANGE,
    MEASURES,
    PALETTES,
    SCHEMES,
    View,
    param_note,
    years_within,
)
from mapapp.published import PUBLISHED_PREFIX, PageData, page_data
from mapapp.render.charts import kpi_alt_text, kpi_chart_spec
from mapapp.render.exports import FORMATS, csv_bytes, export_view, file_name
from mapapp.render.web_map import base_map, style_data, style_group
from mapapp.store import FileInfo

LOG = logging.getLogger(__name__)
MAP_HEIGHT = 640
PAGE_CSS = "<style>.block-container { padding-top: 2.2rem !important; }</style>"
PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
.block-container { padding-top: 1rem !important; max-width: 100% !important; }
iframe[title="streamlit_folium.st_folium"] { aspect-ratio: 16 / 9; height: auto !important; }
h1 { font-size: 2.6rem !important; }
</style>
"""


# The demo's views and a published version's are cached for every session; an upload's
# views only in its own session's cache, which Streamlit empties when the session's
# connection closes: no server-wide cache holds anything built from a user's file.
# Callers must not modify what the caches return.

def shared(dataset_key: str) -> bool:
    return dataset_key == DEMO_KEY or dataset_key.startswith(PUBLISHED_PREFIX)


def cached_layer(_dataset: Dataset, view: View) -> MapLayer:
    cache = _shared_layer if shared(_dataset.key) else _session_layer
    return cache(_dataset.key, _dataset, view)


def cached_style(dataset_key: str, _layer: MapLayer, view: View) -> dict:
    """What the map shows for a view (plain data)."""
    cache = _shared_style if shared(dataset_key) else _session_style
    return cache(dataset_key, _layer, view)


def cached_kpis(dataset_key: str, _results: pd.DataFrame, goal: int | None,
                filters) -> list[KPI]:
    cache = _shared_kpis if shared(dataset_key) else _session_kpis
    return cache(dataset_key, _results, goal, filters)


@st.cache_resource(show_spinner=False, max_entries=64)
def _shared_layer(dataset_key: str, _dataset: Dataset, view: View) -> MapLayer:
    return build_layer(_dataset, view)


@st.cache_resource(show_spinner=False, max_entries=16, scope="session")
def _session_layer(dataset_key: str, _dataset: Dataset, view: View) -> MapLayer:
    return build_layer(_dataset, view)


@st.cache_resource(show_spinner=False, max_entries=64)
def _shared_style(dataset_key: str, _layer: MapLayer, view: View) -> dict:
    return style_data(_layer)


@st.cache_resource(show_spinner=False, max_entries=16, scope="session")
def _session_style(dataset_key: str, _layer: MapLayer, view: View) -> dict:
    return style_data(_layer)


@st.cache_resource(show_spinner=False, max_entries=256)
def _shared_kpis(dataset_key: str, _results: pd.DataFrame, goal: int | None,
                 filters) -> list[KPI]:
    return goal_kpis(_results, goal, filters)


@st.cache_resource(show_spinner=False, max_entries=64, scope="session")
def _session_kpis(dataset_key: str, _results: pd.DataFrame, goal: int | None,
                  filters) -> list[KPI]:
    return goal_kpis(_results, goal, filters)


def forget_session_views() -> None:
    """Empty this session's caches (its data was replaced or dropped)."""
    for cache in (_session_layer, _session_style, _session_kpis):
        cache.clear()


# --- the session's own data ---------------------------------------------------------

RELEASE_GRACE_S = 15.0  # a connection back within this keeps the session's data


class SessionData:
    """One browser session's uploads: the dataset on its map and the last upload's
    outcome. It lives in a session-scoped cache, which Streamlit empties when the
    session's connection closes: a session back within ``RELEASE_GRACE_S`` (a network
    blip) gets it back; otherwise it is released, with the session's uploaded files.
    ``st.session_state``, which Streamlit keeps for a closed session until some later
    session happens to expire it, holds only small markers."""

    def __init__(self, session_id: str | None, token: str) -> None:
        self.session_id = session_id
        self.token = token
        self.dataset: Dataset | None = None
        self.outcome: tuple[str, str, Upload] | None = None
        # What a publisher publishes: the reports and the files' name, size and SHA-256.
        self.results: tuple[ValidationReport, FileInfo] | None = None
        self.localities: tuple[LocalityReport, FileInfo] | None = None
        self.released = False

    def release(self) -> None:
        self.released = True
        self.dataset = self.outcome = self.results = self.localities = None
        if self.session_id and runtime.exists():
            # Files uploaded but not read yet: Streamlit drops a session's files only
            # when it shuts the session down, which for a closed tab may never come.
            runtime.get_instance().uploaded_file_mgr.remove_session_files(self.session_id)
        release_memory()


_leaving: dict[str, SessionData] = {}  # closed sessions' data, in their grace period
_leaving_lock = threading.Lock()


def _on_disconnect(data: SessionData) -> None:
    if data.session_id is None or data.released:
        data.release()
        return
    with _leaving_lock:
        _leaving[data.session_id] = data
    timer = threading.Timer(RELEASE_GRACE_S, _release_if_gone, args=(data.session_id,))
    timer.daemon = True
    timer.start()


def _release_if_gone(session_id: str) -> None:
    with _leaving_lock:
        data = _leaving.pop(session_id, None)
    if data is not None:
        data.release()


@st.cache_resource(show_spinner=False, scope="session", on_release=_on_disconnect)
def _session_data(token: str) -> SessionData:
    ctx = get_script_run_ctx()
    session_id = ctx.session_id if ctx else None
    with _leaving_lock:
        back = _leaving.get(session_id) if session_id else None
        if back is not None and back.token == token:  # back within the grace period
            return _leaving.pop(session_id)
    return SessionData(session_id, token)


def session_data() -> SessionData:
    """This session's own data (keyed by a token in its session state as well, so a new
    session state on a reused session id, as in AppTest, starts empty)."""
    return _session_data(st.session_state.setdefault("data_token", uuid.uuid4().hex))


class DemoDataError(RuntimeError):
    """The bundled demo files are missing or unreadable; the message says how to rebuild."""


def current_dataset() -> Dataset:
    """The session's own data, or the demo. ``st.session_state["dataset"]`` is only a
    marker (the dataset's key): the data itself is in ``session_data()``."""
    own = session_data().dataset
    if own is None and "dataset" in st.session_state:  # released while the session was away
        del st.session_state["dataset"]
        st.session_state["upload_gone"] = True  # said under the title (upload_gone)
    return own or _demo()


def keep_data_notes(shown: PageData, fresh: bool) -> list[str]:
    """A link's dataset that cannot be shown is a link note (returned); the rest (the
    default's, a store that cannot be reached now) are said above the map on every run."""
    link = st.query_params.get("data") if fresh and not shown.store_down else None
    st.session_state["data_notes"] = tuple(
        f"{asked}: {why}" for asked, why in shown.notes if asked != link)
    return [param_note("data", asked, why) for asked, why in shown.notes if asked == link]


def shown_data(config: app_publish.PageConfig) -> PageData:
    """The session's own upload; else the published dataset the page asks for (``w_data``),
    else the configured default, else the demo. A dataset asked for that cannot be shown
    (a note says why) leaves the page's state and so its URL."""
    dataset = current_dataset()
    if dataset.key != DEMO_KEY:
        return PageData(dataset)
    state = st.session_state
    ref = state.get("w_data")
    store = app_publish.page_store() if ref or config.default_dataset else None
    shown = page_data(ref, config.default_dataset, state.get("w_lang", "es"), store,
                      publisher=app_publish.can_publish(config))
    if ref and shown.ref != ref and not shown.store_down:
        state["w_data"] = None
    return shown if shown.dataset else replace(shown, dataset=dataset)


def _demo() -> Dataset:
    try:
        return demo_dataset()
    except (OSError, ValueError, KeyError) as exc:  # the same fix for any damage
        name = geodata.shown_path(getattr(exc, "filename", None)
                                  or geodata.DEMO_RESULTS_FILE.parent)
        raise DemoDataError(f"demo data missing or unreadable: {name} ({type(exc).__name__}); "
                            "rebuild it with: make demo (or: python -m mapapp build-demo)"
                            ) from exc


# --- view <-> widgets -------------------------------------------------------------

WIDGETS = ("lang", "level", "indicator", "measure", "chains", "years", "depts", "amazon",
           "scheme", "k", "palette", "basemap", "localities", "labels", "present", "player",
           "data")  # w_data: no widget, the published dataset asked for (the picker sets it)


def apply_view(view: View, years_in_data: tuple[int, int]) -> None:
    """Put a view into the widgets' state (before they are drawn, or in a callback)."""
    state = st.session_state
    for name in WIDGETS:
        state[f"w_{name}"] = getattr(view, name)
    state["w_chains"] = list(view.chains)
    state["w_depts"] = list(view.depts)
    state["w_years"] = years_within(view.years or years_in_data, years_in_data) or years_in_data
    state["w_year"] = state["w_years"][0]  # the player's year
    first, last = years_in_data
    a, b = view.periods or ((first, first), (last, last))
    state["w_compare_on"] = view.compare is not None
    state["w_period_a"] = years_within(a, years_in_data) or (first, first)
    state["w_period_b"] = years_within(b, years_in_data) or (last, last)
    state["prov"] = view.prov
    state["view"] = view


def view_from_widgets(years_in_data: tuple[int, int]) -> View:
    state = st.session_state
    default = View()
    # A widget that was not drawn in the last run (measure for a percentage, the
    # slider with one year) has no state left: fall back to the default.
    values = {name: state.get(f"w_{name}", getattr(default, name)) for name in WIDGETS}
    values["chains"] = tuple(values["chains"])
    values["depts"] = tuple(values["depts"])
    years = tuple(values["years"] or years_in_data)
    if values["player"]:
        year = state.get("w_year", years_in_data[0])
        years = (year, year)
    values["years"] = None if years == years_in_data else years
    compare = compared_periods()
    if compare:  # the two periods are the years shown
        values.update(player=False, years=None)
    return View(**values, prov=state.get("prov"), compare=compare).settled()


def compared_periods() -> tuple[int, int, int, int] | None:
    """The comparison the sidebar asks for, if on and of two different periods."""
    state = st.session_state
    a, b = state.get("w_period_a"), state.get("w_period_b")
    if not state.get("w_compare_on") or not a or not b or tuple(a) == tuple(b):
        return None
    return (*a, *b)


def on_map_event(map_key: str, years_in_data: tuple[int, int]) -> None:
    """The map reports: its first styled frame is on screen (the rest of the page may
    come), or a place was clicked (drill down into it)."""
    value = st.session_state.get(map_key) or {}
    if value.get("map_ready"):
        st.session_state["map_ready"] = True
    clicked = value.get("last_active_drawing") or {}
    code = (clicked.get("properties") or {}).get("ubigeo")
    view = st.session_state.get("view")
    if view and isinstance(code, str) and ascii_digits(code):
        apply_view(view.drill_down(code), years_in_data)


# --- page -------------------------------------------------------------------------

def main() -> None:
    st.set_page_config(page_title="mapapp — Amazonía", page_icon="🗺️", layout="wide")
    try:
        page()
    except (geodata.GeodataError, DemoDataError) as exc:  # a local fault with a known fix
        LOG.exception("the page cannot be drawn")  # the full error, for the server log
        fix = " (or: make geodata)" if isinstance(exc, geodata.GeodataError) else ""
        st.error(escape_markdown(f"{exc}{fix}"))


# The first run of a session draws the header and the map only; the rest of the page
# follows once the map reports its first styled frame (mapapp.js), so that the map's
# scripts do not queue behind the widgets'. A browser that never reports gets the rest
# after MAP_WAIT_S all the same. 0 draws everything at once (AppTest, which runs no JS;
# or mark the map ready: ``app.session_state["map_ready"] = True``).
MAP_WAIT_S = float(os.environ.get("MAPAPP_MAP_WAIT_S", "4"))
MAP_POLL_S = 0.05


def map_first(fresh: bool) -> bool:
    """Whether this run draws only the header and the map. Not for a session whose
    uploader still holds a file from before a restart: the uploader must be drawn to
    keep it (and to say that the file is gone)."""
    state = st.session_state
    if state.get("map_ready") or MAP_WAIT_S <= 0:
        return False
    if fresh and uploader_holds_lost_file():
        state["map_ready"] = True
        return False
    return True


def wait_for_map() -> None:
    """Until the map reports (its report reruns the script, which stops this run at the
    next element sent) or MAP_WAIT_S pass; then the whole page."""
    slot = st.empty()
    deadline = time.monotonic() + MAP_WAIT_S
    while time.monotonic() < deadline and not st.session_state.get("map_ready"):
        time.sleep(MAP_POLL_S)
        slot.empty()  # a point where a rerun the map asked for takes over
    st.session_state["map_ready"] = True
    st.rerun()


def page() -> None:
    config = app_publish.page_config()
    fresh = "view" not in st.session_state  # a new session (a page load, or a restart)
    if fresh:  # the link's language and dataset come first: the data decides the years
        asked = {k: v for k, v in st.query_params.to_dict().items() if k in ("lang", "data")}
        probe, _ = View.from_query(asked)
        st.session_state.update(w_lang=probe.lang, w_data=probe.data)
    if not app_publish.login_gate(config, st.session_state.get("w_lang", "es")):
        return
    shown = shown_data(config)
    dataset = shown.dataset
    years_in_data = dataset.years
    first = map_first(fresh)
    if fresh:
        url_view, notes = View.from_query(st.query_params.to_dict(), years_in_data)
        url_view = replace(url_view, data=st.session_state["w_data"])
        apply_view(url_view, years_in_data)
    link_notes = keep_data_notes(shown, fresh)
    if fresh:
        st.session_state["url_notes"] = (url_view, [*notes, *link_notes])
        if asked_to_resume(st.context.headers.get("Sec-WebSocket-Protocol")):
            st.session_state["session_lost"] = url_view
    st.session_state["shown_version"] = (shown.info, shown.retired_shown)  # small: no data
    lang: Lang = st.session_state.get("w_lang", "es")
    st.html(PRESENT_CSS if st.session_state.get("w_present") else PAGE_CSS)
    # The widgets' values are in the session state before they are drawn, so the map
    # goes first: the browser mounts it without waiting for the widgets' scripts.
    view = view_from_widgets(years_in_data)
    st.session_state["view"] = view
    query = view.to_query()
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    layer = cached_layer(dataset, view)
    notice = (presentation if view.present else explore)(view, layer, dataset, first)
    if first:
        # The sidebar's place, so that the browser opens it (it opens a sidebar that
        # has something in it when the page starts, on a wide screen).
        st.sidebar.caption(t("title", lang))
        wait_for_map()
    sidebar(lang, years_in_data)
    upload_gone(data_sidebar(lang, config, shown), fresh, notice, lang)
    # In the notice container, not a new element above the map: one there would move the
    # map, and a map frame remounted while the page reconnects can come up blank.
    if st.session_state.get("session_lost") == view:  # until the view moves on
        notice.warning(t("session_lost", lang), icon=":material/sync_problem:")


def asked_to_resume(subprotocols: str | None) -> bool:
    """Whether the page's websocket asked to resume a session (the third entry of its
    ``Sec-WebSocket-Protocol``, after ``streamlit`` and the XSRF token). In a new session
    that means the page had one this server does not have: its replica died and nginx
    sent the page to another, or the server restarted. The frontend's first rerun there
    carries no widget values, so the change that triggered it is lost; the page says so."""
    entries = [entry.strip() for entry in (subprotocols or "").split(",")]
    return len(entries) > 2 and bool(entries[2])


def uploader_holds_lost_file() -> bool:
    """An uploader shows a file this session never read: the server restarted under the
    page (the browser sends its widgets' state with a new session's first run)."""
    return any(isinstance(st.session_state.get(f"upload_{kind}"), DeletedFile)
               for kind in ("results", "localities"))


def upload_gone(held: bool, fresh: bool, notice: DeltaGenerator, lang: Lang) -> None:
    """A new session whose uploader still holds a file the server does not have: the
    server restarted under the page, and the data went with the old session. Said until
    the uploader is cleared or a new upload is read."""
    state = st.session_state
    if fresh and held:
        state["upload_gone"] = True
    elif not held or "dataset" in state:
        state.pop("upload_gone", None)
    if state.get("upload_gone"):
        notice.warning(t("upload_gone", lang), icon=":material/cloud_off:")


def sidebar(lang: Lang, years_in_data: tuple[int, int]) -> None:
    bar = st.sidebar
    app_publish.account(app_publish.page_config(), lang)  # login first, then what to see
    app_publish.dataset_picker(lang, st.session_state.get("w_data"), choose_published)
    bar.radio(t("language", lang), catalog.LANGS, key="w_lang", horizontal=True,
              format_func=lambda code: {"es": "Español", "en": "English"}[code])
    bar.selectbox(t("indicator", lang), list(catalog.INDICATORS), key="w_indicator",
                  format_func=lambda i: catalog.INDICATORS[i].label[lang])
    indicator = catalog.INDICATORS[st.session_state["w_indicator"]]
    bar.radio(t("level", lang), geodata.LEVELS, key="w_level", horizontal=True,
              format_func=lambda level: t(level, lang))
    if indicator.is_percentage:
        bar.caption(t("measure_percent", lang))
    else:
        bar.radio(t("measure", lang), MEASURES, key="w_measure",
                  format_func=lambda m: t(f"measure_{m}", lang))
    bar.multiselect(t("value_chains", lang), list(catalog.VALUE_CHAINS), key="w_chains",
                    format_func=lambda c: catalog.VALUE_CHAINS[c].label[lang],
                    placeholder=t("all_chains", lang), disabled=not indicator.by_value_chain,
                    help=None if indicator.by_value_chain else t("no_chains", lang))
    if years_in_data[0] < years_in_data[1]:
        years_sidebar(lang, years_in_data)
    departments = geodata.load_boundaries("department")
    names = dict(zip(departments["ubigeo"], departments["name"], strict=True))
    bar.multiselect(t("departments", lang), list(names), key="w_depts",
                    format_func=lambda code: names[code], placeholder=t("all_peru", lang))
    bar.checkbox(t("amazon_only", lang), key="w_amazon")
    with bar.expander(t("classification", lang)):
        st.selectbox(t("scheme", lang), SCHEMES, key="w_scheme",
                     format_func=lambda s: t(f"scheme_{s}", lang))
        st.select_slider(t("classes", lang), list(K_RANGE), key="w_k")
        st.selectbox(t("palette", lang), PALETTES, key="w_palette")
    with bar.expander(t("layers", lang), expanded=True):
        st.selectbox(t("basemap", lang), BASEMAPS, key="w_basemap",
                     format_func=lambda b: t(f"basemap_{b}", lang))
        st.checkbox(t("show_localities", lang), key="w_localities")
        st.checkbox(t("show_labels", lang), key="w_labels")
    bar.toggle(t("present", lang), key="w_present")


def years_sidebar(lang: Lang, years_in_data: tuple[int, int]) -> None:
    """The years shown: a range, the year player, or two periods compared."""
    bar, state = st.sidebar, st.session_state
    comparing = bool(state.get("w_compare_on"))
    bar.toggle(t("player", lang), key="w_player", help=t("player_help", lang),
               on_change=start_player, disabled=comparing)
    bar.toggle(t("compare", lang), key="w_compare_on", help=t("compare_help", lang),
               disabled=bool(state.get("w_player")))
    if comparing:
        bar.slider(t("period_a", lang), *years_in_data, key="w_period_a")
        bar.slider(t("period_b", lang), *years_in_data, key="w_period_b")
    elif state.get("w_player"):
        year_player(lang, years_in_data)
    else:
        bar.slider(t("years", lang), *years_in_data, key="w_years")


def start_player() -> None:
    """The player starts at the first year of the range shown."""
    state = st.session_state
    if state.get("w_player") and state.get("w_years"):
        state["w_year"] = state["w_years"][0]


def year_player(lang: Lang, years_in_data: tuple[int, int]) -> None:
    """One year at a time: back, the year, forward (each a view with its own URL)."""
    first, last = years_in_data
    year = st.session_state.get("w_year", first)
    back, middle, forward = st.sidebar.columns([1, 3, 1], vertical_alignment="bottom")
    back.button("◀", key="w_year_back", on_click=step_year, args=(-1, years_in_data),
                disabled=year <= first, help=t("previous_year", lang))
    middle.select_slider(t("year", lang), list(range(first, last + 1)), key="w_year")
    forward.button("▶", key="w_year_forward", on_click=step_year, args=(1, years_in_data),
                   disabled=year >= last, help=t("next_year", lang))
    st.sidebar.caption(t("player_scale", lang))


def step_year(step: int, years_in_data: tuple[int, int]) -> None:
    state = st.session_state
    year = state.get("w_year", years_in_data[0]) + step
    state["w_year"] = min(max(year, years_in_data[0]), years_in_data[1])


def notes_under_title(view: View) -> DeltaGenerator:
    """What the link asked for that the page could not show (until the view moves on),
    and a place for later notices (under the title: above it, the header hides them)."""
    url_view, notes = st.session_state.get("url_notes", (None, []))
    if notes and view == url_view:
        st.info(escape_markdown(f"{t('ignored_params', view.lang)}: " + "; ".join(notes)),
                icon=":material/link_off:")
    for note in st.session_state.get("data_notes", ()):
        st.info(escape_markdown(note), icon=":material/dataset:")
    return st.container()  # filled once the uploaders tell whether an upload was lost


def explore(view: View, layer: MapLayer, dataset: Dataset, first: bool) -> DeltaGenerator:
    """The page; with ``first``, only what comes before the map, and the map (the same
    elements in the same places, so that the map is not mounted twice)."""
    lang = view.lang
    st.title(t("title", lang))
    notice = notes_under_title(view)
    credits = layer.data.credits(lang)
    info, retired = st.session_state.get("shown_version", (None, False))
    if credits.demo_label:
        st.warning(credits.demo_label, icon=":material/science:")
    elif dataset.publication and info is not None:
        st.success(escape_markdown(f"{t('published_banner', lang)}: {dataset.name}"),
                   icon=":material/public:")
        st.caption(app_publish.version_caption(info, lang))
        if retired:
            st.warning(t("retired_shown", lang), icon=":material/visibility_off:")
    else:
        st.success(escape_markdown(f"{t('your_data', lang)}: {dataset.name}"),
                   icon=":material/description:")
    upload_report(lang)
    publish_upload(lang)
    main_column, side = st.columns([7, 3], gap="medium")
    with main_column:
        st.subheader(layer.title)
        st.caption(f"{layer.subtitle} · {layer.unit}")
        breadcrumb(view, dataset.years, first)
        show_map(view, layer, dataset)
        if first:
            return notice
        if layer.unallocated_rows:
            st.caption(t("unallocated", lang).format(
                rows=layer.unallocated_rows, total=format_number(layer.unallocated, lang)))
        downloads(view, dataset)
        ranking(layer)
        source_lines(credits)
    with side:
        goals_panel(dataset, view)
    return notice


def presentation(view: View, layer: MapLayer, dataset: Dataset,
                 first: bool) -> DeltaGenerator:
    lang = view.lang
    st.title(layer.title)
    notice = notes_under_title(view)
    demo_label = layer.data.credits(lang).demo_label
    st.caption(" · ".join([layer.subtitle, *([demo_label] if demo_label else [])]))
    show_map(view, layer, dataset)
    if not first:
        st.button(t("exit_present", lang), on_click=apply_view,
                  args=(replace(view, present=False), dataset.years))
    return notice


def breadcrumb(view: View, years_in_data: tuple[int, int], first: bool = False) -> None:
    crumbs = view.breadcrumb()
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    if first:  # its place is kept; its buttons come with the rest of the page
        return
    for i, (code, target) in enumerate(crumbs):
        label = t("peru", view.lang) if code is None else (geodata.place_name(code) or code)
        current = i == len(crumbs) - 1 and target == view
        row.button(f"› {label}" if i else label, key=f"crumb-{code}", disabled=current,
                   on_click=apply_view, args=(target, years_in_data), type="tertiary")
    if view.level != "district":
        row.caption(t("click_hint", view.lang))


def show_map(view: View, layer: MapLayer, dataset: Dataset) -> None:
    # The base (shapes) stays mounted while only the view's styles change.
    base = base_map(view)
    group = style_group(layer, cached_style(dataset.key, layer, view))
    map_key = "map-" + "-".join([view.level, ",".join(shown_areas(view)), view.basemap,
                                 str(view.present)])
    st_folium(base, key=map_key, height=MAP_HEIGHT, use_container_width=True,
              feature_group_to_add=group, returned_objects=["last_active_drawing"],
              on_change=partial(on_map_event, map_key, dataset.years))
    if not layer.has_data:
        st.info(t("nothing", view.lang))


RANKING_TOP = 10


def ranking(layer: MapLayer) -> None:
    """The top places as a light table; the whole ranking on demand (the data grid is a
    heavy script, kept off the first paint)."""
    lang = layer.view.lang
    rows = tooltip_rows(layer).assign(rank=layer.places["rank"].to_numpy())
    rows = rows[rows["rank"].notna()].sort_values(["rank", "name"])
    if rows.empty:
        return
    table = pd.DataFrame({
        t("rank", lang): rows["rank"].astype(int),
        t("place", lang): rows["name"],
        t("value", lang): rows["value_text"],
        t("share", lang): rows["share_text"],
    })
    with st.expander(f"{t('ranking', lang)} ({len(table)})", expanded=False):
        if st.toggle(t("ranking_all", lang), key="ranking_all") or len(table) <= RANKING_TOP:
            st.dataframe(table, hide_index=True, width="stretch")
        else:
            header = " | ".join(table.columns)
            lines = [f"| {header} |", "|" + " --- |" * len(table.columns)]
            lines += ["| " + " | ".join(escape_markdown(str(v)) for v in row) + " |"
                      for row in table.head(RANKING_TOP).itertuples(index=False)]
            st.markdown("\n".join(lines))


def goals_panel(dataset: Dataset, view: View) -> None:
    lang = view.lang
    st.subheader(t("goals", lang))
    # The player's charts keep every year, its year standing out.
    every_year = replace(view.filters, years=None) if view.player else view.filters
    highlight = view.years[0] if view.player and view.years else None
    for goal in catalog.GOALS:
        st.markdown(f"**{t('goal', lang)} {goal.number}. {goal.title[lang]}**",
                    help=goal.text[lang])
        charted = cached_kpis(dataset.key, dataset.results, goal.number, every_year)
        for kpi, over_years in zip(cached_kpis(dataset.key, dataset.results, goal.number,
                                               view.filters), charted, strict=True):
            kpi_line(kpi, lang)
            if len(over_years.by_year) > 1:  # how the figure grew, year by year
                st.vega_lite_chart(spec=kpi_chart_spec(over_years, lang, highlight),
                                   width="stretch", alt=kpi_alt_text(over_years, lang))
    st.markdown(f"**{t('headline', lang)}**")
    for kpi in cached_kpis(dataset.key, dataset.results, None, view.filters):
        kpi_line(kpi, lang)


def kpi_line(kpi: KPI, lang: Lang) -> None:
    st.markdown(describe_kpi(kpi, lang, emphasis=lambda text: f"**{text}**"))


def source_lines(credits: Credits) -> None:
    for line in credits.lines:  # a published title is in it: text, not markdown
        st.caption(escape_markdown(line))


# --- the user's data and the exports -----------------------------------------------

def data_sidebar(lang: Lang, config: app_publish.PageConfig, shown: PageData) -> bool:
    """The published datasets, the uploaders and templates, login, and for publishers
    what they manage; True when an uploader holds a file the server no longer has."""
    if app_publish.can_publish(config):
        app_publish.manage(lang, app_publish.page_store())
    with st.sidebar.expander(t("your_data", lang), expanded=False):
        st.file_uploader(t("upload_results", lang), type=["csv", "tsv", "txt", "xlsx"],
                         key="upload_results", on_change=on_upload, args=("results",))
        st.file_uploader(t("upload_localities", lang), type=["csv", "tsv", "txt", "xlsx"],
                         key="upload_localities", on_change=on_upload, args=("localities",))
        st.caption(t("templates", lang))
        row = st.container(horizontal=True, gap="small")
        for kind in ("results", "localities"):
            for fmt in ("csv", "xlsx"):
                row.download_button(f"{t(kind, lang)} .{fmt}", partial(template, kind, lang, fmt),
                                    file_name=f"{t(kind, lang).lower()}_template_{lang}.{fmt}",
                                    mime=FORMATS[fmt].mime, key=f"template-{kind}-{fmt}",
                                    on_click="ignore", type="tertiary")
        if "dataset" in st.session_state:
            st.button(t("back_to_demo", lang), on_click=back_to_demo)
    return uploader_holds_lost_file()


def choose_published(ref: str | None) -> None:
    """Show a published dataset (None: the default, or the demo) instead of an upload."""
    own = session_data()
    own.dataset = own.outcome = own.results = own.localities = None
    st.session_state.pop("dataset", None)
    forget_session_views()
    st.session_state["w_data"] = ref
    release_memory()


def published_now(slug: str, version: int) -> None:
    """After publishing from the page: the page shows the new version (its link)."""
    choose_published(slug)
    st.session_state["data_notes"] = ()
    st.toast(t("published_done", st.session_state.get("w_lang", "es")).format(
        ref=f"{slug}@{version}"), icon=":material/public:")
    st.rerun()


def on_upload(kind: str) -> None:
    uploaded = st.session_state.get(f"upload_{kind}")
    if not isinstance(uploaded, UploadedFile):  # none, or a file let go after reading
        return
    own = session_data()
    loader = with_results if kind == "results" else with_localities
    name = uploaded.name
    data = uploaded.getvalue()
    file = FileInfo.of(data, name)
    with spooled(data) as source:
        del data
        let_go(uploaded)  # from here on, the file's bytes are only on disk
        # A large file is read in a child process, whose memory all goes back when it ends.
        outcome: Upload = loader(current_dataset(), source, name, in_child=True)
    if own.released:  # the session closed while its file was being read
        return
    own.outcome = (kind, name, outcome)
    if outcome.dataset is not None:
        setattr(own, kind, (outcome.report, file))
    if outcome.dataset is not None:
        own.dataset = outcome.dataset  # the previous upload, if any, goes
        st.session_state["dataset"] = outcome.dataset.key
        st.session_state["w_data"] = None  # the upload, not a published dataset
        forget_session_views()
        view = st.session_state.get("view") or View()
        apply_view(view, outcome.dataset.years)
    release_memory()


def let_go(uploaded: UploadedFile) -> None:
    """Drop the file's bytes once read: from Streamlit's file manager (which keeps them
    until the session shuts down) and from the widget state's copy (kept until the next
    run, and by a closed session for as long as Streamlit keeps its state). The uploader
    still shows the file's name; its value becomes a ``DeletedFile``."""
    uploaded.seek(0)
    uploaded.truncate()  # the shared bytes go, the object stays valid (it is deep-copied)
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.uploaded_file_mgr.remove_file(ctx.session_id, uploaded.file_id)


def back_to_demo() -> None:
    own = session_data()
    own.dataset = own.outcome = own.results = own.localities = None
    st.session_state.pop("dataset", None)
    st.session_state["w_data"] = None
    forget_session_views()
    apply_view(replace(st.session_state.get("view") or View(), data=None),
               demo_dataset().years)
    release_memory()


def upload_report(lang: Lang) -> None:
    """What became of the last upload: counts, rejected rows with reasons, warnings."""
    if session_data().outcome is None:
        return
    _kind, name, outcome = session_data().outcome
    if outcome.error:  # a message code, put into the page's language at each run
        st.error(escape_markdown(outcome.error_text(lang)))
        return
    report = outcome.report
    with st.expander(escape_markdown(f"{t('report', lang)}: {name}"), expanded=True):
        columns = st.columns(3)
        columns[0].metric(t("rows_total", lang), format_number(report.rows_total, lang))
        columns[1].metric(t("rows_valid", lang), format_number(report.rows_valid, lang))
        columns[2].metric(t("rows_rejected", lang), format_number(report.rows_rejected, lang))
        if outcome.dataset is None:
            st.error(t("nothing_valid", lang))
        if report.rows_rejected:
            st.markdown(f"**{t('rejected_rows', lang)}**")
            # Only the rows shown are put into words; the download has them all, on click.
            shown_table(report.rejected_table(lang, head=SHOWN_ROWS), lang,
                        total=report.rows_rejected)
            st.download_button(t("download_rejected", lang),
                               partial(_rejected_csv, weakref.ref(report), lang),
                               file_name=f"rejected_{name}.csv", mime="text/csv",
                               on_click="ignore", key="download-rejected")
        if report.warnings:
            st.markdown(f"**{t('warnings', lang)}**")
            shown_table(report.warnings_table(lang, head=SHOWN_ROWS), lang,
                        total=len(report.warnings))
            if len(report.warnings) > SHOWN_ROWS:
                st.download_button(t("download_warnings", lang),
                                   partial(_warnings_csv, weakref.ref(report), lang),
                                   file_name=f"warnings_{name}.csv", mime="text/csv",
                                   on_click="ignore", key="download-warnings")


def publish_upload(lang: Lang) -> None:
    """A publisher's form under the report of a session's own results."""
    own = session_data()
    config = app_publish.page_config()
    if own.results is None or own.dataset is None or not app_publish.can_publish(config):
        return
    report, file = own.results
    localities = own.localities if not own.dataset.localities_demo else None
    app_publish.publish_form(lang, report, file, localities, app_publish.page_store(),
                             published_now)


# A page shows at most this many report rows: a larger table stays on the server for the
# session's life; the rejected-rows CSV (and the CLI's validate) have every row.
SHOWN_ROWS = 1000


def shown_table(table: pd.DataFrame, lang: Lang, total: int | None = None) -> None:
    total = len(table) if total is None else total
    st.dataframe(table.head(SHOWN_ROWS), hide_index=True, width="stretch")
    if total > SHOWN_ROWS:
        st.caption(t("first_rows", lang).format(shown=format_number(SHOWN_ROWS, lang),
                                                total=format_number(total, lang)))


def downloads(view: View, dataset: Dataset) -> None:
    lang = view.lang
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    row.caption(t("download", lang))
    for fmt in FORMATS:
        row.download_button(
            fmt.upper(), partial(_export, weakref.ref(dataset), fmt, view),
            file_name=file_name(view, fmt), mime=FORMATS[fmt].mime, key=f"export-{fmt}",
            on_click="ignore", help=t(f"export_{fmt}", lang))


def _export(dataset_ref: weakref.ref[Dataset], fmt: str, view: View) -> bytes:
    """A download's bytes, made on click. Streamlit keeps the callable for as long as it
    keeps the session, so it refers to the dataset weakly: a closed session's upload is
    not kept alive by its download buttons."""
    dataset = dataset_ref()
    if dataset is None:
        raise RuntimeError("this view's data is no longer on the server; reload the page")
    return export_view(fmt, dataset, view)


def _warnings_csv(report_ref: weakref.ref, lang: Lang = "es") -> bytes:
    """Every warning as CSV, its column names and messages in ``lang``."""
    return csv_bytes(_held(report_ref).warnings_table(lang))


def _held(report_ref: weakref.ref):
    report = report_ref()
    if report is None:
        raise RuntimeError("this report is no longer on the server; upload the file again")
    return report


def _rejected_csv(report_ref: weakref.ref, lang: Lang = "es") -> bytes:
    """The rejected rows as CSV, made on click (not kept as bytes for the session's
    life), from the report held weakly (see _export): row, reasons and their column
    names in ``lang``."""
    return csv_bytes(_held(report_ref).rejected_table(lang))
