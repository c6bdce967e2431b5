"""What every command of the command line shares: exit codes, the error a user can fix,
the messages' language, and reading an input file within the readers' limits."""

from __future__ import annotations

import argparse
import errno
import os
from pathlib import Path

from mapapp.model.messages import msg

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEBUG_HINT = "run again with --debug for the traceback"


class CliError(Exception):
    """A failure the user can fix; the message says how (exit 2). Its message may be a
    message code (``messages.msg``): ``str(exc)`` is then its English text."""

    def text(self, lang: str = "en") -> str:
        from mapapp.model.messages import render

        return render(str(self.args[0]) if self.args else "", lang)

    def __str__(self) -> str:
        return self.text("en")


def env_lang(environ=None) -> str:
    """The messages' language when --lang is not given: LANG es* → "es", else "en"."""
    value = (os.environ if environ is None else environ).get("LANG", "")
    return "es" if value.lower().startswith("es") else "en"


def message_lang(args: argparse.Namespace) -> str:
    return getattr(args, "lang", None) or env_lang()


def read_file(path: Path) -> bytes:
    """A file's bytes, refusing early (by its size on disk) what the reader would refuse."""
    from mapapp.ingest.limits import MAX_BYTES

    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_BYTES:
                raise CliError(msg("cli_too_large", file=path.name,
                                   mb=round(size / 1024 / 1024), limit=MAX_BYTES // 1024 // 1024))
            return file.read(MAX_BYTES + 1)  # bounded even for a pipe; the reader refuses
    except IsADirectoryError as exc:
        raise CliError(msg("cli_folder", path=str(path))) from exc
    except OSError as exc:
        raise CliError(msg("cli_cannot_read", path=str(path),
                           error=str(exc.strerror or exc))) from exc


def disk_hint(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return " (the disk is full: free some space or write elsewhere)"
    return ""
