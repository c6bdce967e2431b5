"""The dataset store: publish validated data as numbered, immutable versions, list them,
load one, retire (hide, never delete), and the audit of every change.

One Store per process is enough (it is thread-safe; its engine pools connections);
Store objects of one process share the caches (``caches``). Every write is one
transaction: a version, its tables and its audit row are there together or not at all.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

import mapapp.store.caches as caches
import mapapp.store.engine as engine
import mapapp.store.frames as frames
import mapapp.store.queries as queries
from mapapp.ingest.localities import LocalityReport
from mapapp.ingest.results import ValidationReport
from mapapp.model.messages import msg
from mapapp.store.errors import StoreError, StoreUnavailable, retired_message
from mapapp.store.records import (
    AuditEntry,
    DatasetInfo,
    FileInfo,
    Published,
    StoredVersion,
    VersionInfo,
)
from mapapp.store.refs import check_slug, check_text, default_url
from mapapp.store.schema import datasets, meta, versions

TIMEOUT_S = 30.0  # how long a writer waits for another's lock, and a connection to open


@dataclass(frozen=True)
class _Loaded:
    """What the load cache keeps of a version: its data, never its retirement."""

    version_id: int
    results: pd.DataFrame
    localities: pd.DataFrame | None
    report: dict


def _guarded(method):
    """Connection and lock failures of the database as StoreUnavailable."""

    @functools.wraps(method)
    def wrapper(self: Store, *args, **kwargs):
        with engine.reachable(self.url_for_display, self.backend):
            return method(self, *args, **kwargs)

    return wrapper


class Store:
    def __init__(self, url: str | None = None, *, timeout_s: float = TIMEOUT_S) -> None:
        """Open the store at ``url`` (``default_url()`` when None), upgrading its schema
        to this code's newest revision; StoreUnavailable when it cannot be reached."""
        self.url = engine.parse_url(url or default_url())
        self.url_for_display = engine.display(self.url)
        self.backend = self.url.get_backend_name()
        self.timeout_s = timeout_s
        try:
            self._engine = engine.make_engine(self.url, timeout_s)
        except OSError as exc:  # SQLite: the folder cannot be made
            raise StoreUnavailable(msg(
                "store_unavailable", url=self.url_for_display, reason=exc.strerror or str(exc),
                hint=msg("store_hint_sqlite"))) from exc
        self._writer = self._engine.execution_options(**{engine.WRITE: True})
        try:
            with engine.reachable(self.url_for_display, self.backend):
                engine.upgrade(self._engine, self.url_for_display)
                with self._engine.connect() as conn:
                    self.store_id = conn.scalar(sa.select(meta.c.value).where(
                        meta.c.key == "store_id"))
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"Store({self.url_for_display!r})"

    def close(self) -> None:
        """Close the pooled connections (the caches stay: they hold no connection)."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------

    @_guarded
    def publish(self, slug: str, title: str, results: ValidationReport, file: FileInfo, *,
                by: str, note: str = "", localities: LocalityReport | None = None,
                localities_file: FileInfo | None = None) -> Published:
        """Publish the valid rows of ``results`` (and ``localities``) as the next version
        of ``slug``, with the reports and the original files' names, sizes and SHA-256."""
        check_slug(slug)
        title = check_text("title", title, required=False) or slug
        note = check_text("note", note, required=False)
        by = check_text("by", by, required=True)
        if (localities is None) != (localities_file is None):
            raise ValueError("give localities and localities_file together")
        for report, source in ((results, file), (localities, localities_file)):
            if report is not None and report.rows_valid == 0:
                raise StoreError(msg("store_no_valid_rows", file=source.name,
                                     total=report.rows_total))
        summary = frames.strict_summary(results, localities)
        blobs = frames.tables(results, localities)  # before the lock is taken
        with self._writer.begin() as conn:
            dataset = queries.lock_dataset(conn, slug, title, datetime.now(UTC))
            now = datetime.now(UTC)  # once the lock is ours: versions' times run in order
            if dataset.retired_at is not None:
                raise StoreError(msg("store_publish_retired", what=retired_message(
                    slug, None, dataset.retired_by, dataset.retired_at)))
            number = queries.next_number(conn, dataset.id)
            loc = localities_file
            version_id = conn.execute(versions.insert().values(
                dataset_id=dataset.id, number=number, title=title, file_name=file.name,
                file_size=file.size, file_sha256=file.sha256,
                localities_file_name=loc and loc.name, localities_file_size=loc and loc.size,
                localities_file_sha256=loc and loc.sha256, published_by=by,
                published_at=now, note=note, rows_valid=results.rows_valid,
                rows_rejected=results.rows_rejected, report=summary)).inserted_primary_key[0]
            queries.write_data(conn, version_id, blobs)
            conn.execute(datasets.update().where(datasets.c.id == dataset.id)
                         .values(title=title))
            queries.add_audit(conn, now, by, "publish", slug, number, {
                "title": title, "file": file.name, "size": file.size, "sha256": file.sha256,
                "localities_file": loc and loc.name, "rows_valid": results.rows_valid,
                "rows_rejected": results.rows_rejected, "note": note})
        caches.LATEST.forget((self.store_id, slug))
        return Published(slug, number, results.rows_valid, results.rows_rejected)

    @_guarded
    def retire(self, slug: str, version: int | None = None, *, by: str) -> None:
        """Hide a dataset (``version`` None) or one version from lists and links; its data
        stays, readable with ``load(..., allow_retired=True)``. Retiring twice is refused."""
        check_slug(slug)
        by = check_text("by", by, required=True)
        now = datetime.now(UTC)
        with self._writer.begin() as conn:
            dataset = queries.dataset_row(conn, slug, lock=True)
            if version is None:
                done = dataset.retired_by, dataset.retired_at
                target = datasets.update().where(datasets.c.id == dataset.id)
            else:
                info, _ = queries.version_row(conn, slug, version)
                done = info.retired_by, info.retired_at
                target = versions.update().where(versions.c.dataset_id == dataset.id,
                                                 versions.c.number == version)
            if done[1] is not None:
                raise StoreError(msg("store_already_retired",
                                     what=retired_message(slug, version, *done)))
            conn.execute(target.values(retired_by=by, retired_at=now))
            queries.add_audit(conn, now, by, "retire", slug, version,
                              {"what": "dataset" if version is None else "version"})
        caches.LATEST.forget((self.store_id, slug))

    # --- reading ---------------------------------------------------------------------

    @_guarded
    def datasets(self, *, include_retired: bool = False) -> list[DatasetInfo]:
        """Datasets by slug; without ``include_retired``, only those with a version to
        show (not retired, nor every version of it)."""
        with self._engine.connect() as conn:
            found = queries.dataset_infos(conn)
        if include_retired:
            return found
        return [d for d in found if d.retired_at is None and d.latest is not None]

    @_guarded
    def versions(self, slug: str, *, include_retired: bool = True) -> list[VersionInfo]:
        check_slug(slug)
        with self._engine.connect() as conn:
            dataset = queries.dataset_row(conn, slug)
            found = queries.all_versions(conn, slug)
        if include_retired:
            return found
        return [] if dataset.retired_at else [v for v in found if v.retired_at is None]

    @_guarded
    def latest(self, slug: str) -> int:
        """The newest version not retired: at most LATEST_TTL_S seconds old (another
        process's publication), at once after this process's own."""
        check_slug(slug)
        key = (self.store_id, slug)
        number = caches.LATEST.get(key)
        if number is None:
            with self._engine.connect() as conn:
                number = queries.latest_number(conn, slug)
            caches.LATEST.put(key, number)
        return number

    @_guarded
    def resolve(self, slug: str, version: int | None = None) -> VersionInfo:
        """A version's facts (``version`` None: the latest); DatasetNotFound for an
        unknown slug or version, Retired (who, when) for a retired one."""
        check_slug(slug)
        number = self.latest(slug) if version is None else version
        with self._engine.connect() as conn:
            info, dataset = queries.version_row(conn, slug, number)
            if version is None and info.retired_at is not None:  # retired since cached
                caches.LATEST.forget((self.store_id, slug))
                info, dataset = queries.version_row(conn, slug, queries.latest_number(conn, slug))
        queries.check_not_retired(info, dataset)
        return info

    @_guarded
    def load(self, slug: str, version: int, *, allow_retired: bool = False) -> StoredVersion:
        """A version's data; Retired unless ``allow_retired`` (a publisher's export)."""
        check_slug(slug)
        key = (self.store_id, slug, version)
        with self._engine.connect() as conn:
            info, dataset = queries.version_row(conn, slug, version)
            if not allow_retired:
                queries.check_not_retired(info, dataset)
            loaded = caches.LOADED.get(key)
            if loaded is None:
                loaded = self._read(conn, info)
                caches.LOADED.put(key, loaded)
        localities = loaded.localities
        return StoredVersion(
            info, loaded.results.copy(deep=False),
            None if localities is None else localities.copy(deep=False),
            json.loads(json.dumps(loaded.report)),  # the caller's own copy
            functools.partial(self._read_kind, info, loaded.version_id))

    def _read(self, conn: sa.Connection, info: VersionInfo) -> _Loaded:
        version_id = conn.scalar(sa.select(versions.c.id).join_from(versions, datasets).where(
            datasets.c.slug == info.slug, versions.c.number == info.version))
        report = conn.scalar(sa.select(versions.c.report).where(versions.c.id == version_id))
        results = queries.read_table(conn, info, version_id, "results")
        if results is None:
            raise StoreError(msg("store_bad_data", slug=info.slug, version=info.version,
                                 error="no results table"))
        localities = queries.read_table(conn, info, version_id, "localities")
        return _Loaded(version_id, results, localities, json.loads(report))

    @_guarded
    def _read_kind(self, info: VersionInfo, version_id: int, kind: str) -> pd.DataFrame | None:
        with self._engine.connect() as conn:
            return queries.read_table(conn, info, version_id, kind)

    @_guarded
    def audit(self, limit: int = 200, *, slug: str | None = None) -> list[AuditEntry]:
        """The newest ``limit`` changes, newest first (of one dataset with ``slug``)."""
        with self._engine.connect() as conn:
            return queries.audit_entries(conn, limit, slug)

    # --- backup ----------------------------------------------------------------------

    @_guarded
    def backup(self, path: Path) -> dict:
        """Every dataset, version, table, report and audit row in a zip at ``path``
        (written all or nothing); returns the backup's manifest counts."""
        import mapapp.store.backup as backup

        return backup.backup(self._engine, Path(path))

    @_guarded
    def restore(self, path: Path, *, by: str = "restore") -> dict:
        """Restore a backup into this store, which must hold no dataset; the zip is
        checked whole first, then written in one transaction (all of it or nothing)."""
        import mapapp.store.backup as backup

        by = check_text("by", by, required=True)
        counts = backup.restore(self._writer, Path(path), self.url_for_display, by)
        caches.LATEST.clear()
        return counts
