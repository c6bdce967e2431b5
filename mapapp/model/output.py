"""Safe output: files replaced atomically, JSON that every standard parser accepts."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import stat
from pathlib import Path


class NonFiniteNumberError(ValueError):
    """JSON output met an infinite or NaN number: validated data never holds one (a bug)."""


def strict_json(value: object, **options) -> str:
    """``json.dumps`` that refuses NaN and infinity instead of writing ``NaN``/``Infinity``."""
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError as exc:
        if "JSON compliant" not in str(exc):
            raise
        raise NonFiniteNumberError(
            "a number is infinite or not a number (NaN), which JSON cannot hold; validated "
            "data never has one, so please report this with the input file") from exc


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all or nothing.

    The bytes go to a temp file in the same folder (a rename cannot cross file systems),
    are flushed to disk (a full disk often shows only then), and the temp file is renamed
    over ``path``. On any failure it is removed and ``path`` is left as it was; an
    ``OSError`` names ``path``, not the temp file.
    """
    path = Path(path)
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            _write_in_place(path, data)  # /dev/null, a pipe: written to, never replaced
        else:
            _write_via_temp(path, data)
    except OSError as exc:
        exc.filename, exc.filename2 = str(path), None
        raise


def _write_in_place(path: Path, data: bytes) -> None:
    with open(path, "wb") as file:
        file.write(data)


def _write_via_temp(path: Path, data: bytes) -> None:
    fd, temp = _new_temp(path)
    try:
        with open(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):  # a replaced file keeps its mode
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _new_temp(path: Path) -> tuple[int, Path]:
    """A new hidden file beside ``path``, with the mode a plain ``open`` gives (0o666 less
    the umask, applied by the system: no umask juggling, which would race with threads)."""
    for _ in range(10):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with contextlib.suppress(FileExistsError):
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temp
    raise FileExistsError(errno.EEXIST, "no free name for a temporary file", str(path.parent))
