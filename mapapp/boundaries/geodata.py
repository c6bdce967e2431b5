"""Boundary levels of Peru as built in ``geodata/``: load, look up, scope.

Everything here reads only the project's own ``geodata/`` folder (or the one
named by ``MAPAPP_GEODATA``); ``build_geodata`` writes it.
"""

from __future__ import annotations

import os
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd

Level = Literal["department", "province", "district"]
Detail = Literal["screen", "print"]
LEVELS: tuple[Level, ...] = ("department", "province", "district")
CODE_LENGTH: dict[str, int] = {"department": 2, "province": 4, "district": 6}
LEVEL_OF_LENGTH = {length: level for level, length in CODE_LENGTH.items()}

EDITION = "INEI 2007"
REPO_DIR = Path(__file__).resolve().parents[2]
GEODATA_DIR = Path(os.environ.get("MAPAPP_GEODATA", REPO_DIR / "geodata"))
STATIC_GEO_DIR = REPO_DIR / "static" / "geo"
MANIFEST_FILE = "manifest.json"
CAPITALS_FILE = "capitals.parquet"
AMAZON_SCOPE_FILE = "tables/amazon_scope.csv"
# The demo dataset, written by ``python -m mapapp build-demo`` (mapapp/builders/demo.py).
DEMO_RESULTS_FILE = GEODATA_DIR / "demo" / "results.csv"
DEMO_LOCALITIES_FILE = GEODATA_DIR / "demo" / "localities.csv"
REBUILD_HINT = "rebuild it with: python -m mapapp build-geodata ../shared/geodata-src"


class GeodataError(RuntimeError):
    """The built geodata is missing or unreadable; the message names the file and the fix."""


def shown_path(path: Path | str) -> str:
    """A path as messages show it, never where the server keeps things: relative to the
    repository, or to a geodata folder configured elsewhere (``$MAPAPP_GEODATA/...``)."""
    path = Path(path).resolve()
    for root, label in ((REPO_DIR, ""), (Path(GEODATA_DIR).resolve(), "$MAPAPP_GEODATA/")):
        if path.is_relative_to(root):
            return label + str(path.relative_to(root))
    return path.name


def boundary_path(level: str, detail: str = "screen", root: Path | None = None) -> Path:
    return (root or GEODATA_DIR) / "boundaries" / f"{level}-{detail}.parquet"


def context_path(detail: str = "screen", root: Path | None = None) -> Path:
    return (root or GEODATA_DIR) / "context" / f"countries-{detail}.parquet"


def _read_layer(path: Path):
    import geopandas as gpd  # heavy: imported only when a layer is needed

    if not path.exists():
        raise GeodataError(f"geodata file missing: {shown_path(path)}; {REBUILD_HINT}")
    try:
        return gpd.read_parquet(path)
    except Exception as exc:  # any parse failure means the same fix
        raise GeodataError(f"geodata file unreadable: {shown_path(path)} "
                           f"({type(exc).__name__}); {REBUILD_HINT}") from exc


@cache
def load_boundaries(level: Level, detail: Detail = "screen"):
    """GeoDataFrame of one level: ubigeo, name, parent codes, area_km2, geometry.

    Cached: callers must not modify the frame they get (copy it first).
    """
    if level not in CODE_LENGTH:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    return _read_layer(boundary_path(level, detail))


@cache
def load_context(detail: Detail = "screen"):
    """Countries around Peru (Natural Earth), for the offline basemap and static maps."""
    return _read_layer(context_path(detail))


@cache
def load_capitals():
    return _read_layer(GEODATA_DIR / CAPITALS_FILE)


@lru_cache(maxsize=1)
def places() -> pd.DataFrame:
    """Every department, province and district (with or without a shape), no geometry.

    Columns: ubigeo, level, name, department, province, department_name, province_name.
    """
    district = pd.DataFrame(load_boundaries("district", "screen").drop(columns="geometry"))
    province = pd.DataFrame(load_boundaries("province", "screen").drop(columns="geometry"))
    department = pd.DataFrame(load_boundaries("department", "screen").drop(columns="geometry"))
    frames = []
    for level, frame in (("department", department), ("province", province),
                         ("district", district)):
        frame = frame.assign(level=level)
        if "province" not in frame:
            frame["province"] = None
        frames.append(frame[["ubigeo", "level", "name", "department", "province"]])
    table = pd.concat(frames, ignore_index=True)
    dept_names = department.set_index("ubigeo")["name"]
    prov_names = province.set_index("ubigeo")["name"]
    table["department_name"] = table["department"].map(dept_names)
    table["province_name"] = table["province"].map(prov_names)
    return table


def place_name(ubigeo: str) -> str | None:
    match = places().loc[places()["ubigeo"] == ubigeo, "name"]
    return None if match.empty else str(match.iloc[0])


@lru_cache(maxsize=1)
def browser_file_versions() -> dict[str, str]:
    """Content hash of each shape file the browser loads (static/geo/NAME.json)."""
    import json

    path = GEODATA_DIR / MANIFEST_FILE
    if not path.exists():
        raise GeodataError(f"geodata file missing: {shown_path(path)}; {REBUILD_HINT}")
    try:
        versions = json.loads(path.read_text(encoding="utf-8"))["browser_files"]
        if not all(isinstance(versions[name], str) for name in (*LEVELS, "context")):
            raise TypeError("a version is not text")
    except (ValueError, KeyError, TypeError) as exc:  # garbage, or not our manifest
        raise GeodataError(f"geodata file unreadable: {shown_path(path)} "
                           f"({type(exc).__name__}); {REBUILD_HINT}") from exc
    return versions


@lru_cache(maxsize=1)
def amazon_scope() -> pd.DataFrame:
    """Departments in the Amazon (Ley 27037 art. 3): department, name, scope, source."""
    path = GEODATA_DIR / AMAZON_SCOPE_FILE
    if not path.exists():
        raise GeodataError(f"Amazon scope table missing: {shown_path(path)}; "
                           "restore it from git")
    try:
        table = pd.read_csv(path, dtype=str)
        table["department"].str.len()  # the one column everyone needs
    except (ValueError, KeyError) as exc:  # garbage (decode errors are ValueErrors)
        raise GeodataError(f"Amazon scope table unreadable: {shown_path(path)} "
                           f"({type(exc).__name__}); restore it from git") from exc
    return table


def amazon_departments() -> set[str]:
    return set(amazon_scope()["department"])
