"""bench/st_client.py, the load test's protocol client, against one real server (as
``make run`` serves it, with a long map-first wait that only the map's report can cut
short): a session opens, changes a widget, reads the page; a version published half-way
is seen after the next change; a PNG export is made on click and fetched."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, start_app

sys.path.insert(0, str(ROOT / "bench"))
from st_client import Session, StError

SLUG = "resultados"
DEMO = ROOT / "geodata" / "demo" / "results.csv"
LATEST_TTL_S = 3.0  # mapapp.store.caches: "which version is latest" is cached this long


def _subset(path: Path, rows: int, scale: float) -> Path:
    """The demo's first ``rows`` rows, counts times ``scale`` (another version's data;
    shares stay as they are, valid percentages)."""
    lines = DEMO.read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:rows + 1]:
        *rest, indicator, value = line.split(",")
        if value and not indicator.endswith(("_share", "_pct")):
            value = f"{float(value) * scale:g}"
        out.append(",".join([*rest, indicator, value]))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _publish(env: dict[str, str], file: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mapapp", "publish", str(file), "--name",
                           SLUG, "--title", "Resultados", "--by", "bench"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("st-client")
    env = dict(os.environ, MAPAPP_DATABASE_URL=f"sqlite:///{folder / 'store.sqlite'}",
               MAPAPP_MAP_WAIT_S="30", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    _publish(env, _subset(folder / "v1.csv", 3000, 1.0))
    log = (folder / "server.log").open("w")
    try:
        process, url = start_app(env, log)
    except RuntimeError:
        raise RuntimeError((folder / "server.log").read_text()[-2000:]) from None
    yield url, env, folder
    process.terminate()
    process.wait(timeout=20)
    log.close()


def test_a_session_opens_changes_sees_a_new_version_and_exports_a_png(served):
    url, env, folder = served

    async def scenario() -> None:
        session = Session(url, f"lang=es&data={SLUG}&basemap=none")
        try:
            first = await session.open()
            # The map's report cut the first run's wait (30 s) short: two runs.
            assert first.runs == 2 and first.seconds < 15
            assert session.session_id and session.stray_runs == 0
            assert "Desarrollo sostenible en la Amazonía peruana" in session.texts()
            assert session.version(SLUG) == 1
            indicator = session.widgets["w_indicator"]
            assert indicator.kind == "selectbox" and "Hectáreas instaladas" in indicator.options
            assert session.values[indicator.id] == ("string_value", "Familias apoyadas")

            run = await session.change("w_indicator", "Hectáreas instaladas")
            assert run.runs == 1 and 0 < run.seconds < 10
            assert "Hectáreas instaladas" in session.texts()  # the map's heading
            assert "indicator=hectares" in session.query  # the URL the page wrote
            run = await session.change("w_level", "Provincia")
            assert any(text.startswith("Por provincia") for text in session.texts())

            _publish(env, _subset(folder / "v2.csv", 3000, 2.0))
            published = time.monotonic()
            choices = ["Familias apoyadas", "Hectáreas instaladas"]
            while session.version(SLUG) != 2:
                assert time.monotonic() - published < LATEST_TTL_S + 15, session.texts()
                await session.change("w_indicator", choices[0])
                choices.reverse()
                await asyncio.sleep(0.5)

            data, seconds = await session.export("png")
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
            assert 0 < seconds < 30
            with pytest.raises(StError, match="no widget"):
                await session.change("w_nothing", "x")
        finally:
            await session.close()

    asyncio.run(scenario())


def test_a_closed_server_connection_is_an_error_with_a_reason(served):
    url, _env, _folder = served

    async def scenario() -> None:
        session = Session(url, "lang=es&basemap=none", timeout_s=10)
        try:
            await session.open()
            await session.ws.close()
            with pytest.raises(StError, match="websocket closed"):
                await session.change("w_indicator", "Hectáreas instaladas")
        finally:
            await session.close()

    asyncio.run(scenario())
