"""``python -m mapapp validate`` per DESIGN's contract: exit codes and the JSON shape."""

import json
import subprocess
import sys

import pytest
from helpers import ROOT, csv_bytes

from mapapp import catalog


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mapapp", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_demo_validates_with_fact_sheet_totals():
    done = run_cli("validate", "geodata/demo/results.csv", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"rows_total", "rows_valid", "rows_rejected", "errors", "totals"}
    assert report["rows_rejected"] == 0 and report["errors"] == []
    assert report["rows_valid"] == report["rows_total"] > 10_000
    for ind in catalog.INDICATORS.values():
        if not ind.is_percentage:
            assert report["totals"][ind.id] == {"input": ind.national_total(),
                                                "valid": ind.national_total(), "rejected": 0}


SPANISH_EXCEL = """Región;Provincia;Distrito;Año;Cadena de valor;Indicador;Valor
SAN MARTÍN;Tocache;Uchiza;2020;Cacao;Hectáreas instaladas;1.234,5
san martín;TOCACHE;uchiza;2021;café;hectares;765,5
Huánuco;Leoncio Prado;Rupa-Rupa;2021;;Familias apoyadas;87.200
Ucayali;Padre Abad;;2022;;Financiamiento movilizado;92.132.183
"""


def test_spanish_excel_csv_validates_with_exact_totals(tmp_path):
    path = tmp_path / "resultados.csv"
    path.write_bytes(SPANISH_EXCEL.replace("\n", "\r\n").encode("cp1252"))
    done = run_cli("validate", str(path), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    totals = json.loads(done.stdout)["totals"]
    assert totals["hectares"] == {"input": 2000, "valid": 2000, "rejected": 0}
    assert totals["families_supported"]["valid"] == 87_200
    assert totals["financing_usd"]["valid"] == 92_132_183


def test_bad_rows_exit_1_and_are_listed_by_number(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([
        ["ubigeo", "year", "indicator", "value"],
        ["220901", "2020", "families_supported", "10"],
        ["220901", "1990", "families_supported", "10"],
        ["999999", "2020", "families_supported", "10"],
        ["220901", "2020", "families_supported", "-4"],
    ]))
    done = run_cli("validate", str(path), "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [
        (2, "year"), (3, "ubigeo"), (4, "value")]
    assert report["totals"]["families_supported"] == {"input": 26, "valid": 10, "rejected": 16}
    text = run_cli("validate", str(path))
    assert text.returncode == 1 and "row 3, ubigeo: ubigeo 999999 is not a district" in text.stdout


@pytest.mark.parametrize("content, name", [
    (b"%PDF-1.4 not a table\x00\x00", "report.pdf"),
    (b"hello world\n", "notes.txt"),
    (None, "missing.csv"),
])
def test_unreadable_input_exits_2_with_a_message(tmp_path, content, name):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    done = run_cli("validate", str(path), "--json")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and name in done.stderr
    assert "error" in json.loads(done.stdout)


def test_help_lists_every_command():
    done = run_cli("--help")
    for command in ("validate", "build-geodata", "build-demo"):
        assert command in done.stdout


@pytest.mark.parametrize("fmt, check", [
    ("png", lambda data: data.startswith(b"\x89PNG")),
    ("geojson", lambda data: json.loads(data)["type"] == "FeatureCollection"),
    ("csv", lambda data: data.startswith(b"\xef\xbb\xbfubigeo,name")),
])
def test_export_writes_the_file_and_says_demo(tmp_path, fmt, check):
    out = tmp_path / f"map.{fmt}"
    done = run_cli("export", "--indicator", "hectares", "--value-chain", "cacao", "--level",
                   "province", "--years", "2019-2021", "--departments", "22", "--lang", "en",
                   "--format", fmt, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "demo data" in done.stdout and check(out.read_bytes())


def test_export_of_user_data_reports_rejected_rows(tmp_path):
    data = tmp_path / "mine.csv"
    data.write_bytes(b"ubigeo,year,indicator,value\n220901,2020,families_supported,5\n"
                     b"999999,2020,families_supported,5\n")
    out = tmp_path / "mine.csv.out"
    done = run_cli("export", "--data", str(data), "--indicator", "families_supported",
                   "--format", "csv", "--out", str(out))
    assert done.returncode == 0 and "1 of 2 rows rejected" in done.stderr
    text = out.read_bytes().decode("utf-8-sig")
    assert "demo" not in done.stdout and "Datos del usuario" in text


@pytest.mark.parametrize("args, message", [
    (["--years", "2022-2018"], "the first year is after the last"),
    (["--data", "/nonexistent.csv"], "No such file"),
])
def test_export_refuses_bad_arguments_with_exit_2(tmp_path, args, message):
    done = run_cli("export", "--indicator", "hectares", "--format", "csv", "--out",
                   str(tmp_path / "x.csv"), *args)
    assert done.returncode == 2 and message in done.stderr
