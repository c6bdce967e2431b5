"""Load test: 20 browser sessions change filters for 60 s against one server.

    python bench/loadtest.py [--sessions 20] [--seconds 60]

Every session opens the page (basemap "none", nothing leaves the machine),
then keeps choosing another indicator and waits for the map's legend to show
it. Reports errors (page errors, Streamlit exceptions, repaints that never
came), the p50/p95 latency of a filter change, and the server's memory before,
at the peak and after the sessions closed. Exits 1 on any error; writes
bench/loadtest.md for README.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ARGS, CHROMIUM, ROOT, rss_mb, start

CHOICES = [("Hectáreas instaladas", "Hectáreas instaladas"),
           ("Familias apoyadas", "Familias apoyadas"),
           ("Financiamiento movilizado", "Financiamiento movilizado"),
           ("Localidades conectadas a Internet 4G", "Localidades conectadas a Internet 4G")]
REPAINT_TIMEOUT_S = 60


async def legend_text(page) -> str:
    for frame in page.frames:
        if "st_folium" in frame.url:
            try:
                legend = frame.locator(".map-legend")
                if await legend.count():
                    return await legend.inner_text(timeout=1000)
            except Exception:  # the frame is being replaced
                continue
    return ""


async def wait_legend(page, text: str) -> None:
    deadline = time.monotonic() + REPAINT_TIMEOUT_S
    while time.monotonic() < deadline:
        if text in await legend_text(page):
            return
        await page.wait_for_timeout(50)
    raise TimeoutError(f"legend never showed {text!r}")


class Window:
    """The 60 s of changes start once every session has its map."""

    def __init__(self, sessions: int, seconds: float) -> None:
        self.waiting = sessions
        self.seconds = seconds
        self.stop_at = 0.0
        self.open = asyncio.Event()

    def ready(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.stop_at = time.monotonic() + self.seconds
            self.open.set()


async def session(number: int, browser, url: str, window: Window, latencies: list[float],
                  errors: list[str], level: str) -> None:
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(f"session {number}: {error}"))
    await page.route("**/*", lambda route: route.continue_()
                     if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1"))
                     else route.abort())
    loaded = False
    try:
        await page.goto(f"{url}/?level={level}&basemap=none&localities=0", timeout=180_000)
        await wait_legend(page, "Familias apoyadas")
        loaded = True
        window.ready()
        await window.open.wait()
        turn = 0
        while time.monotonic() < window.stop_at:
            option, expected = CHOICES[turn % len(CHOICES)]
            turn += 1
            start_time = time.perf_counter()
            await page.get_by_test_id("stSelectbox").first.click()
            await page.get_by_role("option", name=option, exact=True).click()
            await wait_legend(page, expected)
            latencies.append(time.perf_counter() - start_time)
            if await page.get_by_test_id("stException").count():
                errors.append(f"session {number}: the page shows an exception")
    except Exception as exc:  # every failure is a counted error, the run goes on
        errors.append(f"session {number}: {type(exc).__name__}: {exc}")
        if not loaded:
            window.ready()
    finally:
        await context.close()


async def run(sessions: int, seconds: float, level: str) -> dict:
    from playwright.async_api import async_playwright

    process, url = start("streamlit_app.py")
    peak = 0.0
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            warm: list[float] = []
            await session(0, browser, url, Window(1, 5), warm, [], level)
            await asyncio.sleep(2)
            baseline = rss_mb(process.pid)
            latencies: list[float] = []
            errors: list[str] = []
            window = Window(sessions, seconds)
            tasks = [asyncio.create_task(session(i + 1, browser, url, window, latencies,
                                                 errors, level)) for i in range(sessions)]
            while not all(task.done() for task in tasks):
                peak = max(peak, rss_mb(process.pid))
                await asyncio.sleep(1)
            await browser.close()
        await asyncio.sleep(20)  # Streamlit drops closed sessions' state
        after = rss_mb(process.pid)
    finally:
        process.terminate()
    return {"sessions": sessions, "seconds": seconds, "level": level, "changes": len(latencies),
            "errors": errors, "p50": statistics.median(latencies) if latencies else None,
            "p95": statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else None,
            "baseline": baseline, "peak": peak, "after": after}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--level", default="department")
    args = parser.parse_args()
    result = asyncio.run(run(args.sessions, args.seconds, args.level))
    def seconds(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f} s"

    text = (f"{result['sessions']} sessions changing the indicator for {result['seconds']:.0f} s "
            f"({result['level']} level), one server, {time.strftime('%Y-%m-%d')}: "
            f"{result['changes']} changes, {len(result['errors'])} errors; latency of a change "
            f"p50 {seconds(result['p50'])}, p95 {seconds(result['p95'])}; server memory "
            f"{result['baseline']:.0f} MB before, {result['peak']:.0f} MB at the peak, "
            f"{result['after']:.0f} MB 20 s after the sessions closed.")
    print(text)
    for error in result["errors"][:20]:
        print("  error:", error)
    (ROOT / "bench" / "loadtest.md").write_text(text + "\n")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
