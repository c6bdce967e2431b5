"""Helpers shared by the tests: paths and file builders."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
SHARED_SOURCES = ROOT.parent / "shared" / "geodata-src"
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
