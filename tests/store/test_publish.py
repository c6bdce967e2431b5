"""Publishing, listing, loading and retiring, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from store_data import localities, publish, results

from mapapp.store import (
    LATEST_TTL_S,
    DatasetNotFound,
    InvalidSlug,
    Retired,
    Store,
    StoreError,
    VersionInfo,
)


def test_a_publication_reads_back_as_it_was_validated(store):
    report, file = results()
    places, places_file = localities()
    before = datetime.now(UTC)
    published = store.publish("san-martin", "San Martín 2020–2021", report, file, by="Ana",
                              note="Q3 export", localities=places, localities_file=places_file)
    assert (published.slug, published.version) == ("san-martin", 1)
    assert (published.rows_valid, published.rows_rejected) == (3, 1)
    loaded = store.load("san-martin", 1)
    pd.testing.assert_frame_equal(loaded.results, report.valid)
    pd.testing.assert_frame_equal(loaded.localities, places.valid)
    pd.testing.assert_frame_equal(loaded.rejected(), report.rejected)
    pd.testing.assert_frame_equal(loaded.rejected("localities"), places.rejected)
    assert loaded.results["ubigeo"].tolist() == ["220501", "220501", "22"]  # text kept
    info = loaded.info
    assert info.file == file and info.localities_file == places_file
    assert (info.title, info.published_by, info.note) == ("San Martín 2020–2021", "Ana",
                                                          "Q3 export")
    assert before <= info.published_at <= datetime.now(UTC)
    assert info.published_at.tzinfo is not None and info.retired_by is None
    assert loaded.report["rows_total"] == 4 and loaded.report["rows_rejected"] == 1
    assert loaded.report["errors"] == [{"row": 4, "column": "ubigeo",
                                        "code": report.errors[0].code}]
    assert loaded.report["totals"]["hectares"] == {"input": 16.5, "valid": 15.5,
                                                   "rejected": 1.0}
    assert loaded.report["localities"]["rows_valid"] == 1
    issues = loaded.issues()
    assert issues["code"].tolist() == [e.code for e in report.errors]
    pd.testing.assert_frame_equal(loaded.rejected_table("es"), report.rejected_table("es"))


def test_a_new_upload_under_the_same_name_is_the_next_version(store):
    assert [publish(store, extra=n).version for n in range(3)] == [1, 2, 3]
    assert publish(store, "other").version == 1
    assert store.latest("demo") == 3
    assert [v.version for v in store.versions("demo")] == [1, 2, 3]
    assert len(store.load("demo", 2).results) == 4 and len(store.load("demo", 3).results) == 5
    listed = {d.slug: d for d in store.datasets()}
    assert listed.keys() == {"demo", "other"}
    assert (listed["demo"].versions, listed["demo"].latest) == (3, 3)


def test_a_loaded_version_is_cached_and_its_frames_are_the_callers(store):
    publish(store)
    first = store.load("demo", 1)
    first.results.loc[0, "value"] = -1.0  # the caller's change stays the caller's
    first.report["rows_total"] = -1
    again = store.load("demo", 1)
    assert again.results.loc[0, "value"] == 10.0 and again.report["rows_total"] == 4


def test_a_report_without_a_valid_row_is_refused(store):
    report, file = results()
    report.valid = report.valid.iloc[0:0]
    report.rows_total = report.rows_rejected
    with pytest.raises(StoreError, match="none of its 1 rows is valid"):
        store.publish("demo", "t", report, file, by="ana")
    assert store.datasets(include_retired=True) == [] and store.audit() == []


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("title", "x" * 201, "the title has 201 characters, more than the 200 allowed"),
    ("note", "x" * 2001, "the note has 2,001 characters, more than the 2,000 allowed"),
    ("by", "x" * 201, "the user name has 201 characters, more than the 200 allowed"),
    ("by", " ", "the user name is empty"),
    ("slug", "Bad Name", "'Bad Name' is not a valid dataset name"),
])
def test_limits_are_named_in_the_message(store, field, value, expected):
    report, file = results()
    given = {"slug": "demo", "title": "t", "by": "ana", "note": ""} | {field: value}
    with pytest.raises(StoreError) as raised:
        store.publish(given["slug"], given["title"], report, file, by=given["by"],
                      note=given["note"])
    assert expected in str(raised.value)
    assert isinstance(raised.value, InvalidSlug) == (field == "slug")
    assert store.datasets(include_retired=True) == []


def test_unknown_names_and_versions(store):
    publish(store)
    with pytest.raises(DatasetNotFound, match="no dataset named nope"):
        store.resolve("nope")
    with pytest.raises(DatasetNotFound, match="has no version 2"):
        store.load("demo", 2)
    with pytest.raises(DatasetNotFound):
        store.versions("nope")
    with pytest.raises(InvalidSlug):
        store.load("../x", 1)


def test_retiring_a_dataset_hides_it_and_links_say_who(store):
    publish(store)
    publish(store, "kept")
    store.retire("demo", by="Bea")
    assert [d.slug for d in store.datasets()] == ["kept"]
    hidden = {d.slug: d for d in store.datasets(include_retired=True)}["demo"]
    assert hidden.retired_by == "Bea" and hidden.retired_at is not None
    with pytest.raises(Retired) as raised:
        store.resolve("demo")
    assert (raised.value.by, raised.value.slug, raised.value.version) == ("Bea", "demo", None)
    assert "retired by Bea" in str(raised.value) and "retirado por Bea" in raised.value.text("es")
    with pytest.raises(Retired):
        store.load("demo", 1)
    assert len(store.load("demo", 1, allow_retired=True).results) == 3  # still exportable
    with pytest.raises(StoreError, match=r"retired by Bea.*nothing changed"):
        store.retire("demo", by="Bea")
    with pytest.raises(StoreError, match="publish under another name"):
        publish(store)
    assert [(e.action, e.actor, e.slug, e.version) for e in store.audit()][:1] == [
        ("retire", "Bea", "demo", None)]


def test_retiring_versions_falls_back_to_the_one_before(store):
    for n in range(3):
        publish(store, extra=n)
    store.latest("demo")  # cached: retiring must not leave it stale
    store.retire("demo", 3, by="Bea")
    assert store.latest("demo") == 2 and store.resolve("demo").version == 2
    with pytest.raises(Retired) as raised:
        store.resolve("demo", 3)
    assert raised.value.version == 3
    store.retire("demo", 1, by="Bea")
    store.retire("demo", 2, by="Bea")
    with pytest.raises(Retired) as raised:
        store.resolve("demo")
    assert raised.value.version == 3 and raised.value.by == "Bea"
    assert store.datasets() == [] and store.datasets(include_retired=True)[0].latest is None
    assert [v.version for v in store.versions("demo", include_retired=False)] == []
    assert len(store.versions("demo")) == 3
    with pytest.raises(DatasetNotFound):
        store.retire("demo", 9, by="Bea")


def test_every_change_is_in_the_audit(store):
    publish(store, by="Ana")
    publish(store, by="Ana")
    store.retire("demo", 1, by="Bea")
    entries = store.audit()
    assert [(e.action, e.actor, e.version) for e in entries] == [
        ("retire", "Bea", 1), ("publish", "Ana", 2), ("publish", "Ana", 1)]
    assert entries[0].at >= entries[1].at >= entries[2].at
    assert '"sha256"' in entries[1].detail and store.audit(limit=1) == entries[:1]
    assert store.audit(slug="nope") == []


def test_another_store_object_sees_a_publication_at_once(url):
    with Store(url) as first, Store(url) as second:
        publish(first)
        assert second.latest("demo") == 1
        publish(first)
        assert second.latest("demo") == 2  # one process: the cache was told
        assert second.resolve("demo", 2).version == 2


def test_the_latest_version_is_cached_for_a_few_seconds_only(store, monkeypatch):
    from mapapp.store import caches

    publish(store)
    assert store.latest("demo") == 1
    clock = [1000.0]
    monkeypatch.setattr(caches.time, "monotonic", lambda: clock[0])
    caches.LATEST.put((store.store_id, "demo"), 1)
    with store._writer.begin() as conn:  # another server's publication, unseen here
        from mapapp.store import queries
        conn.execute(queries.versions.update().values(retired_at=datetime.now(UTC),
                                                      retired_by="x"))
    assert store.latest("demo") == 1  # stale...
    clock[0] += LATEST_TTL_S + 0.01
    with pytest.raises(Retired):  # ...for LATEST_TTL_S at most
        store.latest("demo")


def test_version_info_is_a_plain_value(store):
    publish(store)
    info = store.resolve("demo")
    assert isinstance(info, VersionInfo) and info.ref == "demo@1"
    assert hash(info) == hash(store.resolve("demo", 1))
