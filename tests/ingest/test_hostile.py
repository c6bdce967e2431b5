"""Hostile and broken input: limits, damaged workbooks, fuzzing, missing geodata."""

import io
import subprocess
import sys
import zipfile

import pytest
from helpers import ROOT, csv_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapapp.ingest import limits
from mapapp.ingest.localities import read_localities
from mapapp.ingest.results import read_results
from mapapp.ingest.table import UnreadableFileError
from mapapp.model.formatting import escape_markdown

HEADER = ["ubigeo", "year", "indicator", "value"]


def test_oversized_upload_is_refused_with_the_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_BYTES", 1024)
    data = csv_bytes([HEADER] + [["220901", "2020", "hectares", "1"]] * 100)
    with pytest.raises(UnreadableFileError, match="more than the 0 MB limit; split the file"):
        read_results(data, "big.csv")


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 5)
    data = csv_bytes([HEADER] + [["220901", "2020", "hectares", "1"]] * 6)
    with pytest.raises(UnreadableFileError, match="more than 5 rows, the limit"):
        read_results(data, "long.csv")


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_zip_bomb_workbook_is_refused_before_unpacking(monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    bomb = zip_bytes({"xl/worksheets/sheet1.xml": b"0" * (8 * 1024 * 1024)})
    assert len(bomb) < 20_000
    with pytest.raises(UnreadableFileError, match="would unpack to 8 MB"):
        read_results(bomb, "bomb.xlsx")


@pytest.mark.parametrize("data, message", [
    (b"PK\x03\x04" + bytes(range(256)) * 4, "not a readable .xlsx"),
    (zip_bytes({"hello.txt": b"not a workbook"}), "not a readable .xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "password-protected"),
])
def test_damaged_or_locked_workbooks_get_a_message(data, message):
    with pytest.raises(UnreadableFileError, match=message):
        read_results(data, "book.xlsx")


PREFIXES = st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe",
                            b"\xd0\xcf\x11\xe0", b"ubigeo;year;indicator;value\n",
                            b"Nombre,Latitud,Longitud\n"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=PREFIXES, body=st.binary(max_size=400))
def test_arbitrary_bytes_give_a_report_or_a_message(prefix, body):
    for read in (read_results, read_localities):
        try:
            report = read(prefix + body, "fuzz.csv")
        except UnreadableFileError as exc:
            assert str(exc).startswith("fuzz.csv: ")
            continue
        assert report.rows_valid + report.rows_rejected == report.rows_total


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=12)  # a NUL makes it binary: covered by the bytes test above


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(TEXT, min_size=4, max_size=4), max_size=15))
def test_arbitrary_tables_are_fully_accounted_for(rows):
    data = "\n".join(",".join(c.replace(",", " ").replace("\n", " ").replace("\r", " ")
                              .replace('"', "'") for c in row)
                     for row in [HEADER, *rows]).encode()
    report = read_results(data, "table.csv")
    assert report.rows_valid + report.rows_rejected == report.rows_total
    for totals in report.totals.values():
        assert totals["valid"] + totals["rejected"] == pytest.approx(totals["input"])


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "mapapp", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_missing_or_corrupt_geodata_names_the_file_and_the_fix(tmp_path, damage):
    geodata = tmp_path / "geodata"
    (geodata / "boundaries").mkdir(parents=True)
    if damage == "corrupt":
        for level in ("department", "province", "district"):
            (geodata / "boundaries" / f"{level}-screen.parquet").write_bytes(b"not parquet")
    done = run_cli("validate", str(ROOT / "geodata/demo/results.csv"),
                   env={"MAPAPP_GEODATA": str(geodata)})
    assert done.returncode == 2
    assert "boundaries/district-screen.parquet" in done.stderr
    assert "python -m mapapp build-geodata" in done.stderr
    assert ("missing" if damage == "missing" else "unreadable") in done.stderr


def test_page_without_geodata_says_how_to_rebuild(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from mapapp.boundaries import geodata
    from mapapp.ingest import datasets, places

    monkeypatch.setattr(geodata, "GEODATA_DIR", tmp_path)
    for cached in (geodata.load_boundaries, geodata.places, geodata.browser_file_versions,
                   datasets.demo_dataset, places.default_matcher):
        cached.cache_clear()
    try:
        app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
        message = app.error[0].value.replace("\\", "")  # as shown: markdown unescaped
        assert not app.exception
        # the configured folder is named, not where it is on the server
        assert "$MAPAPP_GEODATA/boundaries/district-screen.parquet" in message
        assert str(tmp_path) not in message
        assert "python -m mapapp build-geodata" in message
    finally:
        for cached in (geodata.load_boundaries, geodata.places, geodata.browser_file_versions,
                       datasets.demo_dataset, places.default_matcher):
            cached.cache_clear()


# The server settings are tested in tests/model/test_url_hostile.py.


@pytest.mark.parametrize("text", ["**bold** [link](javascript:alert(1)) $x$ <b>",
                                  "_under_ `code` # head"])
def test_file_text_in_messages_is_escaped_for_markdown(text):
    escaped = escape_markdown(text)
    for special in "*[]()$<>_`#":
        assert f"\\{special}" in escaped or special not in text
