"""Answers a validator reads once per distinct cell (a year, an indicator, a value chain),
remembered for a bounded number of cells so that a hostile file cannot grow it."""

from __future__ import annotations

from collections.abc import Callable, Hashable

MOST_REMEMBERED = 10_000  # distinct cells remembered per lookup


class BoundedMemo:
    """``memo(cell, *context)`` is ``compute(cell, *context)``, computed once for each
    text or whole-number cell (the kinds that repeat down a column), for at most
    ``size`` distinct cells; other cells (floats, dates, None) are computed each time."""

    def __init__(self, compute: Callable[..., object], size: int = MOST_REMEMBERED) -> None:
        self.compute, self.size = compute, size
        self.known: dict[Hashable, object] = {}

    def __call__(self, cell: object, *context: Hashable) -> object:
        if type(cell) is not str and type(cell) is not int:
            return self.compute(cell, *context)
        key = (cell, *context) if context else cell
        found = self.known.get(key)
        if found is None:
            found = self.compute(cell, *context)
            if len(self.known) < self.size:
                self.known[key] = found
        return found
