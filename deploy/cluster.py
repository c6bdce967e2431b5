"""A whole deployment on one machine, without containers: PostgreSQL (Debian's package),
N replicas of the app on their own ports and nginx in front (deploy/nginx.conf), all
under one temporary folder; ``make cluster`` / ``make cluster-stop``.

    python deploy/cluster.py start [--replicas 3] [--port 8080] [--workdir DIR]
    python deploy/cluster.py stop      # a cluster that another process started

``start`` runs in the foreground until Ctrl-C (or ``stop``), then stops everything. In
Python (bench scripts, tests)::

    with Cluster(3, port=8080) as cluster:
        cluster.url, cluster.replica_ports, cluster.database_url
        cluster.kill_replica(0); cluster.start_replica(0)
        cluster.set_upstream([1, 2]); cluster.restart_postgres(5)

Every replica gets the same ``STREAMLIT_SERVER_COOKIE_SECRET`` (Streamlit signs its login
cookies and the login's OAuth state with it: a request that nginx sends to another replica
must verify), the cluster's database in ``MAPAPP_DATABASE_URL`` and deploy/replica.env; the
rest of its settings come from .streamlit/config.toml (replica.env says which and why).
Children run in sessions of their own: a Ctrl-C reaches this script only, which stops
nginx, then the replicas, then PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

try:
    from deploy.local_postgres import PostgresMissing, PostgresServer, as_owner, free_port
except ImportError:  # run as a script: deploy/ is sys.path[0]
    from local_postgres import PostgresMissing, PostgresServer, as_owner, free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NGINX_CONF = HERE / "nginx.conf"
REPLICA_ENV = HERE / "replica.env"
STATE_FILE = Path(os.environ.get("MAPAPP_CLUSTER_STATE", "/tmp/mapapp-cluster/state.json"))
# Passive health of each replica (as in deploy/upstream.conf).
UPSTREAM_LINE = "server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;"
LOG_LINE = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d+) (?P<bytes>\d+) rt=\S+ '
                      r'route=(?P<route>\S+) upstream=(?P<upstream>.*)$')

__all__ = ["Cluster", "ClusterError", "NginxMissing", "PostgresMissing", "main"]


class ClusterError(RuntimeError):
    """A part of the cluster did not start (the message says where its log is)."""


class NginxMissing(RuntimeError):
    """No nginx binary (scripts/ensure_nginx.sh installs Debian's)."""


def find_nginx() -> str:
    for candidate in (os.environ.get("NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise NginxMissing("nginx not found (run scripts/ensure_nginx.sh, or set NGINX)")


def brotli_module(conf_text: str) -> Path | None:
    """The brotli module that deploy/nginx.conf loads, when it is installed."""
    match = re.search(r"^load_module\s+(\S*brotli\S*);", conf_text, re.M)
    return Path(match[1]) if match and Path(match[1]).exists() else None


def _sub_once(pattern: str, replacement: str, text: str) -> str:
    new, count = re.subn(pattern, replacement, text, flags=re.M | re.S)
    if count < 1:
        raise ClusterError(f"deploy/nginx.conf has no line like {pattern!r}")
    return new


def render_nginx_conf(port: int, *, gzip: bool = True) -> str:
    """deploy/nginx.conf for this machine: listening on 127.0.0.1:PORT; compression on or
    off; without brotli when its module is missing; no ``user`` line unless root."""
    text = NGINX_CONF.read_text()
    text = _sub_once(r"^(\s*)listen\s+[^;]+;", rf"\g<1>listen 127.0.0.1:{port};", text)
    if brotli_module(text) is None:
        text = _sub_once(r"^load_module\s+\S*brotli\S*;\n", "", text)
        text = _sub_once(r"^\s*brotli\w*\s[^;]*;\n", "", text)
    elif not gzip:
        text = _sub_once(r"^(\s*)brotli on;", r"\g<1>brotli off;", text)
    if not gzip:
        text = _sub_once(r"^(\s*)gzip on;", r"\g<1>gzip off;", text)
    if os.geteuid() != 0:
        text = _sub_once(r"^user\s[^;]*;[^\n]*\n", "", text)
    return text


def replica_env() -> dict[str, str]:
    """deploy/replica.env: what every replica runs with (as compose.yaml's env_file)."""
    lines = REPLICA_ENV.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _get(url: str, timeout: float = 2) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except OSError:
        return 0


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _children(pid: int) -> set[int]:
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def _alive(pid: int, *words: str) -> bool:
    """Whether process ``pid`` runs and its command line has all ``words``."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return all(word in command for word in words)


def _end(process: subprocess.Popen, first: int = signal.SIGTERM, wait_s: float = 20) -> None:
    if process.poll() is None:
        try:
            process.send_signal(first)
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


class Cluster:
    """PostgreSQL + ``replicas`` app servers + nginx on ``port``; a context manager."""

    def __init__(self, replicas: int = 3, *, port: int = 8080, workdir: Path | None = None,
                 gzip: bool = True, database_url: str | None = None,
                 env: dict | None = None) -> None:
        if replicas < 1:
            raise ValueError("a cluster needs at least one replica")
        self.replicas = replicas
        self.port = port
        self.gzip = gzip
        self.url = f"http://127.0.0.1:{port}"
        self.replica_ports: list[int] = []
        self.database_url = database_url or ""
        self._env = {str(k): str(v) for k, v in (env or {}).items()}
        self.cookie_secret = self._env.get("STREAMLIT_SERVER_COOKIE_SECRET",
                                           secrets.token_hex(32))
        self._given_workdir = Path(workdir) if workdir else None
        self.workdir = self._given_workdir or Path()
        self._processes: list[subprocess.Popen | None] = []
        self._upstream = list(range(replicas))  # the replicas behind nginx
        self._nginx: subprocess.Popen | None = None
        self._postgres: PostgresServer | None = None

    # --- the whole ---------------------------------------------------------------

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException as exc:
            self.stop(keep_workdir=not isinstance(exc, KeyboardInterrupt))
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # After a failure the logs say why (not after a Ctrl-C).
        self.stop(keep_workdir=exc_type is not None and
                  not issubclass(exc_type, KeyboardInterrupt))

    @property
    def nginx_prefix(self) -> Path:
        return self.workdir / "nginx"

    @property
    def access_log(self) -> Path:
        return self.nginx_prefix / "logs" / "access.log"

    def replica_log(self, i: int) -> Path:
        return self.workdir / "logs" / f"replica-{i}.log"

    def start(self) -> None:
        nginx = find_nginx()  # before the slow parts
        if self._given_workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="mapapp-cluster-"))
            os.chmod(self.workdir, 0o755)  # nginx's workers (www-data) write temp/ in it
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        if not self.database_url:
            self._postgres = PostgresServer(self.workdir)
            self._postgres.start()
            self.database_url = self._postgres.create_database("mapapp")
        ports: set[int] = set()
        while len(ports) < self.replicas:
            ports.add(free_port())
        self.replica_ports = sorted(ports)
        self._processes = [None] * self.replicas
        # All at once: the first to open the store creates its schema, the others wait
        # for it (the store's upgrade takes an advisory lock).
        for i in range(self.replicas):
            self._launch(i)
        for i in range(self.replicas):
            self._wait_healthy(i)
        self._start_nginx(nginx)

    def stop(self, keep_workdir: bool = False) -> None:
        """nginx, then the replicas, then PostgreSQL; the folder goes too unless it was
        given or ``keep_workdir`` (after a failure: its logs say why)."""
        if self._nginx is not None:
            _end(self._nginx, signal.SIGTERM, 10)  # fast shutdown: websockets close now
            self._nginx = None
        running = [p for p in self._processes if p is not None and p.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            _end(process)
        self._processes = [None] * len(self._processes)
        if self._postgres is not None:
            self._postgres.destroy()
            self._postgres = None
        if self._given_workdir is None and self.workdir != Path() and not keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif keep_workdir and self.workdir != Path():
            print(f"cluster: logs kept in {self.workdir}", file=sys.stderr)

    # --- replicas ----------------------------------------------------------------

    def _replica_env(self) -> dict[str, str]:
        return {**os.environ, **replica_env(), "MAPAPP_DATABASE_URL": self.database_url,
                "STREAMLIT_SERVER_COOKIE_SECRET": self.cookie_secret, **self._env}

    def _launch(self, i: int) -> None:
        port = self.replica_ports[i]
        with self.replica_log(i).open("ab") as log:
            self._processes[i] = subprocess.Popen(
                [sys.executable, "-m", "mapapp", "serve", "--server.port", str(port),
                 "--server.address", "127.0.0.1"],
                cwd=ROOT, env=self._replica_env(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)

    def _wait_healthy(self, i: int, timeout_s: float = 180) -> None:
        process, port = self._processes[i], self.replica_ports[i]
        deadline = time.monotonic() + timeout_s
        while _get(f"http://127.0.0.1:{port}/_stcore/health") != 200:
            if process is None or process.poll() is not None or time.monotonic() > deadline:
                raise ClusterError(f"replica {i} (port {port}) did not start; "
                                   f"{self.replica_log(i)}:\n{_tail(self.replica_log(i))}")
            time.sleep(0.2)

    def replica_pid(self, i: int) -> int:
        process = self._processes[i]
        if process is None or process.poll() is not None:
            raise ClusterError(f"replica {i} is not running")
        return process.pid

    def replica_rss_mb(self, i: int) -> float:
        for line in Path(f"/proc/{self.replica_pid(i)}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def kill_replica(self, i: int) -> None:
        """SIGKILL, as a crash: its sessions are gone; nginx sends their next requests
        (and their browsers' reconnecting websockets) to another replica."""
        process = self._processes[i]
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def start_replica(self, i: int) -> None:
        """The replica back on its own port (a no-op if it runs); returns once healthy."""
        process = self._processes[i]
        if process is None or process.poll() is not None:
            self._launch(i)
        self._wait_healthy(i)

    # --- PostgreSQL ----------------------------------------------------------------

    def restart_postgres(self, down_s: float = 5.0) -> None:
        """Stop (``-m fast``: sessions are cut), stay down ``down_s``, start again."""
        self.stop_postgres()
        time.sleep(down_s)
        self.start_postgres()

    def stop_postgres(self) -> None:
        if self._postgres is None:
            raise ClusterError("this cluster uses a database it did not start")
        self._postgres.stop("fast")

    def start_postgres(self) -> None:
        if self._postgres is None:
            raise ClusterError("this cluster uses a database it did not start")
        self._postgres.start()

    # --- nginx ---------------------------------------------------------------------

    def _nginx_command(self, *extra: str) -> list[str]:
        return [find_nginx(), "-p", f"{self.nginx_prefix}/",
                "-c", str(self.nginx_prefix / "nginx.conf"), *extra]

    def _write_nginx_conf(self, replicas: list[int]) -> None:
        if not replicas:
            raise ValueError("nginx needs at least one replica upstream")
        (self.nginx_prefix / "nginx.conf").write_text(render_nginx_conf(self.port,
                                                                        gzip=self.gzip))
        (self.nginx_prefix / "upstream.conf").write_text("".join(
            UPSTREAM_LINE.format(port=self.replica_ports[i]) + "\n" for i in replicas))
        checked = subprocess.run(self._nginx_command("-t", "-q"), capture_output=True,
                                 text=True, check=False)
        if checked.returncode != 0:
            raise ClusterError(f"nginx -t: {checked.stderr.strip()}")

    def _start_nginx(self, nginx: str) -> None:
        for folder in ("logs", "temp"):
            (self.nginx_prefix / folder).mkdir(parents=True, exist_ok=True)
        self._write_nginx_conf(self._upstream)
        with (self.nginx_prefix / "logs" / "stderr.log").open("ab") as log:
            self._nginx = subprocess.Popen(self._nginx_command("-g", "daemon off;"),
                                           stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 20
        while _get(f"{self.url}/healthz") != 200:
            if self._nginx.poll() is not None or time.monotonic() > deadline:
                raise ClusterError("nginx did not start; " + _tail(
                    self.nginx_prefix / "logs" / "error.log") + _tail(
                    self.nginx_prefix / "logs" / "stderr.log"))
            time.sleep(0.1)

    def _reload(self) -> None:
        """``nginx -s reload``, then wait until new workers run the new configuration
        (old ones finish their requests and websockets first)."""
        if self._nginx is None or self._nginx.poll() is not None:
            raise ClusterError("nginx is not running")
        before = _children(self._nginx.pid)
        self._nginx.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _children(self._nginx.pid) - before:
                return
            time.sleep(0.05)
        raise ClusterError("nginx did not reload; see " + str(self.nginx_prefix / "logs"))

    def set_upstream(self, replicas: list[int]) -> None:
        """Only these replicas (indices) behind nginx, e.g. to drain one: new sessions go
        to the others; open websockets stay on their old worker until they close."""
        self._write_nginx_conf(list(replicas))
        self._upstream = list(replicas)
        self._reload()

    def set_gzip(self, on: bool) -> None:
        """Compression (gzip and brotli) on or off, by a reload (bench/nginx_wire.py)."""
        self.gzip = on
        self._write_nginx_conf(self._upstream)
        self._reload()

    def request_log(self) -> list[dict]:
        """nginx's access log: request line, status, bytes sent (headers, body and, for a
        websocket, every frame as sent), the route cookie and the replica's port (the
        last one tried; 0 if none)."""
        rows = []
        try:
            lines = self.access_log.read_text(errors="replace").splitlines()
        except OSError:
            return rows
        for line in lines:
            match = LOG_LINE.search(line)
            if not match:
                continue
            last = match["upstream"].split(",")[-1].strip()
            port = int(last.rsplit(":", 1)[1]) if ":" in last else 0
            rows.append({"request": match["request"], "status": int(match["status"]),
                         "bytes_sent": int(match["bytes"]), "route": match["route"],
                         "port": port})
        return rows

    def replica_of_request_log(self) -> list[tuple[str, int]]:
        """(route cookie, replica port) of every proxied request, in order."""
        return [(row["route"], row["port"]) for row in self.request_log() if row["port"]]

    def state(self) -> dict:
        return {"pid": os.getpid(), "url": self.url, "workdir": str(self.workdir),
                "database_url": self.database_url,
                "nginx": self._nginx.pid if self._nginx else None,
                "nginx_command": self._nginx_command(),
                "replicas": [p.pid for p in self._processes if p is not None],
                "postgres": {"bindir": str(self._postgres.bindir),
                             "data": str(self._postgres.data),
                             "folder": str(self._postgres.folder)} if self._postgres else None}


# --- the command line ---------------------------------------------------------------

def _start(args: argparse.Namespace) -> int:
    if STATE_FILE.exists() and _alive(json.loads(STATE_FILE.read_text())["pid"], "cluster"):
        print(f"a cluster already runs (see {STATE_FILE}); stop it first: "
              "python deploy/cluster.py stop", file=sys.stderr)
        return 1
    # `stop` from another process (or a service manager) sends SIGTERM: same as Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with Cluster(args.replicas, port=args.port, workdir=args.workdir) as cluster:
            STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
            STATE_FILE.write_text(json.dumps(cluster.state(), indent=1))
            print(f"mapapp cluster: {cluster.url}  ({args.replicas} replicas on ports "
                  f"{', '.join(map(str, cluster.replica_ports))})\n"
                  f"database: {cluster.database_url}\n"
                  f"logs: {cluster.workdir}/logs (replicas), {cluster.nginx_prefix}/logs "
                  f"(nginx){', ' + str(cluster._postgres.log) if cluster._postgres else ''}"
                  "\nCtrl-C (or: python deploy/cluster.py stop) stops it all.", flush=True)
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: no matter
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                print("\nstopping…", flush=True)
    except KeyboardInterrupt:
        return 130
    except (ClusterError, NginxMissing, PostgresMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if STATE_FILE.exists() and json.loads(STATE_FILE.read_text())["pid"] == os.getpid():
            STATE_FILE.unlink()
    print("stopped.")
    return 0


def _stop(_args: argparse.Namespace) -> int:
    """Ask the cluster's own process to stop (it stops the rest in order); whatever
    outlives it (that process was killed) is stopped here from the state file."""
    if not STATE_FILE.exists():
        print("no cluster is running (no state file)", file=sys.stderr)
        return 0
    state = json.loads(STATE_FILE.read_text())
    if _alive(state["pid"], "cluster"):
        os.kill(state["pid"], signal.SIGTERM)
        deadline = time.monotonic() + 60
        while _alive(state["pid"], "cluster") and time.monotonic() < deadline:
            time.sleep(0.2)
    if state.get("nginx") and _alive(state["nginx"], "nginx"):
        os.kill(state["nginx"], signal.SIGTERM)
    for pid in state.get("replicas", []):
        if _alive(pid, "mapapp", "serve"):
            os.kill(pid, signal.SIGKILL)
    postgres = state.get("postgres")
    if postgres and Path(postgres["data"], "postmaster.pid").exists():
        subprocess.run(as_owner([str(Path(postgres["bindir"]) / "pg_ctl"), "-D",
                                 postgres["data"], "-m", "fast", "-w", "stop"]),
                       capture_output=True, check=False)
        shutil.rmtree(postgres["folder"], ignore_errors=True)
    STATE_FILE.unlink(missing_ok=True)
    print("stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python deploy/cluster.py",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="run a cluster in the foreground (Ctrl-C)")
    start.add_argument("--replicas", type=int, default=3)
    start.add_argument("--port", type=int, default=8080, help="nginx's port")
    start.add_argument("--workdir", type=Path, help="default: a new folder under /tmp")
    commands.add_parser("stop", help="stop the cluster that `start` runs")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return _start(args) if args.command == "start" else _stop(args)


if __name__ == "__main__":
    sys.exit(main())
