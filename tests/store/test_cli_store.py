"""The store's commands (``publish``, ``datasets``, ``retire``, ``backup``, ``restore``,
``export --dataset``) on both databases, in this process: exit codes and JSON as
``validate``'s, a message and exit 2 for everything that publishes nothing."""

import json

import pytest
from helpers import csv_bytes

from mapapp.cli import main

HEADER = ["ubigeo", "year", "indicator", "value"]
VALID = [HEADER, ["220901", 2021, "families_supported", 1200],
         ["221001", 2021, "families_supported", 100]]
ONE_BAD = [*VALID, ["999999", 2021, "families_supported", 5]]


@pytest.fixture
def cli(url, monkeypatch, capsys, tmp_path):
    """``python -m mapapp ARGS`` on the test's store: (exit code, stdout, stderr)."""
    monkeypatch.setenv("MAPAPP_DATABASE_URL", url)
    monkeypatch.setenv("LANG", "C.UTF-8")

    def run(*args: object) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def results_file(tmp_path, rows, name="resultados.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return path


def publish_json(cli, path, slug="resultados", *extra):
    code, out, err = cli("publish", path, "--name", slug, "--title", "Resultados T3",
                         "--by", "ana", "--json", *extra)
    return code, (json.loads(out) if out.strip() else None), err


def test_publish_twice_makes_versions_one_and_two(cli, tmp_path):
    path = results_file(tmp_path, VALID)
    assert publish_json(cli, path) == (0, {"slug": "resultados", "version": 1,
                                           "rows_valid": 2, "rows_rejected": 0}, "")
    code, printed, _ = publish_json(cli, path)
    assert code == 0 and printed["version"] == 2
    code, out, _ = cli("datasets", "--json")
    listed = json.loads(out)
    assert code == 0 and [(d["slug"], d["versions"], d["latest"], d["published_by"],
                           d["retired"]) for d in listed] == [("resultados", 2, 2, "ana", False)]


def test_publish_with_rejected_rows_exits_1_and_counts_them(cli, tmp_path):
    code, printed, err = publish_json(cli, results_file(tmp_path, ONE_BAD))
    assert code == 1 and printed["rows_valid"] == 2 and printed["rows_rejected"] == 1
    assert "1 of 3 rows" in err and "validate" in err


@pytest.mark.parametrize("rows, name, slug, fragments", [
    ([HEADER, ["999999", 2021, "families_supported", 5]], "r.csv", "resultados",
     ["none of its 1 rows is valid"]),
    (None, "r.csv", "resultados", ["the file is empty"]),
    (VALID, "r.csv", "Resultados T3", ["'Resultados T3'"]),
    (VALID, "r.csv", "x@2", ["'x@2'"]),
])
def test_publish_that_publishes_nothing_exits_2_and_says_why(cli, tmp_path, rows, name,
                                                              slug, fragments):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows) if rows else b"")
    code, _, err = cli("publish", path, "--name", slug, "--title", "T")
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert json.loads(cli("datasets", "--json")[1]) == []


def test_retire_hides_a_version_and_export_still_reads_it(cli, tmp_path):
    path = results_file(tmp_path, VALID)
    publish_json(cli, path)
    publish_json(cli, path)
    code, out, _ = cli("retire", "resultados@1", "--by", "luis")
    assert code == 0 and "retired resultados@1 (by luis)" in out
    code, _, err = cli("retire", "resultados@1", "--by", "luis")
    assert code == 2 and "luis" in err  # already retired: who and when, nothing changed
    out_file = tmp_path / "v1.csv"
    code, out, err = cli("export", "--dataset", "resultados@1", "--indicator",
                         "families_supported", "--format", "csv", "--out", out_file)
    assert code == 0, err
    assert "resultados@1" in out_file.read_text(encoding="utf-8-sig")


def test_export_of_an_unknown_dataset_exits_2(cli, tmp_path):
    code, _, err = cli("export", "--dataset", "nada", "--indicator", "hectares",
                       "--format", "csv", "--out", tmp_path / "x.csv")
    assert code == 2 and "nada" in err and not (tmp_path / "x.csv").exists()


def test_backup_then_restore_into_another_store(cli, tmp_path, new_url, monkeypatch):
    path = results_file(tmp_path, VALID)
    publish_json(cli, path)
    publish_json(cli, path, "otro")
    code, out, _ = cli("backup", tmp_path / "copy.zip")
    assert code == 0 and "2 datasets, 2 versions" in out
    monkeypatch.setenv("MAPAPP_DATABASE_URL", new_url())
    code, out, _ = cli("restore", tmp_path / "copy.zip")
    assert code == 0 and "2 datasets, 2 versions" in out
    listed = json.loads(cli("datasets", "--json")[1])
    assert [d["slug"] for d in listed] == ["otro", "resultados"]
    code, _, err = cli("restore", tmp_path / "copy.zip")
    assert code == 2 and "error: " in err  # only into an empty store


def test_messages_follow_lang(cli, tmp_path):
    code, out, _ = cli("--lang", "es", "publish", results_file(tmp_path, VALID), "--name",
                       "resultados", "--title", "T")
    assert code == 0 and out.startswith("publicado resultados@1: 2 filas válidas")


def test_a_store_that_cannot_be_reached_exits_2_without_the_password(monkeypatch, capsys,
                                                                       tmp_path):
    monkeypatch.setenv("MAPAPP_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:9/x")
    code = main(["publish", str(results_file(tmp_path, VALID)), "--name", "r", "--title", "T"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "secret" not in err
