"""A throwaway PostgreSQL server from Debian's package, with no container and no service:
initdb into a folder, postgres on a free port of 127.0.0.1 (trust authentication, its
socket in the same folder, no fsync), stopped and deleted afterwards. Used by
deploy/cluster.py; the same logic as tests/store/postgres.py, without pytest.

PostgreSQL refuses to run as root: as root the server runs as the ``postgres`` user that
Debian's package creates (``runuser -u postgres``; ``su`` where runuser is missing), in a
folder it owns. Binaries: ``PG_BIN``, else the newest /usr/lib/postgresql/*/bin, else PATH.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from glob import glob
from pathlib import Path


class PostgresMissing(RuntimeError):
    """No PostgreSQL to run (the reason says what to install or set)."""


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
                          "or set PG_BIN)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_owner(command: list[str]) -> list[str]:
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


def _reachable_by_others(folder: Path) -> bool:
    """Whether another user (``postgres``) can reach into ``folder``: every folder on
    the way is searchable by others (pytest's and mkdtemp's folders are not)."""
    for part in [folder, *folder.parents]:
        if part.exists() and not os.stat(part).st_mode & 0o001:
            return False
    return True


class PostgresServer:
    """One server: ``start()``, ``create_database()``, ``stop()``, ``destroy()``; a stopped
    server starts again on the same port (a test of a database that went down). Its files
    are in ``parent/postgres`` when the ``postgres`` user can reach ``parent``, else in a
    new folder under /tmp."""

    def __init__(self, parent: Path | None = None, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        if parent is not None and (os.geteuid() != 0 or _reachable_by_others(parent)):
            self.folder = parent / "postgres"
            self.folder.mkdir(mode=0o700)
        else:
            self.folder = Path(tempfile.mkdtemp(prefix="mapapp-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        if os.geteuid() == 0:
            os.chmod(self.folder, 0o700)
            shutil.chown(self.folder, "postgres", "postgres")
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                   "-U", "postgres", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"])

    def _run(self, command: list[str], timeout: float = 120) -> None:
        # A session of its own: a Ctrl-C in the terminal reaches the caller only, which
        # then stops the server in order.
        done = subprocess.run(as_owner(command), capture_output=True, text=True,
                              timeout=timeout, check=False, start_new_session=True)
        if done.returncode != 0:
            raise PostgresMissing(f"{Path(command[0]).name} failed ({done.returncode}): "
                                  f"{(done.stderr or done.stdout).strip()[-1500:]}")

    def start(self) -> PostgresServer:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=300")
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                   "-w", "-t", "60", "-o", options, "start"])
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop: ``fast`` shuts down cleanly (with synchronous_commit off, ``immediate``
        is a crash that may lose the last commits: fine only when deleting it)."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                   "stop"])

    def pid(self) -> int | None:
        """The postmaster's process id, while it runs."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def create_database(self, name: str) -> str:
        """A new empty database; its SQLAlchemy URL (psycopg 3)."""
        self._run([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                   "-U", "postgres", name], timeout=60)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except (PostgresMissing, subprocess.TimeoutExpired):
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
