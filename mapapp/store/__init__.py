"""Published datasets (floor 4, beside analysis: imports model, ingest, boundaries only).

A publisher's validated upload becomes version N of a named dataset: its tidy rows, its
reports and the original files' facts, immutable; a new upload under the name is N+1.
SQLite by default (``default_url``), PostgreSQL with ``MAPAPP_DATABASE_URL``; the schema
is migrated on open (Alembic); nothing is deleted (``retire`` hides); every change is
in the audit; ``backup``/``restore`` move a whole store as one zip.
"""

from mapapp.store.caches import LATEST_TTL_S
from mapapp.store.errors import (
    DatasetNotFound,
    InvalidSlug,
    Retired,
    StoreError,
    StoreUnavailable,
)
from mapapp.store.records import (
    AuditEntry,
    DatasetInfo,
    FileInfo,
    Published,
    StoredVersion,
    VersionInfo,
)
from mapapp.store.refs import LIMITS, SLUG_RULE, check_slug, default_url, parse_ref
from mapapp.store.store import Store

__all__ = [
    "LATEST_TTL_S",
    "LIMITS",
    "SLUG_RULE",
    "AuditEntry",
    "DatasetInfo",
    "DatasetNotFound",
    "FileInfo",
    "InvalidSlug",
    "Published",
    "Retired",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoredVersion",
    "VersionInfo",
    "check_slug",
    "default_url",
    "parse_ref",
]
