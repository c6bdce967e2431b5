"""A real OpenID Connect provider for browser tests of ``st.login``.

``oidc_provider()`` starts ``oidc-provider-mock`` (PyPI) as its own process on a free
port and gives its issuer URL; ``write_auth_secrets()`` writes the ``[auth]`` secrets a
Streamlit server needs to log in there (start the server with ``--secrets.files PATH``,
which replaces Streamlit's default secrets locations, or ``STREAMLIT_SECRETS_FILES``);
``login()`` and ``end_session()`` do, in the browser, what a person does on the
provider's pages.

What the mock does: it accepts any client id and secret (no registration), serves
plain http on 127.0.0.1, and its authorization page is a form with one text field, the
subject (placeholder "sub"), and an "Authorize" button (and "Deny"). The subject it is
given becomes the user: ``sub`` and ``email`` are both that text, unless
``set_user_claims()`` gave that subject other claims first. Its logout
(``end_session_endpoint``) is a page with an "End session" button that goes back to
Streamlit's ``/oauth2callback``, which then sends the browser to the app.

Both servers must be on the host the browser uses: the login state Streamlit keeps
between "Log in" and ``/oauth2callback`` is a cookie of the host the page was opened
on, and the user's cookie must match the ``redirect_uri``'s origin. An app opened at
``localhost`` with a ``redirect_uri`` at ``127.0.0.1`` (or the other way round) is
silently never logged in; the server log then says "Missing provider for OAuth
callback". Everything here uses 127.0.0.1, as ``OfflinePage`` allows.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
CLIENT_ID = "mapapp-test"  # the mock takes any client id and secret
CLIENT_SECRET = "mapapp-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until_served(url: str, process: subprocess.Popen, what: str,
                      timeout_s: float = 60, log: Path | None = None) -> None:
    """Until ``url`` answers 200; fails at once if ``process`` has ended."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            said = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} did not start (exit {process.poll()}) at {url}\n"
                               f"{said}")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def oidc_provider(log: Path | None = None, port: int | None = None) -> Iterator[str]:
    """``oidc-provider-mock`` running on a free port; yields its issuer URL
    (``http://127.0.0.1:PORT``; discovery at ``ISSUER/.well-known/openid-configuration``).
    Its output goes to ``log`` if given. A pytest fixture can ``yield from`` this or
    wrap it in ``with``."""
    port = port or free_port()
    out = open(log, "w") if log else subprocess.DEVNULL  # closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--host", HOST, "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT)
    issuer = f"http://{HOST}:{port}"
    try:
        wait_until_served(f"{issuer}/.well-known/openid-configuration", process,
                          "oidc-provider-mock", timeout_s=30, log=log)
        yield issuer
    finally:
        stop(process)
        if log:
            out.close()


@contextmanager
def streamlit_server(script: Path | None, port: int, secrets_file: Path, *,
                     log: Path | None = None, cwd: Path | None = None,
                     env: dict[str, str] | None = None) -> Iterator[str]:
    """A Streamlit server on 127.0.0.1:``port`` reading only ``secrets_file``; yields its
    URL. ``script``: ``streamlit run script``; None: the map app as ``make run`` serves
    it (``python -m mapapp serve``, which hands the same options to Streamlit)."""
    command = ([sys.executable, "-m", "streamlit", "run", str(script)] if script
               else [sys.executable, "-m", "mapapp", "serve"])
    command += ["--server.port", str(port), "--server.address", HOST,
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--secrets.files", str(secrets_file)]
    out = open(log, "w") if log else subprocess.DEVNULL  # closed below
    process = subprocess.Popen(command, cwd=cwd or (script.parent if script else ROOT),
                               env={**os.environ, **(env or {})},
                               stdout=out, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}"
    try:
        wait_until_served(f"{url}/_stcore/health", process, "streamlit", log=log)
        yield url
    finally:
        stop(process)
        if log:
            out.close()


def write_auth_secrets(folder: Path, issuer: str, app_port: int, **extra) -> Path:
    """``folder/secrets.toml`` for a Streamlit server on 127.0.0.1:``app_port`` that logs
    in at ``issuer`` (Streamlit's default provider: ``st.login()`` with no name).

    ``extra`` adds top-level tables, e.g. ``mapapp={"publishers": ["ana@example.org"]}``;
    an ``auth`` table there is merged into ``[auth]`` (e.g. ``client_kwargs``).
    Values: str, bool, int, float, lists of them, and tables of those."""
    auth = {
        "redirect_uri": f"http://{HOST}:{app_port}/oauth2callback",  # must end so
        "cookie_secret": secrets.token_hex(32),  # signs the login cookie; >= 14 bytes
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "server_metadata_url": f"{issuer}/.well-known/openid-configuration",
    }
    auth.update(extra.pop("auth", {}))
    text = _toml({"auth": auth, **extra})
    tomllib.loads(text)  # what is written is TOML, or this says why not
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secrets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def set_user_claims(issuer: str, sub: str, claims: dict) -> None:
    """The claims the provider gives ``sub`` from now on (e.g. ``name``,
    ``email_verified``); the mock's ``PUT /users/{sub}``. Without this, a subject's
    claims are just ``email = sub``."""
    request = urllib.request.Request(
        f"{issuer}/users/{quote(sub, safe='')}", method="PUT",
        data=json.dumps(claims).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204, response.status


def login(page, email: str, timeout_ms: float = 30_000) -> None:
    """The provider's side of a login, for a page that has just clicked Streamlit's log-in
    button (or opened an app that calls ``st.login()`` at once): type ``email`` as the
    subject, authorize, and wait until the browser is back in the app."""
    subject = page.get_by_placeholder("sub")
    subject.wait_for(timeout=timeout_ms)
    subject.fill(email)
    page.get_by_role("button", name="Authorize", exact=True).click()
    _back_in_app(page, timeout_ms)


def deny(page, timeout_ms: float = 30_000) -> None:
    """The provider's side of a refused login: "Deny", back to the app, logged out."""
    page.get_by_role("button", name="Deny", exact=True).click(timeout=timeout_ms)
    _back_in_app(page, timeout_ms)


def end_session(page, timeout_ms: float = 30_000) -> None:
    """The provider's side of ``st.logout()``: its "End session" page, then the app."""
    page.get_by_role("button", name="End session", exact=True).click(timeout=timeout_ms)
    _back_in_app(page, timeout_ms)


def _back_in_app(page, timeout_ms: float) -> None:
    """Past the provider's pages and Streamlit's /oauth2callback (a redirect to /)."""
    page.wait_for_url(lambda url: "/oauth2/" not in url and "/oauth2callback" not in url,
                      timeout=timeout_ms)


def _toml(tables: dict) -> str:
    lines: list[str] = []
    _table(lines, [], tables)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(lines: list[str], path: list[str], table: dict) -> None:
    subtables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and (len(subtables) < len(table) or not table):
        lines.append(f"\n[{'.'.join(_key(p) for p in path)}]")
    for key, value in table.items():
        if not isinstance(value, dict):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in subtables.items():
        _table(lines, [*path, key], value)


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "")
    return key if bare.isascii() and bare.isalnum() else json.dumps(key, ensure_ascii=False)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to secrets.toml")
