"""Backup to a zip and restore from one: every dataset, version, table, report and audit
row. The zip holds ``manifest.json`` (every fact, and each table's size and SHA-256) and
one Parquet file a table at ``data/<slug>/<version>/<kind>.parquet``.

A zip to restore is hostile until shown otherwise: nothing in it is extracted to disk
or unpickled; only the names the manifest implies are allowed; every entry is read
within a cap (a zip's declared sizes are not trusted); every table must match its
checksum and read back as a plain table; and all of this happens before the one
transaction that writes it, into an empty store only.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

import mapapp.store.engine as engines
import mapapp.store.frames as frames
import mapapp.store.queries as queries
from mapapp.model.messages import msg
from mapapp.model.output import write_atomic
from mapapp.store.errors import StoreError
from mapapp.store.manifest import FORMAT, Manifest, check_manifest, data_name
from mapapp.store.schema import audit, datasets, version_data, versions

MAX_MANIFEST_BYTES = 64 << 20
MAX_ENTRY_BYTES = frames.MAX_TABLE_BYTES
MAX_TOTAL_BYTES = 2 << 30  # every entry, as read
MAX_ENTRIES = 100_000
_DATA = re.compile(r"data/[a-z0-9][a-z0-9-]{0,62}/[1-9][0-9]{0,8}/[a-z_]{1,32}\.parquet")


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def backup(engine: sa.Engine, path: Path) -> dict:
    """Read the whole store in one snapshot and write the zip atomically."""
    buffer = io.BytesIO()
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    counts = {"datasets": 0, "versions": 0, "tables": 0, "audit": 0}
    with engine.connect().execution_options(**options) as conn, conn.begin(), \
            zipfile.ZipFile(buffer, "w") as archive:
        manifest: dict = {**FORMAT, "schema": engines.current_revision(conn),
                          "created_at": _iso(datetime.now(UTC)), "datasets": [],
                          "versions": [], "audit": []}
        for row in conn.execute(sa.select(datasets).order_by(datasets.c.id)):
            manifest["datasets"].append({
                "slug": row.slug, "title": row.title, "created_at": _iso(row.created_at),
                "retired_by": row.retired_by, "retired_at": _iso(row.retired_at)})
        query = sa.select(*queries.VERSION_COLUMNS, versions.c.id).join_from(versions, datasets)
        for row in conn.execute(query.order_by(datasets.c.slug, versions.c.number)).all():
            info = queries.version_info(row)
            tables = {}
            for data in conn.execute(sa.select(version_data).where(
                    version_data.c.version_id == row.id).order_by(version_data.c.kind)):
                name = data_name(info.slug, info.version, data.kind)
                archive.writestr(name, bytes(data.data), compress_type=zipfile.ZIP_STORED)
                tables[data.kind] = {"size": data.size, "sha256": data.sha256}
            loc = info.localities_file
            manifest["versions"].append({
                "slug": info.slug, "version": info.version, "title": info.title,
                "file": vars(info.file), "localities_file": loc and vars(loc),
                "published_by": info.published_by, "published_at": _iso(info.published_at),
                "note": info.note, "rows_valid": info.rows_valid,
                "rows_rejected": info.rows_rejected, "report": json.loads(row.report),
                "retired_by": info.retired_by, "retired_at": _iso(info.retired_at),
                "tables": tables})
            counts["tables"] += len(tables)
        for entry in queries.audit_entries(conn, None, oldest_first=True):
            manifest["audit"].append({**vars(entry), "at": _iso(entry.at)})
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1),
                         compress_type=zipfile.ZIP_DEFLATED)
    counts |= {"datasets": len(manifest["datasets"]), "versions": len(manifest["versions"]),
               "audit": len(manifest["audit"])}
    try:
        write_atomic(path, buffer.getvalue())
    except OSError as exc:
        raise StoreError(msg("store_cannot_write", path=str(path),
                             error=exc.strerror or str(exc))) from exc
    return counts | {"bytes": len(buffer.getvalue())}


def _refuse(path: Path, reason: str) -> StoreError:
    return StoreError(msg("store_bad_backup", file=path.name, reason=reason))


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """An entry's bytes, never more than ``limit`` (whatever its header says)."""
    if info.file_size > limit:
        raise OverflowError
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OverflowError
    return data


