"""Helpers shared by the tests: paths and file builders."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openpyxl

from deploy.local_postgres import free_port

ROOT = Path(__file__).resolve().parent.parent
SHARED_SOURCES = ROOT.parent / "shared" / "geodata-src"
SERVE = ("-m", "mapapp", "serve")  # as `make run` serves the page: warmed, then Streamlit


def start_app(env: dict[str, str], log=subprocess.DEVNULL, command: tuple[str, ...] = SERVE,
              port: int | None = None, started_s: float = 60) -> tuple[subprocess.Popen, str]:
    """The app served on 127.0.0.1 (``python -m mapapp serve`` unless ``command`` says
    otherwise, e.g. ``-m streamlit run streamlit_app.py``), once its health check answers;
    its process and URL. A server that exits or does not answer in time is killed."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, *command, "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + started_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the app did not start ({' '.join(command)})")
        time.sleep(0.3)


def csv_bytes(rows: list[list[object]], sep: str = ",", encoding: str = "utf-8",
              bom: bool = False) -> bytes:
    text = "\r\n".join(sep.join("" if c is None else str(c) for c in row) for row in rows)
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[list[object]], sheet: str = "Resultados",
               before: list[list[object]] | None = None) -> bytes:
    book = openpyxl.Workbook()
    if before is not None:  # an earlier sheet without a table
        first = book.active
        first.title = "Notas"
        for row in before:
            first.append(row)
        ws = book.create_sheet(sheet)
    else:
        ws = book.active
        ws.title = sheet
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def dataset_with(demo: bool = True, localities=None):
    """The demo's results (and ``localities``), labelled as demo data or as the user's."""
    from dataclasses import replace

    from mapapp.ingest.datasets import demo_dataset

    return replace(demo_dataset(), localities=localities, results_demo=demo,
                   localities_demo=demo, name="demo" if demo else "mine.csv")
