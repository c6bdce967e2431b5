"""Load test through nginx: protocol sessions and a few browsers on a 3-replica cluster,
the same load on a 1-replica cluster, and a capacity ramp on each.

    python bench/loadtest_cluster.py [--sessions 60] [--seconds 90] [--browsers 3]
        [--publish-at 45] [--setups 3 1] [--ramp 1 2 4 8 16 32 64] [--ramp-seconds 20]

Per setup, a cluster (deploy/cluster.py: PostgreSQL, the replicas as ``make run`` serves
them, nginx with sticky sessions) serves version 1 of a published dataset; then:

- load: ``--sessions`` sessions of bench/st_client.py (Streamlit's own websocket
  protocol, no browser) open ``/?lang=es&data=resultados&basemap=none`` and for
  ``--seconds`` each change a filter every 5–15 s (indicator, level, years or value
  chains, at random: a person who looks at the map between changes) and export a PNG
  every 45–75 s; ``--browsers`` headless Chromium
  pages change the indicator every ~10 s and wait for the map's legend to show it
  (the repaint, as bench/loadtest.py). At ``--publish-at`` s, ``python -m mapapp publish``
  publishes version 2 of the dataset.
- ramp: 1, 2, 4, 8, 16, 32, 64 protocol sessions (``--ramp``), ``--ramp-seconds`` each,
  changing filters every 2–4 s (faster than a person: the ramp looks for the limit),
  until a step has errors or a p95 over 10 s: reruns per
  second and their p95; the capacity is the highest rate per replica with p95 under 1 s
  (errors here are reported, not failures).

Reported per replica (which replica holds a session: its ``mapapp_route`` cookie in
nginx's access log): sessions, requests (reruns and exports), errors, p50/p95 of a
change (request sent → the run's ``script_finished``), peak RSS. Asserted for the load
phase of the cluster (more than one replica; the single replica under the same load is
the comparison, its errors reported, not failures): no error;
every session saw version 2 within 10 s of its first change after the publication,
and never version 1 after it; every run asked for more than 3 s after the publication
showed version 2 (a replica caches "which version is latest" for 3 s: this holds at
any load); the store lists versions 1 and 2. The clients run on the same machine: the report
gives the CPU they took (this process's CPU time over the wall time, and the browsers').
Writes bench/loadtest_cluster.md for README; exits 1 on any failed assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from loadtest import legend_text  # noqa: E402
from run import ARGS, CHROMIUM, free_port  # noqa: E402
from st_client import Session, StError  # noqa: E402

SLUG = "resultados"
TITLE = "Resultados"
QUERY = f"lang=es&data={SLUG}&basemap=none"
DEMO = ROOT / "geodata" / "demo" / "results.csv"
OUT = HERE / "loadtest_cluster.md"
SEEN_WITHIN_S = 10.0  # a session shows the new version within this of its next change
LATEST_TTL_S = 3.0  # mapapp.store.caches: a replica's "latest version" is this old at most
THINK_S = (5.0, 15.0)  # between a session's changes in the load phase: a person's pace
RAMP_THINK_S = (2.0, 4.0)  # the ramp's sessions: faster, to find the limit
SATURATED_P95_S = 10.0  # the ramp stops after a step this slow (or with errors)
EXPORT_EVERY_S = (45.0, 75.0)
BROWSER_THINK_S = (8.0, 12.0)
REPAINT_TIMEOUT_S = 30.0
PNG = b"\x89PNG\r\n\x1a\n"
INDICATORS = ["Familias apoyadas", "Hectáreas instaladas", "Financiamiento movilizado",
              "Localidades conectadas a Internet 4G"]  # the browsers' choices
CLK_TCK = os.sysconf("SC_CLK_TCK")


def now() -> float:
    return time.monotonic()


# --- what was measured -----------------------------------------------------------------

@dataclass
class Record:
    """One session's (or browser page's) life in a phase."""

    name: str
    browser: bool = False
    route: str = ""  # nginx's sticky cookie: which replica holds the session
    opened: float | None = None  # seconds to the page's first complete run
    changes: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds)
    exports: list[tuple[float, int]] = field(default_factory=list)  # (seconds, bytes)
    # (request sent at, its run done at, the version the page showed)
    versions: list[tuple[float, float, int | None]] = field(default_factory=list)
    errors: list[tuple[float, str]] = field(default_factory=list)  # (at, reason)

    @property
    def requests(self) -> int:
        return len(self.changes) + len(self.exports)


def span(seconds: tuple[float, float]) -> str:
    return f"{seconds[0]:g}–{seconds[1]:g} s"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q) - 1]


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


# --- CPU and memory --------------------------------------------------------------------

def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


class Monitor:
    """Samples every second: the replicas' RSS (peak) and the CPU time of the browsers,
    the replicas, nginx and PostgreSQL (the last value seen of each process, so that
    processes that end within the phase still count)."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self.peak_rss = [0.0] * cluster.replicas
        self.cpu: dict[int, tuple[str, float]] = {}  # pid → (group, CPU seconds)
        self.start_cpu: dict[int, float] = {}
        self._task: asyncio.Task | None = None

    def _group(self, pid: int) -> str | None:
        command = _cmdline(pid)
        if "chromium" in command or "playwright" in command:
            return "browsers"
        if "nginx" in command:
            return "nginx"
        if "mapapp serve" in command:
            return "replica"
        if "postgres" in command:
            return "postgres"
        return None

    def _postgres_pids(self) -> list[int]:
        state = self.cluster.state().get("postgres")
        try:
            main = int(Path(state["data"], "postmaster.pid").read_text().split()[0])
        except (OSError, TypeError, ValueError, IndexError):
            return []
        return [main, *descendants(main)]

    def sample(self) -> None:
        for i in range(self.cluster.replicas):
            try:
                self.peak_rss[i] = max(self.peak_rss[i], self.cluster.replica_rss_mb(i))
            except Exception:  # a replica that died: its errors say so
                pass
        for pid in [*descendants(os.getpid()), *self._postgres_pids()]:
            group = self.cpu[pid][0] if pid in self.cpu else self._group(pid)
            stat = _stat(pid)
            if group and stat:
                self.cpu[pid] = (group, stat[1])
                self.start_cpu.setdefault(pid, stat[1])

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(1)

    def __enter__(self) -> Monitor:
        self.sample()
        self.self_cpu = time.process_time()
        self.machine = machine_cpu()
        self.wall = now()
        self._task = asyncio.get_running_loop().create_task(self.run())
        return self

    def __exit__(self, *exc: object) -> None:
        self._task.cancel()
        self.sample()
        self.wall = now() - self.wall
        self.self_cpu = time.process_time() - self.self_cpu
        busy, total = machine_cpu()
        self.machine = ((busy - self.machine[0]) / (total - self.machine[1])
                        if total > self.machine[1] else 0.0)

    def cpu_of(self, group: str, pid: int | None = None) -> float:
        return sum(value - self.start_cpu.get(p, value) for p, (g, value) in self.cpu.items()
                   if g == group and (pid is None or p == pid))


