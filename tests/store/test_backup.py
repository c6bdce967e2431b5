"""Backup and restore: a round trip keeps every version, report, table and audit row;
a hostile or damaged zip is refused with the reason, and the store stays empty."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from store_data import localities, publish, results

from mapapp.store import Store, StoreError, backup


def _filled(store: Store) -> None:
    places, places_file = localities()
    report, file = results()
    store.publish("demo", "Demo", report, file, by="Ana", note="first",
                  localities=places, localities_file=places_file)
    publish(store, extra=2, by="Ana")
    publish(store, "old", by="Bea")
    store.retire("demo", 1, by="Bea")
    store.retire("old", by="Bea")


def _same_content(source: Store, copy: Store) -> None:
    assert copy.datasets(include_retired=True) == source.datasets(include_retired=True)
    for dataset in source.datasets(include_retired=True):
        assert copy.versions(dataset.slug) == source.versions(dataset.slug)
        for info in source.versions(dataset.slug):
            a = source.load(info.slug, info.version, allow_retired=True)
            b = copy.load(info.slug, info.version, allow_retired=True)
            assert (a.info, a.report) == (b.info, b.report)
            pd.testing.assert_frame_equal(a.results, b.results)
            pd.testing.assert_frame_equal(a.rejected(), b.rejected())
            pd.testing.assert_frame_equal(a.issues(), b.issues())
            if a.localities is not None:
                pd.testing.assert_frame_equal(a.localities, b.localities)


def test_a_backup_restores_every_version_report_and_audit_row(store, new_url, tmp_path):
    _filled(store)
    counts = store.backup(tmp_path / "out.zip")
    assert counts["datasets"] == 2 and counts["versions"] == 3 and counts["audit"] == 5
    with Store(new_url()) as copy:
        assert copy.restore(tmp_path / "out.zip", by="Carla") == {
            "datasets": 2, "versions": 3, "tables": 12, "audit": 5}
        _same_content(store, copy)
        restored = copy.audit()
        assert restored[1:] == store.audit()
        assert (restored[0].action, restored[0].actor) == ("restore", "Carla")
        assert publish(copy).version == 3  # numbering goes on
        copy.backup(tmp_path / "again.zip")  # and the copy backs up in turn
    with zipfile.ZipFile(tmp_path / "again.zip") as archive:
        assert len(archive.namelist()) == 1 + 12 + 3


def test_a_sqlite_backup_restores_into_postgresql(tmp_path, request):
    from postgres import new_database

    with Store(f"sqlite:///{tmp_path / 'a.sqlite'}") as source:
        _filled(source)
        source.backup(tmp_path / "out.zip")
        with Store(new_database(request.getfixturevalue("postgres_admin"))) as copy:
            copy.restore(tmp_path / "out.zip")
            _same_content(source, copy)


def test_a_store_that_holds_data_is_not_restored_into(store, tmp_path):
    publish(store)
    store.backup(tmp_path / "out.zip")
    with pytest.raises(StoreError, match=r"empty store only.*already holds datasets \(1\)"):
        store.restore(tmp_path / "out.zip")
    assert len(store.versions("demo")) == 1 and len(store.audit()) == 1


def test_a_backup_is_written_all_or_nothing(store, tmp_path):
    publish(store)
    (tmp_path / "out.zip").write_bytes(b"old")
    with pytest.raises(StoreError, match="cannot write"):
        store.backup(tmp_path / "missing" / "out.zip")
    store.backup(tmp_path / "out.zip")
    assert zipfile.is_zipfile(tmp_path / "out.zip")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# --- hostile zips ----------------------------------------------------------------------

def _entries(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _replace_table(entries: dict[str, bytes], data: bytes) -> dict[str, bytes]:
    """The first version's results replaced by ``data``, the manifest made to agree."""
    manifest = json.loads(entries["manifest.json"])
    first = manifest["versions"][0]
    first["tables"]["results"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    name = f"data/{first['slug']}/{first['version']}/results.parquet"
    return entries | {name: data, "manifest.json": json.dumps(manifest).encode()}


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _manifest(entries, change) -> dict[str, bytes]:
    manifest = json.loads(entries["manifest.json"])
    change(manifest)
    return entries | {"manifest.json": json.dumps(manifest).encode()}


HOSTILE = {
    "not-a-zip": (lambda e: b"PK\x03\x04 garbage", "not a zip file"),
    "traversal": (lambda e: _zip(e | {"../../etc/evil": b"x"}), "holds ../../etc/evil"),
    "absolute": (lambda e: _zip(e | {"/tmp/evil": b"x"}), "holds /tmp/evil"),
    "a-pickle": (lambda e: _zip(e | {"data/demo/1/results.pkl": pickle.dumps(1)}),
                 "holds data/demo/1/results.pkl"),
    "no-manifest": (lambda e: _zip({k: v for k, v in e.items() if k != "manifest.json"}),
                    "no manifest.json"),
    "bad-json": (lambda e: _zip(e | {"manifest.json": b"{nope"}), "manifest.json is not valid"),
    "other-format": (lambda e: _zip(_manifest(e, lambda m: m.update(format_version=2))),
                     "format"),
    "a-bad-slug": (lambda e: _zip(_manifest(e, lambda m: m["versions"][0].update(
        slug="../x"))), "slug breaks the naming rule"),
    "a-version-twice": (lambda e: _zip(_manifest(e, lambda m: m["versions"].append(
        m["versions"][0]))), "a version is listed twice"),
    "missing-table": (lambda e: _zip({k: v for k, v in e.items()
                                      if not k.endswith("demo/2/results.parquet")}),
                      "lists data/demo/2/results.parquet, which it does not hold"),
    "unlisted-table": (lambda e: _zip(e | {"data/demo/9/results.parquet": b"x"}),
                       "holds data/demo/9/results.parquet"),
    "checksum": (lambda e: _zip(e | {"data/demo/2/results.parquet": b"x" * 10}),
                 "size or checksum differs"),
    "garbage-parquet": (lambda e: _zip(_replace_table(e, b"PAR1 not really PAR1")),
                        "not a Parquet table"),
    "pickled-in-parquet": (lambda e: _zip(_replace_table(e, pickle.dumps(pd.DataFrame()))),
                           "not a Parquet table"),
    "not-results": (lambda e: _zip(_replace_table(e, _parquet(pa.table({"x": [1]})))),
                    "results lacks the columns row, ubigeo"),
    "nested-parquet": (lambda e: _zip(_replace_table(e, _parquet(pa.table(
        {"x": pa.array([[1, 2]])})))), "column 'x' has type list"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_backup_is_refused_and_nothing_is_restored(store, new_url, tmp_path, case):
    _filled(store)
    store.backup(tmp_path / "good.zip")
    make, reason = HOSTILE[case]
    (tmp_path / "bad.zip").write_bytes(make(_entries(tmp_path / "good.zip")))
    with Store(new_url()) as empty:
        with pytest.raises(StoreError) as raised:
            empty.restore(tmp_path / "bad.zip")
        assert "bad.zip cannot be restored" in str(raised.value)
        assert reason in str(raised.value) and "no se restauró nada" in raised.value.text("es")
        assert empty.datasets(include_retired=True) == [] and empty.audit() == []


def test_an_entry_past_its_cap_is_refused_without_reading_it_all(store, new_url, tmp_path,
                                                                   monkeypatch):
    publish(store)
    store.backup(tmp_path / "good.zip")
    entries = _entries(tmp_path / "good.zip")
    bomb = _zip(entries | {"manifest.json": entries["manifest.json"] + b" " * 5_000_000})
    (tmp_path / "bomb.zip").write_bytes(bomb)
    assert len(bomb) < 100_000  # a small file that inflates to megabytes
    monkeypatch.setattr(backup, "MAX_MANIFEST_BYTES", 1_000_000)
    with Store(new_url()) as empty:
        with pytest.raises(StoreError, match=r"manifest\.json is larger than 1,000,000 bytes"):
            empty.restore(tmp_path / "bomb.zip")
        monkeypatch.setattr(backup, "MAX_ENTRY_BYTES", 100)
        with pytest.raises(StoreError, match=r"data/demo/1/\w+\.parquet is larger than 100 bytes"):
            empty.restore(tmp_path / "good.zip")
        assert empty.datasets(include_retired=True) == []
