"""Benchmark: this app against a naive explore() page, in one run, in headless Chromium.

    python bench/run.py [--runs 5] [--levels department province district]

Starts both Streamlit servers, then per level and app: navigation → painted map,
indicator change → repainted map, bytes sent to the browser (HTTP bodies and
websocket frames) for the page and for one change; then server memory after 1
and after 10 sessions. Prints medians (min–max) and ratios, and writes
bench/results.md, which README shows.

No request leaves the machine: the naive page's CDN files (Leaflet, jQuery, d3,
Bootstrap, Font Awesome) are answered from npm packages fetched once into
bench/.cache; the two files npm does not have (bootstrap-glyphicons 3.0.0 and
folium's rotate CSS) are answered empty, so the naive bytes are a lower bound.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic"]
NPM_FILES = {  # CDN URL pattern → (npm package@version, path in the package)
    r"cdn\.jsdelivr\.net/npm/(@?[^@/]+(?:/[^@/]+)?)@([^/]+)/(.+)$": None,  # generic
    r"code\.jquery\.com/jquery-3\.7\.1\.min\.js$": ("jquery@3.7.1", "dist/jquery.min.js"),
    r"d3js\.org/d3\.v4\.min\.js$": ("d3@4.13.0", "build/d3.min.js"),
    r"cdnjs\.cloudflare\.com/ajax/libs/d3/3\.5\.5/d3\.min\.js$": ("d3@3.5.5", "d3.min.js"),
    r"Leaflet\.awesome-markers/2\.0\.2/(leaflet\.awesome-markers\.(?:js|css))$":
        ("leaflet.awesome-markers@2.0.4", "dist/{0}"),
}
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "ws://localhost", "data:",
         "blob:")
CHANGE_TO = {"ours": "Hectáreas instaladas", "naive": "hectares"}


@dataclass
class Sample:
    paint: list[float] = field(default_factory=list)
    change: list[float] = field(default_factory=list)
    page_bytes: list[int] = field(default_factory=list)  # the map: all but Streamlit's shell
    shell_bytes: list[int] = field(default_factory=list)  # Streamlit's own JS/CSS, same for both
    change_bytes: list[int] = field(default_factory=list)
    rss_1: float = 0.0
    rss_10: float = 0.0


def npm_file(package: str, path: str) -> bytes:
    folder = CACHE / package.replace("/", "__")
    if not folder.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(["npm", "pack", "--silent", package], cwd=CACHE, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        with tarfile.open(CACHE / out) as archive:
            archive.extractall(folder, filter="data")
    target = folder / "package" / path
    return target.read_bytes() if target.exists() else b""


def cdn_body(url: str) -> bytes:
    for pattern, spec in NPM_FILES.items():
        match = re.search(pattern, url)
        if not match:
            continue
        if spec is None:
            package, version, path = match.groups()
            return npm_file(f"{package}@{version}", path.split("?")[0])
        return npm_file(spec[0], spec[1].format(*match.groups()))
    return b""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return process, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{script} did not start")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Meter:
    """A page whose received bytes are counted; outside requests never leave."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.bytes = 0
        self.shell = 0
        self.outside: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("requestfinished", self._finished)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _route(self, route):
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            self.outside.append(url)
            body = cdn_body(url)
            kind = "text/css" if ".css" in url else "application/javascript"
            route.fulfill(status=200, body=body, content_type=kind)
            self.bytes += len(body)

    def _finished(self, request):
        try:
            size = request.sizes()["responseBodySize"]
        except Exception:  # a request torn down with its page
            return
        if re.search(r"127\.0\.0\.1:\d+/(static/|favicon)", request.url):
            self.shell += size  # Streamlit's frontend bundle
        else:
            self.bytes += size

    def _frame(self, payload):
        self.bytes += len(payload)

    def painted(self, caption: str, timeout_s: float = 60) -> float:
        """Seconds until a map frame shows the caption and has drawn its shapes."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout_s:
            for frame in self.page.frames:
                try:
                    if "st_folium" not in frame.url:
                        continue
                    drawn = frame.locator(
                        "path.leaflet-interactive, .leaflet-overlay-pane canvas").count()
                    if drawn and caption in frame.locator("body").inner_text(timeout=200):
                        return time.perf_counter() - start
                except Exception:  # the frame went away mid-check: look again
                    continue
            self.page.wait_for_timeout(30)
        raise TimeoutError(f"no painted map with {caption!r}")

    def close(self):
        self.context.close()


def open_indicator_menu(page, label: str):
    """Open the indicator dropdown; the change itself is the click on the option."""
    page.get_by_test_id("stSelectbox").first.click()
    option = page.get_by_role("option", name=label, exact=True)
    option.wait_for()
    return option


def measure(browser, app: str, url: str, level: str, runs: int, pid: int) -> Sample:
    sample = Sample()
    first_caption = "Familias apoyadas" if app == "ours" else "families_supported"
    query = f"?level={level}&basemap=none&localities=0" if app == "ours" else f"?level={level}"
    for run in range(runs + 1):  # the first run warms the server up and is not counted
        meter = Meter(browser)
        start = time.perf_counter()
        meter.page.goto(url + query)
        meter.painted(first_caption)
        paint = time.perf_counter() - start
        meter.page.wait_for_timeout(500)
        page_bytes, shell_bytes = meter.bytes, meter.shell
        option = open_indicator_menu(meter.page, CHANGE_TO[app])
        meter.bytes = 0
        start = time.perf_counter()
        option.click()
        meter.painted("Hectáreas instaladas" if app == "ours" else "hectares")
        change = time.perf_counter() - start
        meter.page.wait_for_timeout(500)
        if run:
            sample.paint.append(paint)
            sample.change.append(change)
            sample.page_bytes.append(page_bytes)
            sample.shell_bytes.append(shell_bytes)
            sample.change_bytes.append(meter.bytes)
        if app == "ours" and meter.outside:
            raise AssertionError(f"the app asked for outside files: {meter.outside[:3]}")
        meter.close()
    sample.rss_1, sample.rss_10 = sessions_memory(browser, url + query, first_caption, pid)
    return sample


def sessions_memory(browser, url: str, caption: str, pid: int) -> tuple[float, float]:
    meters = []
    try:
        for count in range(10):
            meter = Meter(browser)
            meter.page.goto(url)
            meter.painted(caption)
            meters.append(meter)
            if count == 0:
                time.sleep(1)
                one = rss_mb(pid)
        time.sleep(1)
        return one, rss_mb(pid)
    finally:
        for meter in meters:
            meter.close()


def stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def row(name: str, ours: list[float], naive: list[float], unit: str, scale: float = 1.0,
        digits: int = 2) -> str:
    o, n = stats(ours), stats(naive)

    def cell(v: tuple[float, float, float]) -> str:
        return f"{v[0] * scale:.{digits}f} ({v[1] * scale:.{digits}f}–{v[2] * scale:.{digits}f})"

    return f"| {name} | {cell(o)} {unit} | {cell(n)} {unit} | {o[0] / n[0]:.0%} |"


def report(results: dict[str, dict[str, Sample]], runs: int) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} "
        f"cores, Python {platform.python_version()}, {chromium_version()}; median of {runs} "
        "runs (min–max) after one warm-up run per page. A change is timed from the click on "
        "the new indicator in the open dropdown. Ratio = ours / naive. Map bytes are "
        "HTTP bodies and websocket frames (uncompressed) other than Streamlit's own "
        "frontend bundle; each run is a fresh browser profile (cold cache).", ""]
    for level, pair in results.items():
        ours, naive = pair["ours"], pair["naive"]
        lines += [f"**{level}**", "", "| measure | ours | naive | ratio |",
                  "| --- | --- | --- | --- |",
                  row("navigation → painted map", ours.paint, naive.paint, "s"),
                  row("indicator change → repainted map", ours.change, naive.change, "s"),
                  row("map bytes, page load", ours.page_bytes, naive.page_bytes,
                      "kB", 1 / 1000, 0),
                  row("map bytes, one indicator change", ours.change_bytes,
                      naive.change_bytes, "kB", 1 / 1000, 0),
                  row("Streamlit's own page assets (both)", ours.shell_bytes,
                      naive.shell_bytes, "kB", 1 / 1000, 0),
                  f"| server RSS after 1 / 10 sessions | {ours.rss_1:.0f} / {ours.rss_10:.0f} MB"
                  f" | {naive.rss_1:.0f} / {naive.rss_10:.0f} MB | |",
                  f"| memory per extra session | {(ours.rss_10 - ours.rss_1) / 9:.1f} MB | "
                  f"{(naive.rss_10 - naive.rss_1) / 9:.1f} MB | |", ""]
    return "\n".join(lines)


def chromium_version() -> str:
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                              timeout=20).stdout.strip()
    except OSError:
        return "Chromium"


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--levels", nargs="*", default=["department", "province", "district"])
    args = parser.parse_args()
    results: dict[str, dict[str, Sample]] = {}
    servers = {"ours": start("streamlit_app.py"), "naive": start("bench/naive_app.py")}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for level in args.levels:
                results[level] = {}
                for app, (process, url) in servers.items():
                    print(f"{level}: {app}…", flush=True)
                    results[level][app] = measure(browser, app, url, level, args.runs,
                                                  process.pid)
            browser.close()
    finally:
        for process, _ in servers.values():
            process.terminate()
    text = report(results, args.runs)
    (ROOT / "bench" / "results.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
