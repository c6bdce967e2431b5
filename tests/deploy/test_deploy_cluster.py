"""Through nginx (deploy/nginx.conf, on the module's cluster): the page, compression,
caching, security headers, the upload limit, sticky sessions; and the real page in
headless Chromium: the map paints under the Content-Security-Policy with no violation,
and the page's websocket stays on its replica."""

from __future__ import annotations

import http.client
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest

from deploy.cluster import brotli_module, render_nginx_conf

YEAR = "max-age=31536000"


def get(cluster, path: str, **headers: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Status, headers and raw body (never decompressed) of GET ``path`` via nginx."""
    request = urllib.request.Request(cluster.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def main_js(cluster) -> str:
    """The path of Streamlit's main bundle (content-hashed: /static/js/index.HASH.js)."""
    _, _, page = get(cluster, "/")
    return "/" + re.search(rb'src="\./(static/js/index\.[^"]+\.js)"', page)[1].decode()


def logged(cluster, route: str, count: int) -> list[dict]:
    """The access log's rows of ``route`` once there are ``count`` of them."""
    deadline = time.monotonic() + 5
    while True:
        rows = [r for r in cluster.request_log() if r["route"] == route]
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_page_and_health_through_nginx(cluster):
    status, headers, page = get(cluster, "/")
    assert status == 200 and b'<div id="root">' in page
    assert headers["Server"] == "nginx"
    assert get(cluster, "/_stcore/health")[0] == 200  # Streamlit's own, on a replica
    assert get(cluster, "/healthz")[0] == 200  # the load balancer's check
    assert get(cluster, "/_stcore/host-config")[0] == 200


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_compressed_js(cluster, encoding):
    """Streamlit's main JS and our map bundle, compressed by nginx as the browser asks
    (brotli where the module is installed: scripts/ensure_nginx.sh installs it)."""
    if encoding == "br" and brotli_module(render_nginx_conf(1)) is None:
        pytest.skip("nginx's brotli module is not installed (scripts/ensure_nginx.sh)")
    for path in (main_js(cluster), "/app/static/mapapp/bundle.js"):
        status, headers, body = get(cluster, path, **{"Accept-Encoding": encoding})
        assert status == 200
        assert headers["Content-Encoding"] == encoding, path
        assert "Accept-Encoding" in headers["Vary"]
        _, _, plain = get(cluster, path)  # no Accept-Encoding: identity
        assert len(body) < len(plain) / 2.5, path


def test_long_cache_for_content_versioned_files(cluster):
    _, headers, _ = get(cluster, main_js(cluster))
    assert YEAR in headers["Cache-Control"] and "immutable" in headers["Cache-Control"]
    _, headers, _ = get(cluster, "/app/static/mapapp/bundle.js?v=0123abcd")
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    _, headers, _ = get(cluster, "/app/static/mapapp/bundle.js")  # not versioned
    assert headers.get_all("Cache-Control") == ["no-cache"]
    _, headers, _ = get(cluster, "/")
    assert headers["Cache-Control"] == "no-cache"


def assert_security_headers(headers) -> None:
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "default-src 'self'" in csp
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"


def test_security_headers(cluster):
    for path in ("/", "/app/static/mapapp/bundle.js", "/no/such/page/_stcore/health"):
        assert_security_headers(get(cluster, path)[1])
    component = get(cluster, "/component/streamlit_folium.st_folium/index.html")
    assert "script-src 'self' 'unsafe-inline' 'unsafe-eval'" in \
        component[1]["Content-Security-Policy"]  # the map's frame, as streamlit-folium needs


def test_upload_over_the_limit_is_refused_by_nginx(cluster):
    """A body of 51 MB (50 MB + Streamlit's 1 MB for the multipart framing) may reach the
    app; one byte more is 413 before nginx reads it."""
    def put(length: int) -> tuple[int, http.client.HTTPMessage]:
        connection = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=30)
        try:
            connection.putrequest("PUT", "/_stcore/upload_file/session/file")
            connection.putheader("Content-Type", "multipart/form-data; boundary=x")
            connection.putheader("Content-Length", str(length))
            connection.endheaders()
            if length < 1000:
                connection.send(b"x" * length)
            response = connection.getresponse()
            return response.status, response.headers
        finally:
            connection.close()

    status, headers = put(51 * 1024 * 1024 + 1)
    assert status == 413
    assert_security_headers(headers)
    assert put(100)[0] == 403  # reached the app, which wants its XSRF token


