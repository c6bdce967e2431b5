"""A throwaway PostgreSQL server for the store's tests: initdb into a new temporary
folder, postgres on a free port of 127.0.0.1 (trust authentication, its socket in the
same folder, no fsync), stopped and deleted afterwards.

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the
``postgres`` user that Debian's package creates (``runuser -u postgres``; ``su`` where
runuser is missing), in a folder it owns under /tmp (pytest's own temp folders are
private to root). ``MAPAPP_TEST_POSTGRES_URL`` (an admin URL) uses a server you already
run instead. Binaries: ``PG_BIN``, else the newest /usr/lib/postgresql/*/bin, else PATH.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from glob import glob
from pathlib import Path

import pytest


class PostgresMissing(RuntimeError):
    """No PostgreSQL to test against (the reason says what to install or set)."""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str):
    """Locally a skip; in CI a failure: a test that did not run must not pass there."""
    if in_ci():
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def find_bindir() -> Path:
    given = os.environ.get("PG_BIN")
    installed = (Path(p).parent for p in glob("/usr/lib/postgresql/*/bin/initdb"))
    candidates = [Path(given)] if given else sorted(
        installed, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True)
    if not given and shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise PostgresMissing("initdb and pg_ctl not found (run scripts/ensure_postgres.sh, "
                          "or set PG_BIN or MAPAPP_TEST_POSTGRES_URL)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(command: list[str]) -> list[str]:
    """``command`` as the server's owner: ourselves, or ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return command
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresMissing("running as root needs a 'postgres' user to run the server "
                              "(Debian's postgresql package creates it)") from None
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *command]
    return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]


class PostgresServer:
    """One server: ``start()``, ``new_database()`` per test, ``stop()``; a stopped server
    can be started again on the same port (a test of a database that went down)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="mapapp-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            os.chmod(self.folder, 0o700)
            shutil.chown(self.folder, "postgres", "postgres")
        self._run([str(bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                   "-U", "postgres", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"])

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(_as_owner(command), capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            raise PostgresMissing(f"{Path(command[0]).name} failed ({done.returncode}): "
                                  f"{(done.stderr or done.stdout).strip()[-1500:]}")

    def start(self) -> PostgresServer:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=300")
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                   str(self.folder / "server.log"), "-w", "-t", "60", "-o", options, "start"])
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop: ``fast`` shuts down cleanly (with synchronous_commit off, ``immediate``
        is a crash that may lose the last commits: fine only when deleting it)."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except PostgresMissing:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def new_database(admin_url: str) -> str:
    """A new empty database on the server of ``admin_url``; its URL."""
    import psycopg

    name = f"mapapp_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def start_server() -> PostgresServer:
    server = PostgresServer(find_bindir())
    try:
        return server.start()
    except BaseException:
        server.destroy()
        raise
