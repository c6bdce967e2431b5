"""Bytes over the wire through nginx: the first load of the district map on a slow link,
nginx's compression on against off, in headless Chromium.

    python bench/nginx_wire.py [--runs 5] [--replicas 2]

One cluster (deploy/cluster.py: PostgreSQL, the replicas, nginx in front). Each round
visits ``/?level=district&basemap=none`` twice, compression on (brotli, or gzip where the
browser does not take brotli) and off (identity bodies: nginx asks the app for identity
and sends it as is), switched by an nginx reload; the order alternates from round to
round, after one warm-up visit of each. Every visit is a fresh browser context (cold
cache) on Chromium's emulated slow link (bench/run.py's: 1.6 Mbps down, 750 kbps up,
300 ms RTT; CDP Network.emulateNetworkConditions). A visit measures:

- navigation → map painted: bench/run.py's mark, ``window.mapappStyled`` (the first
  animation frame after the map's places were drawn in the data's colours, set by
  static/mapapp/mapapp.js in the map's iframe), against the page's navigation start;
- bytes of the whole first page (the map, then the rest of the page, which the app draws
  after the map reports; until no script runs and nothing has arrived for 2 s): HTTP as
  Chromium received them (CDP ``Network.loadingFinished`` encodedDataLength: headers and
  bodies, as sent; nothing came from a cache), websocket messages (CDP
  ``Network.webSocketFrameReceived`` payloads, decoded), and the websocket as nginx sent
  it (its access log's $bytes_sent for the page's /_stcore/stream: permessage-deflate
  frames, which Streamlit compresses in both cases; logged when the context closes).

Writes bench/nginx_wire.md (medians, min–max over the rounds).
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

import run as bench  # noqa: E402  (bench/run.py: its slow link, mark and report helpers)

from deploy.cluster import Cluster  # noqa: E402
from deploy.local_postgres import free_port  # noqa: E402

QUERY = "/?level=district&basemap=none"
QUIET_S = 2.0
VARIANTS = {"on": "compressed (nginx brotli/gzip)", "off": "not compressed"}


class Visit:
    """One first page load in a fresh context on the slow link."""

    def __init__(self, browser, cluster: Cluster) -> None:
        self.cluster = cluster
        self.context = browser.new_context(viewport=bench.VIEWPORT)
        self.page = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.emulateNetworkConditions", bench.SLOW)
        self.bytes: Counter = Counter()
        self.encodings: Counter = Counter()
        self.urls: dict[str, str] = {}
        self.cached: set[str] = set()
        self.last_event = time.monotonic()
        for event, handler in [("Network.requestWillBeSent", self._request),
                               ("Network.responseReceived", self._response),
                               ("Network.requestServedFromCache", self._cached),
                               ("Network.dataReceived", self._touch),
                               ("Network.loadingFinished", self._finished),
                               ("Network.webSocketFrameReceived", self._frame)]:
            self.cdp.on(event, handler)

    def _touch(self, _event=None) -> None:
        self.last_event = time.monotonic()

    def _request(self, event) -> None:
        self._touch()
        self.urls[event["requestId"]] = event["request"]["url"]

    def _response(self, event) -> None:
        self._touch()
        response = event["response"]
        if response.get("fromDiskCache") or response.get("fromServiceWorker"):
            self.cached.add(event["requestId"])
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        self.encodings[headers.get("content-encoding", "identity")] += 1

    def _cached(self, event) -> None:
        self.cached.add(event["requestId"])

    def _finished(self, event) -> None:
        self._touch()
        request = event["requestId"]
        if self.urls.get(request, "").startswith("http") and request not in self.cached:
            self.bytes["http"] += int(event.get("encodedDataLength", 0))

    def _frame(self, event) -> None:
        self._touch()
        response = event["response"]
        payload = response.get("payloadData", "")
        self.bytes["ws"] += len(base64.b64decode(payload)) if response.get("opcode") == 2 \
            else len(payload.encode())

    def painted(self) -> float:
        """Seconds from navigation start to the map's styled mark."""
        deadline = time.monotonic() + bench.TIMEOUT_S[True]
        while time.monotonic() < deadline:
            for frame in self.page.frames:
                if bench.MAP_FRAME not in frame.url:
                    continue
                try:
                    mark = frame.evaluate(bench.READ_MARK)
                except Exception:  # the frame went away mid-check: look again
                    continue
                if mark:
                    return (mark[0] - self.page.evaluate("performance.timeOrigin")) / 1000
            self.page.wait_for_timeout(25)
        raise TimeoutError("no styled map")

    def settle(self) -> None:
        """Until the whole first page is there: the rest of the page (drawn after the map
        reports: the sidebar's expanders), no script run going on, and nothing arriving
        for QUIET_S (more than a round trip and a rerun on this link)."""
        self.page.get_by_test_id("stSidebar").get_by_test_id("stExpander").first.wait_for(
            state="attached", timeout=bench.TIMEOUT_S[True] * 1000)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            if self.page.get_by_test_id("stStatusWidget").count():
                self._touch()
            elif time.monotonic() - self.last_event >= QUIET_S:
                return

    def run(self) -> dict:
        try:
            self.page.goto(self.cluster.url + QUERY, wait_until="commit")
            paint = self.painted()
            self.settle()
            route = next(c["value"] for c in self.context.cookies()
                         if c["name"] == "mapapp_route")
        finally:
            self.context.close()
        return {"paint": paint, "http": self.bytes["http"], "ws": self.bytes["ws"],
                "ws_sent": ws_sent(self.cluster, route), "encodings": self.encodings}


