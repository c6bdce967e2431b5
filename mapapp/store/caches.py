"""Process-wide caches, shared by every Store object of a process (every session).

A version never changes once published, so its data is cached by (store id, slug,
version) for as long as there is room: no server has to be told of anything. Only
"which version is latest" changes; it is kept for at most LATEST_TTL_S seconds, so a
server sees another's publication that soon, and its own at once (publish and retire
forget the entry). The store id is a random id written when the database was made, so a
database replaced under the same URL never serves the old one's data.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

LATEST_TTL_S = 3.0
LOAD_CACHE_SIZE = max(1, int(os.environ.get("MAPAPP_STORE_CACHE_VERSIONS", "8")))


class Lru:
    """A small thread-safe LRU map (versions' frames: a few, each possibly large)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Expiring:
    """Values kept for ``ttl_s`` seconds (monotonic clock)."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._items: dict[Hashable, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] <= time.monotonic():
                self._items.pop(key, None)
                return None
            return found[1]

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            if len(self._items) > 10_000:  # slugs asked for once: drop what expired
                now = time.monotonic()
                self._items = {k: v for k, v in self._items.items() if v[0] > now}
            self._items[key] = (time.monotonic() + self.ttl_s, value)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


LOADED = Lru(LOAD_CACHE_SIZE)  # (store id, slug, version) → Loaded
LATEST = Expiring(LATEST_TTL_S)  # (store id, slug) → the latest version's number


def clear() -> None:
    """Forget everything (tests)."""
    LOADED.clear()
    LATEST.clear()
