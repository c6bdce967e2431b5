"""What the store hands out: plain frozen values, safe to share between sessions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from mapapp.ingest.rows import REASONS, ROW, rendered_reasons
from mapapp.model.catalog import Lang
from mapapp.model.i18n import t


@dataclass(frozen=True)
class FileInfo:
    """The original file a version was validated from."""

    name: str
    size: int
    sha256: str

    @classmethod
    def of(cls, data: bytes, name: str) -> FileInfo:
        return cls(name, len(data), hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class Published:
    slug: str
    version: int
    rows_valid: int
    rows_rejected: int

    @property
    def ref(self) -> str:
        return f"{self.slug}@{self.version}"


@dataclass(frozen=True)
class VersionInfo:
    slug: str
    title: str
    version: int
    file: FileInfo
    localities_file: FileInfo | None
    published_by: str
    published_at: datetime  # UTC
    note: str
    rows_valid: int
    rows_rejected: int
    retired_by: str | None
    retired_at: datetime | None

    @property
    def ref(self) -> str:
        return f"{self.slug}@{self.version}"

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


@dataclass(frozen=True)
class DatasetInfo:
    slug: str
    title: str
    versions: int
    latest: int | None  # the latest version not retired
    published_by: str | None  # of ``latest``
    published_at: datetime | None
    retired_by: str | None  # the whole dataset's retirement
    retired_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str  # publish | retire | restore | upgrade
    slug: str | None
    version: int | None
    detail: str  # JSON: what the action was about


@dataclass(frozen=True)
class StoredVersion:
    """A version's data. Its frames are shared (the load cache): copy before changing
    them in place. ``report`` is JSON-able (``frames.summary``): counts, totals, info, and
    the first ``REPORT_ISSUES`` errors and warnings as {row, column, code}; every issue is
    in ``issues()``."""

    info: VersionInfo
    results: pd.DataFrame
    localities: pd.DataFrame | None
    report: dict
    _read: Callable[[str], pd.DataFrame | None] = field(repr=False, compare=False)

    def rejected(self, kind: str = "results") -> pd.DataFrame:
        """The rejected rows table as stored: row, the cells as read, reasons (codes:
        ``RowReport.rejected_table``'s input). ``kind="localities"`` for the localities'."""
        return self._table(kind, "rejected")

    def rejected_table(self, lang: Lang = "en", kind: str = "results") -> pd.DataFrame:
        """The rejected rows as shown and downloaded (``RowReport.rejected_table``): row
        and reasons named in ``lang``, the reasons put into words in ``lang``."""
        table = self.rejected(kind).rename(columns={ROW: t(ROW, lang), REASONS: t(REASONS, lang)})
        table[t(REASONS, lang)] = rendered_reasons(table[t(REASONS, lang)], lang)
        return table

    def issues(self, kind: str = "results") -> pd.DataFrame:
        """Every error and warning: severity, row (<NA> for the whole file), column, code."""
        return self._table(kind, "issues")

    def _table(self, kind: str, part: str) -> pd.DataFrame:
        if kind not in ("results", "localities"):
            raise ValueError(f"kind must be 'results' or 'localities', not {kind!r}")
        name = part if kind == "results" else f"localities_{part}"
        table = self._read(name)
        if table is None:
            raise ValueError(f"{self.info.ref} has no localities")
        return table
