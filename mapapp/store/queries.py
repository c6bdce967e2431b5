"""The store's SQL, as functions of a connection: rows in, records out. Store wraps them
in transactions; backup and restore reuse them."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

import mapapp.store.frames as frames
from mapapp.model.messages import msg
from mapapp.store.errors import DatasetNotFound, Retired, StoreError
from mapapp.store.records import AuditEntry, DatasetInfo, FileInfo, VersionInfo
from mapapp.store.schema import audit, datasets, version_data, versions

D, V, DATA = datasets.c, versions.c, version_data.c
VERSION_COLUMNS = [D.slug, *[c for c in versions.c if c.name not in ("id", "dataset_id")]]


def version_info(row: sa.Row) -> VersionInfo:
    m = row._mapping
    localities = None
    if m["localities_file_name"] is not None:
        localities = FileInfo(m["localities_file_name"], int(m["localities_file_size"]),
                              m["localities_file_sha256"])
    return VersionInfo(
        slug=m["slug"], title=m["title"], version=int(m["number"]),
        file=FileInfo(m["file_name"], int(m["file_size"]), m["file_sha256"]),
        localities_file=localities, published_by=m["published_by"],
        published_at=m["published_at"], note=m["note"], rows_valid=int(m["rows_valid"]),
        rows_rejected=int(m["rows_rejected"]), retired_by=m["retired_by"],
        retired_at=m["retired_at"])


def dataset_row(conn: sa.Connection, slug: str, *, lock: bool = False) -> sa.Row:
    query = sa.select(datasets).where(D.slug == slug)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise DatasetNotFound(msg("store_not_found", slug=slug))
    return row


def version_row(conn: sa.Connection, slug: str, number: int) -> tuple[VersionInfo, sa.Row]:
    """A version and its dataset's row; DatasetNotFound when either is unknown."""
    dataset = dataset_row(conn, slug)
    row = conn.execute(sa.select(*VERSION_COLUMNS, V.id).join_from(versions, datasets)
                       .where(V.dataset_id == dataset.id, V.number == number)).first()
    if row is None:
        raise DatasetNotFound(msg("store_version_not_found", slug=slug, version=number))
    return version_info(row), dataset


def check_not_retired(info: VersionInfo, dataset: sa.Row) -> None:
    if dataset.retired_at is not None:
        raise Retired(info.slug, None, dataset.retired_by, dataset.retired_at)
    if info.retired_at is not None:
        raise Retired(info.slug, info.version, info.retired_by, info.retired_at)


def latest_number(conn: sa.Connection, slug: str) -> int:
    """The newest version not retired; Retired when there is none (the dataset's, or
    the newest version's retirement), DatasetNotFound for an unknown slug."""
    dataset = dataset_row(conn, slug)
    if dataset.retired_at is not None:
        raise Retired(slug, None, dataset.retired_by, dataset.retired_at)
    number = conn.scalar(sa.select(sa.func.max(V.number)).where(
        V.dataset_id == dataset.id, V.retired_at.is_(None)))
    if number is not None:
        return int(number)
    last = conn.execute(sa.select(V.number, V.retired_by, V.retired_at).where(
        V.dataset_id == dataset.id).order_by(V.number.desc()).limit(1)).first()
    if last is None:
        raise DatasetNotFound(msg("store_not_found", slug=slug))
    raise Retired(slug, int(last.number), last.retired_by, last.retired_at)


def all_versions(conn: sa.Connection, slug: str | None = None) -> list[VersionInfo]:
    query = sa.select(*VERSION_COLUMNS).join_from(versions, datasets)
    if slug is not None:
        query = query.where(D.slug == slug)
    return [version_info(row) for row in conn.execute(query.order_by(D.slug, V.number))]


def dataset_infos(conn: sa.Connection) -> list[DatasetInfo]:
    by_slug: dict[str, list[VersionInfo]] = {}
    for info in all_versions(conn):
        by_slug.setdefault(info.slug, []).append(info)
    out = []
    for row in conn.execute(sa.select(datasets).order_by(D.slug)):
        infos = by_slug.get(row.slug, [])
        live = [info for info in infos if info.retired_at is None]
        latest = live[-1] if live else None
        out.append(DatasetInfo(
            slug=row.slug, title=latest.title if latest else row.title, versions=len(infos),
            latest=latest.version if latest else None,
            published_by=latest.published_by if latest else None,
            published_at=latest.published_at if latest else None,
            retired_by=row.retired_by, retired_at=row.retired_at))
    return out


def read_blob(conn: sa.Connection, version_id: int, kind: str) -> bytes | None:
    row = conn.execute(sa.select(DATA.data, DATA.sha256).where(
        DATA.version_id == version_id, DATA.kind == kind)).first()
    if row is None:
        return None
    data = bytes(row.data)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise ValueError(f"{kind}: its checksum does not match")
    return data


def read_table(conn: sa.Connection, info: VersionInfo, version_id: int, kind: str):
    """A stored table as a frame (None when the version has none of that kind);
    StoreError when the bytes do not read back (damaged, or not a plain table)."""
    try:
        data = read_blob(conn, version_id, kind)
        return None if data is None else frames.decode(data)
    except ValueError as exc:
        raise StoreError(msg("store_bad_data", slug=info.slug, version=info.version,
                             error=str(exc))) from exc


def lock_dataset(conn: sa.Connection, slug: str, title: str, now: datetime) -> sa.Row:
    """The dataset's row, made when missing, locked until the transaction ends: two
    publishers of one slug take turns (PostgreSQL: the second's insert waits for the
    first's commit and does nothing; SQLite: BEGIN IMMEDIATE already serialised them)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(insert(datasets).values(slug=slug, title=title, created_at=now)
                 .on_conflict_do_nothing(index_elements=["slug"]))
    return dataset_row(conn, slug, lock=True)


def next_number(conn: sa.Connection, dataset_id: int) -> int:
    return int(conn.scalar(sa.select(sa.func.max(V.number)).where(
        V.dataset_id == dataset_id)) or 0) + 1


def write_data(conn: sa.Connection, version_id: int, blobs: dict[str, bytes]) -> None:
    conn.execute(version_data.insert(), [
        {"version_id": version_id, "kind": kind, "size": len(data),
         "sha256": hashlib.sha256(data).hexdigest(), "data": data}
        for kind, data in blobs.items()])


def add_audit(conn: sa.Connection, at: datetime, actor: str, action: str,
              slug: str | None, version: int | None, detail: dict) -> None:
    conn.execute(audit.insert().values(at=at, actor=actor, action=action, slug=slug,
                                       version=version, detail=json.dumps(detail)))


def audit_entries(conn: sa.Connection, limit: int | None, slug: str | None = None,
                  oldest_first: bool = False) -> list[AuditEntry]:
    query = sa.select(audit)
    if slug is not None:
        query = query.where(audit.c.slug == slug)
    query = query.order_by(audit.c.id if oldest_first else audit.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [AuditEntry(r.at, r.actor, r.action, r.slug, r.version, r.detail)
            for r in conn.execute(query)]