# --- sessions ------------------------------------------------------------------------

def pick_change(session: Session, rng: random.Random) -> tuple[str, object]:
    """Another indicator, level, years or value chains, at random."""
    widgets = session.widgets
    options = []
    for key in ("w_indicator", "w_level"):
        if key in widgets:
            options.append(key)
    if "w_years" in widgets and not widgets["w_years"].disabled:
        options.append("w_years")
    if "w_chains" in widgets and not widgets["w_chains"].disabled:
        options.append("w_chains")
    key = rng.choice(options)
    widget = widgets[key]
    current = session.values.get(widget.id, ("", None))[1]
    if key == "w_years":
        first, last = int(widget.element.min), int(widget.element.max)
        a = rng.randint(first, last)
        b = rng.randint(a, last)
        return key, [float(a), float(b)]
    if key == "w_chains":
        return key, sorted(rng.sample(widget.options, rng.randint(0, 2)))
    return key, rng.choice([o for o in widget.options if o != current] or widget.options)


async def protocol_session(record: Record, url: str, stop_at: float, rng: random.Random,
                           exports: bool, start_delay: float) -> None:
    await asyncio.sleep(start_delay)
    session = Session(url, QUERY)
    try:
        try:
            first = await session.open()
        except StError as exc:
            record.errors.append((now(), f"open: {exc.reason}"))
            return
        finally:
            record.route = session.http.cookies.get("mapapp_route") or ""
        record.opened = first.seconds
        record.versions.append((now() - first.seconds, now(), session.version(SLUG)))
        next_export = now() + rng.uniform(5, EXPORT_EVERY_S[1]) if exports else float("inf")
        while True:
            await asyncio.sleep(rng.uniform(*THINK_S))
            if now() >= stop_at:
                break
            if now() >= next_export:
                next_export = now() + rng.uniform(*EXPORT_EVERY_S)
                try:
                    data, took = await session.export("png")
                    if not data.startswith(PNG):
                        raise StError(f"export png: not a PNG ({data[:16]!r})")
                    record.exports.append((took, len(data)))
                except StError as exc:
                    record.errors.append((now(), exc.reason))
                    if session.closed:
                        break
                continue
            key, value = pick_change(session, rng)
            sent = now()
            try:
                run = await session.change(key, value)
            except StError as exc:
                record.errors.append((sent, f"{key}: {exc.reason}"))
                if session.closed:
                    break
                continue
            record.changes.append((sent, run.seconds))
            record.versions.append((sent, now(), session.version(SLUG)))
    finally:
        await session.close()


