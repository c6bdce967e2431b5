"""Serving the page: ``python -m mapapp serve`` (``make run``) warms what the first
visitor would otherwise wait for, then starts Streamlit in this same process.

A Streamlit server imports the page's modules and loads its data on the first
session's first run: ~2 s of imports (mapclassify alone pulls in scipy, scikit-learn
and matplotlib) and ~0.5 s for the demo dataset, all on the first visitor's clock.
Done here before the server listens, the modules are already in ``sys.modules`` and
the data in their caches when anyone connects.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import sys
import threading
import time
from pathlib import Path

LOG = logging.getLogger(__name__)
PAGE_SCRIPT = Path(__file__).resolve().parent.parent / "streamlit_app.py"


def warm_up() -> float:
    """Import the page and load what its default view needs; seconds taken. A local
    fault (missing geodata or demo files) is left for the page to explain."""
    start = time.perf_counter()
    # Not the page itself: a Streamlit component (streamlit-folium) imported before the
    # server runs registers where the server never looks, and its frame would not load.
    from mapapp.analysis.classify import classify
    from mapapp.analysis.kpis import goal_kpis
    from mapapp.analysis.layer import build_layer
    from mapapp.boundaries import geodata
    from mapapp.ingest.datasets import demo_dataset
    from mapapp.model.view import View
    from mapapp.render.charts import kpi_chart_spec
    from mapapp.render.web_map import base_map, style_data

    classify([1.0, 2.0, 3.0], k=3)  # imports mapclassify, the heaviest import
    try:
        for level in geodata.LEVELS:
            geodata.load_boundaries(level)
        geodata.places()
        geodata.amazon_scope()
        geodata.browser_file_versions()
        dataset = demo_dataset()
        view = View()
        style_data(build_layer(dataset, view))
        base_map(view).get_root().render()  # compiles folium's templates
        kpi_chart_spec(goal_kpis(dataset.results, 3)[0], view.lang)  # altair's schema
    except (geodata.GeodataError, OSError, ValueError, KeyError):
        LOG.exception("warming the caches failed; the page will say what to fix")
    open_store()
    return time.perf_counter() - start


def open_store() -> None:
    """Create (or upgrade) the dataset store before anyone connects, and say where it is."""
    from mapapp.store import Store, StoreError

    try:
        LOG.warning("published datasets: %s", Store().url_for_display)
    except StoreError as exc:  # the page shows the demo, with a note, until it is back
        LOG.error("the dataset store cannot be opened: %s", exc)


def keep_downloads_until_fetched() -> None:
    """Hold a file made on click for the session that asked, until its next run.

    Streamlit 1.67 stores the file a download button makes on click
    (``st.download_button(data=callable)``: every export) with no session holding it;
    the end of any session's run marks such a file and the next one deletes it. On a
    busy server two runs end before the browser's GET arrives, and it gets a 404 (the
    cluster load test saw it). Referenced by the asking session, the file lives until
    that session's next run clears its references, then goes as before."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    original = MediaFileManager.execute_deferred
    if getattr(original, "keeps_file", False):
        return

    def execute_deferred(self: MediaFileManager, file_id: str) -> str:
        entry = self._deferred_callables.get(file_id)
        url = original(self, file_id)
        made = url.rsplit("/", 1)[-1].split(".", 1)[0]
        with self._lock:  # a session that closed meanwhile is gone from the map: no leak
            held = self._files_by_session_and_coord.get(entry["session_id"]) if entry else None
            if held is not None and made in self._file_metadata:
                held[f"{entry['coordinates']}-made-on-click"] = made
        return url

    execute_deferred.keeps_file = True
    MediaFileManager.execute_deferred = execute_deferred


def register_map_component_once_served() -> None:
    """Serve the map component's files from the start, not from the first page run.

    Streamlit registers a component only when a script run imports it (with no run it
    registers nowhere, which is why the warm-up leaves the page alone). A browser whose
    map frame loads while a server restarts, or while nginx moves it to a replica no
    session has used yet, would ask for the frame's files before that: they 404 and the
    map stays blank until a reload. So once Streamlit's runtime exists, register it."""

    def register() -> None:
        from streamlit import runtime

        while not runtime.exists():
            time.sleep(0.05)
        from streamlit_folium import _component_func as map_component

        runtime.get_instance().component_registry.register_component(map_component)

    threading.Thread(target=register, name="register-map-component", daemon=True).start()


def serve(streamlit_options: list[str]) -> int:
    """Warm up, then run the page as ``streamlit run streamlit_app.py OPTIONS`` would."""
    # Streamlit reads its config when first imported (here, by the warm-up): options go
    # to the environment first, where that first read finds them.
    os.environ.update(as_environment(streamlit_options))
    took = warm_up()
    # What the warm-up loaded (modules, boundaries, the demo) lives as long as the
    # process: frozen out of the cyclic collector's sight, Streamlit's full collection
    # after every run (runner.postScriptGC) walks ~30 k objects instead of ~300 k.
    gc.freeze()
    keep_downloads_until_fetched()
    register_map_component_once_served()
    print(f"mapapp: page warmed in {took:.1f} s; starting the server", file=sys.stderr)
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", str(PAGE_SCRIPT)]
    try:
        streamlit_cli.main()  # a click command: it exits with the server's status
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 0
    return 0


def as_environment(options: list[str]) -> dict[str, str]:
    """``--server.port 8501`` (or ``--server.port=8501``) → ``STREAMLIT_SERVER_PORT``."""
    env, rest = {}, list(options)
    while rest:
        option = rest.pop(0)
        name, equals, value = option.partition("=")
        if not name.startswith("--") or "." not in name:
            raise ValueError(f"{option!r} is not a Streamlit option like --server.port 8501")
        if not equals:
            if not rest:
                raise ValueError(f"{option} needs a value")
            value = rest.pop(0)
        key = name[2:].replace(".", "_").replace("-", "_")
        env["STREAMLIT_" + re.sub(r"(?<=[a-z])(?=[A-Z])", "_", key).upper()] = value
    return env
