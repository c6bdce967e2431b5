"""Server memory around uploads: what an upload costs, and whether it is given back.

    python bench/upload_memory.py [--only one|a|b] [--env NAME=VALUE]
    (make bench-memory: with MALLOC_ARENA_MAX=2, as make run; about 6 minutes)

Starts the app server, opens one page and records the server's memory (RSS, and
PSS, of the process and its children: uploads are read in a child process) at
rest. Then, in headless Chromium, sampling every 0.2 s:

(one) one session uploads a generated ≈49.6 MB valid results file alone: its peak;
    it closes and memory is watched for 30 s;
(a) three sessions upload that file at the same time; the three close and
    memory is watched for 60 s;
(b) one session uploads ten generated 5 MB files in a row (each a different
    file), then closes; memory is watched for 60 s.

Prints a Markdown table and writes it to bench/upload_memory.md. Exits 1 when
the server is not back within 100 MB of its rest level at the end of a watch,
or when an upload did not reach its page.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from run import ARGS, CHROMIUM, start  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "upload_memory"
OUT = ROOT / "bench" / "upload_memory.md"
BIG_BYTES = 49_600_000
SMALL_BYTES = 5_000_000
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
UPLOAD_TIMEOUT_S = 240
AFTER_CLOSE_S = 60
SAMPLE_S = 0.2
BACK_WITHIN_MB = 100


# --- the files --------------------------------------------------------------------

def make_results(path: Path, size: int, seed: int) -> Path:
    """A valid long results file of about ``size`` bytes: real district ubigeos and
    names, each (place, year, value chain, indicator) once, so no row is a duplicate."""
    if path.exists() and abs(path.stat().st_size - size) < 2_000:
        return path
    from mapapp.boundaries import geodata
    from mapapp.model import catalog

    table = geodata.places().query("level == 'district'")
    districts = list(zip(table["ubigeo"], table["name"], strict=True))
    pairs = []  # (value chain, indicator)
    for ind in catalog.INDICATORS.values():
        chains = ["", *catalog.VALUE_CHAINS] if ind.by_value_chain else [""]
        pairs += [(chain, ind) for chain in chains]
    years = range(2000, date.today().year + 1)
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        header = "ubigeo,district,year,value_chain,indicator,value\n"
        out.write(header)
        written += len(header)
        # Walk the combinations in a shuffled order of places so a small file still
        # spreads over Peru; stop at the size.
        order = districts[:]
        rng.shuffle(order)
        for ubigeo, name in order:
            for year in years:
                for chain, ind in pairs:
                    if ind.is_percentage:
                        value = f"{rng.uniform(0, 100):.2f}"
                    elif ind.unit["en"] == "US$":
                        value = f"{rng.uniform(1_000, 5_000_000):.2f}"
                    else:
                        value = f"{rng.randint(1, 20_000)}.{rng.randint(0, 9)}"
                    line = f'{ubigeo},"{name}",{year},{chain},{ind.id},{value}\n'
                    size_of_line = len(line.encode())
                    if written + size_of_line > size:
                        return path
                    out.write(line)
                    written += size_of_line
    raise RuntimeError(f"only {written} bytes of unique rows for {path.name}")


# --- the server and its memory ----------------------------------------------------

def tree_mb(pid: int, field: str = "VmRSS", source: str = "status") -> float:
    """RSS (or, with field="Pss", source="smaps_rollup", PSS: shared pages split
    between the processes that map them) of a process and all its descendants, MB."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/{source}").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending += [int(c) for c in children]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def tree_rss_mb(pid: int) -> float:
    return tree_mb(pid)


def tree_pss_mb(pid: int) -> float:
    return tree_mb(pid, "Pss", "smaps_rollup")


