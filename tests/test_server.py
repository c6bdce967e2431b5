"""``python -m mapapp serve``: Streamlit's options pass through the environment, and the
warm-up loads what the first page needs without registering the page's component
early (the browser suite runs the whole app through ``serve``)."""

import json
import subprocess
import sys

import pytest
from helpers import ROOT

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
