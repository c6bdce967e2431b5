"""Benchmark: this app against a naive explore() page and against the floor (a page
holding only our map), in one run, in headless Chromium.

    python bench/run.py [--runs 5] [--levels department province district]
                        [--skip slow cold memory]

Three Streamlit servers run side by side: ours (started as ``make run`` starts it),
the naive page (bench/naive_app.py) and the floor (bench/floor_app.py). Per level,
after one warm-up visit per page, each round visits the three pages in turn (the
order rotates from round to round), each visit in a fresh browser context (cold
cache). A visit measures:

- first styled map: from the top page's navigation start to the first animation
  frame after the places layer was drawn in the data's colours. Ours and the floor
  mark it themselves (``window.mapappStyled``, set by static/mapapp/mapapp.js in the
  map's iframe); in the naive page an init script sets the same mark in the first
  animation frame after its GeoJSON layer is on the map with its features (folium
  styles them as they are added) and its iframe has a height. Both marks are
  ``performance.now()`` of the map's iframe, turned into time since the top page's
  navigation start through the two documents' ``performance.timeOrigin``;
- repaint: from the pointer going down on the new indicator in the open dropdown
  (the event's time in the top page) to the next such mark. The bench clears the
  mark before the click; for ours it also sets it again after the next
  ``mapappBase.apply`` has styled the shapes (in the animation frame after), in
  case the page marks only its first view; the naive page mounts a new map;
- bytes, counted once each, as Chromium received them (CDP Network events; what
  came from the browser's cache is not counted): HTTP bodies on the wire
  (content-encoded, as sent) and decoded; websocket frames decoded (CDP) and on
  the wire (permessage-deflate, frame headers included, counted by a TCP relay in
  front of each server). "Map bytes" are all of them but Streamlit's own frontend
  (its index page, /static/, /_stcore/ files), which is reported apart.

Then, at district level: first styled map on a slow link (Chromium's network
emulation, 1.6 Mbps down, 750 kbps up, 300 ms RTT), the three pages in turn; server
memory after 1 and 10 open sessions; cold start (each round a fresh server process
of ours, its first visit against a second visit). Ratios are medians (min–max) of
per-round ratios; budgets (issue 11) are printed with met / not met. Writes
bench/results.md, which README shows.

No request leaves the machine: every outside host resolves to a local HTTPS mirror
(Chromium's host resolver rules). It answers the naive page's CDN files (Leaflet,
jQuery, d3, Bootstrap, Font Awesome) from their npm packages, fetched once into
bench/.cache, brotli-compressed as the CDNs send them; what npm does not have
(bootstrap-glyphicons 3.0.0, folium's rotate CSS, map tiles) is answered 404 with
no body, so the naive bytes are a lower bound.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import http.server
import os
import platform
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
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
PAGES = ("ours", "naive", "floor")
VIEWPORT = {"width": 1400, "height": 1000}
SLOW = {"offline": False, "latency": 300, "downloadThroughput": 1_600_000 / 8,
        "uploadThroughput": 750_000 / 8}
SLOW_TEXT = "1.6 Mbps down, 750 kbps up, 300 ms RTT"
MAP_FRAME = "streamlit_folium.st_folium"  # the map component's iframe (its URL and title)
SETTLE_S = 0.5  # quiet time that ends a phase's byte count
TIMEOUT_S = {False: 90, True: 240}  # per visit, fast / slow link
# The mark, in the map's iframe: performance.now() of the first styled frame.
# (ms since the epoch, the map's size then), or null before the mark.
READ_MARK = "() => window.mapappStyled === undefined ? null : [performance.timeOrigin + " \
            "window.mapappStyled, innerWidth + '×' + innerHeight]"
CLEAR_MARK = "() => { window.mapappStyled = undefined; }"
# Ours and the floor, before a change: the same mark after the next apply() has styled
# the shapes (in case the page marks only its first view).
MARK_NEXT_APPLY = """() => {
  var base = window.mapappBase;
  if (!base || base.benchWrapped) { return; }
  var apply = base.apply;
  base.benchWrapped = true;
  base.apply = function () {
    return Promise.resolve(apply.apply(this, arguments)).then(function (result) {
      requestAnimationFrame(function () {
        if (window.mapappStyled === undefined) { window.mapappStyled = performance.now(); }
      });
      return result;
    });
  };
}"""
# Every page: when the last click began (pointer down) in the top page (ms since the
# epoch).
CLICK_TIME = """
if (window === window.top) {
  window.addEventListener("pointerdown", function (e) {
    window.benchClick = performance.timeOrigin + e.timeStamp;
  }, true);
}
"""
# The naive page: the same mark, set in the first animation frame after a GeoJSON
# layer is on the map with features (explore()'s data layer; folium styles each
# feature as it is added) in which the map's iframe has a height (streamlit-folium
# sizes it just after the map's script has run). Leaflet is hooked as it defines
# window.L.
NAIVE_MARK = """
(function () {
  var leaflet, pending = false;
  function mark() {
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      if (!window.innerHeight) { mark(); return; }  // not to be seen yet: next frame
      if (window.mapappStyled === undefined) { window.mapappStyled = performance.now(); }
    });
  }
  function hook(L) {
    if (!L || !L.GeoJSON || L.GeoJSON.prototype.benchHooked) { return; }
    var proto = L.GeoJSON.prototype, addData = proto.addData, onAdd = proto.onAdd;
    proto.benchHooked = true;
    proto.addData = function () {
      var result = addData.apply(this, arguments);
      if (this._map && this.getLayers().length) { mark(); }
      return result;
    };
    proto.onAdd = function () {
      var result = onAdd.apply(this, arguments);
      if (this.getLayers().length) { mark(); }
      return result;
    };
  }
  Object.defineProperty(window, "L", {configurable: true, enumerable: true,
    get: function () { return leaflet; },
    set: function (value) { leaflet = value; hook(value); }});
})();
"""


# --- the naive page's CDN, answered from npm ----------------------------------------

def npm_file(package: str, path: str) -> Path | None:
    folder = CACHE / package.replace("/", "__")
    if not folder.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(["npm", "pack", "--silent", package], cwd=CACHE, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        with tarfile.open(CACHE / out) as archive:
            archive.extractall(folder, filter="data")
    target = folder / "package" / path
    return target if target.is_file() else None


def cdn_file(url: str) -> Path | None:
    for pattern, spec in NPM_FILES.items():
        match = re.search(pattern, url)
        if not match:
            continue
        if spec is None:
            package, version, path = match.groups()
            return npm_file(f"{package}@{version}", path.split("?")[0])
        return npm_file(spec[0], spec[1].format(*match.groups()))
    return None


def brotli(path: Path) -> bytes:
    """The file brotli-compressed at quality 11, as CDNs send it (node's zlib; npm
    brings node), kept beside the file."""
    packed = path.with_name(path.name + ".br")
    if not packed.exists():
        script = ("const z=require('zlib'),fs=require('fs');fs.writeFileSync(process.argv[2],"
                  "z.brotliCompressSync(fs.readFileSync(process.argv[1]),{params:{"
                  "[z.constants.BROTLI_PARAM_QUALITY]:11}}))")
        subprocess.run(["node", "-e", script, str(path), str(packed)], check=True)
    return packed.read_bytes()


class Mirror:
    """An HTTPS server that every outside host resolves to: the CDN files from npm."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        cert, key = CACHE / "mirror-cert.pem", CACHE / "mirror-key.pem"
        if not cert.exists():
            CACHE.mkdir(parents=True, exist_ok=True)
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", str(key), "-out", str(cert), "-days", "3650",
                            "-subj", "/CN=bench-mirror"], check=True, capture_output=True)
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                url = f"https://{self.headers.get('Host', '')}{self.path}"
                mirror.asked.append(url)
                path = cdn_file(url)
                if path is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                accepted = self.headers.get("Accept-Encoding", "")
                body, coding = ((brotli(path), "br") if "br" in accepted else
                                (gzip.compress(path.read_bytes(), 9), "gzip"))
                kind = {".css": "text/css", ".js": "application/javascript",
                        ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf",
                        ".svg": "image/svg+xml"}.get(path.suffix, "application/octet-stream")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Encoding", coding)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Cache-Control", "public, max-age=31536000")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def browser_args(self) -> list[str]:
        return [f"--host-resolver-rules=MAP * 127.0.0.1:{self.port}, EXCLUDE 127.0.0.1, "
                "EXCLUDE localhost"]

    def close(self) -> None:
        self.server.shutdown()


