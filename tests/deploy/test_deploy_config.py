"""The committed configuration agrees with the app (no cluster needed)."""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
from pathlib import Path

import streamlit

from deploy import cluster
from deploy.cluster import render_nginx_conf

ROOT = Path(__file__).resolve().parents[2]
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()
APP_CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_csp_hashes_streamlits_inline_script():
    """The page's CSP allows exactly the inline scripts of the installed Streamlit's
    index.html (an upgrade that changes them fails here, not in a visitor's browser)."""
    index = (Path(streamlit.__file__).parent / "static" / "index.html").read_text()
    inline = re.findall(r"<script>(.*?)</script>", index, re.S)
    assert inline, "Streamlit's index.html has no inline script: drop the hash"
    page_csp = re.search(r'^\s*default\s+"([^"]+)";', NGINX, re.M)[1]
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in page_csp
    page_scripts = page_csp.split("script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in page_scripts and "'unsafe-eval'" not in page_scripts


def test_upload_limit_is_the_apps():
    """nginx refuses exactly what Streamlit would: maxUploadSize + its 1 MB for the
    multipart framing; the replicas keep the settings a deployment must keep."""
    upload = re.search(r"location /_stcore/upload_file/ \{[^}]*client_max_body_size (\d+)m;",
                       NGINX)
    assert int(upload[1]) == APP_CONFIG["server"]["maxUploadSize"] + 1
    server = APP_CONFIG["server"]
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True  # Streamlit's CORS *protection*
    assert server["headless"] is True


def test_cluster_renders_the_committed_file():
    text = render_nginx_conf(18080, gzip=False)
    assert "listen 127.0.0.1:18080;" in text
    assert re.search(r"^\s*gzip off;", text, re.M)
    assert not re.search(r"^\s*(gzip|brotli) on;", text, re.M)
    assert text.count("add_header") == NGINX.count("add_header")


def test_without_the_brotli_module_gzip_stays(monkeypatch):
    monkeypatch.setattr(cluster, "brotli_module", lambda _text: None)
    text = re.sub(r"#[^\n]*", "", render_nginx_conf(18080))
    assert "brotli" not in text
    assert re.search(r"^\s*gzip on;", text, re.M) and "gzip_types" in text


def test_nginx_drops_idle_replica_connections_before_the_replica_does():
    """A connection the replica (uvicorn) closed while idle must not be reused: nginx got
    'connection reset', marked the replica down and sent its sessions' downloads to
    another replica (404). So nginx's upstream keep-alive is the shorter."""
    import uvicorn

    upstream = re.search(r"upstream mapapp \{([^}]*)\}", NGINX)[1]
    idle = re.search(r"^\s*keepalive_timeout (\d+)s;", upstream, re.M)
    assert idle, "the upstream block sets no keepalive_timeout (nginx's default is 60 s)"
    assert int(idle[1]) < uvicorn.Config(app=None).timeout_keep_alive
    servers = cluster.UPSTREAM_LINE, *re.findall(r"^server .*$",
                                                  (ROOT / "deploy/upstream.conf").read_text(),
                                                  re.M)
    assert all("max_fails=3" in line for line in servers)  # not down at the first reset
