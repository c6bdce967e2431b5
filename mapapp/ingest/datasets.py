"""What the map shows: the bundled demo, or the user's own files, as one value.

The app reads an upload of ``CHILD_READ_BYTES`` or more in a short-lived child
process (``in_child=True``): reading makes millions of small objects, and Python's
allocator keeps arenas that a few long-lived objects pin, for the server's life
(freed but fragmented: ~70 MB per 49.6 MB file with the streaming reader, ~500 MB
with the reader before it, more when sessions read at the same time). When the
child exits, all of it goes back to the system; the server only keeps the report.
At most ``MAX_CHILD_READERS`` children read at once, so the memory that reading
takes is bounded however many sessions upload at the same time (bench/upload_memory.py).
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from mapapp.boundaries.geodata import DEMO_LOCALITIES_FILE, DEMO_RESULTS_FILE
from mapapp.ingest.localities import LocalityReport, read_localities
from mapapp.ingest.results import ValidationReport, read_results
from mapapp.ingest.table import UnreadableFileError
from mapapp.model.catalog import PROGRAM_YEARS, Lang
from mapapp.model.messages import msg, render
from mapapp.model.provenance import DataShown, Publication

LOG = logging.getLogger(__name__)
DEMO_KEY = "demo"
CHILD_READ_BYTES = int(float(os.environ.get("MAPAPP_CHILD_READ_MB", "1")) * 1024 * 1024)
MAX_CHILD_READERS = max(1, int(os.environ.get("MAPAPP_UPLOAD_READERS", "1")))
CHILD_TIMEOUT_S = float(os.environ.get("MAPAPP_READ_TIMEOUT_S", "600"))
_READERS = {"results": read_results, "localities": read_localities}
_CHILD_SLOTS = threading.BoundedSemaphore(MAX_CHILD_READERS)
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Dataset:
    key: str  # changes whenever the data does; caches are keyed on it
    results: pd.DataFrame
    localities: pd.DataFrame | None
    results_demo: bool
    localities_demo: bool
    name: str
    publication: Publication | None = None  # a published version, as exports cite it

    @property
    def demo(self) -> bool:
        """Any demo data on screen means the demo label shows."""
        return self.results_demo or (self.localities is not None and self.localities_demo)

    @property
    def years(self) -> tuple[int, int]:
        """The years the results cover (the program's, for results without rows): the
        one year span of the page's slider, the links' check and every subtitle."""
        if self.results.empty:
            return PROGRAM_YEARS
        return int(self.results["year"].min()), int(self.results["year"].max())

    @property
    def shown(self) -> DataShown:
        """What renderers and exports say about this data (demo label, credits, years)."""
        return DataShown(demo=self.demo, years=self.years,
                         name="" if self.results_demo else self.name,
                         publication=self.publication)


@dataclass(frozen=True)
class Upload:
    """The outcome of one uploaded file: a report, or why it could not be read (``error``:
    a message code, shown with ``error_text(lang)``)."""

    dataset: Dataset | None
    report: ValidationReport | LocalityReport | None
    error: str | None

    def error_text(self, lang: Lang = "en") -> str | None:
        return None if self.error is None else render(self.error, lang)


@lru_cache(maxsize=1)
def demo_dataset() -> Dataset:
    report = read_results(DEMO_RESULTS_FILE.read_bytes(), DEMO_RESULTS_FILE.name)
    localities = pd.read_csv(DEMO_LOCALITIES_FILE, dtype={"ubigeo": str})
    return Dataset(DEMO_KEY, report.valid, localities, True, True, "demo")


Source = bytes | Path  # a file's bytes, or the path of a copy of them (see spooled)


def _digest(data: Source) -> str:
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()[:16]
    with data.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:16]


def _size(data: Source) -> int:
    return len(data) if isinstance(data, bytes) else data.stat().st_size


@contextmanager
def spooled(data: bytes) -> Iterator[Path]:
    """The bytes in a temporary file, deleted afterwards: a caller that then lets go of
    its bytes holds none of them while the file is read (in a child process)."""
    with tempfile.TemporaryDirectory(prefix="mapapp-upload-") as folder:
        path = Path(folder, "upload")
        path.write_bytes(data)
        yield path


def _upload(kind: str, data: Source, filename: str, make, in_child: bool) -> Upload:
    """Read a file; ``make(report)`` builds the new dataset when any row is valid."""
    try:
        if in_child and _size(data) >= CHILD_READ_BYTES:
            report = read_in_child(kind, data, filename)
        else:
            report = _READERS[kind](data if isinstance(data, bytes) else data.read_bytes(),
                                    filename)
    except UnreadableFileError as exc:
        return Upload(None, None, exc.message)
    return Upload(make(report) if report.rows_valid else None, report, None)


def with_results(current: Dataset, data: Source, filename: str, *,
                 in_child: bool = False) -> Upload:
    """The user's results replace the demo's (and the demo's localities with them)."""
    keep = current.localities if not current.localities_demo else None
    key = f"r{_digest(data)}-{current.key if keep is not None else ''}"
    return _upload("results", data, filename, lambda report: Dataset(
        key, report.valid, keep, False, current.localities_demo, filename), in_child)


def with_localities(current: Dataset, data: Source, filename: str, *,
                    in_child: bool = False) -> Upload:
    """The user's localities replace the demo's; the results stay as they are."""
    key = f"{current.key}-l{_digest(data)}"
    return _upload("localities", data, filename, lambda report: replace(
        current, key=key,
        localities=report.valid.drop(columns="row"), localities_demo=False), in_child)


# --- reading in a child process ---------------------------------------------------

_CHILD_CODE = "from mapapp.ingest.datasets import child_main; child_main()"


def read_in_child(kind: str, data: Source, filename: str):
    """``read_results``/``read_localities`` run in a fresh Python process: the same
    report (or ``UnreadableFileError``), with the reading's memory returned to the
    system when the child exits. Waits for a free slot (``MAX_CHILD_READERS``)."""
    with _CHILD_SLOTS, tempfile.TemporaryDirectory(prefix="mapapp-read-") as folder:
        target = Path(folder, "report.pickle")
        if isinstance(data, bytes):
            source = Path(folder, "upload")
            source.write_bytes(data)
        else:
            source = data
        request = json.dumps({"kind": kind, "source": str(source), "target": str(target),
                              "filename": filename})
        path = os.environ.get("PYTHONPATH")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(_PACKAGE_PARENT)] + ([path] if path else [])))
        try:
            done = subprocess.run([sys.executable, "-c", _CHILD_CODE], input=request.encode(),
                                  capture_output=True, env=env, timeout=CHILD_TIMEOUT_S,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise UnreadableFileError(msg("read_timeout", file=filename,
                                          seconds=round(CHILD_TIMEOUT_S))) from None
        if done.returncode != 0 or not target.exists():
            LOG.error("reading %r in a child process failed (exit %s): %s", filename,
                      done.returncode, done.stderr.decode(errors="replace")[-4000:])
            raise UnreadableFileError(msg(
                "read_failed_memory" if done.returncode == -9 else "read_failed",
                file=filename))
        with target.open("rb") as handle:
            status, value = pickle.load(handle)  # our own child's output
    if status == "unreadable":
        raise UnreadableFileError(value)
    if status != "ok":
        raise RuntimeError(f"reading {filename} failed in a child process:\n{value}")
    return value


def child_main() -> None:
    """The child's side of ``read_in_child``: a JSON request on standard input, the
    pickled outcome in the target file."""
    import traceback

    request = json.loads(sys.stdin.read())
    data = Path(request["source"]).read_bytes()
    try:
        outcome = ("ok", _READERS[request["kind"]](data, request["filename"]))
    except UnreadableFileError as exc:
        outcome = ("unreadable", exc.message)  # the code: the parent renders it
    except Exception:  # the parent raises it, with the traceback
        outcome = ("error", traceback.format_exc())
    with open(request["target"], "wb") as handle:
        pickle.dump(outcome, handle, protocol=pickle.HIGHEST_PROTOCOL)


# --- giving memory back -----------------------------------------------------------

@lru_cache(maxsize=1)
def _malloc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


def release_memory() -> None:
    """Collect cycles and hand the C heap's free pages back to the system (glibc keeps
    them otherwise, and the server's RSS would stay at its highest)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
