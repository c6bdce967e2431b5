"""Schema revisions: a newer app opens an older database and its data reads back; the
migrations build exactly the tables the code uses; a database newer than the code is
refused, not written to."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from store_data import publish, results

from mapapp.store import Store, StoreError, engine, frames, queries, schema


def _engine(url: str) -> sa.Engine:
    return engine.make_engine(engine.parse_url(url), timeout_s=10)


def test_the_app_opens_a_database_of_the_first_revision_and_reads_its_data(url):
    old = _engine(url)
    engine.upgrade(old, url, target="0001")
    report, file = results()
    published = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    with old.begin() as conn:  # what the first revision's app wrote: no retire, no audit
        assert not sa.inspect(conn).has_table("audit")
        dataset_id = conn.execute(schema.datasets.insert().values(
            slug="old", title="Old", created_at=published)).inserted_primary_key[0]
        version_id = conn.execute(schema.versions.insert().values(
            dataset_id=dataset_id, number=1, title="Old", file_name=file.name,
            file_size=file.size, file_sha256=file.sha256, published_by="Ana",
            published_at=published, note="", rows_valid=3, rows_rejected=1,
            report=frames.strict_summary(report, None))).inserted_primary_key[0]
        queries.write_data(conn, version_id, frames.tables(report, None))
    old.dispose()
    with Store(url) as store:
        loaded = store.load("old", 1)
        pd.testing.assert_frame_equal(loaded.results, report.valid)
        assert loaded.info.published_at == published and loaded.info.retired_by is None
        [upgraded] = store.audit()
        assert upgraded.action == "upgrade"
        assert json.loads(upgraded.detail) == {"from": "0001", "to": engine.head_revision()}
        assert publish(store, "old").version == 2
        store.retire("old", 1, by="Bea")  # the second revision's columns
        assert store.resolve("old").version == 2


def test_the_migrations_build_the_tables_the_code_uses(url):
    Store(url).close()
    with _engine(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), schema.METADATA) == []
        assert engine.current_revision(conn) == engine.head_revision()


def test_every_revision_goes_down_and_up_again(url):
    Store(url).close()
    db = _engine(url)
    config = engine._alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    db.dispose()
    with Store(url) as store:
        assert publish(store).version == 1


def test_a_database_of_a_newer_app_is_refused(url):
    Store(url).close()
    with _engine(url).begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match=r"newer version of mapapp \(schema 9999\)") as raised:
        Store(url)
    assert "actualice mapapp" in raised.value.text("es")