async def _repainted(page, text: str) -> None:
    deadline = now() + REPAINT_TIMEOUT_S
    while now() < deadline:
        if text in await legend_text(page):
            return
        await page.wait_for_timeout(50)
    raise TimeoutError(f"the map's legend never showed {text!r} ({REPAINT_TIMEOUT_S:.0f} s)")


async def _page_version(page) -> int | None:
    try:
        text = await page.get_by_text(re.compile(rf"{SLUG}@\d+")).first.inner_text(
            timeout=2000)
    except Exception:  # not drawn yet
        return None
    found = re.search(rf"{SLUG}@(\d+)", text)
    return int(found.group(1)) if found else None


async def browser_page(record: Record, browser, url: str, stop_at: float,
                       rng: random.Random, start_delay: float) -> None:
    await asyncio.sleep(start_delay)
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda error: record.errors.append((now(), f"page error: {error}")))
    await page.route("**/*", lambda route: route.continue_()
                     if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1"))
                     else route.abort())
    try:
        start = now()
        await page.goto(f"{url}/?{QUERY}&localities=0", timeout=60_000)
        await _repainted(page, "Familias apoyadas")
        record.opened = now() - start
        cookies = {c["name"]: c["value"] for c in await context.cookies()}
        record.route = cookies.get("mapapp_route", "")
        record.versions.append((start, now(), await _page_version(page)))
        turn = 1
        while True:
            await asyncio.sleep(rng.uniform(*BROWSER_THINK_S))
            if now() >= stop_at:
                break
            option = INDICATORS[turn % len(INDICATORS)]
            turn += 1
            sent = now()
            await (page.get_by_test_id("stSelectbox").filter(has_text="Indicador")
                   .first.click())
            await page.get_by_role("option", name=option, exact=True).click()
            await _repainted(page, option)
            record.changes.append((sent, now() - sent))
            record.versions.append((sent, now(), await _page_version(page)))
            if await page.get_by_test_id("stException").count():
                record.errors.append((now(), "the page shows an exception"))
    except Exception as exc:  # every failure is a counted error; the run goes on
        record.errors.append((now(), f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"))
    finally:
        await context.close()


# --- the publisher -------------------------------------------------------------------

def version_file(folder: Path, version: int) -> Path:
    """The demo's results; version 2 has every count 10 % higher (shares unchanged)."""
    if version == 1:
        return DEMO
    lines = DEMO.read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        *rest, indicator, value = line.split(",")
        if value and not indicator.endswith(("_share", "_pct")):
            value = f"{float(value) * 1.1:.6g}"
        out.append(",".join([*rest, indicator, value]))
    path = folder / f"results-v{version}.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


async def publish(database_url: str, file: Path) -> tuple[float, float, str]:
    """(done at, seconds taken, error or "") of ``python -m mapapp publish``."""
    start = now()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mapapp", "publish", str(file), "--name", SLUG,
        "--title", TITLE, "--by", "loadtest", "--json", cwd=ROOT,
        env={**os.environ, "MAPAPP_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _out, err = await process.communicate()
    error = "" if process.returncode == 0 else \
        f"publish exited {process.returncode}: {err.decode(errors='replace')[-300:]}"
    return now(), now() - start, error


def store_versions(database_url: str) -> list[int]:
    from mapapp.store import Store

    with Store(database_url) as store:
        return [v.version for v in store.versions(SLUG)]


# --- phases --------------------------------------------------------------------------

def replica_of(cluster, records: list[Record]) -> dict[str, int]:
    """route cookie → replica index, from nginx's access log."""
    index = {port: i for i, port in enumerate(cluster.replica_ports)}
    routes = {}
    for route, port in cluster.replica_of_request_log():
        if port in index:
            routes[route] = index[port]
    return {r.route: routes[r.route] for r in records if r.route in routes}


async def warm_up(cluster) -> None:
    """Every replica loads the dataset once before anything is measured (a session
    lands on a replica by its random route cookie: open some until all have had one)."""
    warm: set[int] = set()
    for _attempt in range(8):
        pairs = [(Session(cluster.url, QUERY), Record(f"warm-{i}"))
                 for i in range(cluster.replicas)]
        await asyncio.gather(*(_open_quietly(s, r, 0) for s, r in pairs))
        await asyncio.gather(*(s.close() for s, _r in pairs))
        warm |= set(replica_of(cluster, [r for _s, r in pairs]).values())
        if len(warm) == cluster.replicas:
            return


async def load_phase(cluster, args, rng: random.Random, folder: Path) -> dict:
    from playwright.async_api import async_playwright

    records = [Record(f"s{i}") for i in range(args.sessions)]
    pages = [Record(f"b{i}", browser=True) for i in range(args.browsers)]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS) \
            if pages else None
        with Monitor(cluster) as monitor:
            start = now()
            stop_at = start + args.seconds
            tasks = [asyncio.create_task(protocol_session(
                r, cluster.url, stop_at, random.Random(rng.random()), True,
                i * args.stagger / max(1, len(records)))) for i, r in enumerate(records)]
            tasks += [asyncio.create_task(browser_page(
                p, browser, cluster.url, stop_at, random.Random(rng.random()), 1.0 + i))
                for i, p in enumerate(pages)]
            await asyncio.sleep(max(0.0, start + args.publish_at - now()))
            published_at, publish_s, publish_error = await publish(
                cluster.database_url, version_file(folder, 2))
            await asyncio.gather(*tasks)
        if browser is not None:
            await browser.close()
    return {"records": records, "pages": pages, "monitor": monitor, "start": start,
            "published_at": published_at, "publish_s": publish_s,
            "publish_error": publish_error, "routes": replica_of(cluster, records + pages),
            "versions": store_versions(cluster.database_url)}


async def ramp_phase(cluster, steps: list[int], window_s: float, rng: random.Random
                     ) -> list[dict]:
    """More and more sessions, each changing a filter every RAMP_THINK_S from the moment
    it is open; per step, once the step's new sessions are open and 3 s have passed, a window
    of ``window_s``: the changes completed in it (reruns per second) and the time of
    those sent in it."""
    sessions: list[tuple[Session, Record]] = []
    loops: list[asyncio.Task] = []
    stop = asyncio.Event()
    results = []
    try:
        for size in steps:
            new = [(Session(cluster.url, QUERY), Record(f"r{i}"))
                   for i in range(len(sessions), size)]
            opened = await asyncio.gather(*(_open_quietly(s, r, 0.05 * k)
                                            for k, (s, r) in enumerate(new)))
            for pair, ok in zip(new, opened, strict=True):
                if ok:
                    sessions.append(pair)
                    loops.append(asyncio.create_task(
                        _changing(*pair, stop, random.Random(rng.random()))))
            await asyncio.sleep(3)
            with Monitor(cluster) as monitor:
                start = now()
                await asyncio.sleep(window_s)
                end = now()
            step = {"sessions": size, "open": len(sessions), "start": start, "stop": end,
                    "monitor": monitor, "records": [r for _s, r in sessions],
                    "open_errors": [e for _s, r in new for _t, e in r.errors],
                    "routes": replica_of(cluster, [r for _s, r in sessions])}
            results.append(step)
            _rate, p95, errors = step_figures(step)
            if errors or (p95 or 0) > SATURATED_P95_S:
                break  # past the limit: more sessions only queue longer
    finally:
        stop.set()
        await asyncio.gather(*loops, return_exceptions=True)
        await asyncio.gather(*(s.close() for s, _r in sessions))
    return results


async def _open_quietly(session: Session, record: Record, delay: float) -> bool:
    await asyncio.sleep(delay)
    try:
        await session.open()
        return True
    except StError as exc:
        record.errors.append((now(), f"open: {exc.reason}"))
        await session.close()
        return False
    finally:
        record.route = session.http.cookies.get("mapapp_route") or ""


async def _changing(session: Session, record: Record, stop: asyncio.Event,
                    rng: random.Random) -> None:
    async def think(low: float, high: float) -> None:
        try:
            await asyncio.wait_for(stop.wait(), rng.uniform(low, high))
        except TimeoutError:
            pass

    await think(0, RAMP_THINK_S[1])  # not all at once
    while not stop.is_set():
        key, value = pick_change(session, rng)
        sent = now()
        try:
            run = await session.change(key, value)
            record.changes.append((sent, run.seconds))
        except StError as exc:
            record.errors.append((sent, f"{key}: {exc.reason}"))
            if session.closed:
                return
        await think(*RAMP_THINK_S)


async def run_setup(replicas: int, args, rng: random.Random) -> dict:
    from deploy.cluster import Cluster

    with tempfile.TemporaryDirectory(prefix="loadtest-cluster-") as tmp:
        folder = Path(tmp)
        print(f"{replicas} replica(s): starting the cluster…", flush=True)
        workdir = None
        if args.keep_logs:  # a given folder stays, with the replicas' and nginx's logs
            workdir = Path(args.keep_logs, f"{replicas}-replicas")
            workdir.mkdir(parents=True, exist_ok=True)
            workdir.chmod(0o755)  # nginx's workers (www-data) write in it
        with Cluster(replicas, port=free_port(), workdir=workdir) as cluster:
            _done, _took, error = await publish(cluster.database_url, version_file(folder, 1))
            if error:
                raise RuntimeError(error)
            await warm_up(cluster)
            print(f"  load: {args.sessions} sessions + {args.browsers} browsers, "
                  f"{args.seconds:.0f} s…", flush=True)
            load = await load_phase(cluster, args, rng, folder)
            await asyncio.sleep(3)  # closed sessions go
            ramp = []
            if args.ramp:
                print(f"  ramp: {args.ramp} sessions × {args.ramp_seconds:.0f} s…", flush=True)
                ramp = await ramp_phase(cluster, args.ramp, args.ramp_seconds, rng)
            return {"replicas": replicas, "load": load, "ramp": ramp}


# --- checks and the report -----------------------------------------------------------

def version_failures(load: dict) -> list[str]:
    """Every session saw version 2 within SEEN_WITHIN_S of its first change after the
    publication, and never version 1 once it had seen 2."""
    failures = []
    published = load["published_at"]
    for record in load["records"] + load["pages"]:
        if record.errors and not record.versions:
            continue  # counted as errors already
        after = [(sent, done, v) for sent, done, v in record.versions if sent >= published]
        if not after:
            failures.append(f"{record.name}: no change after the publication")
            continue
        first_sent = after[0][0]
        seen = [done for _sent, done, v in after if v == 2]
        if not seen or seen[0] - first_sent > SEEN_WITHIN_S:
            took = f"{seen[0] - first_sent:.1f} s" if seen else "never"
            failures.append(f"{record.name}: version 2 shown {took} after its first change "
                            f"after the publication (versions {[v for *_x, v in after]})")
        shown = [v for _sent, _done, v in record.versions]
        if 2 in shown and any(v == 1 for v in shown[shown.index(2):]):
            failures.append(f"{record.name}: version 1 again after version 2")
        stale = [v for sent, _done, v in after if sent >= published + LATEST_TTL_S and v != 2]
        if stale:
            failures.append(f"{record.name}: {len(stale)} run(s) asked for more than "
                            f"{LATEST_TTL_S:.0f} s after the publication showed {stale[0]}")
    return failures


def seen_delays(load: dict) -> list[float]:
    delays = []
    for record in load["records"] + load["pages"]:
        after = [(sent, done, v) for sent, done, v in record.versions
                 if sent >= load["published_at"]]
        seen = [done for _sent, done, v in after if v == 2]
        if after and seen:
            delays.append(seen[0] - after[0][0])
    return delays


def freshness(load: dict) -> tuple[int, int]:
    """(runs asked for more than LATEST_TTL_S after the publication, those not on v2)."""
    late = [v for r in load["records"] + load["pages"] for sent, _done, v in r.versions
            if sent >= load["published_at"] + LATEST_TTL_S]
    return len(late), sum(1 for v in late if v != 2)


def error_kinds(records: list[Record]) -> str:
    """Errors by kind, most frequent first: ``12 × export png: HTTP 404; …``."""
    counts: dict[str, int] = {}
    for record in records:
        for _at, reason in record.errors:
            kind = re.sub(r"^w_\w+: ", "", reason)
            kind = re.sub(r"[0-9a-f]{16,}", "…", kind)
            kind = re.sub(r"\d+(\.\d+)? (s|ms)\b", "N s", kind)[:120]
            counts[kind] = counts.get(kind, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return "; ".join(f"{n} × {kind}" for kind, n in ranked[:6]) or "none"


def per_replica_rows(setup: dict) -> list[list[str]]:
    load, replicas = setup["load"], setup["replicas"]
    routes, monitor = load["routes"], load["monitor"]
    rows = []
    groups: list[tuple[str, list[Record], float | None]] = []
    for i in range(replicas):
        held = [r for r in load["records"] + load["pages"] if routes.get(r.route) == i]
        groups.append((str(i + 1), held, monitor.peak_rss[i]))
    lost = [r for r in load["records"] + load["pages"] if r.route not in routes]
    if lost:
        groups.append(("?", lost, None))
    for name, held, rss in groups:
        sessions = [r for r in held if not r.browser]
        changes = [s for r in sessions for _t, s in r.changes]
        errors = sum(len(r.errors) for r in held)
        browsers = len(held) - len(sessions)
        rows.append([f"{replicas}", name, f"{len(sessions)}" + (f" + {browsers} b"
                                                                  if browsers else ""),
                     f"{sum(r.requests for r in sessions)}", f"{errors}",
                     seconds(percentile(changes, 50)), seconds(percentile(changes, 95)),
                     "–" if rss is None else f"{rss:.0f} MB"])
    return rows


def timeline_rows(setup: dict, window_s: float = 15.0) -> list[list[str]]:
    """The load phase in windows: the protocol sessions' changes sent in each, their
    p50/p95, and the errors then (when was it slow: the opening, the publication?)."""
    load = setup["load"]
    start, records = load["start"], load["records"]
    rows, edge = [], 0.0
    last = max([sent - start for r in records for sent, _s in r.changes] or [0.0])
    while edge <= last:
        inside = [took for r in records for sent, took in r.changes
                  if edge <= sent - start < edge + window_s]
        errors = sum(1 for r in records for at, _e in r.errors
                     if edge <= at - start < edge + window_s)
        mark = " (publication)" if edge <= load["published_at"] - start < edge + window_s \
            else ""
        rows.append([f"{setup['replicas']}", f"{edge:.0f}–{edge + window_s:.0f} s{mark}",
                     f"{len(inside)}", seconds(percentile(inside, 50)),
                     seconds(percentile(inside, 95)), f"{errors}"])
        edge += window_s
    return rows


def summary(setup: dict, seconds_: float) -> dict:
    load = setup["load"]
    records = load["records"]
    changes = [s for r in records for _t, s in r.changes]
    exports = [s for r in records for s, _b in r.exports]
    browser_changes = [s for p in load["pages"] for _t, s in p.changes]
    monitor = load["monitor"]
    return {
        "replicas": setup["replicas"], "sessions": len(records), "changes": len(changes),
        "rate": len(changes) / seconds_, "p50": percentile(changes, 50),
        "p95": percentile(changes, 95), "exports": len(exports),
        "export_p95": percentile(exports, 95),
        "errors": sum(len(r.errors) for r in records + load["pages"]),
        "browser_changes": len(browser_changes), "browser_p50": percentile(browser_changes, 50),
        "browser_p95": percentile(browser_changes, 95),
        "client_cpu": monitor.self_cpu / monitor.wall,
        "browsers_cpu": monitor.cpu_of("browsers") / monitor.wall,
        "replicas_cpu": monitor.cpu_of("replica") / monitor.wall,
        "machine": monitor.machine,
    }


def step_figures(step: dict) -> tuple[float, float | None, int]:
    """(changes completed per second, p95 of those asked for, errors) of a ramp window."""
    start, stop = step["start"], step["stop"]
    done = sum(1 for r in step["records"] for sent, took in r.changes
               if start <= sent + took <= stop)
    latencies = [took for r in step["records"] for sent, took in r.changes
                 if start <= sent <= stop]
    errors = len(step["open_errors"]) + sum(
        1 for r in step["records"] for at, _e in r.errors if start <= at <= stop)
    return done / (stop - start), percentile(latencies, 95), errors


def ramp_rows(setup: dict) -> tuple[list[list[str]], float | None, float]:
    """The ramp's table; the highest rate per replica with p95 under 1 s, and the
    highest at all."""
    rows, best, peak = [], None, 0.0
    n = setup["replicas"]
    for step in setup["ramp"]:
        start, stop = step["start"], step["stop"]
        rate, p95, errors = step_figures(step)
        latencies = [took for r in step["records"] for sent, took in r.changes
                     if start <= sent <= stop]
        by_replica = [sum(1 for r in step["records"] for sent, took in r.changes
                          if start <= sent + took <= stop and step["routes"].get(r.route) == i)
                      / (stop - start) for i in range(n)]
        if p95 is not None and p95 < 1.0 and not errors:
            best = max(best or 0.0, rate / n)
        peak = max(peak, rate / n)
        monitor = step["monitor"]
        opened = f"{step['open']}" + (f" of {step['sessions']}"
                                      if step["open"] != step["sessions"] else "")
        rows.append([f"{n}", opened, f"{rate:.1f}", " / ".join(f"{v:.1f}" for v in by_replica),
                     seconds(percentile(latencies, 50)), seconds(p95), f"{errors}",
                     f"{monitor.cpu_of('replica') / monitor.wall * 100:.0f} %",
                     f"{monitor.self_cpu / monitor.wall * 100:.0f} %"])
    return rows, best, peak


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(setups: list[dict], args, failures: list[str]) -> str:
    date = time.strftime("%Y-%m-%d")
    cores = os.cpu_count()
    sums = [summary(s, args.seconds) for s in setups]
    parts = [
        f"Cluster load test ({date}, one {cores}-core machine running the clients too): "
        f"nginx with sticky sessions, the replicas as `make run` serves them (map first), "
        f"PostgreSQL. {args.sessions} protocol sessions (bench/st_client.py: Streamlit's "
        f"websocket messages, no browser), opened one after the other over the first "
        f"{args.stagger:.0f} s, change a filter every {span(THINK_S)} (a person's pace) and "
        f"export a PNG every {span(EXPORT_EVERY_S)} "
        f"for {args.seconds:.0f} s, beside {args.browsers} headless Chromium "
        f"pages that change the indicator every ~10 s and wait for the map to repaint; "
        f"version 2 of the dataset is published at {args.publish_at:.0f} s. "
        f"A change's time: request sent → the run's `script_finished`.",
        "",
        table(["Replicas", "Replica", "Sessions", "Requests", "Errors", "p50 change",
               "p95 change", "Peak RSS"],
              [row for s in setups for row in per_replica_rows(s)]),
        "",
        table(["Replicas", "Reruns/s", "p50 change", "p95 change", "PNG exports (p95)",
               "Browser repaints (p50 / p95)", "Errors"],
              [[f"{x['replicas']}", f"{x['rate']:.1f}", seconds(x["p50"]), seconds(x["p95"]),
                f"{x['exports']} ({seconds(x['export_p95'])})",
                f"{x['browser_changes']} ({seconds(x['browser_p50'])} / "
                f"{seconds(x['browser_p95'])})", f"{x['errors']}"] for x in sums]),
        "",
        table(["Replicas", "Sent", "Changes", "p50", "p95", "Errors"],
              [row for s in setups for row in timeline_rows(s)]),
    ]
    for setup, x in zip(setups, sums, strict=True):
        load = setup["load"]
        delays = seen_delays(load)
        late, stale = freshness(load)
        parts += ["", (
            f"{x['replicas']} replica(s): version 2 published in {load['publish_s']:.1f} s; "
            f"the sessions showed it {seconds(max(delays) if delays else None)} at most "
            f"after their first change after the publication (p50 "
            f"{seconds(percentile(delays, 50))}; {len(delays)} of "
            f"{len(load['records']) + len(load['pages'])} sessions); of the {late} runs asked "
            f"for more than {LATEST_TTL_S:.0f} s after it, {stale} showed version 1; the "
            f"store lists versions "
            f"{', '.join(map(str, load['versions']))}. CPU (share of one core over the "
            f"phase): protocol clients {x['client_cpu'] * 100:.0f} %, browsers "
            f"{x['browsers_cpu'] * 100:.0f} %, replicas {x['replicas_cpu'] * 100:.0f} %; "
            f"the machine was {x['machine'] * 100:.0f} % busy. Errors: "
            f"{error_kinds(load['records'] + load['pages'])}.")]
    if any(s["ramp"] for s in setups):
        capacity = []
        ramp_table = []
        for setup in setups:
            rows, best, peak = ramp_rows(setup)
            ramp_table += rows
            capacity.append(f"{setup['replicas']} replica(s): "
                            + (f"{best:.2f}" if best is not None else "none (p95 ≥ 1 s)")
                            + f", at any p95 {peak:.2f}")
        parts += ["", f"Capacity: sessions changing a filter every {span(RAMP_THINK_S)}, "
                      f"{args.ramp_seconds:.0f} s per step, until a step has errors or a p95 "
                      f"over {SATURATED_P95_S:.0f} s (CPU: share of one core).", "",
                  table(["Replicas", "Sessions", "Reruns/s", "Per replica", "p50", "p95",
                         "Errors", "Replicas' CPU", "Client CPU"], ramp_table), "",
                  "Reruns/s per replica (the cluster's rate over its replicas), the highest "
                  "with p95 under 1 s and no error, and the highest at all: "
                  + "; ".join(capacity) + "."]
    parts += ["", "All checks passed (asserted for the cluster; one replica is the comparison)."
              if not failures else
              f"FAILED ({len(failures)}): " + "; ".join(failures[:12])
              + ("; …" if len(failures) > 12 else "")]
    return "\n".join(parts) + "\n"


def check(setups: list[dict]) -> list[str]:
    """The load phase's assertions (the ramp looks for the limit: its errors are in its
    table, not failures)."""
    failures = []
    for setup in setups:
        load, n = setup["load"], setup["replicas"]
        if n == 1 and len(setups) > 1:
            continue  # the comparison: its errors are in the tables
        if load["publish_error"]:
            failures.append(f"{n} replica(s): {load['publish_error']}")
        for record in load["records"] + load["pages"]:
            failures += [f"{n} replica(s) {record.name}: {e}" for _t, e in record.errors[:3]]
        failures += [f"{n} replica(s) {f}" for f in version_failures(load)]
        if load["versions"] != [1, 2]:
            failures.append(f"{n} replica(s): the store lists versions {load['versions']}")
    return failures


async def main_async(args) -> int:
    rng = random.Random(args.seed)
    setups = []
    for replicas in args.setups:
        setups.append(await run_setup(replicas, args, rng))
    failures = check(setups)
    text = report(setups, args, failures)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--browsers", type=int, default=3)
    parser.add_argument("--publish-at", type=float, default=45)
    parser.add_argument("--stagger", type=float, default=20.0,
                        help="seconds over which the sessions open")
    parser.add_argument("--setups", type=int, nargs="+", default=[3, 1],
                        help="replicas of each cluster, one after the other")
    parser.add_argument("--ramp", type=int, nargs="*", default=[1, 2, 4, 8, 16, 32, 64])
    parser.add_argument("--ramp-seconds", type=float, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(OUT), help="markdown report ('' for none)")
    parser.add_argument("--keep-logs", metavar="DIR",
                        help="run each cluster in DIR/<n>-replicas and keep it (logs)")
    args = parser.parse_args()
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
