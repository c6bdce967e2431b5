"""Faults under load, on a 3-replica cluster (deploy/cluster.py): each scenario runs
protocol sessions (bench/st_client.py) changing filters every 1–2 s and checks what the
issue asks; results in bench/faults_cluster.md (README); exits 1 if any check fails.

    python bench/faults_cluster.py [--sessions 12] [--only kill postgres reload]

- kill: one replica is killed (SIGKILL) mid-load, the one that holds a real browser's
  page. Sessions on the other replicas must see no error at all; the browser page must
  recover without a reload (Streamlit's frontend reconnects through nginx to another
  replica, which starts a new session from the link's view: its first rerun there
  carries no widget values) and repaint the map after a filter change; a first change
  that is lost must be said on the page (make it again); each protocol session of the
  killed replica reconnects as that browser does (a new session, the same cookies) and
  works.
- postgres: PostgreSQL stops for 8 s mid-load. Sessions must see no error (pages keep
  showing the version their replica last showed); a publication while it is down must
  fail with one clear "error:" line (exit 2); once it is back a publication succeeds,
  every session shows it within 10 s of its next change, and the store lists versions
  1 and 2 with none half-written.
- reload: nginx reloads twice with a changed list of replicas (one taken out, then put
  back). No websocket may close and no change may fail. Downloads of a session whose
  route moved to another replica are counted (their file lives on the first one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from loadtest_cluster import (  # noqa: E402
    INDICATORS,
    QUERY,
    SLUG,
    _repainted,
    pick_change,
    publish,
    store_versions,
    version_file,
)
from run import ARGS, CHROMIUM  # noqa: E402
from st_client import Session, StError  # noqa: E402

from deploy.cluster import Cluster  # noqa: E402
from mapapp.model.i18n import t  # noqa: E402

OUT = HERE / "faults_cluster.md"
SESSION_LOST = t("session_lost", "es")[:40]  # the page's note after a lost session
THINK_S = (1.0, 2.0)


class Loaded:
    """Protocol sessions changing filters until stopped; what happened to each."""

    def __init__(self, cluster: Cluster, count: int, rng: random.Random) -> None:
        self.cluster, self.count, self.rng = cluster, count, rng
        self.sessions: list[Session] = []
        self.errors: dict[int, list[str]] = {}
        self.changes: dict[int, int] = {}
        self.seen: dict[int, list[tuple[float, int | None]]] = {}
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        for i in range(self.count):
            session = Session(self.cluster.url, QUERY)
            await session.open()
            self.sessions.append(session)
            self.errors[i], self.changes[i], self.seen[i] = [], 0, []
        self.tasks = [asyncio.create_task(self._loop(i)) for i in range(self.count)]

    async def _loop(self, i: int) -> None:
        while not self.stop.is_set():
            await asyncio.sleep(self.rng.uniform(*THINK_S))
            session = self.sessions[i]
            if session.closed:
                self.errors[i].append(f"websocket closed: {session.closed}")
                return
            key, value = pick_change(session, self.rng)
            try:
                await session.change(key, value)
                self.changes[i] += 1
                self.seen[i].append((time.monotonic(), session.version(SLUG)))
            except StError as exc:
                self.errors[i].append(exc.reason)
                if session.closed:
                    return

    def replica(self, i: int) -> int | None:
        route = self.sessions[i].http.cookies.get("mapapp_route")
        ports = {port: n for n, port in enumerate(self.cluster.replica_ports)}
        found = [ports.get(port) for r, port in self.cluster.replica_of_request_log()
                 if r == route]
        return found[-1] if found else None

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.gather(*(s.close() for s in self.sessions), return_exceptions=True)


async def browser_changes(page, option: str) -> float:
    """Choose an indicator on the page; seconds until the map's legend shows it."""
    start = time.monotonic()
    await page.get_by_test_id("stSelectbox").filter(has_text="Indicador").first.click()
    await page.get_by_role("option", name=option, exact=True).click()
    await _repainted(page, option)
    return time.monotonic() - start


