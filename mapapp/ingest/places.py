"""Resolve a place given as ubigeo and/or names to a ubigeo of the boundary edition."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from mapapp.boundaries import geodata
from mapapp.boundaries.geodata import CODE_LENGTH, EDITION, LEVEL_OF_LENGTH
from mapapp.model.messages import msg
from mapapp.model.names import ascii_digits, normalize_key

# Leading words people put before a name: "Región San Martín", "Provincia de Lamas".
_PREFIX = re.compile(r"^(?:(?:gobierno )?region(?:al)? |departamento |provincia |distrito )"
                     r"(?:de |del )?")
# Department names people use that are not the INEI name.
DEPARTMENT_ALIASES = {
    "lima metropolitana": "15", "lima provincias": "15", "lima region": "15",
    "constitucional del callao": "07",  # "Provincia Constitucional del Callao"
}


@dataclass
class Resolution:
    ubigeo: str | None = None
    error: tuple[str, str] | None = None  # (column, message code: messages.msg)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def ubigeo_text(cell: object) -> str:
    """A ubigeo cell as digits: ``220501``, ``220501.0`` and ``' 220501 '`` agree."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip().removesuffix(".0")


class Allowance:
    """How many more times something costly may be done."""

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


class PlaceMatcher:
    """Looks places up in a ``geodata.places()`` table. Holds only that table's
    lookups (about 2,100 places): nothing it learns from files stays with it, so one
    matcher serves every file for the server's life (see ``resolver``)."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.by_code = places.set_index("ubigeo").to_dict("index")
        self.by_key: dict[tuple[str, str], list[str]] = {}
        for row in places.itertuples():
            key = (row.level, normalize_key(row.name))
            self.by_key.setdefault(key, []).append(row.ubigeo)
        for alias, code in DEPARTMENT_ALIASES.items():
            self.by_key.setdefault(("department", alias), [code])

    def resolve(self, ubigeo: object, department: object = None, province: object = None,
                district: object = None, *, suggest: Allowance | None = None) -> Resolution:
        """The place of a row's cells (blank cells count as absent). An unknown name
        gets a "did you mean" while ``suggest`` allows one (always, without it)."""
        names = tuple(_clean_name(v) for v in (department, province, district))
        code = ubigeo_text(ubigeo)
        return self._by_code(code, names) if code else self._by_names(*names, suggest)

    def resolver(self, most: int = 16_384,
                 suggestions: int = 200) -> Callable[..., Resolution]:
        """``resolve`` for one file, to be dropped with it: the ``most`` places last
        looked up are cached (Peru has 2,100 places; a cache that outlived the file
        would keep every place text ever uploaded), and only the first
        ``suggestions`` unknown names get a "did you mean" (each compares the name with
        every name of its level, ~3 ms: a million distinct names would take an hour)."""
        allowance = Allowance(suggestions)

        @lru_cache(maxsize=most, typed=True)  # typed: True and 1 are different cells
        def resolve(ubigeo: object, department: object = None, province: object = None,
                    district: object = None) -> Resolution:
            return self.resolve(ubigeo, department, province, district, suggest=allowance)

        return resolve

    def _by_code(self, code: str, names: tuple[str, str, str]) -> Resolution:
        result = Resolution()
        if not ascii_digits(code) or len(code) > 6:
            result.error = ("ubigeo", msg("ubigeo_bad", code=repr(code)))
            return result
        if len(code) in (1, 3, 5):
            restored = code.zfill(len(code) + 1)
            result.warnings.append(("ubigeo", msg("ubigeo_restored", code=code,
                                                  restored=restored)))
            code = restored
        if code not in self.by_code:
            level = LEVEL_OF_LENGTH[len(code)]
            result.error = ("ubigeo", msg("ubigeo_not_in_edition", code=code, level=level,
                                          edition=EDITION))
            return result
        result.ubigeo = code
        result.warnings.extend(self._name_mismatches(code, names))
        return result

    def _name_mismatches(self, code: str, names: tuple[str, str, str]) -> list[tuple[str, str]]:
        found = []
        for column, given, length in zip(("department", "province", "district"), names,
                                         (2, 4, 6), strict=True):
            if not given or len(code) < length:
                continue
            actual = self.by_code[code[:length]]["name"]
            if not self._same(column, given, code[:length]):
                found.append((column, msg("name_mismatch", column=column, given=repr(given),
                                          code=code[:length], actual=actual)))
        return found

    def _same(self, level: str, given: str, code: str) -> bool:
        return code in self.by_key.get((level, normalize_key(given)), [])

    def _by_names(self, department: str, province: str, district: str,
                  suggest: Allowance | None = None) -> Resolution:
        given = {"department": department, "province": province, "district": district}
        if not any(given.values()):
            return Resolution(error=("ubigeo", msg("no_place")))
        level = "district" if district else "province" if province else "department"
        candidates = self.by_key.get((level, normalize_key(given[level])), [])
        for parent, length in (("department", 2), ("province", 4)):
            if given[parent] and CODE_LENGTH[level] > length:
                candidates = [c for c in candidates if self._same(parent, given[parent],
                                                                    c[:length])]
        if len(candidates) == 1:
            return Resolution(ubigeo=candidates[0])
        where = self._where(given, level)
        if not candidates:
            return Resolution(error=(level, msg(
                "place_unknown", level=level, name=repr(given[level]), where=where,
                suggest=self._suggest(level, given[level], suggest))))
        listed = ", ".join(f"{c} ({self._path(c)})" for c in sorted(candidates)[:6])
        more = "…" if len(candidates) > 6 else ""
        return Resolution(error=(level, msg(
            "place_ambiguous", level=level, name=repr(given[level]), where=where,
            count=len(candidates), listed=listed + more)))

    def _where(self, given: dict[str, str], level: str) -> str | None:
        """Where a name was looked for (a message), or None."""
        parents = [msg("place_parent", level=p, name=repr(given[p]))
                   for p in ("province", "department")
                   if given[p] and p != level and CODE_LENGTH[p] < CODE_LENGTH[level]]
        return msg("place_where", parents=parents) if parents else None

    def _path(self, code: str) -> str:
        return ", ".join(self.by_code[code[:n]]["name"] for n in (2, 4, 6) if n <= len(code))

    def _suggest(self, level: str, name: str, allowance: Allowance | None) -> str | None:
        """A "did you mean" (a message), or None."""
        if allowance is not None and not allowance.take():
            return None
        keys = [k for (lvl, k) in self.by_key if lvl == level]
        close = difflib.get_close_matches(normalize_key(name), keys, n=3, cutoff=0.8)
        return msg("did_you_mean", names=[repr(c.title()) for c in close]) if close else None


@lru_cache(maxsize=1)
def default_matcher() -> PlaceMatcher:
    """The matcher of the boundary edition's places, made on first use (it reads the
    places layer) and shared by every file. ``default_matcher.cache_clear()`` drops it,
    as when the geodata folder changes."""
    return PlaceMatcher(geodata.places())


def _clean_name(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value).strip()
    key = normalize_key(text)
    stripped = _PREFIX.sub("", key)
    if stripped != key and stripped:
        return stripped
    return text
