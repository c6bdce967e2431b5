"""Writers at once: threads and processes publishing one name get versions 1..N, none
lost, none twice; a publish that fails half-way leaves nothing; another process sees a
publication within LATEST_TTL_S. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import ROOT
from store_data import publish

from mapapp.store import LATEST_TTL_S, DatasetNotFound, Store, queries

WRITERS = 8
PROCESSES = 5
_CHILD = """
import pathlib, sys, time
url, slug, go, extra = sys.argv[1:5]
from store_data import publish
from mapapp.store import Store
while not pathlib.Path(go).exists():
    time.sleep(0.005)
with Store(url) as store:  # opened at once too: the first one creates the tables
    print(publish(store, slug, extra=int(extra), by=f"p{extra}").version)
"""


def _child(url: str, slug: str, go: Path, extra: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(Path(__file__).parent)]))
    return subprocess.Popen([sys.executable, "-c", _CHILD, url, slug, str(go), str(extra)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _check_each_version_is_its_publishers(store: Store, count: int) -> None:
    """Versions 1..count, and each holds the rows of the writer the audit names."""
    infos = store.versions("race")
    assert [v.version for v in infos] == list(range(1, count + 1))
    for info in infos:
        extra = int(info.published_by[1:])
        assert info.rows_valid == 3 + extra == len(store.load("race", info.version).results)
    entries = [e for e in store.audit(limit=1000) if e.action == "publish"]
    assert sorted((e.version, e.actor) for e in entries) == sorted(
        (v.version, v.published_by) for v in infos)


@pytest.mark.parametrize("shared", [True, False], ids=["one-store", "a-store-each"])
def test_threads_publishing_at_once_get_one_version_each(url, shared):
    stores = [Store(url)] * WRITERS if shared else [Store(url) for _ in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)

    def one(n: int) -> int:
        barrier.wait()
        return publish(stores[n], "race", extra=n, by=f"t{n}").version

    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            versions = sorted(pool.map(one, range(WRITERS)))
        assert versions == list(range(1, WRITERS + 1))
        _check_each_version_is_its_publishers(stores[0], WRITERS)
    finally:
        for store in set(stores):
            store.close()


def test_processes_opening_and_publishing_at_once_get_one_version_each(url, tmp_path):
    go = tmp_path / "go"
    children = [_child(url, "race", go, n) for n in range(PROCESSES)]
    time.sleep(1.5)  # let them import; then all start at once
    go.touch()
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
    assert sorted(int(out) for out, _ in outputs) == list(range(1, PROCESSES + 1))
    with Store(url) as store:
        _check_each_version_is_its_publishers(store, PROCESSES)
        assert not [e for e in store.audit() if e.action == "upgrade"]  # made once, at head


@pytest.mark.parametrize("failing", ["write_data", "add_audit"])
def test_a_publish_that_fails_half_way_leaves_nothing(store, monkeypatch, failing):
    publish(store)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(queries, failing, fail)
    with pytest.raises(RuntimeError, match="disk full"):
        publish(store)
    with pytest.raises(RuntimeError):
        publish(store, "new-name")
    monkeypatch.undo()
    assert [v.version for v in store.versions("demo")] == [1]
    with pytest.raises(DatasetNotFound):
        store.resolve("new-name")
    assert [(e.action, e.version) for e in store.audit()] == [("publish", 1)]
    assert publish(store).version == 2
    assert len(store.load("demo", 2).results) == 3


def test_another_process_sees_a_new_publication_within_the_ttl(url, tmp_path):
    with Store(url) as store:
        publish(store, "race", by="p0")
        assert store.latest("race") == 1  # now cached
        go = tmp_path / "go"
        go.touch()
        for slug, extra in (("race", 1), ("fresh", 0)):
            child = _child(url, slug, go, extra)
            _, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
        published = time.monotonic()
        assert store.resolve("fresh").version == 1  # a new name: seen at once
        assert store.load("race", 2).info.published_by == "p1"  # a given version: at once
        while store.latest("race") != 2:
            assert time.monotonic() - published <= LATEST_TTL_S + 0.5
            time.sleep(0.1)
        assert store.resolve("race").version == 2