async def kill_scenario(cluster: Cluster, args, rng: random.Random) -> dict:
    from playwright.async_api import async_playwright

    checks: dict[str, bool] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(viewport={"width": 1300, "height": 900})
        page = await context.new_page()
        page_errors: list[str] = []
        notes: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        await page.goto(f"{cluster.url}/?{QUERY}&localities=0", timeout=60_000)
        await _repainted(page, "Familias apoyadas")
        route = {c["name"]: c["value"] for c in await context.cookies()}["mapapp_route"]
        ports = {port: n for n, port in enumerate(cluster.replica_ports)}
        victim = [ports[port] for r, port in cluster.replica_of_request_log()
                  if r == route][-1]
        load = Loaded(cluster, args.sessions, rng)
        await load.start()
        await asyncio.sleep(8)
        on_victim = [i for i in range(load.count) if load.replica(i) == victim]
        before = {i: load.changes[i] for i in range(load.count)}
        cluster.kill_replica(victim)
        await asyncio.sleep(10)
        # The browser: no reload; the frontend reconnects, the map repaints on a change.
        repaint, lost, said = None, 0, False
        for option in (INDICATORS[1], INDICATORS[2]):
            try:
                repaint = await browser_changes(page, option)
                break
            except Exception as exc:
                lost += 1
                if await page.get_by_text(SESSION_LOST).count() > 0:
                    said = True
                    await page.screenshot(
                        path=str(ROOT / "test-artifacts" / "faults-session-lost.png"))
                notes.append(f"change to {option}: {str(exc).splitlines()[0][:120]}"
                             + (" (the page said to make it again)" if said else ""))
        await page.screenshot(path=str(ROOT / "test-artifacts" / "faults-after-kill.png"))
        # The killed replica's protocol sessions reconnect as that browser did.
        reconnected = 0
        for i in on_victim:
            fresh = Session(cluster.url, QUERY, http=load.sessions[i].http)
            try:
                await fresh.open()
                key, value = pick_change(fresh, rng)
                await fresh.change(key, value)
                reconnected += 1
            except StError as exc:
                load.errors[i].append(f"reconnect: {exc.reason}")
            finally:
                await fresh.close()
        await asyncio.sleep(5)
        await load.finish()
        await browser.close()
    others = [i for i in range(load.count) if i not in on_victim]
    other_errors = sum(len(load.errors[i]) for i in others)
    kept_on = all(load.changes[i] > before[i] for i in others)
    other_reasons = "; ".join(sorted({e[:120] for i in others for e in load.errors[i]}))
    cluster.start_replica(victim)
    checks["sessions on the other replicas: no error, kept changing"] = (
        other_errors == 0 and kept_on)
    checks["the browser's page recovered without a reload (a change repainted the map)"] = (
        repaint is not None and not page_errors)
    # Streamlit's frontend sends the first rerun to the new replica without the widgets'
    # values: the change that triggered it cannot be kept; the page must say so.
    checks["the browser's first change after the reconnect was kept, or the page said to "
           "make it again"] = lost == 0 or (lost == 1 and said)
    checks["each session of the killed replica reconnected and worked"] = (
        reconnected == len(on_victim))
    return {"name": "kill one replica mid-load", "checks": checks, "detail": (
        f"replica {victim} killed with {len(on_victim)} of {load.count} protocol sessions "
        f"and the browser's page; other sessions: {other_errors} errors, "
        f"{sum(load.changes[i] for i in others)} changes; browser repaint "
        f"{f'{repaint:.1f} s' if repaint else 'none'} after the reconnect; "
        f"{reconnected}/{len(on_victim)} reconnected; {lost} change(s) lost first"
        + (f" ({'; '.join(notes)})" if notes else "")
        + (f"; page errors: {'; '.join(page_errors)[:300]}" if page_errors else "")
        + (f"; other sessions' errors: {other_reasons}" if other_errors else ""))}


async def postgres_scenario(cluster: Cluster, args, rng: random.Random,
                            folder: Path) -> dict:
    load = Loaded(cluster, args.sessions, rng)
    await load.start()
    await asyncio.sleep(5)
    await asyncio.to_thread(cluster.stop_postgres)
    down_at = time.monotonic()
    failed = await publish_while_down(cluster.database_url, version_file(folder, 2))
    await asyncio.sleep(max(0.0, 8 - (time.monotonic() - down_at)))
    await asyncio.to_thread(cluster.start_postgres)
    await asyncio.sleep(2)
    published_at, _, error = await publish(cluster.database_url, version_file(folder, 2))
    await asyncio.sleep(15)
    await load.finish()
    errors = sum(len(e) for e in load.errors.values())
    late = [i for i in range(load.count) if not saw_within(load.seen[i], published_at, 2)]
    versions = store_versions(cluster.database_url)
    late_seen = [[(round(t - published_at, 1), v) for t, v in load.seen[i]][-6:]
                 for i in late][:3]
    checks = {
        "sessions: no error while PostgreSQL was down": errors == 0,
        "publishing while down: exit 2 with one clear message": failed.startswith(
            "publish exited 2") and "error: " in failed and "Traceback" not in failed,
        "publishing once it is back succeeds": error == "",
        "every session shows the new version within 10 s of its next change": not late,
        "versions 1 and 2, none half-written": versions == [1, 2],
    }
    message = failed.split("error: ", 1)[-1].strip().splitlines()[0][:200] if failed else ""
    return {"name": "restart PostgreSQL mid-load", "checks": checks, "detail": (
        f"{load.count} sessions, {sum(load.changes.values())} changes, {errors} errors; "
        f"the publication during the outage said: “{message}”; versions {versions}"
        + (f"; late sessions (s after the publication, version): {late_seen}" if late else ""))}