def read_backup(path: Path) -> tuple[Manifest, dict[str, bytes]]:
    """The checked manifest and every table's bytes by entry name; StoreError saying
    what is wrong with the zip otherwise."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile):
            raise StoreError(msg("cli_cannot_read", path=str(path),
                                 error=exc.strerror or str(exc))) from exc
        raise _refuse(path, msg("store_backup_not_zip")) from exc
    with archive:
        entries = archive.infolist()
        names = [e.filename for e in entries]
        if len(entries) > MAX_ENTRIES or len(set(names)) != len(names):
            raise _refuse(path, msg("store_backup_bad_manifest", error="duplicate entries"))
        for name in names:
            if name != "manifest.json" and not _DATA.fullmatch(name):
                raise _refuse(path, msg("store_backup_unexpected", name=name[:200]))
        if "manifest.json" not in names:
            raise _refuse(path, msg("store_backup_no_manifest"))
        blobs: dict[str, bytes] = {}
        total = 0
        try:
            for entry in entries:
                limit = MAX_MANIFEST_BYTES if entry.filename == "manifest.json" else MAX_ENTRY_BYTES
                name = entry.filename
                data = _read_entry(archive, entry, min(limit, MAX_TOTAL_BYTES - total))
                total += len(data)
                blobs[name] = data
        except OverflowError:
            raise _refuse(path, msg("store_backup_too_large", name=name, limit=limit)) from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise _refuse(path, msg("store_backup_bad_entry", name=name,
                                    error=str(exc)[:200])) from exc
    try:
        manifest = check_manifest(json.loads(blobs.pop("manifest.json").decode("utf-8")))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _refuse(path, msg("store_backup_bad_manifest", error=str(exc)[:300])) from exc
    _check_tables(path, manifest, blobs)
    return manifest, blobs


def _check_tables(path: Path, manifest: Manifest, blobs: dict[str, bytes]) -> None:
    wanted = {data_name(v["slug"], v["version"], kind): table
              for v in manifest["versions"] for kind, table in v["tables"].items()}
    for name in blobs.keys() - wanted.keys():
        raise _refuse(path, msg("store_backup_unexpected", name=name))
    for name, table in wanted.items():
        data = blobs.get(name)
        if data is None:
            raise _refuse(path, msg("store_backup_missing", name=name))
        try:
            if len(data) != table["size"] or hashlib.sha256(data).hexdigest() != table["sha256"]:
                raise ValueError("its size or checksum differs from the manifest's")
            frames.check_columns(name.rsplit("/", 1)[1].removesuffix(".parquet"),
                                 frames.decode(data))
        except ValueError as exc:
            raise _refuse(path, msg("store_backup_bad_entry", name=name,
                                    error=str(exc)[:200])) from exc


def restore(writer: sa.Engine, path: Path, where: str, by: str) -> dict:
    manifest, blobs = read_backup(path)
    now = datetime.now(UTC)
    with writer.begin() as conn:
        if conn.dialect.name == "postgresql":  # no publish may slip in before we are done
            conn.execute(sa.text("LOCK TABLE datasets IN EXCLUSIVE MODE"))
        count = conn.scalar(sa.select(sa.func.count()).select_from(datasets))
        if count:
            raise StoreError(msg("store_not_empty", url=where, count=count))
        ids = {}
        for item in manifest["datasets"]:
            ids[item["slug"]] = conn.execute(datasets.insert().values(**item)) \
                .inserted_primary_key[0]
        for item in manifest["versions"]:
            row = {k: v for k, v in item.items()
                   if k not in ("slug", "version", "file", "localities_file", "report",
                                "tables")}
            loc = item["localities_file"] or {}
            version_id = conn.execute(versions.insert().values(
                **row, dataset_id=ids[item["slug"]], number=item["version"],
                file_name=item["file"]["name"], file_size=item["file"]["size"],
                file_sha256=item["file"]["sha256"], localities_file_name=loc.get("name"),
                localities_file_size=loc.get("size"), localities_file_sha256=loc.get("sha256"),
                report=json.dumps(item["report"], ensure_ascii=False))).inserted_primary_key[0]
            queries.write_data(conn, version_id, {
                kind: blobs[data_name(item["slug"], item["version"], kind)]
                for kind in item["tables"]})
        if manifest["audit"]:
            conn.execute(audit.insert(), manifest["audit"])
        counts = {"datasets": len(manifest["datasets"]), "versions": len(manifest["versions"]),
                  "tables": len(blobs), "audit": len(manifest["audit"])}
        queries.add_audit(conn, now, by, "restore", None, None, {"file": path.name, **counts})
    return counts
