"""What the store says when it cannot do what was asked: a message code (``.message``,
rendered with ``.text(lang)``), English in ``str(exc)`` for logs and the command line."""

from __future__ import annotations

from datetime import datetime

from mapapp.model.catalog import Lang
from mapapp.model.messages import msg, render


class StoreError(Exception):
    """A request the store refuses or cannot carry out; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(render(message, "en"))
        self.message = message

    def text(self, lang: Lang = "en") -> str:
        return render(self.message, lang)


class StoreUnavailable(StoreError):
    """The database cannot be reached, or stayed locked longer than the store waits."""


class DatasetNotFound(StoreError):
    """No dataset of that name, or no such version of it."""


class InvalidSlug(StoreError):
    """A dataset name or reference that breaks the rule (the message names both)."""


class Retired(StoreError):
    """The dataset (``version`` None) or one version of it was retired: hidden, kept."""

    def __init__(self, slug: str, version: int | None, by: str, at: datetime) -> None:
        super().__init__(retired_message(slug, version, by, at))
        self.slug, self.version, self.by, self.at = slug, version, by, at


def when(at: datetime) -> str:
    """A moment as messages show it: UTC, to the minute."""
    return at.strftime("%Y-%m-%d %H:%M UTC")


def retired_message(slug: str, version: int | None, by: str, at: datetime) -> str:
    if version is None:
        return msg("store_retired", slug=slug, by=by, at=when(at))
    return msg("store_version_retired", slug=slug, version=version, by=by, at=when(at))
