"""``python -m mapapp`` per DESIGN's contract: exit codes, messages, JSON, atomic writes."""

import errno
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import ROOT, csv_bytes

from mapapp.model import catalog

ENGLISH_ENV = {"LANG": "C.UTF-8"}  # messages in English unless a test asks otherwise


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """In-process runs read LANG too: the tests' language does not follow the machine's."""
    monkeypatch.setenv("LANG", "C.UTF-8")


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "mapapp", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **ENGLISH_ENV, **(env or {})})


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


BAD_ROWS = [["ubigeo", "year", "indicator", "value"],
            ["220901", "2020", "families_supported", "1.5"],
            ["220901", "1990", "families_supported", "10"],
            ["999999", "2020", "families_supported", "10"],
            ["220901", "2020", "families_supported", "-4"]]
SPANISH_REPORT = ["bad.csv: 4 filas, 1 válidas, 3 rechazadas (codificación: utf-8, separador: "
                  "coma, disposición: larga, decimal: punto)",
                  "  fila 2, year: el año 1990 está fuera de 2000–",
                  "  fila 3, ubigeo: el ubigeo 999999 no existe como distrito",
                  "  fila 4, value: el valor -4 es negativo",
                  "totales (entrada = válidos + rechazados):",
                  "  families_supported: 17,50 = 1,50 + 16,00"]
ENGLISH_WORDS = ["rows", "valid,", "is outside", "is not a", "negative", "totals", "row "]


@pytest.mark.parametrize("before, options, env", [
    ([], ["--lang", "es"], {}),
    (["--lang", "es"], [], {}),
    ([], [], {"LANG": "es_PE.UTF-8"}),
    ([], ["--json"], {"LANG": "es_ES"}),
    ([], ["--lang", "es", "--json"], {}),
])
def test_validate_speaks_spanish_with_lang_es_or_a_spanish_locale(tmp_path, before, options,
                                                                  env):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(BAD_ROWS))
    done = run_cli(*before, "validate", str(path), *options, env=env)
    assert done.returncode == 1, done.stderr
    if "--json" in options:
        messages = [e["message"] for e in json.loads(done.stdout)["errors"]]
        assert messages[0].startswith("el año 1990 está fuera de 2000–")
        assert messages[1:] == ["el ubigeo 999999 no existe como distrito en la edición de "
                                "límites INEI 2007 (los lugares creados después de 2007 no "
                                "están en ella)", "el valor -4 es negativo"]
        return
    lines = done.stdout.splitlines()
    for expected, line in zip(SPANISH_REPORT, [lines[0], *lines[1:4], *lines[-2:]], strict=True):
        assert line.startswith(expected), (expected, line)
    assert not [w for w in ENGLISH_WORDS if w in done.stdout], done.stdout


@pytest.mark.parametrize("env, lang", [({"LANG": "C.UTF-8"}, "en"), ({"LANG": ""}, "en"),
                                       ({"LANG": "en_GB.UTF-8"}, "en"), ({"LANG": "es"}, "es"),
                                       ({"LANG": "es_PE.UTF-8"}, "es")])
def test_the_default_language_comes_from_lang(env, lang):
    from mapapp.cli_base import env_lang

    assert env_lang(env) == lang