def test_sticky_sessions(cluster):
    # A first request has no cookie: nginx picks a replica and sets the cookie that
    # keeps the browser there.
    _, headers, _ = get(cluster, "/")
    route = re.match(r"mapapp_route=(\w+);", headers["Set-Cookie"])[1]
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Lax" in headers["Set-Cookie"]
    for path in ("/_stcore/health", main_js(cluster), "/app/static/geo/context.json",
                 "/_stcore/host-config", "/"):
        _, later, _ = get(cluster, path, Cookie=f"mapapp_route={route}")
        assert "mapapp_route" not in str(later.get_all("Set-Cookie"))  # set once
    rows = logged(cluster, route, 6)
    assert len(rows) == 6 and len({r["port"] for r in rows}) == 1, rows
    assert rows[0]["port"] in cluster.replica_ports
    # Browsers with cookies of their own spread over the replicas (all from one address).
    seen = set()
    for _ in range(40):
        other = uuid.uuid4().hex
        get(cluster, "/_stcore/health", Cookie=f"mapapp_route={other}")
        seen |= {r["port"] for r in logged(cluster, other, 1)}
        if len(seen) == len(cluster.replica_ports):
            break
    assert seen == set(cluster.replica_ports)
    assert all(port in cluster.replica_ports for _, port in cluster.replica_of_request_log())


# Every frame (the page and the map's iframe) records what its CSP refused.
REPORT_CSP = """document.addEventListener("securitypolicyviolation", function (e) {
  (window.__cspViolations = window.__cspViolations || []).push(
    e.violatedDirective + " " + e.blockedURI + " in " + location.pathname);
});"""


def _paint_through_nginx(cluster, chromium) -> str:
    """Open the district map through nginx; assert no CSP violation, no error; the
    page's route cookie."""
    from browser.conftest import CHROMIUM_ARGS, OfflinePage
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = OfflinePage(browser, cluster.url)
        try:
            page.context.add_init_script(REPORT_CSP)
            page.page.goto(f"{cluster.url}/?level=district&basemap=none")
            page.map_frame()
            page.sidebar()  # its widgets' code comes in chunks loaded on demand: all came
            page.screenshot("nginx-cluster-district")
            violations = []
            for frame in page.page.frames:
                try:
                    violations += frame.evaluate("window.__cspViolations || []")
                except Error:  # a frame that went away meanwhile
                    pass
            assert not violations, violations
            assert not [m for m in page.console if "Content Security Policy" in m]
            assert not page.errors and not page.blocked and not page.failed, page.diagnose()
            return next(c["value"] for c in page.context.cookies()
                        if c["name"] == "mapapp_route")
        finally:
            page.close()
            browser.close()


def test_map_paints_through_nginx_under_csp(cluster, chromium):
    # In a thread of its own: Playwright's sync API refuses a thread whose asyncio loop
    # runs, as the main thread's does while tests/browser's session browser is open.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        route = pool.submit(_paint_through_nginx, cluster, chromium).result()
    # nginx logs the websocket when it closes: now. Page, websocket, component, static
    # files and shapes, all on one replica.
    deadline = time.monotonic() + 10
    while True:
        rows = [r for r in cluster.request_log() if r["route"] == route]
        if any("/_stcore/stream" in r["request"] for r in rows) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert any(r["request"].startswith("GET /_stcore/stream") and r["status"] == 101
               for r in rows), rows
    assert any("/component/" in r["request"] for r in rows)
    assert len({r["port"] for r in rows}) == 1, rows
