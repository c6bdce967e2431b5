"""A real server and headless Chromium (Debian's, driven by Playwright).

Every request that does not go to the local server is blocked and recorded, so
the tests show the page works with no internet. Screenshots go to
``test-artifacts/screenshots`` for a person to look at.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from helpers import free_port, start_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")



@pytest.fixture(scope="session")
def server():
    port = free_port()
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
               MAPAPP_MAP_WAIT_S="4")  # a browser reports the map: map first, as served
    log = open(ROOT / "test-artifacts" / "server.log", "w") if _mk() else subprocess.DEVNULL
    try:
        process, url = start_app(env, log, port=port)
    except RuntimeError:
        raise RuntimeError("streamlit did not start; see test-artifacts/server.log") from None
    yield url
    process.terminate()
    process.wait(timeout=20)


def _mk() -> bool:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return True


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: install Debian's chromium "
                           "(apt-get install chromium) or set CHROMIUM=/path/to/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class OfflinePage:
    """A page whose requests outside the local server are blocked and recorded."""

    def __init__(self, browser, base_url: str, width: int = 1500, height: int = 1100):
        self.base_url = base_url
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.failed: list[str] = []  # local requests that failed (a chunk never loaded?)
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)

    def _route(self, route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open(self, query: str = ""):
        """The page once the map has painted and the rest of the page (drawn after the
        map reports, map first) is there and idle."""
        self.page.goto(f"{self.base_url}/{query}")
        frame = self.map_frame()
        # attached, not visible: presentation mode hides the sidebar
        self.page.get_by_test_id("stSidebar").get_by_test_id("stExpander").first.wait_for(
            state="attached", timeout=30_000)
        self.idle()
        return frame

    def map_frame(self, timeout_s: float = 45):
        """The map's iframe once Leaflet has painted places and the legend."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for frame in self.page.frames:
                if "st_folium" in frame.url and _painted(frame):
                    return frame
            self.page.wait_for_timeout(250)  # keeps routing alive, unlike time.sleep
        raise AssertionError("the map never painted")

    def sidebar(self):
        """The sidebar, open, once its first widget can be clicked (Streamlit loads each
        widget's code on demand: for a moment a selectbox is in the page with no size).
        Streamlit could mount it collapsed on a narrow window: a person opens it with the
        chevron, and so does this. If the widget never comes, say what the page saw."""
        bar = self.page.get_by_test_id("stSidebar")
        if bar.get_attribute("data-collapsed") == "true":
            self.page.get_by_test_id("stExpandSidebarButton").click()
        first = bar.get_by_test_id("stSelectbox").first
        try:
            first.wait_for(state="visible", timeout=30_000)
        except Exception as exc:
            self.screenshot("sidebar-widget-never-came")
            raise AssertionError(f"the sidebar's first selectbox never showed; "
                                 f"{self.diagnose()}") from exc
        self.idle()
        return bar

    def idle(self, timeout_s: float = 30) -> None:
        """Until no script run is going on (the status widget shows one)."""
        deadline = time.monotonic() + timeout_s
        while self.page.get_by_test_id("stStatusWidget").count() and \
                time.monotonic() < deadline:
            self.page.wait_for_timeout(100)

    def diagnose(self) -> str:
        return (f"failed requests: {self.failed}; console: {self.console[-20:]}; "
                f"page errors: {self.errors}")

    def screenshot(self, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self):
        self.context.close()


@pytest.fixture
def offline(browser, server):
    pages: list[OfflinePage] = []

    def make(**size) -> OfflinePage:
        page = OfflinePage(browser, server, **size)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()


def _painted(frame) -> bool:
    """Places and legend drawn; a frame that a remount is tearing down is not."""
    from playwright.sync_api import Error

    try:
        return bool(frame.locator(".leaflet-overlay-pane canvas").count()
                    and frame.locator(".map-legend").count())
    except Error:  # "Frame was detached": the old map of a view that changed level
        return False
