"""``python -m mapapp serve``: Streamlit's options pass through the environment, and the
warm-up loads what the first page needs without registering the page's component
early (the browser suite runs the whole app through ``serve``)."""

import json
import os
import re
import subprocess
import sys
import time
from unittest.mock import patch

import pytest
from helpers import ROOT, start_app

from mapapp.server import as_environment


@pytest.mark.parametrize("options, env", [
    (["--server.port", "8501"], {"STREAMLIT_SERVER_PORT": "8501"}),
    (["--server.headless=true"], {"STREAMLIT_SERVER_HEADLESS": "true"}),
    (["--server.maxUploadSize", "50", "--browser.gatherUsageStats", "false"],
     {"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "50", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}),
    ([], {}),
])
def test_streamlit_options_become_its_environment(options, env):
    assert as_environment(options) == env


@pytest.mark.parametrize("options, message", [
    (["--server.port"], "--server.port needs a value"),
    (["8501"], "'8501' is not a Streamlit option"),
    (["--port", "8501"], "'--port' is not a Streamlit option"),
])
def test_a_bad_option_is_named_before_anything_starts(options, message, capsys):
    from mapapp.cli import main

    assert main(["serve", *options]) == 2
    assert message in capsys.readouterr().err


WARM_UP = """
import json, sys
from mapapp.boundaries import geodata
from mapapp.ingest import datasets
from mapapp.server import warm_up
took = warm_up()
print(json.dumps({
    "took": took,
    "mapclassify": "mapclassify" in sys.modules,
    "component": "streamlit_folium" in sys.modules,
    "demo": datasets.demo_dataset.cache_info().currsize,
    "levels": geodata.load_boundaries.cache_info().currsize,
}))
"""


def test_the_warm_up_loads_the_first_pages_imports_and_data_but_not_its_component():
    done = subprocess.run([sys.executable, "-c", WARM_UP], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    warmed = json.loads(done.stdout.splitlines()[-1])
    assert warmed["mapclassify"] and warmed["demo"] == 1 and warmed["levels"] >= 3
    assert not warmed["component"]  # imported before the server runs, its frame 404s


def test_a_file_made_on_click_outlives_other_sessions_runs_until_its_own_next_run(
        monkeypatch):
    """Streamlit deletes a file made on click after any two runs end; on a busy server
    the browser's GET came later (404). It now lives until the asking session reruns."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from mapapp.server import keep_downloads_until_fetched

    # Streamlit's own method again after the test (the server patches the class).
    monkeypatch.setattr(MediaFileManager, "execute_deferred", MediaFileManager.execute_deferred)

    def clicked(manager: MediaFileManager) -> str:
        manager.add(b"button", "text/plain", "0.0.1", is_for_static_download=True)  # drawn
        placeholder = manager.add_deferred(lambda: b"the export", "image/png", "map.png",
                                           "0.0.2")
        url = manager.execute_deferred(placeholder)
        return url.rsplit("/", 1)[-1].split(".")[0]

    def other_sessions_end_runs(manager: MediaFileManager) -> None:
        for _ in range(3):
            manager.remove_orphaned_files()

    def exists(manager: MediaFileManager, file_id: str) -> bool:
        return manager.read_file(file_id) is not None

    session = "session-a"
    with patch("streamlit.runtime.media_file_manager._get_session_id", return_value=session):
        unpatched = MediaFileManager(MemoryMediaFileStorage("/media"))
        made = clicked(unpatched)
        other_sessions_end_runs(unpatched)
        assert not exists(unpatched, made)  # Streamlit's own behaviour: the GET would 404

        keep_downloads_until_fetched()
        keep_downloads_until_fetched()  # once only, however often the server starts
        manager = MediaFileManager(MemoryMediaFileStorage("/media"))
        made = clicked(manager)
        other_sessions_end_runs(manager)
        assert exists(manager, made)
        manager.clear_session_refs(session)  # the asking session's next run starts
        other_sessions_end_runs(manager)
        assert not exists(manager, made)


def test_the_map_components_files_are_served_before_any_page_has_run(tmp_path):
    """A browser whose map frame reloads while the server restarts asks for the frame's
    files before any session has run the page; they must not 404 (a blank map)."""
    import urllib.error
    import urllib.request

    server, base = start_app({**os.environ, "MAPAPP_DATA_DIR": str(tmp_path)})
    try:
        frame = f"{base}/component/streamlit_folium.st_folium/index.html"
        for _ in range(50):  # registered by a thread once the runtime exists
            try:
                page = urllib.request.urlopen(frame, timeout=5).read().decode()
                break
            except urllib.error.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"{frame} still 404")
        script = re.search(r'src="(\./)?(static/js/main\.[0-9a-f]+\.js)"', page)[2]
        code = urllib.request.urlopen(frame.rsplit("/", 1)[0] + "/" + script, timeout=5)
        assert code.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
