"""What the map shows: the bundled demo, or the user's own files, as one value."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd

from mapapp.demo import LOCALITIES_FILE, RESULTS_FILE
from mapapp.localities import LocalityReport, read_localities
from mapapp.reader import UnreadableFileError
from mapapp.results import ValidationReport, read_results


@dataclass(frozen=True)
class Dataset:
    key: str  # changes whenever the data does; caches are keyed on it
    results: pd.DataFrame
    localities: pd.DataFrame | None
    results_demo: bool
    localities_demo: bool
    name: str

    @property
    def demo(self) -> bool:
        """Any demo data on screen means the demo label shows."""
        return self.results_demo or (self.localities is not None and self.localities_demo)

    @property
    def years(self) -> tuple[int, int]:
        if self.results.empty:
            return 2018, 2022
        return int(self.results["year"].min()), int(self.results["year"].max())


@dataclass(frozen=True)
class Upload:
    """The outcome of one uploaded file: a report, or why it could not be read."""

    dataset: Dataset | None
    report: ValidationReport | LocalityReport | None
    error: str | None


@lru_cache(maxsize=1)
def demo_dataset() -> Dataset:
    report = read_results(RESULTS_FILE.read_bytes(), RESULTS_FILE.name)
    localities = pd.read_csv(LOCALITIES_FILE, dtype={"ubigeo": str})
    return Dataset("demo", report.valid, localities, True, True, "demo")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _upload(read, data: bytes, filename: str, make) -> Upload:
    """Read a file; ``make(report)`` builds the new dataset when any row is valid."""
    try:
        report = read(data, filename)
    except UnreadableFileError as exc:
        return Upload(None, None, str(exc))
    return Upload(make(report) if report.rows_valid else None, report, None)


def with_results(current: Dataset, data: bytes, filename: str) -> Upload:
    """The user's results replace the demo's (and the demo's localities with them)."""
    keep = current.localities if not current.localities_demo else None
    key = f"r{_digest(data)}-{current.key if keep is not None else ''}"
    return _upload(read_results, data, filename, lambda report: Dataset(
        key, report.valid, keep, False, current.localities_demo, filename))


def with_localities(current: Dataset, data: bytes, filename: str) -> Upload:
    """The user's localities replace the demo's; the results stay as they are."""
    return _upload(read_localities, data, filename, lambda report: replace(
        current, key=f"{current.key}-l{_digest(data)}",
        localities=report.valid.drop(columns="row"), localities_demo=False))
