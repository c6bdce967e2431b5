"""AppTest runs no JavaScript, so no map ever reports its first frame: the page draws
everything in its first run (tests/test_map_first.py turns the wait on)."""

import os

os.environ.setdefault("MAPAPP_MAP_WAIT_S", "0")