class Sampler(threading.Thread):
    """RSS and PSS every 0.2 s in the background: (monotonic time, RSS MB, PSS MB)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self.pss: list[tuple[float, float]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            now = time.monotonic()
            self.samples.append((now, tree_rss_mb(self.pid)))
            self.pss.append((now, tree_pss_mb(self.pid)))
            self.stopped.wait(SAMPLE_S)

    def peak(self, start: float, end: float, pss: bool = False) -> float:
        samples = self.pss if pss else self.samples
        return max((mb for t, mb in samples if start <= t <= end), default=0.0)

    def at(self, when: float) -> float:
        """The first sample at or after ``when``."""
        return next((mb for t, mb in self.samples if t >= when), self.samples[-1][1])


def start_server(env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    return start("streamlit_app.py", log=ROOT / "bench" / ".cache" / "upload_memory_server.log",
                 env={"STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **env_extra})


# --- the browser ------------------------------------------------------------------

class Session:
    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route("**/*", lambda route: route.continue_()
                        if route.request.url.startswith(LOCAL) else route.abort())
        self.page.goto(f"{url}/?basemap=none", timeout=120_000)

    def wait_map(self, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for frame in self.page.frames:
                if "st_folium" in frame.url and frame.locator(".map-legend").count():
                    return
            self.page.wait_for_timeout(250)
        raise TimeoutError("the map never painted")

    def choose(self, path: Path) -> None:
        """Open "Your data" and hand the file to the results uploader."""
        uploader = self.page.get_by_test_id("stFileUploader").first
        if not uploader.is_visible():
            self.page.get_by_test_id("stSidebar").get_by_text("Sus datos").first.click()
        uploader.locator("input[type=file]").set_input_files(str(path))

    def done(self, name: str) -> bool:
        """The page names the upload as the data on the map (or shows an error)."""
        if self.page.get_by_test_id("stException").count():
            text = self.page.get_by_test_id("stException").first.inner_text()
            raise RuntimeError(f"the page shows an exception after {name}: {text[:300]}")
        if self.page.get_by_test_id("stAlertContentError").count():
            text = self.page.get_by_test_id("stAlertContentError").first.inner_text()
            raise RuntimeError(f"{name}: {text}")
        return self.page.get_by_test_id("stAlertContentSuccess").filter(
            has_text=f"Sus datos: {name}").count() > 0

    def close(self) -> None:
        self.context.close()


def wait_all(sessions: list[Session], name_of, timeout_s: float = UPLOAD_TIMEOUT_S
             ) -> list[float]:
    """Wait for every session's upload to reach its page; when each did, in order."""
    deadline = time.monotonic() + timeout_s
    pending = list(sessions)
    finished: list[float] = []
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} upload(s) never reached the map")
        still = [s for s in pending if not s.done(name_of(s))]
        finished += [time.monotonic()] * (len(pending) - len(still))
        pending = still
        if pending:
            pending[0].page.wait_for_timeout(300)
    return finished


# --- the scenarios ----------------------------------------------------------------

@dataclass
class Row:
    label: str
    file_bytes: int  # one file's bytes (for the ratio)
    rest: float
    rest_pss: float
    before: float = 0.0  # RSS when the scenario began
    peak: float = 0.0
    peak_pss: float = 0.0
    held: float = 0.0  # RSS with the sessions still open, after the last upload
    after: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0  # from the first file chosen to the last upload on the map

    @property
    def above(self) -> float:
        return self.peak - self.rest

    @property
    def ratio(self) -> float:
        return self.above * 1024 * 1024 / self.file_bytes  # MB is MiB here

    @property
    def back(self) -> bool:
        return self.after[max(self.after)] - self.rest <= BACK_WITHIN_MB


def after_close(row: Row, sampler: Sampler, closed: float, watch_s: int = AFTER_CLOSE_S
                ) -> None:
    time.sleep(max(0.0, closed + watch_s + 0.5 - time.monotonic()))
    row.after = {s: sampler.at(closed + s) for s in (10, 30, AFTER_CLOSE_S) if s <= watch_s}


def finish(row: Row, sessions: list, sampler: Sampler, started: float,
           watch_s: int = AFTER_CLOSE_S) -> Row:
    """Every upload is on its map: record the peak and what is held, close the
    sessions, then watch memory come back."""
    row.seconds = time.monotonic() - started
    time.sleep(3)
    row.peak = sampler.peak(started, time.monotonic())
    row.peak_pss = sampler.peak(started, time.monotonic(), pss=True)
    row.held = sampler.at(time.monotonic() - 0.3)
    errors = [e for s in sessions for e in s.errors]
    for session in sessions:
        session.close()
    closed = time.monotonic()
    if errors:
        raise RuntimeError(f"page errors: {errors[:3]}")
    after_close(row, sampler, closed, watch_s=watch_s)
    return row


def one_big(browser, url: str, sampler: Sampler, rest: tuple[float, float],
            big: Path) -> Row:
    """One upload alone: its own peak (watched for 30 s after, to keep the run short)."""
    session = Session(browser, url)
    session.wait_map()
    time.sleep(1)
    row = Row("1 session × 49.6 MB, alone", big.stat().st_size, *rest,
              before=tree_rss_mb(sampler.pid))
    started = time.monotonic()
    session.choose(big)
    wait_all([session], lambda _s: big.name)
    return finish(row, [session], sampler, started, watch_s=30)