# --- servers ----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script: str, command: list[str] | None = None,
          env: dict[str, str] | None = None, log: Path | None = None,
          ) -> tuple[subprocess.Popen, str]:
    """A Streamlit server of ``script`` (or ``command`` + port options); its URL. Its
    output goes to ``log`` when given."""
    port = free_port()
    options = ["--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true"]
    command = command or [sys.executable, "-m", "streamlit", "run", script]
    output = log.open("w") if log else subprocess.DEVNULL
    process = subprocess.Popen([*command, *options], cwd=ROOT, env={**os.environ, **(env or {})},
                               stdout=output, stderr=subprocess.STDOUT if log else output)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return process, url
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"{script} did not start" + (f"; see {log}" if log else ""))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Relay:
    """A TCP relay in front of a server that counts what its websockets send, as sent
    (after the handshake: compressed frames with their headers)."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.ws_bytes = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target))
            first = client.recv(65536)
            upstream.sendall(first)
        except OSError:
            client.close()
            return
        websocket = first.startswith(b"GET /_stcore/stream")
        up = threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True)
        up.start()
        self._pipe(upstream, client, websocket)
        up.join(timeout=5)
        client.close()
        upstream.close()

    def _pipe(self, source: socket.socket, sink: socket.socket, count: bool) -> None:
        head = b"" if count else None  # the handshake's response, not counted
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                if not count:
                    continue
                if head is not None:
                    head += data
                    end = head.find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    data, head = head[end + 4:], None
                with self.lock:
                    self.ws_bytes += len(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()


@dataclass
class Server:
    process: subprocess.Popen
    relay: Relay
    started_s: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.relay.port}"

    def stop(self) -> None:
        self.relay.close()
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


OURS_COMMANDS = {  # as `make run` starts it (warmed before it listens), or plain
    "python -m mapapp serve": [sys.executable, "-m", "mapapp", "serve"],
    "streamlit run streamlit_app.py": [sys.executable, "-m", "streamlit", "run",
                                       "streamlit_app.py"]}
OURS_STARTED_BY: list[str] = []  # which of them served ours


def floor_script() -> Path:
    """bench/floor_app.py, run from a folder beside the app's static/ files: Streamlit
    serves /app/static from the folder of the script it runs."""
    folder = CACHE / "floor"
    folder.mkdir(parents=True, exist_ok=True)
    static = folder / "static"
    if not static.is_symlink():
        static.symlink_to(ROOT / "static", target_is_directory=True)
    script = folder / "floor_app.py"
    shutil.copyfile(ROOT / "bench" / "floor_app.py", script)
    return script


def launch(page: str) -> Server:
    began = time.perf_counter()
    env = {"MALLOC_ARENA_MAX": "2"}  # as make run
    if page == "floor":
        process, url = start(str(floor_script()), env=env)
    elif page != "ours":
        process, url = start(f"bench/{page}_app.py", env=env)
    else:
        for how, command in OURS_COMMANDS.items():
            began = time.perf_counter()
            try:
                process, url = start("streamlit_app.py", command, env)
            except RuntimeError:
                continue
            OURS_STARTED_BY.append(how)
            break
        else:
            raise RuntimeError("ours did not start")
    return Server(process, Relay(int(url.rsplit(":", 1)[1])), time.perf_counter() - began)


# --- one visit --------------------------------------------------------------------

def query(page: str, level: str) -> str:
    return f"/?level={level}" if page == "naive" else \
        f"/?level={level}&basemap=none&localities=0"


def change_labels(page: str) -> tuple[str, str]:
    """(the indicator selectbox's label, the option to click)."""
    if page == "naive":
        return "Indicator", "hectares"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from mapapp.model import catalog
    from mapapp.model.i18n import t
    return t("indicator", "es"), catalog.INDICATORS["hectares"].label["es"]


@dataclass
class Result:
    paint: float
    change: float | None
    bytes: Counter  # (phase, part, measure) → bytes; part map/shell, measure wire/decoded
    map_size: str  # width×height of the map's iframe at the first styled frame


class Visit:
    """One page load (and optionally one indicator change) in a fresh browser context."""

    def __init__(self, browser, server: Server, page: str, slow: bool = False) -> None:
        self.server, self.kind, self.slow = server, page, slow
        self.query = ""
        self.context = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
        self.context.add_init_script(CLICK_TIME)
        if page == "naive":
            self.context.add_init_script(NAIVE_MARK)
        self.page = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        if slow:
            self.cdp.send("Network.emulateNetworkConditions", SLOW)
        self.bytes: Counter = Counter()
        self.phase = "load"
        self.ws_mark = server.relay.ws_bytes
        self.urls: dict[str, str] = {}
        self.heads: dict[str, int] = {}
        self.decoded: Counter = Counter()
        self.cached: set[str] = set()
        self.outside: list[str] = []
        self.last_event = time.monotonic()
        self.size = "?"
        for event, handler in [("Network.requestWillBeSent", self._request),
                               ("Network.responseReceived", self._response),
                               ("Network.dataReceived", self._data),
                               ("Network.loadingFinished", self._finished),
                               ("Network.requestServedFromCache", self._cached),
                               ("Network.webSocketFrameReceived", self._frame)]:
            self.cdp.on(event, handler)

    # CDP events: each body counted once, when it has finished loading.
    def _request(self, event) -> None:
        self.last_event = time.monotonic()
        url = event["request"]["url"]
        self.urls[event["requestId"]] = url
        if url.startswith("http") and not url.startswith("http://127.0.0.1"):
            self.outside.append(url)

    def _response(self, event) -> None:
        self.last_event = time.monotonic()
        response = event["response"]
        self.heads[event["requestId"]] = int(response.get("encodedDataLength", 0))
        if response.get("fromDiskCache") or response.get("fromPrefetchCache") or \
                response.get("fromServiceWorker"):
            self.cached.add(event["requestId"])

    def _cached(self, event) -> None:
        self.cached.add(event["requestId"])

    def _data(self, event) -> None:
        self.last_event = time.monotonic()
        self.decoded[event["requestId"]] += int(event.get("dataLength", 0))

    def _finished(self, event) -> None:
        self.last_event = time.monotonic()
        request = event["requestId"]
        url = self.urls.get(request, "")
        if not url.startswith("http") or request in self.cached:  # nothing travelled
            self.decoded.pop(request, None)
            return
        part = "shell" if re.match(r"http://127\.0\.0\.1:\d+/(static/|favicon|_stcore/|\?|$)",
                                   url) else "map"
        wire = int(event.get("encodedDataLength", 0)) - self.heads.get(request, 0)
        self.bytes[(self.phase, part, "wire")] += max(wire, 0)
        self.bytes[(self.phase, part, "decoded")] += self.decoded.pop(request, 0)

    def _frame(self, event) -> None:
        self.last_event = time.monotonic()
        response = event["response"]
        payload = response.get("payloadData", "")
        size = len(base64.b64decode(payload)) if response.get("opcode") == 2 else \
            len(payload.encode())
        self.bytes[(self.phase, "map", "decoded")] += size

    def _end_phase(self) -> None:
        """Wait until nothing has arrived for SETTLE_S, then close the phase's count."""
        deadline = time.monotonic() + (30 if self.slow else 8)
        ws = self.server.relay.ws_bytes
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            now_ws = self.server.relay.ws_bytes
            if now_ws != ws or self.last_event > quiet_since:
                ws, quiet_since = now_ws, time.monotonic()
            elif time.monotonic() - quiet_since >= SETTLE_S:
                break
        self.bytes[(self.phase, "map", "wire")] += ws - self.ws_mark
        self.ws_mark = ws

    def map_frames(self):
        return [f for f in self.page.frames if MAP_FRAME in f.url]

    def styled_after(self, since: float) -> float:
        """The first styled mark later than ``since`` (ms since the epoch)."""
        deadline = time.monotonic() + TIMEOUT_S[self.slow]
        while time.monotonic() < deadline:
            for frame in self.map_frames():
                try:
                    mark = frame.evaluate(READ_MARK)
                except Exception:  # the frame went away mid-check: look again
                    continue
                if mark and mark[0] > since:
                    self.size = mark[1]
                    return mark[0]
            self.page.wait_for_timeout(25)
        raise TimeoutError(f"{self.kind}: no styled map")

    def load(self) -> float:
        self.page.goto(self.server.url + self.query, wait_until="commit")
        origin = self.page.evaluate("performance.timeOrigin")
        paint = (self.styled_after(0) - origin) / 1000
        return paint

    def change(self, selectbox: str, option_label: str) -> float:
        for frame in self.map_frames():
            frame.evaluate(CLEAR_MARK)
            if self.kind != "naive":
                frame.evaluate(MARK_NEXT_APPLY)
        box = self.page.get_by_test_id("stSelectbox").filter(has_text=selectbox).first
        box.click()
        option = self.page.get_by_role("option", name=option_label, exact=True)
        option.wait_for()
        self._end_phase()
        self.phase = "change"
        option.click()
        clicked = self.page.evaluate("window.benchClick")
        return (self.styled_after(clicked) - clicked) / 1000

    def run(self, level: str, change: bool) -> Result:
        self.query = query(self.kind, level)
        try:
            paint = self.load()
            size = self.size  # the map's size when it was first styled
            repaint = self.change(*change_labels(self.kind)) if change else None
            if not self.slow:
                self._end_phase()
            if self.kind != "naive" and self.outside:
                raise AssertionError(f"{self.kind} asked for outside files: {self.outside[:3]}")
            return Result(paint, repaint, self.bytes, size)
        finally:
            self.context.close()


# --- the run ----------------------------------------------------------------------

@dataclass
class Block:
    """Per-round results of a set of pages (a level, the slow link, the cold start)."""
    rounds: list[dict[str, Result]] = field(default_factory=list)
    load: list[float] = field(default_factory=list)  # 1-min load average at each round

    def values(self, page: str, get) -> list[float]:
        return [get(r[page]) for r in self.rounds if page in r]

    def ratios(self, top: str, bottom: str, get) -> list[float]:
        return [get(r[top]) / get(r[bottom]) for r in self.rounds
                if top in r and bottom in r and get(r[bottom])]


RETRIED: list[str] = []  # visits that timed out and were made again


def visit(browser, server: Server, page: str, level: str, *, slow: bool = False,
          change: bool = False) -> Result:
    """One visit; one that times out (a stalled load on a busy machine) is made once
    more, and counted in the report."""
    try:
        return Visit(browser, server, page, slow).run(level, change)
    except TimeoutError as error:
        RETRIED.append(f"{page} {level}{' slow' if slow else ''}: {error}")
        print(f"  retrying after: {error}", flush=True)
        return Visit(browser, server, page, slow).run(level, change)


def rotated(pages: list[str], by: int) -> list[str]:
    return pages[by % len(pages):] + pages[:by % len(pages)]


def run_level(browser, servers: dict[str, Server], level: str, runs: int) -> Block:
    block = Block()
    pages = list(PAGES)
    for page in pages:  # warm-up, not counted
        visit(browser, servers[page], page, level, change=page != "floor")
    for number in range(runs):
        block.load.append(os.getloadavg()[0])
        block.rounds.append({page: visit(browser, servers[page], page, level,
                                         change=page != "floor")
                             for page in rotated(pages, number)})
        print(f"  {level} round {number + 1}: " + ", ".join(
            f"{p} {r.paint:.2f} s" for p, r in block.rounds[-1].items()), flush=True)
    return block


def run_slow(browser, servers: dict[str, Server], runs: int) -> Block:
    block = Block()
    for number in range(runs):
        block.load.append(os.getloadavg()[0])
        block.rounds.append({page: visit(browser, servers[page], page, "district", slow=True)
                             for page in rotated(list(PAGES), number)})
        print(f"  slow link round {number + 1}: " + ", ".join(
            f"{p} {r.paint:.2f} s" for p, r in block.rounds[-1].items()), flush=True)
    return block


def run_cold(browser, runs: int) -> tuple[Block, list[float]]:
    """Each round: a fresh server of ours, its first visit (cold) and a second (warm)."""
    block, started = Block(), []
    for number in range(runs):
        block.load.append(os.getloadavg()[0])
        server = launch("ours")
        started.append(server.started_s)
        try:
            cold = visit(browser, server, "ours", "district")
            warm = visit(browser, server, "ours", "district")
        finally:
            server.stop()
        block.rounds.append({"cold": cold, "warm": warm})
        print(f"  cold start round {number + 1}: cold {cold.paint:.2f} s, "
              f"warm {warm.paint:.2f} s", flush=True)
    return block, started


def sessions_memory(browser, server: Server, page: str) -> tuple[float, float]:
    """Server RSS with 1 and with 10 sessions open on the district map."""
    sessions: list[Visit] = []
    try:
        for count in range(10):
            session = Visit(browser, server, page)
            session.query = query(page, "district")
            session.load()
            sessions.append(session)
            if count == 0:
                time.sleep(2)
                one = rss_mb(server.process.pid)
        time.sleep(2)
        return one, rss_mb(server.process.pid)
    finally:
        for session in sessions:
            session.context.close()


# --- the report -------------------------------------------------------------------

def stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def seconds(values: list[float]) -> str:
    if not values:
        return "–"
    m, lo, hi = stats(values)
    return f"{m:.2f} ({lo:.2f}–{hi:.2f}) s"


def kilobytes(values: list[float]) -> str:
    if not values:
        return "–"
    m, lo, hi = (v / 1000 for v in stats(values))
    return f"{m:,.0f} kB" if round(lo) == round(hi) else f"{m:,.0f} ({lo:,.0f}–{hi:,.0f}) kB"


def percent(ratios: list[float]) -> str:
    if not ratios:
        return "–"
    m, lo, hi = stats(ratios)
    return f"{m:.0%} ({lo:.0%}–{hi:.0%})" if round(lo, 2) != round(hi, 2) else f"{m:.0%}"


def times(ratios: list[float]) -> str:
    if not ratios:
        return "–"
    m, lo, hi = stats(ratios)
    return f"{m:.2f}× ({lo:.2f}–{hi:.2f})" if round(lo, 2) != round(hi, 2) else f"{m:.2f}×"


class Budgets:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, bool]] = []

    def check(self, name: str, ratios: list[float], limit: float, shown: str) -> str:
        met = bool(ratios) and statistics.median(ratios) <= limit
        self.lines.append((name, shown, met))
        return f"{'met' if met else '**not met**'}"


