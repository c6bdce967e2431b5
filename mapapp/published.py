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

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from mapapp.ingest.datasets import Dataset
from mapapp.model.catalog import Lang
from mapapp.model.i18n import t
from mapapp.model.provenance import Publication
from mapapp.model.view import parse_data_ref
from mapapp.store import (
    DatasetNotFound,
    Retired,
    Store,
    StoreError,
    VersionInfo,
)

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
    dataset, else the demo. A dataset that cannot be shown (unknown, retired) gives a
    note and the next choice; a store that cannot be reached, the version last seen
    (with a note) or the demo — never an exception."""
    notes: list[tuple[str, str]] = []
    for asked in (ref, default):
        if not asked:
            continue
        if store is None:  # it could not be opened when the page asked
            return PageData(None, None, (*notes, (asked, t("store_unavailable_note", lang))),
                            store_down=True)
        try:
            return replace(_asked(store, asked, lang, publisher), notes=tuple(notes))
        except Retired as exc:
            notes.append((asked, retired_note(exc, lang)))
        except (DatasetNotFound, ValueError):
            notes.append((asked, t("dataset_unknown", lang)))
        except StoreError as exc:  # unreachable (or damaged): what this process last saw
            seen = _last_seen(store, asked)
            note = (asked, exc.text(lang) if seen is None else
                    t("store_down_cached", lang).format(ref=seen[1].ref))
            if seen is not None:
                return PageData(seen[0], seen[1], (*notes, note), asked, store_down=True)
            return PageData(None, None, (*notes, note), store_down=True)
    return PageData(None, None, tuple(notes))


def _asked(store: Store, asked: str, lang: Lang, publisher: bool) -> PageData:
    """The published version ``asked`` names (a publisher also gets a retired one)."""
    slug, version = parse_data_ref(asked)
    try:
        info = store.resolve(slug, version)
        retired = False
    except Retired as exc:
        if not (publisher and exc.version is not None):
            raise
        info = next(v for v in store.versions(slug) if v.version == exc.version)
        retired = True
    dataset = published_dataset(store, info)
    with _LOCK:
        _SEEN[(store.url_for_display, asked)] = info
    return PageData(dataset, info, (), asked, retired_shown=retired)


def retired_note(exc: Retired, lang: Lang) -> str:
    return t("dataset_retired", lang).format(by=exc.by, date=exc.at.date().isoformat())


def published_dataset(store: Store, info: VersionInfo) -> Dataset:
    """The version as the map's data, built once per process (it never changes)."""
    key = (store.url_for_display, info.slug, info.version)
    with _LOCK:
        dataset = _DATASETS.get(key)
        if dataset is not None:
            _DATASETS.move_to_end(key)
            return dataset
    stored = store.load(info.slug, info.version, allow_retired=True)
    localities = stored.localities
    dataset = Dataset(
        key=f"{PUBLISHED_PREFIX}{key[0]}:{info.slug}@{info.version}", results=stored.results,
        localities=None if localities is None else localities.drop(columns="row",
                                                                   errors="ignore"),
        results_demo=False, localities_demo=False, name=info.title,
        publication=Publication(info.title, info.slug, info.version,
                                info.published_at.date().isoformat()))
    with _LOCK:  # sessions that missed at once keep the first copy: one object per version
        dataset = _DATASETS.setdefault(key, dataset)
        while len(_DATASETS) > KEEP_DATASETS:
            _DATASETS.popitem(last=False)
    return dataset


def _last_seen(store: Store, asked: str) -> tuple[Dataset, VersionInfo] | None:
    """What this process last showed for ``asked``, if its data is still held."""
    with _LOCK:
        info = _SEEN.get((store.url_for_display, asked))
        held = info and _DATASETS.get((store.url_for_display, info.slug, info.version))
    return (held, info) if held else None


# Versions' datasets built, and the version each asked value last resolved to: while the
# store cannot be reached (a database restart), pages keep showing what they showed.
KEEP_DATASETS = 8
_DATASETS: OrderedDict[tuple[str, str, int], Dataset] = OrderedDict()
_SEEN: dict[tuple[str, str], VersionInfo] = {}
_LOCK = threading.Lock()


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