def concurrent_big(browser, url: str, sampler: Sampler, rest: tuple[float, float],
                   big: Path) -> Row:
    sessions = [Session(browser, url) for _ in range(3)]
    for session in sessions:
        session.wait_map()
    time.sleep(1)
    row = Row("3 sessions × 49.6 MB at once", big.stat().st_size, *rest,
              before=tree_rss_mb(sampler.pid))
    copies = []
    for i in range(len(sessions)):  # same content, one name per session
        copy = big.with_name(f"grande{i + 1}.csv")
        if not copy.exists():
            os.link(big, copy)
        copies.append(copy)
    started = time.monotonic()
    for session, copy in zip(sessions, copies, strict=True):
        session.choose(copy)
    names = {id(s): c.name for s, c in zip(sessions, copies, strict=True)}
    wait_all(sessions, lambda s: names[id(s)])
    return finish(row, sessions, sampler, started)


def ten_small(browser, url: str, sampler: Sampler, rest: tuple[float, float],
              smalls: list[Path]) -> Row:
    session = Session(browser, url)
    session.wait_map()
    time.sleep(1)
    row = Row("1 session × ten 5 MB in a row", smalls[0].stat().st_size, *rest,
              before=tree_rss_mb(sampler.pid))
    started = time.monotonic()
    for path in smalls:
        session.choose(path)
        wait_all([session], lambda _s, name=path.name: name)
    return finish(row, [session], sampler, started)


def table(rows: list[Row]) -> str:
    head = ("| scenario | rest | before | peak | peak above rest | ÷ one file's bytes "
            "| peak above rest, PSS | held, sessions open | 10 s after close | 30 s | 60 s "
            "| back within 100 MB of rest |")
    lines = [head, "|" + " --- |" * 12]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.rest:.0f} MB | {r.before:.0f} MB | {r.peak:.0f} MB | "
            f"{r.above:.0f} MB | {r.ratio:.1f}× | {r.peak_pss - r.rest_pss:.0f} MB | "
            f"{r.held:.0f} MB | "
            + " | ".join(f"{r.after[s]:.0f} MB" if s in r.after else "—"
                         for s in (10, 30, AFTER_CLOSE_S))
            + f" | {'yes' if r.back else '**no**'} |")
    return "\n".join(lines)


def _rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("one", "a", "b"), help="run one scenario")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="set in the server's environment (e.g. MALLOC_ARENA_MAX=2)")
    args = parser.parse_args()
    server_env = dict(item.split("=", 1) for item in args.env)
    from playwright.sync_api import sync_playwright

    big = make_results(CACHE / "grande.csv", BIG_BYTES, seed=1)
    smalls = [make_results(CACHE / f"chico{i:02d}.csv", SMALL_BYTES, seed=100 + i)
              for i in range(1, 11)]
    process, url = start_server(server_env)
    sampler = Sampler(process.pid)
    rows: list[Row] = []
    begun = time.monotonic()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            first = Session(browser, url)
            first.wait_map()
            first.close()
            time.sleep(5)
            rest = tree_rss_mb(process.pid), tree_pss_mb(process.pid)
            sampler.start()
            if args.only in (None, "one"):
                rows.append(one_big(browser, url, sampler, rest, big))
            if args.only in (None, "a"):
                rows.append(concurrent_big(browser, url, sampler, rest, big))
            if args.only in (None, "b"):
                rows.append(ten_small(browser, url, sampler, rest, smalls))
            browser.close()
    finally:
        sampler.stopped.set()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    elapsed = time.monotonic() - begun
    times = "; ".join(f"{r.label}: uploads on the map after {r.seconds:.0f} s" for r in rows)
    text = (
        f"Measured {date.today().isoformat()} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}: server memory "
        f"(process and children; RSS, and PSS, which splits shared pages such as libraries "
        f"between the processes that map them) sampled every {SAMPLE_S} s; rest = after a "
        f"first page view and its session closed; before = when the scenario began. Files "
        f"are generated valid long results (ubigeo, district name, year, value chain, "
        f"indicator, value; real district ubigeos, no duplicate rows): "
        f"{big.stat().st_size:,} bytes ({_rows(big):,} rows) and ten different "
        f"{smalls[0].stat().st_size:,}-byte files. {times}; whole run {elapsed:.0f} s"
        + "".join(f"; server environment {item}" for item in args.env) + ".\n\n"
        + table(rows) + "\n")
    print(text)
    OUT.write_text(text, encoding="utf-8")
    return 0 if all(r.back for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
