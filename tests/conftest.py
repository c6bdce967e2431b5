"""AppTest runs no JavaScript, so no map ever reports its first frame: the page draws
everything in its first run (tests/test_map_first.py turns the wait on)."""

import os

os.environ.setdefault("MAPAPP_MAP_WAIT_S", "0")

# The dataset store of every test run is its own, never the user's (~/.local/share):
# servers started by the tests inherit it. A test that needs an empty store sets its own.
if "MAPAPP_DATABASE_URL" not in os.environ and "MAPAPP_DATA_DIR" not in os.environ:
    import tempfile

    os.environ["MAPAPP_DATA_DIR"] = tempfile.mkdtemp(prefix="mapapp-test-store-")
