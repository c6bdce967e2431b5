"""A backup's manifest checked field by field before anything of it is written: the
types, the store's own limits, the slugs, no version twice, the retirement pairs.
``check_manifest`` returns it with times as aware datetimes, ready to insert."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import mapapp.store.frames as frames
from mapapp.store.refs import LIMITS, SLUG_RULE

FORMAT = {"format": "mapapp-store-backup", "format_version": 1}
Manifest = dict[str, Any]
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_TEXT = 100_000  # an audit detail, a file name: far more than the store ever writes


def data_name(slug: str, version: int, kind: str) -> str:
    return f"data/{slug}/{version}/{kind}.parquet"


def _fail(where: str, what: str) -> ValueError:
    return ValueError(f"{where}: {what}")


def _text(item: dict, key: str, where: str, limit: int = _MAX_TEXT, *,
          optional: bool = False) -> str | None:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _fail(where, f"{key} is not a text of at most {limit} characters")
    return value


def _int(item: dict, key: str, where: str, low: int = 0, *, optional: bool = False) -> int | None:
    value = item.get(key)
    if value is None and optional:
        return None
    if type(value) is not int or not low <= value < 2**62:
        raise _fail(where, f"{key} is not a whole number from {low}")
    return value


def _time(item: dict, key: str, where: str, *, optional: bool = False) -> datetime | None:
    value = _text(item, key, where, 64, optional=optional)
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(where, f"{key} is not a time") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _slug(item: dict, where: str, *, optional: bool = False) -> str | None:
    value = _text(item, "slug", where, 63, optional=optional)
    if value is not None and not SLUG_RULE.fullmatch(value):
        raise _fail(where, "slug breaks the naming rule")
    return value


def _retired(item: dict, where: str) -> dict:
    by = _text(item, "retired_by", where, LIMITS["by"], optional=True)
    at = _time(item, "retired_at", where, optional=True)
    if (by is None) != (at is None):
        raise _fail(where, "retired_by and retired_at go together")
    return {"retired_by": by, "retired_at": at}


def _file(item: dict, key: str, where: str, *, optional: bool = False) -> dict | None:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, dict):
        raise _fail(where, f"{key} is not a file's facts")
    sha = _text(value, "sha256", where, 64)
    if not _SHA256.fullmatch(sha):
        raise _fail(where, f"{key}'s sha256 is not one")
    return {"name": _text(value, "name", where, 1000), "size": _int(value, "size", where),
            "sha256": sha}


def _list(manifest: dict, key: str) -> list[dict]:
    value = manifest.get(key)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(f"{key} is not a list of records")
    return value


def _dataset(item: dict, where: str) -> dict:
    return {"slug": _slug(item, where), "title": _text(item, "title", where, LIMITS["title"]),
            "created_at": _time(item, "created_at", where), **_retired(item, where)}


def _version(item: dict, where: str) -> dict:
    tables = item.get("tables")
    if not isinstance(tables, dict) or "results" not in tables or \
            not set(tables) <= set(frames.KINDS):
        raise _fail(where, f"tables must be some of {', '.join(frames.KINDS)}, with results")
    if not isinstance(item.get("report"), dict):
        raise _fail(where, "report is not a record")
    checked = {}
    for kind, table in tables.items():
        if not isinstance(table, dict) or not _SHA256.fullmatch(str(table.get("sha256"))):
            raise _fail(where, f"table {kind} has no size and sha256")
        checked[kind] = {"size": _int(table, "size", where), "sha256": table["sha256"]}
    return {
        "slug": _slug(item, where), "version": _int(item, "version", where, 1),
        "title": _text(item, "title", where, LIMITS["title"]),
        "file": _file(item, "file", where),
        "localities_file": _file(item, "localities_file", where, optional=True),
        "published_by": _text(item, "published_by", where, LIMITS["by"]),
        "published_at": _time(item, "published_at", where),
        "note": _text(item, "note", where, LIMITS["note"]),
        "rows_valid": _int(item, "rows_valid", where),
        "rows_rejected": _int(item, "rows_rejected", where),
        "report": item["report"], **_retired(item, where), "tables": checked}


def _audit(item: dict, where: str) -> dict:
    return {"at": _time(item, "at", where), "actor": _text(item, "actor", where, LIMITS["by"]),
            "action": _text(item, "action", where, 32), "slug": _slug(item, where, optional=True),
            "version": _int(item, "version", where, 1, optional=True),
            "detail": _text(item, "detail", where)}


def check_manifest(manifest: object) -> Manifest:
    """The manifest, checked and with times parsed; ValueError saying what is wrong."""
    if not isinstance(manifest, dict):
        raise ValueError("not a record")
    if {k: manifest.get(k) for k in FORMAT} != FORMAT:
        found = f"{manifest.get('format')!r} {manifest.get('format_version')!r}"[:100]
        raise ValueError(f"format {found} is not {FORMAT['format']} {FORMAT['format_version']}")
    sets = [_dataset(item, f"dataset {n + 1}")
            for n, item in enumerate(_list(manifest, "datasets"))]
    slugs = [item["slug"] for item in sets]
    if len(set(slugs)) != len(slugs):
        raise ValueError("a dataset is listed twice")
    found = [_version(item, f"version {n + 1}")
             for n, item in enumerate(_list(manifest, "versions"))]
    keys = [(item["slug"], item["version"]) for item in found]
    if len(set(keys)) != len(keys):
        raise ValueError("a version is listed twice")
    if not {slug for slug, _ in keys} <= set(slugs):
        raise ValueError("a version of a dataset that is not listed")
    if not set(slugs) <= {slug for slug, _ in keys}:
        raise ValueError("a dataset without versions")
    return {"datasets": sets, "versions": found,
            "audit": [_audit(item, f"audit {n + 1}")
                      for n, item in enumerate(_list(manifest, "audit"))]}
