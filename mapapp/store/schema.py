"""The store's tables at the newest schema revision (SQLAlchemy Core). Migrations under
``migrations/versions`` build them step by step and keep their own copies of each
step's columns: a migration must not change when this file does."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

METADATA = sa.MetaData()


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on both databases: PostgreSQL keeps the zone
    (timestamptz); SQLite has none, so it stores naive UTC and gets UTC attached."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime: give it a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _retired() -> list[sa.Column]:
    return [sa.Column("retired_by", sa.String(200)), sa.Column("retired_at", UTCDateTime())]


meta = sa.Table(  # the store's own facts: its id (caches are keyed by it)
    "store_meta", METADATA,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False))

datasets = sa.Table(
    "datasets", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(63), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    *_retired())

versions = sa.Table(
    "versions", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("file_size", sa.BigInteger, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("localities_file_name", sa.Text),
    sa.Column("localities_file_size", sa.BigInteger),
    sa.Column("localities_file_sha256", sa.String(64)),
    sa.Column("published_by", sa.String(200), nullable=False),
    sa.Column("published_at", UTCDateTime(), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("rows_valid", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    sa.Column("report", sa.Text, nullable=False),  # JSON: frames.summary
    *_retired(),
    sa.UniqueConstraint("dataset_id", "number", name="uq_versions_dataset_number"))

version_data = sa.Table(  # a version's tables, Parquet (frames.py says why)
    "version_data", METADATA,
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False))

audit = sa.Table(
    "audit", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("slug", sa.String(63)),
    sa.Column("version", sa.Integer),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("ix_audit_slug", "slug"))