def ws_sent(cluster: Cluster, route: str) -> int:
    """What nginx sent on the visit's websocket (logged when it closed)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = [r for r in cluster.request_log()
                if r["route"] == route and " /_stcore/stream" in r["request"]]
        if rows:
            return sum(r["bytes_sent"] for r in rows)
        time.sleep(0.1)
    return 0


def report(results: dict[str, list[dict]], runs: int, replicas: int, load: list[float]) -> str:
    def values(variant: str, key: str) -> list[float]:
        return [r[key] for r in results[variant]]

    def ratio(key: str) -> str:
        return bench.percent([a[key] / b[key] for a, b in zip(results["on"], results["off"],
                                                              strict=True) if b[key]])

    for rows in results.values():
        for r in rows:
            r["total"] = r["http"] + r["ws"]
            r["total_sent"] = r["http"] + r["ws_sent"]
    encodings = {v: sum((r["encodings"] for r in results[v]), Counter()) for v in results}
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} "
        f"cores, {bench.chromium_version()}; through nginx to {replicas} replicas "
        f"(deploy/cluster.py); `{QUERY}`, the whole first page in a fresh browser context on "
        f"{bench.SLOW_TEXT} (Chromium's emulation); {runs} rounds, compression on and off "
        f"in turn (the order alternating); median (min–max); kB = 1,000 bytes. Load "
        f"average at each round's start: {', '.join(f'{v:.1f}' for v in load)}. "
        "Responses by Content-Encoding: " + "; ".join(
            f"{VARIANTS[v]}: " + ", ".join(f"{k} ×{n}" for k, n in c.most_common())
            for v, c in encodings.items()) + ".", "",
        f"| measure | {VARIANTS['on']} | {VARIANTS['off']} | on / off |",
        "| --- | --- | --- | --- |"]
    for label, key, fmt in [
            ("navigation → map painted", "paint", bench.seconds),
            ("bytes counted by the browser: HTTP + websocket", "total", bench.kilobytes),
            ("HTTP on the wire (encodedDataLength: headers + bodies)", "http", bench.kilobytes),
            ("websocket messages (CDP payloads, decoded)", "ws", bench.kilobytes),
            ("websocket as nginx sent it (permessage-deflate)", "ws_sent", bench.kilobytes),
            ("HTTP + websocket as sent", "total_sent", bench.kilobytes)]:
        lines.append(f"| {label} | {fmt(values('on', key))} | {fmt(values('off', key))} | "
                     f"{ratio(key)} |")
    return "\n".join(lines)


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "nginx_wire.md")
    args = parser.parse_args()
    results: dict[str, list[dict]] = {"on": [], "off": []}
    load: list[float] = []
    began = time.perf_counter()
    with Cluster(args.replicas, port=free_port()) as cluster, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=bench.CHROMIUM, args=bench.ARGS)

        def visit(variant: str) -> dict:
            if cluster.gzip != (variant == "on"):
                cluster.set_gzip(variant == "on")
            try:
                return Visit(browser, cluster).run()
            except TimeoutError as error:  # a stalled load on a busy machine: once more
                print(f"  retrying after: {error}", flush=True)
                return Visit(browser, cluster).run()

        for variant in VARIANTS:  # warm-up, not counted
            visit(variant)
        for number in range(args.runs):
            load.append(os.getloadavg()[0])
            order = list(VARIANTS) if number % 2 == 0 else list(reversed(VARIANTS))
            for variant in order:
                results[variant].append(visit(variant))
            print(f"  round {number + 1}: " + ", ".join(
                f"{v} {results[v][-1]['paint']:.2f} s "
                f"{(results[v][-1]['http'] + results[v][-1]['ws']) / 1000:,.0f} kB"
                for v in order), flush=True)
        browser.close()
    text = report(results, args.runs, args.replicas, load)
    args.out.write_text(text + "\n")
    print(text)
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