def test_lang_overrides_the_locale_and_file_errors_follow_it(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello world\n")
    english = run_cli("validate", str(path), "--lang", "en", env={"LANG": "es_PE.UTF-8"})
    spanish = run_cli("validate", str(path), env={"LANG": "es_PE.UTF-8"})
    assert english.returncode == spanish.returncode == 2
    assert english.stderr.startswith("error: notes.txt: no header row found")
    assert spanish.stderr.startswith("error: notes.txt: no se encontró una fila de encabezado")
    missing = run_cli("validate", str(tmp_path / "nada.csv"), "--lang", "es")
    assert missing.stderr.startswith(f"error: no se puede leer {tmp_path / 'nada.csv'}")


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


# --- every failure is a message and an exit code, never a traceback (issue 9, item 6) ------

EXPORT_CSV = ["export", "--indicator", "hectares", "--format", "csv"]


def cli(capsys, *args: object) -> tuple[int, str, str]:
    """``python -m mapapp ARGS`` in this process: (exit code, stdout, stderr)."""
    from mapapp.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_message(err: str, *fragments: str) -> None:
    assert err.startswith("error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def strict_loads(text: str):
    """``json.loads`` that refuses ``NaN``/``Infinity``, as strict parsers (browsers, jq) do."""
    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


def _file_under_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    return tmp_path / "notes.txt" / "map.csv"


@pytest.mark.parametrize("make_out, fragments", [
    (lambda tmp: tmp / "missing" / "map.csv", ["the folder", "missing does not exist"]),
    (lambda tmp: tmp, ["is a folder", "hectares_department_es.csv"]),
    (_file_under_a_file, ["notes.txt is a file, not a folder"]),
    # sysfs refuses new files even to root, so this case does not depend on who runs it
    (lambda tmp: Path("/sys/mapapp-exports.csv"), ["cannot write /sys/mapapp-exports.csv"]),
], ids=["missing folder", "a folder", "under a file", "unwritable"])
def test_export_to_an_unusable_out_exits_2_naming_it(tmp_path, capsys, make_out, fragments):
    out = make_out(tmp_path)
    code, stdout, err = cli(capsys, *EXPORT_CSV, "--out", out)
    assert code == 2 and stdout == ""
    assert_message(err, *fragments)
    assert not (tmp_path / "missing").exists()  # folders are never created behind the user


def _dangling_link(tmp_path):
    (tmp_path / "link.csv").symlink_to(tmp_path / "gone.csv")
    return tmp_path / "link.csv"


@pytest.mark.parametrize("make_path, fragments", [
    (lambda tmp: tmp / "missing.csv", ["cannot read", "missing.csv: No such file"]),
    (lambda tmp: tmp, ["is a folder; give the path of a CSV or XLSX file"]),
    (_dangling_link, ["cannot read", "link.csv"]),
    (_file_under_a_file, ["cannot read", "notes.txt/map.csv"]),
    # unreadable even to root (an I/O error), like a file without permission for a user
    (lambda tmp: Path("/proc/self/mem"), ["cannot read /proc/self/mem"]),
], ids=["missing", "a folder", "dangling link", "under a file", "unreadable"])
def test_validate_of_an_unreadable_path_exits_2_naming_it(tmp_path, capsys, make_path,
                                                          fragments):
    code, stdout, err = cli(capsys, "validate", make_path(tmp_path), "--json")
    assert code == 2
    assert_message(err, *fragments)
    assert strict_loads(stdout)["error"] == err.removeprefix("error: ").strip()


def test_validate_refuses_a_file_over_the_limit_before_reading_it(tmp_path, capsys,
                                                                  monkeypatch):
    from mapapp.ingest import limits

    monkeypatch.setattr(limits, "MAX_BYTES", 1024 * 1024)
    path = tmp_path / "big.csv"
    path.write_bytes(b"ubigeo,year,indicator,value\n" + b"\n" * 3 * 1024 * 1024)
    code, _, err = cli(capsys, "validate", path)
    assert code == 2
    assert_message(err, "big.csv: 3 MB is more than the 1 MB limit")


@pytest.mark.parametrize("args, fragments", [
    (["--years", "3000"], ["--years 3000: the data covers 2018-2022"]),
    (["--years", "abc"], ["--years 'abc'", "write a year or a range like 2019-2021"]),
    (["--years", "2022-2018"], ["--years", "the first year is after the last"]),
    # the view's own checks may catch these first: the message names the option and value
    (["--departments", "99"], ["--departments", "99", "department"]),
    (["--departments", "22", "99", "00"], ["--departments", "99", "00"]),
])
def test_export_refuses_a_view_with_nothing_to_show(tmp_path, capsys, args, fragments):
    out = tmp_path / "map.csv"
    code, _, err = cli(capsys, *EXPORT_CSV, "--out", out, *args)
    assert code == 2 and not out.exists()
    assert_message(err, *fragments)


LOCALITIES_CSV = ("name,ubigeo,lat,lon,year,connection_type\n"
                  "Mi Pueblo Único,220901,-6.48,-76.37,2021,fixed\n")
RESULTS_CSV = "ubigeo,year,indicator,value\n220901,2020,hectares,5\n"


@pytest.mark.parametrize("files, demo, localities", [
    ([], True, "demo"),
    (["--localities"], True, "user"),  # the user's localities over the demo's results
    (["--data"], False, None),
    (["--data", "--localities"], False, "user"),
])
def test_export_combines_files_as_the_app_does(tmp_path, capsys, monkeypatch, files, demo,
                                               localities):
    from mapapp.ingest import datasets
    from mapapp.render import exports

    paths = {"--data": tmp_path / "mine.csv", "--localities": tmp_path / "places.csv"}
    paths["--data"].write_text(RESULTS_CSV)
    paths["--localities"].write_text(LOCALITIES_CSV)
    seen = {}

    def fake_export(fmt, dataset, view):
        seen.update(results=dataset.results, places=dataset.localities, demo=dataset.demo)
        return b"exported"

    monkeypatch.setattr(exports, "export_view", fake_export)
    args = [a for flag in files for a in (flag, paths[flag])]
    code, stdout, _ = cli(capsys, *EXPORT_CSV, "--out", tmp_path / "map.csv", *args)
    assert code == 0 and seen["demo"] is demo and ("demo data" in stdout) is demo
    demo_data = datasets.demo_dataset()
    assert (len(seen["results"]) == len(demo_data.results)) is demo
    names = None if seen["places"] is None else list(seen["places"]["name"])
    assert names == {"demo": list(demo_data.localities["name"]), "user": ["Mi Pueblo Único"],
                     None: None}[localities]


@pytest.mark.parametrize("flag, content, fragments", [
    ("--data", "ubigeo,year,indicator,value\n999999,2020,hectares,5\n",
     ["mine.csv: none of its 1 rows is valid", "python -m mapapp validate"]),
    ("--localities", "name,ubigeo,lat,lon,year,connection_type\nX,999999,0,0,2021,fixed\n",
     ["mine.csv: none of its 1 rows is valid"]),
    ("--localities", "hello world\n", ["mine.csv"]),
])
def test_export_refuses_files_with_no_valid_row(tmp_path, capsys, flag, content, fragments):
    (tmp_path / "mine.csv").write_text(content)
    code, _, err = cli(capsys, *EXPORT_CSV, "--out", tmp_path / "map.csv",
                       flag, tmp_path / "mine.csv")
    assert code == 2 and not (tmp_path / "map.csv").exists()
    assert_message(err, *fragments)


@pytest.fixture
def truncated_geodata(tmp_path, monkeypatch):
    """A copy of geodata/ with one layer cut in half; the real geodata/ is never touched."""
    import shutil

    from mapapp.boundaries import geodata
    from mapapp.ingest import datasets, places

    copy = tmp_path / "geodata"
    shutil.copytree(ROOT / "geodata", copy)
    layer = copy / "boundaries" / "district-screen.parquet"
    layer.write_bytes(layer.read_bytes()[: layer.stat().st_size // 2])
    caches = (geodata.load_boundaries, geodata.places, geodata.browser_file_versions,
              datasets.demo_dataset, places.default_matcher)
    for cached in caches:
        cached.cache_clear()
    monkeypatch.setattr(geodata, "GEODATA_DIR", copy)
    yield layer
    for cached in caches:
        cached.cache_clear()


@pytest.mark.parametrize("command", [
    ["validate", ROOT / "geodata" / "demo" / "results.csv"],
    EXPORT_CSV,
], ids=["validate", "export"])
def test_truncated_geodata_exits_2_naming_the_file_and_the_fix(truncated_geodata, tmp_path,
                                                               capsys, command):
    code, _, err = cli(capsys, *command, *(["--out", tmp_path / "x.csv"] if
                                            command[0] == "export" else []))
    assert code == 2
    # named relative to its folder (messages never show where a server keeps files)
    assert_message(err, f"unreadable: $MAPAPP_GEODATA/boundaries/{truncated_geodata.name}",
                   "python -m mapapp build-geodata ../shared/geodata-src", "make geodata")


# --- atomic writes (item 7) -------------------------------------------------------------

def _failing_open(after: int):
    """``open`` whose files write ``after`` bytes, then fail as a full disk does."""
    import builtins

    def fake(*args, **kwargs):
        real = builtins.open(*args, **kwargs)

        class Full:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                real.close()

            def write(self, data):
                real.write(data[:after])
                real.flush()
                raise OSError(errno.ENOSPC, "No space left on device")

            def __getattr__(self, name):
                return getattr(real, name)
        return Full()
    return fake


@pytest.mark.parametrize("before", [None, b"the previous export\n"], ids=["new", "existing"])
def test_full_disk_leaves_the_destination_as_it_was(tmp_path, capsys, monkeypatch, before):
    from mapapp.model import output

    out = tmp_path / "map.csv"
    if before is not None:
        out.write_bytes(before)
    monkeypatch.setattr(output, "open", _failing_open(after=100), raising=False)
    code, stdout, err = cli(capsys, *EXPORT_CSV, "--out", out)
    assert code == 2 and stdout == ""
    assert_message(err, f"cannot write {out}", "No space left on device", "the disk is full")
    assert (out.read_bytes() if out.exists() else None) == before
    assert [p.name for p in tmp_path.iterdir()] == ([] if before is None else ["map.csv"])


@pytest.mark.parametrize("existing_mode", [None, 0o640])
def test_atomic_write_keeps_the_permissions_a_plain_write_gives(tmp_path, existing_mode):
    import os
    import stat

    from mapapp.model.output import write_atomic

    path = tmp_path / "out.bin"
    if existing_mode is not None:
        path.write_bytes(b"old")
        path.chmod(existing_mode)
    umask = os.umask(0o022)
    try:
        write_atomic(path, b"new")
    finally:
        os.umask(umask)
    assert path.read_bytes() == b"new" and list(tmp_path.iterdir()) == [path]
    assert stat.S_IMODE(path.stat().st_mode) == (existing_mode or 0o644)


def test_atomic_write_to_a_pipe_writes_into_it_rather_than_replacing_it(tmp_path):
    """Like ``--out /dev/null``: a device or pipe is written to, never renamed over."""
    import os
    import stat
    import threading

    from mapapp.model.output import write_atomic

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    write_atomic(pipe, b"through the pipe")
    reader.join(timeout=10)
    assert received == [b"through the pipe"] and stat.S_ISFIFO(pipe.stat().st_mode)


# --- strict JSON (item 3) ---------------------------------------------------------------

def test_json_outputs_parse_with_a_strict_parser(tmp_path, capsys):
    code, stdout, _ = cli(capsys, "validate", ROOT / "geodata/demo/results.csv", "--json")
    assert code == 0 and strict_loads(stdout)["rows_rejected"] == 0
    out = tmp_path / "map.geojson"
    code, _, _ = cli(capsys, "export", "--indicator", "hectares", "--measure", "share",
                     "--format", "geojson", "--out", out)
    assert code == 0 and strict_loads(out.read_text())["type"] == "FeatureCollection"


def _inf_in_report(monkeypatch):
    from mapapp.ingest import results

    monkeypatch.setattr(results.ValidationReport, "to_json_dict",
                        lambda self, lang="en": {"totals": {"hectares": {"input": float("inf")}}})
    return ["validate", ROOT / "geodata/demo/results.csv", "--json"]


def _inf_in_layer(monkeypatch):
    from mapapp.render import exports

    real = exports.build_layer

    def with_inf(*args, **kwargs):
        layer = real(*args, **kwargs)
        places = layer.places  # a copy: the layer itself is frozen
        places.loc[places.index[0], "value"] = float("inf")
        return replace(layer, table=places)
    monkeypatch.setattr(exports, "build_layer", with_inf)
    return ["export", "--indicator", "hectares", "--format", "geojson"]


@pytest.mark.parametrize("inject", [_inf_in_report, _inf_in_layer], ids=["validate", "geojson"])
def test_non_finite_number_fails_loudly_instead_of_writing_infinity(tmp_path, capsys,
                                                                    monkeypatch, inject):
    out = tmp_path / "map.geojson"
    command = inject(monkeypatch)
    code, stdout, err = cli(capsys, *command, *(["--out", out] if command[0] == "export"
                                               else []))
    assert code == 2 and not out.exists() and "Infinity" not in stdout
    assert_message(err, "infinite or not a number", "--debug")
    if stdout:
        strict_loads(stdout)


# --- the top-level handler --------------------------------------------------------------

@pytest.mark.parametrize("args, traceback", [
    (["validate", "x.csv"], False),
    (["--debug", "validate", "x.csv"], True),
    (["validate", "x.csv", "--debug"], True),
])
def test_unexpected_error_is_one_line_and_debug_adds_the_traceback(tmp_path, capsys,
                                                                   monkeypatch, args,
                                                                   traceback):
    from mapapp.ingest import results

    def broken(data, filename):
        raise RuntimeError("something broke\nsecond line")

    monkeypatch.setattr(results, "read_results", broken)
    (tmp_path / "x.csv").write_text(RESULTS_CSV)
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, *args)
    assert code == 2
    last = "error: RuntimeError: something broke; run again with --debug for the traceback\n"
    assert err.endswith(last) and ("Traceback" in err) is traceback
    if not traceback:
        assert err == last


def test_interrupt_exits_130_quietly(tmp_path, capsys, monkeypatch):
    from mapapp.ingest import results

    def interrupted(data, filename):
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "read_results", interrupted)
    (tmp_path / "x.csv").write_text(RESULTS_CSV)
    assert cli(capsys, "validate", tmp_path / "x.csv") == (130, "", "")


def run_with_env(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "mapapp", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **ENGLISH_ENV, **(env or {})})


def test_real_runs_print_messages_never_tracebacks(tmp_path):
    """Through ``python -m mapapp``, as a user runs it: the stderr is the message alone."""
    import shutil

    copy = tmp_path / "geodata"
    shutil.copytree(ROOT / "geodata", copy)
    layer = copy / "boundaries" / "district-screen.parquet"
    layer.write_bytes(layer.read_bytes()[:1000])
    runs = [
        (run_with_env(*EXPORT_CSV, "--out", tmp_path / "x.csv",
                         env={"MAPAPP_GEODATA": str(copy)}),
         ["boundaries/district-screen.parquet", "build-geodata", "make geodata"]),
        (run_with_env(*EXPORT_CSV, "--out", tmp_path / "no" / "x.csv"),
         ["does not exist"]),
        (run_with_env("validate", tmp_path), ["is a folder"]),
    ]
    for done, fragments in runs:
        assert done.returncode == 2
        assert_message(done.stderr, *fragments)
        assert done.stderr.count("\n") == 1  # one line
