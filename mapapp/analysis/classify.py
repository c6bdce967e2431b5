"""Class breaks and colours for choropleths: ``classify(values, scheme, k, palette)``.

Deterministic for the same input (the same map must be built for the same
view, or the page reruns forever), and "no data" is a class of its own,
distinct from zero.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from branca.utilities import color_brewer

from mapapp.model.view import K_RANGE, PALETTES, SCHEMES

NO_DATA_COLOR = "#d9d9d9"  # symbology.COLORS.no_data (defined here: symbology imports us)
JENKS_SAMPLE = 300  # Fisher-Jenks is O(k·n²): above this many values, break a quantile sample


class ClassificationError(ValueError):
    pass


@dataclass(frozen=True)
class Classes:
    """``bounds[i]`` to ``bounds[i + 1]`` is class i, coloured ``colors[i]``."""

    bounds: tuple[float, ...]
    colors: tuple[str, ...]

    def class_of(self, value: float | None) -> int:
        """Index of the value's class; -1 for no data."""
        if value is None or math.isnan(value):
            return -1
        index = int(np.searchsorted(self.bounds[1:-1], value, side="left"))
        return min(index, len(self.colors) - 1)

    def color_of(self, value: float | None) -> str:
        index = self.class_of(value)
        return NO_DATA_COLOR if index < 0 else self.colors[index]


def classify(values, scheme: str = "quantiles", k: int = 5, palette: str = "YlGnBu") -> Classes:
    """Break ``values`` (NaN = no data) into at most ``k`` classes of ``scheme``."""
    if scheme not in SCHEMES:
        raise ClassificationError(f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if k not in K_RANGE:
        raise ClassificationError(f"k={k} classes is outside {K_RANGE.start}–{K_RANGE.stop - 1}")
    if palette not in PALETTES:
        raise ClassificationError(f"unknown palette {palette!r}; choose one of "
                                  f"{', '.join(PALETTES)}")
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return Classes(bounds=(), colors=())
    distinct = np.unique(y)
    k = min(k, distinct.size)
    if k <= 1:
        return Classes(bounds=(float(y.min()), float(y.max())), colors=(_palette(palette, 3)[-1],))
    uppers = _upper_bounds(y, distinct, scheme, k)
    bounds = (float(y.min()), *uppers)
    return Classes(bounds=bounds, colors=tuple(_palette(palette, len(bounds) - 1)))


CHANGE_PALETTE = "RdBu"  # diverging, colour-blind safe: red less, blue more


def classify_change(values, k: int = 5) -> Classes:
    """``k`` classes of a change centred on zero: the same bounds on both sides (quantiles
    of the size of the changes), an odd ``k`` with a neutral middle class around zero."""
    if k not in K_RANGE:
        raise ClassificationError(f"k={k} classes is outside {K_RANGE.start}–{K_RANGE.stop - 1}")
    y = np.asarray(values, dtype=float)
    sizes = np.abs(y[np.isfinite(y)])
    sizes = sizes[sizes > 0]
    if sizes.size == 0:
        return Classes(bounds=(0.0, 0.0), colors=_diverging(1)) \
            if np.isfinite(y).any() else Classes(bounds=(), colors=())
    side = k // 2
    steps = side + 1 if k % 2 else side
    cuts = np.quantile(sizes, [i / steps for i in range(1, steps + 1)])
    positive = [float(c) for c in np.unique(cuts) if c > 0]
    middle = [] if k % 2 else [0.0]
    bounds = (*(-c for c in reversed(positive)), *middle, *positive)
    return Classes(bounds=bounds, colors=_diverging(len(bounds) - 1))


def _diverging(n: int) -> tuple[str, ...]:
    """n colours of the change palette, symmetric (ColorBrewer starts at 3): one class
    is the neutral middle, two are the ends."""
    colors = color_brewer(CHANGE_PALETTE, max(n, 3))
    return {1: (colors[1],), 2: (colors[0], colors[-1])}.get(n, tuple(colors))


def _upper_bounds(y: np.ndarray, distinct: np.ndarray, scheme: str, k: int) -> tuple[float, ...]:
    import mapclassify  # ~1.7 s (scipy, scikit-learn, matplotlib): only where classes are made

    if scheme == "natural_breaks":
        sample = distinct if distinct.size <= JENKS_SAMPLE else \
            np.quantile(y, np.linspace(0, 1, JENKS_SAMPLE))
        with warnings.catch_warnings():  # "Numba not installed": the sample keeps it quick
            warnings.simplefilter("ignore", UserWarning)
            bins = mapclassify.FisherJenks(sample, k=k).bins
    elif scheme == "quantiles":
        bins = mapclassify.Quantiles(y, k=k).bins
    else:
        bins = mapclassify.EqualInterval(y, k=k).bins
    uppers = sorted({float(b) for b in bins})
    uppers[-1] = float(y.max())
    return tuple(uppers)


def _palette(name: str, n: int) -> list[str]:
    """ColorBrewer colours for n classes (ColorBrewer starts at 3)."""
    colors = color_brewer(name, max(n, 3))
    return colors[-n:] if n < 3 else colors