FIRST_PAINT_BUDGET = {"district": 0.60, "province": 0.80, "department": 0.95}


def level_table(level: str, block: Block, budgets: Budgets) -> list[str]:
    def paint(r):
        return r.paint

    def change(r):
        return r.change

    def b(phase, part, measure):
        return lambda r: r.bytes[(phase, part, measure)]

    limit = FIRST_PAINT_BUDGET.get(level, 0.60)
    vs_naive = block.ratios("ours", "naive", paint)
    vs_floor = block.ratios("ours", "floor", paint)
    lines = [f"**{level}** (1-min load average at each round's start: "
             f"{', '.join(f'{v:.1f}' for v in block.load)})", "",
             "| measure | ours | naive | floor | ours / naive | ours / floor | budget |",
             "| --- | --- | --- | --- | --- | --- | --- |",
             f"| navigation → first styled map | {seconds(block.values('ours', paint))} | "
             f"{seconds(block.values('naive', paint))} | {seconds(block.values('floor', paint))}"
             f" | {percent(vs_naive)} | {times(vs_floor)} | ≤ {limit:.0%} of naive: "
             + budgets.check(f"first styled map, {level}: ≤ {limit:.0%} of naive", vs_naive,
                             limit, percent(vs_naive))
             + "; ≤ 1.15× floor: "
             + budgets.check(f"first styled map, {level}: ≤ 1.15× the floor", vs_floor, 1.15,
                             times(vs_floor)) + " |"]
    repaint = block.ratios("ours", "naive", change)
    budget = ""
    if level == "district":
        budget = "≤ 20%: " + budgets.check("repaint after an indicator change, district: "
                                            "≤ 20% of naive", repaint, 0.20, percent(repaint))
    lines.append(f"| indicator change → restyled map | {seconds(block.values('ours', change))} "
                 f"| {seconds(block.values('naive', change))} | – | {percent(repaint)} | – | "
                 f"{budget} |")
    for name, phase, part in [("map bytes, page load", "load", "map"),
                              ("map bytes, one indicator change", "change", "map"),
                              ("Streamlit's own frontend, page load", "load", "shell")]:
        for measure in ("wire", "decoded"):
            get = b(phase, part, measure)
            ratios = block.ratios("ours", "naive", get)
            budget = ""
            if part == "map":
                budget = "≤ 25%: " + budgets.check(
                    f"{name}, {measure}, {level}: ≤ 25% of naive", ratios, 0.25,
                    percent(ratios))
            floor = kilobytes(block.values("floor", get)) if phase == "load" else "–"
            floor_ratio = percent(block.ratios("ours", "floor", get)) if phase == "load" \
                else "–"
            lines.append(f"| {name}, {measure} | {kilobytes(block.values('ours', get))} | "
                         f"{kilobytes(block.values('naive', get))} | {floor} | "
                         f"{percent(ratios)} | {floor_ratio} | {budget} |")
    return [*lines, ""]


