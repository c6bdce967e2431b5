"""Which data a page shows, when it is not the session's own upload: a published
dataset that a link names (``data=slug``, its latest version, or ``data=slug@N``), the
configured default dataset, or the demo. Plain functions: the page, the CLI and the
tests call them the same way.

A version never changes, so its ``Dataset`` is built once per process and shared by
every session (its views go to the shared caches, like the demo's); only "which
version is latest" is asked again, and the store answers that from a cache of a few
seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mapapp.ingest.datasets import Dataset
from mapapp.model.catalog import Lang
from mapapp.model.i18n import t
from mapapp.model.provenance import Publication
from mapapp.model.view import parse_data_ref
from mapapp.store import DatasetNotFound, Retired, Store, StoreError, VersionInfo

PUBLISHED_PREFIX = "pub:"  # a published version's dataset key starts with it


@dataclass(frozen=True)
class PageData:
    """The data a page shows and what to say about how it got there."""

    dataset: Dataset | None  # None: the demo (the caller loads it, and says if it can't)
    info: VersionInfo | None = None  # the published version shown, if one is
    # Why an asked dataset is not the one shown: (the value asked, the reason, in words).
    notes: tuple[tuple[str, str], ...] = ()
    ref: str | None = None  # which of the asked values is shown (a link's, the default)
    retired_shown: bool = False  # a retired version, shown to a publisher
    store_down: bool = False  # the store could not answer: the link may work later


def page_data(ref: str | None, default: str | None, lang: Lang, store: Store | None, *,
              publisher: bool = False) -> PageData:
    """The data for a link's ``data`` value (``ref``), else for the configured default
    dataset, else the demo. A dataset that cannot be shown (unknown, retired, a store
    that cannot be reached) gives a note and the next choice, never an exception."""
    notes: list[tuple[str, str]] = []
    for asked in (ref, default):
        if not asked:
            continue
        if store is None:
            return PageData(None, None, (*notes, (asked, t("store_unavailable_note", lang))),
                            store_down=True)
        try:
            slug, version = parse_data_ref(asked)
            info = store.resolve(slug, version)
            return PageData(published_dataset(store, info), info, tuple(notes), asked)
        except Retired as exc:
            if publisher and exc.version is not None:
                info = next(v for v in store.versions(slug) if v.version == exc.version)
                return PageData(published_dataset(store, info), info, tuple(notes), asked,
                                retired_shown=True)
            notes.append((asked, retired_note(exc, lang)))
        except (DatasetNotFound, ValueError):
            notes.append((asked, t("dataset_unknown", lang)))
        except StoreError as exc:
            return PageData(None, None, (*notes, (asked, exc.text(lang))), store_down=True)
    return PageData(None, None, tuple(notes))


def retired_note(exc: Retired, lang: Lang) -> str:
    return t("dataset_retired", lang).format(by=exc.by, date=exc.at.date().isoformat())


def published_dataset(store: Store, info: VersionInfo) -> Dataset:
    """The version as the map's data (built once per process: it never changes)."""
    return _dataset(store, store.url_for_display, info.slug, info.version)


@lru_cache(maxsize=8)
def _dataset(store: Store, database: str, slug: str, version: int) -> Dataset:
    stored = store.load(slug, version, allow_retired=True)
    info = stored.info
    localities = stored.localities
    return Dataset(
        key=f"{PUBLISHED_PREFIX}{database}:{slug}@{version}", results=stored.results,
        localities=localities, results_demo=False, localities_demo=False,
        name=info.title, publication=Publication(
            info.title, slug, version, info.published_at.date().isoformat()))


def is_publisher(email: str | None, publishers: list[str] | tuple[str, ...]) -> bool:
    """Whether a logged-in e-mail may publish: listed as it is, or its domain listed
    (``example.org`` or ``@example.org``); case does not matter."""
    if not email or "@" not in email:
        return False
    email = email.strip().lower()
    domain = email.rsplit("@", 1)[1]
    for entry in publishers:
        entry = str(entry).strip().lower()
        if entry and (entry == email or entry.lstrip("@") == domain):
            return True
    return False
