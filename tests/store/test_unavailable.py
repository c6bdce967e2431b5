"""A database that is down, unreachable or locked gives a clear message: which database
(no password), what happened, what to do; and nothing is half-written."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from postgres import PostgresMissing, free_port, missing, new_database, start_server
from store_data import publish

from mapapp.store import Store, StoreError, StoreUnavailable


def test_a_postgresql_url_on_a_closed_port(monkeypatch):
    port = free_port()
    with pytest.raises(StoreUnavailable) as raised:
        Store(f"postgresql://mapapp:s3cret@127.0.0.1:{port}/maps", timeout_s=2)
    text = str(raised.value)
    assert f"postgresql+psycopg://mapapp:***@127.0.0.1:{port}/maps" in text
    assert "s3cret" not in text and "s3cret" not in raised.value.text("es")
    assert "check that PostgreSQL is running" in text
    assert "compruebe que PostgreSQL está en marcha" in raised.value.text("es")


def test_a_postgresql_server_that_stops_and_comes_back():
    try:
        server = start_server()
    except PostgresMissing as exc:
        missing(str(exc))
    try:
        url = new_database(server.admin_url)
        with Store(url, timeout_s=3) as store:
            publish(store)
            server.stop()
            with pytest.raises(StoreUnavailable, match="cannot be reached"):
                store.datasets()
            with pytest.raises(StoreUnavailable, match="cannot be reached"):
                publish(store)
            with pytest.raises(StoreUnavailable):
                Store(url, timeout_s=3)
            server.start()
            assert [v.version for v in store.versions("demo")] == [1]  # no restart needed
            assert publish(store).version == 2
    finally:
        server.destroy()


def test_a_sqlite_file_locked_too_long(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with Store(url) as store:
        publish(store)
    holder = sqlite3.connect(tmp_path / "store.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program writing, for long
    try:
        with Store(url, timeout_s=0.3) as store:
            assert store.latest("demo") == 1  # readers never wait (WAL)
            with pytest.raises(StoreUnavailable) as raised:
                publish(store)
            assert "database is locked" in str(raised.value)
            assert "another process holds it locked" in str(raised.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Store(url) as store:
        assert publish(store).version == 2


def test_a_postgresql_dataset_locked_too_long(request):
    url = new_database(request.getfixturevalue("postgres_admin"))
    with Store(url) as store:
        publish(store)
    holder = psycopg.connect(url)
    holder.execute("SELECT * FROM datasets WHERE slug = 'demo' FOR UPDATE")
    try:
        with Store(url, timeout_s=0.5) as store, pytest.raises(StoreUnavailable) as raised:
            publish(store)
        assert "lock timeout" in str(raised.value) and "try again in a moment" in str(raised.value)
    finally:
        holder.rollback()
        holder.close()
    with Store(url) as store:
        assert publish(store).version == 2


def test_a_sqlite_path_that_cannot_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StoreUnavailable, match="check that its folder exists"):
        Store(f"sqlite:///{tmp_path / 'file' / 'store.sqlite'}")


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", "oracle+cx://u:pw@h/db"])
def test_a_database_the_store_does_not_support(url):
    with pytest.raises(StoreError, match=r"SQLite .* or PostgreSQL .* only") as raised:
        Store(url)
    assert "pw@" not in str(raised.value)