def map_sizes(levels: dict[str, Block]) -> str:
    seen = {page: Counter(r[page].map_size for block in levels.values()
                          for r in block.rounds if page in r) for page in PAGES}
    return "; ".join(f"{page} " + ", ".join(f"{size} ×{n}" for size, n in sizes.most_common())
                     for page, sizes in seen.items())


def report(levels: dict[str, Block], slow: Block | None,
           cold: tuple[Block, list[float]] | None,
           memory: dict[str, tuple[float, float]], runs: int) -> str:
    budgets = Budgets()
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} "
        f"cores, Python {platform.python_version()}, {chromium_version()}; ours served by "
        f"`{', '.join(sorted(set(OURS_STARTED_BY))) or '?'}`. {runs} rounds per table, the "
        "pages in turn (the order rotating), each visit in a fresh browser context; one "
        "warm-up visit per page before each level. Times: median (min–max) of the rounds. "
        "Ratios: median (min–max) of the per-round ratios; budgets are checked on those "
        "medians. kB = 1,000 bytes. The map's iframe at its first styled frame (px × "
        f"visits): {map_sizes(levels)}.", ""]
    for level, block in levels.items():
        lines += level_table(level, block, budgets)
    if slow is not None:
        def paint(r):
            return r.paint
        ratios = slow.ratios("ours", "naive", paint)
        vs_floor = slow.ratios("ours", "floor", paint)
        lines += [f"**district, slow link** ({SLOW_TEXT}; Chromium's network emulation; "
                  f"no warm-up; load average at each round's start: "
                  f"{', '.join(f'{v:.1f}' for v in slow.load)})", "",
                  "| measure | ours | naive | floor | ours / naive | ours / floor | budget |",
                  "| --- | --- | --- | --- | --- | --- | --- |",
                  f"| navigation → first styled map | {seconds(slow.values('ours', paint))} | "
                  f"{seconds(slow.values('naive', paint))} | "
                  f"{seconds(slow.values('floor', paint))} | {percent(ratios)} | "
                  f"{times(vs_floor)} | ≤ 50% of naive: "
                  + budgets.check("first styled map on the slow link, district: "
                                  "≤ 50% of naive", ratios, 0.50, percent(ratios)) + " |", ""]
    if cold is not None:
        block, started = cold
        ratios = block.ratios("cold", "warm", lambda r: r.paint)
        lines += [f"**cold start, district** (each round a fresh server process of ours, "
                  f"started as `make run` starts it, ready in "
                  f"{seconds(started)}; load average at each round's start: "
                  f"{', '.join(f'{v:.1f}' for v in block.load)})", "",
                  "| measure | first visit (cold) | second visit (warm) | cold / warm | budget |",
                  "| --- | --- | --- | --- | --- |",
                  f"| navigation → first styled map | "
                  f"{seconds(block.values('cold', lambda r: r.paint))} | "
                  f"{seconds(block.values('warm', lambda r: r.paint))} | {times(ratios)} | "
                  "≤ 1.5×: " + budgets.check("cold-start first paint: ≤ 1.5× warm", ratios,
                                            1.5, times(ratios)) + " |", ""]
    if memory:
        lines += ["**server memory, district** (RSS with 1 and with 10 sessions open)", "",
                  "| measure | ours | naive | budget |", "| --- | --- | --- | --- |"]
        one = {page: f"{m[0]:.0f} / {m[1]:.0f} MB" for page, m in memory.items()}
        extra = {page: (m[1] - m[0]) / 9 for page, m in memory.items()}
        lines.append(f"| RSS, 1 / 10 sessions | {one.get('ours', '–')} | "
                     f"{one.get('naive', '–')} | |")
        ours_extra = extra.get("ours")
        budget = "≤ 30 MB: " + budgets.check(
            "memory per extra session: ≤ 30 MB",
            [ours_extra] if ours_extra is not None else [], 30,
            f"{ours_extra:.1f} MB" if ours_extra is not None else "–")
        lines += ["| memory per extra session | "
                  + " | ".join(f"{extra[p]:.1f} MB" if p in extra else "–"
                               for p in ("ours", "naive")) + f" | {budget} |", ""]
    if RETRIED:
        lines += [f"Visits made again after a timeout: {len(RETRIED)} ("
                  + "; ".join(RETRIED) + ").", ""]
    met = [name for name, _, ok in budgets.lines if ok]
    missed = [f"{name} ({shown})" for name, shown, ok in budgets.lines if not ok]
    lines += [f"Budgets met: {len(met)} of {len(budgets.lines)}."
              + (" Not met: " + "; ".join(missed) + "." if missed else "")]
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
    parser.add_argument("--runs", type=int, default=5, help="rounds per table")
    parser.add_argument("--levels", nargs="*", default=["department", "province", "district"])
    parser.add_argument("--skip", nargs="*", default=[], choices=["slow", "cold", "memory"])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args()
    began = time.perf_counter()
    mirror = Mirror()
    servers = {page: launch(page) for page in PAGES}
    levels: dict[str, Block] = {}
    slow = cold = None
    memory: dict[str, tuple[float, float]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=ARGS + mirror.browser_args())
            for level in args.levels:
                print(f"{level}…", flush=True)
                levels[level] = run_level(browser, servers, level, args.runs)
            if "district" in args.levels and "slow" not in args.skip:
                print("district, slow link…", flush=True)
                slow = run_slow(browser, servers, args.runs)
            if "memory" not in args.skip:
                print("memory…", flush=True)
                memory = {page: sessions_memory(browser, servers[page], page)
                          for page in ("ours", "naive")}
            for page in PAGES:  # the cold runs have the machine to themselves
                servers[page].stop()
            if "cold" not in args.skip:
                print("cold start…", flush=True)
                cold = run_cold(browser, args.runs)
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
        mirror.close()
    text = report(levels, slow, cold, memory, args.runs)
    args.out.write_text(text + "\n")
    print(text)
    print(f"({time.perf_counter() - began:.0f} s; outside hosts asked of the mirror: "
          f"{sorted({urllib.parse.urlsplit(u).hostname for u in mirror.asked})})")


if __name__ == "__main__":
    main()