async def publish_while_down(database_url: str, file: Path) -> str:
    """``python -m mapapp publish``'s exit code and standard error, as one text."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mapapp", "publish", str(file), "--name", SLUG, "--title",
        "Resultados", "--by", "faults", cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MAPAPP_DATABASE_URL": database_url, "LANG": "C.UTF-8"})
    _out, err = await process.communicate()
    return f"publish exited {process.returncode}: {err.decode(errors='replace')}"


def saw_within(seen: list[tuple[float, int | None]], published_at: float, version: int,
               within_s: float = 10.0) -> bool:
    """The session showed ``version`` within ``within_s`` of its first change after the
    publication, and nothing older after that."""
    after = [(t, v) for t, v in seen if t > published_at]
    if not after:
        return False
    first_t = after[0][0]
    shown = [t for t, v in after if v == version and t <= first_t + within_s]
    return bool(shown) and all(v == version for t, v in after if t >= shown[0])


async def reload_scenario(cluster: Cluster, args, rng: random.Random) -> dict:
    load = Loaded(cluster, args.sessions, rng)
    await load.start()
    await asyncio.sleep(5)
    cluster.set_upstream([0, 1])
    await asyncio.sleep(8)
    cluster.set_upstream(list(range(len(cluster.replica_ports))))
    await asyncio.sleep(8)
    load.stop.set()  # the changes end; each session then downloads a PNG
    await asyncio.gather(*load.tasks, return_exceptions=True)
    moved_downloads, reasons = 0, set()
    for session in load.sessions:
        try:
            await session.export("png")
        except StError as exc:
            moved_downloads += 1
            reasons.add(exc.reason[:100])
    closed = sum(1 for s in load.sessions if s.closed)  # before finish() closes them
    await load.finish()
    errors = sum(len(e) for e in load.errors.values())
    checks = {"no websocket closed, no change failed": closed == 0 and errors == 0}
    return {"name": "nginx reload with a changed upstream list", "checks": checks,
            "detail": (f"{load.count} sessions, {sum(load.changes.values())} changes across "
                       f"two reloads, {closed} closed, {errors} errors; downloads after: "
                       f"{load.count - moved_downloads} ok, {moved_downloads} failed"
                       + (f" ({'; '.join(sorted(reasons))})" if reasons else ""))}


def report(results: list[dict]) -> str:
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores: 3 replicas "
             "behind nginx on PostgreSQL (deploy/cluster.py), protocol sessions changing "
             "filters every 1–2 s (`python bench/faults_cluster.py`).", "",
             "| scenario | check | result |", "| --- | --- | --- |"]
    for result in results:
        for check, ok in result["checks"].items():
            lines.append(f"| {result['name']} | {check} | {'pass' if ok else 'FAIL'} |")
    lines.append("")
    lines += [f"- {result['name']}: {result['detail']}." for result in results]
    return "\n".join(lines) + "\n"


async def main_async(args) -> int:
    rng = random.Random(7)
    results = []
    with tempfile.TemporaryDirectory(prefix="mapapp-faults-") as tmp, \
            Cluster(3, port=args.port) as cluster:
        folder = Path(tmp)
        _, _, error = await publish(cluster.database_url, version_file(folder, 1))
        if error:
            raise SystemExit(error)
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        if "kill" in args.only:
            results.append(await kill_scenario(cluster, args, rng))
        if "postgres" in args.only:
            results.append(await postgres_scenario(cluster, args, rng, folder))
        if "reload" in args.only:
            results.append(await reload_scenario(cluster, args, rng))
    text = report(results)
    print(text)
    if set(args.only) == {"kill", "postgres", "reload"}:
        OUT.write_text(text, encoding="utf-8")
    return 0 if all(all(r["checks"].values()) for r in results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--only", nargs="+", default=["kill", "postgres", "reload"],
                        choices=["kill", "postgres", "reload"])
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
