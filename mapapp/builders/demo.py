"""The demo dataset: fact-sheet national totals, illustrative split.

``python -m mapapp build-demo`` writes ``geodata/demo/results.csv`` and
``geodata/demo/localities.csv`` from a fixed seed. National totals equal the
fact sheet (N for "> N" and "≈ N"); how they are spread over provinces,
districts, years and value chains is invented and must never pass for
official: the app and every export label it as demo data.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from mapapp.boundaries import geodata
from mapapp.model import catalog
from mapapp.model.output import write_atomic

SEED = 20182022
YEARS = (2018, 2019, 2020, 2021, 2022)
YEAR_WEIGHTS = np.array([0.12, 0.17, 0.21, 0.24, 0.26])
RESULTS_FILE, LOCALITIES_FILE = geodata.DEMO_RESULTS_FILE, geodata.DEMO_LOCALITIES_FILE
DEMO_DIR = RESULTS_FILE.parent

# Provinces where the demo places activity: an illustrative choice in the
# program's Amazon departments, not the program's real footprint.
PROGRAM_PROVINCES = (
    "2201 2202 2203 2204 2205 2206 2207 2208 2209 2210 "  # San Martín
    "1006 1007 1008 1009 "  # Huánuco
    "2501 2502 2503 "  # Ucayali
    "1601 1602 1604 "  # Loreto
    "0102 0103 0106 0107 "  # Amazonas
    "1203 1206 1903 0809 0504 0505 2112 1701"  # Junín, Pasco, Cusco, Ayacucho, Puno, MdD
).split()

# Relative weight of each value chain per department (illustrative).
CHAIN_AFFINITY = {
    "22": {"cacao": 5, "cafe": 4, "banano": 2, "madera": 1, "otros": 1},
    "10": {"cacao": 5, "cafe": 2, "banano": 2, "madera": 1, "otros": 1},
    "25": {"cacao": 4, "cafe": 1, "banano": 2, "madera": 3, "otros": 1},
    "16": {"cacao": 3, "cafe": 0, "banano": 3, "madera": 3, "otros": 2},
    "01": {"cacao": 2, "cafe": 5, "banano": 1, "madera": 1, "otros": 1},
    "12": {"cacao": 2, "cafe": 5, "banano": 1, "madera": 1, "otros": 1},
    "19": {"cacao": 2, "cafe": 4, "banano": 1, "madera": 2, "otros": 1},
    "08": {"cacao": 4, "cafe": 4, "banano": 0, "madera": 1, "otros": 1},
    "05": {"cacao": 5, "cafe": 3, "banano": 0, "madera": 0, "otros": 1},
    "21": {"cacao": 1, "cafe": 5, "banano": 0, "madera": 0, "otros": 1},
    "17": {"cacao": 2, "cafe": 0, "banano": 1, "madera": 4, "otros": 2},
}
CONNECTION_TYPES = tuple(catalog.CONNECTION_TYPES)
LOCALITY_NAMES = (
    "Nuevo Progreso", "Nueva Esperanza", "Santa Rosa", "San Juan", "Bello Horizonte",
    "Puerto Nuevo", "Alto Perú", "Villa Rica", "Nuevo San Martín", "Primavera",
    "Las Palmeras", "Monte Sinaí", "San Antonio", "Buenos Aires", "Unión Progreso",
    "Nuevo Jaén", "La Libertad", "Pampa Hermosa", "Shapaja", "Naranjal",
)
INSET_DEGREES = 0.003  # keep demo points well inside their district at both details


def program_districts() -> pd.DataFrame:
    districts = geodata.load_boundaries("district", "print")
    drawn = districts[districts.geometry.notna() & districts["province"].isin(PROGRAM_PROVINCES)]
    return drawn.sort_values("ubigeo", ignore_index=True)


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers proportional to ``weights`` that add up to ``total`` exactly
    (largest remainder)."""
    shares = weights / weights.sum() * total
    whole = np.floor(shares).astype(np.int64)
    remainder = total - int(whole.sum())
    order = np.argsort(-(shares - whole), kind="stable")
    whole[order[:remainder]] += 1
    return whole


def build_demo(out_dir: Path = DEMO_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(SEED)
    districts = program_districts()
    activity = rng.lognormal(0.0, 0.8, len(districts))
    localities = _localities(rng, districts, activity)
    results = pd.concat(_all_indicators(rng, districts, activity, localities),
                        ignore_index=True)
    names = geodata.places().set_index("ubigeo")
    results.insert(0, "department", results["ubigeo"].str[:2].map(names["name"]))
    results.insert(1, "province", results["ubigeo"].str[:4].map(names["name"]))
    results.insert(2, "district", results["ubigeo"].map(names["name"]))
    results = results.sort_values(["indicator", "ubigeo", "year", "value_chain"],
                                  ignore_index=True)
    # Counts are whole numbers: write them without a trailing ".0".
    results["value"] = pd.Series([int(v) if float(v).is_integer() else v
                                  for v in results["value"]], dtype=object)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Atomic: the app and the CLI never read a half-written demo.
    write_atomic(out_dir / RESULTS_FILE.name,
                 results.to_csv(index=False, quoting=csv.QUOTE_MINIMAL).encode("utf-8"))
    write_atomic(out_dir / LOCALITIES_FILE.name, localities.to_csv(index=False).encode("utf-8"))
    return results, localities


def _cells(districts: pd.DataFrame, activity: np.ndarray, chains: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for code, act in zip(districts["ubigeo"], activity, strict=True):
        affinity = CHAIN_AFFINITY[code[:2]]
        for year, year_weight in zip(YEARS, YEAR_WEIGHTS, strict=True):
            for chain in chains:
                weight = act * year_weight * (affinity[chain] if chain else 1)
                if weight > 0:
                    rows.append((code, year, chain, weight))
    return pd.DataFrame(rows, columns=["ubigeo", "year", "value_chain", "weight"])


def _spread(indicator: str, total: int, cells: pd.DataFrame) -> pd.DataFrame:
    values = apportion(total, cells["weight"].to_numpy())
    out = cells.assign(indicator=indicator, value=values)
    return out[out["value"] > 0].drop(columns="weight")


def _all_indicators(rng, districts, activity, localities) -> list[pd.DataFrame]:
    chains = tuple(catalog.VALUE_CHAINS)
    total = {i: int(ind.national_total()) for i, ind in catalog.INDICATORS.items()}
    frames = [
        _spread("families_supported", total["families_supported"],
                _cells(districts, activity, chains)),
        _spread("families_financed", total["families_financed"],
                _cells(districts, activity, ("cacao", "cafe", "banano"))),
        _spread("local_gov_funds_usd", total["local_gov_funds_usd"],
                _cells(districts, activity, ("",))),
    ]
    for figure in catalog.INDICATORS["hectares"].figures:
        frames.append(_spread("hectares", int(figure.value),
                              _cells(districts, activity, (figure.value_chain,))))
    finance = frames[1].assign(weight=lambda f: f["value"] * rng.uniform(0.6, 1.4, len(f)))
    frames.append(_spread("financing_usd", total["financing_usd"],
                          finance.drop(columns=["indicator", "value"])))
    connected = (localities.groupby(["ubigeo", "year"]).size().rename("value").reset_index()
                 .assign(value_chain="", indicator="connected_localities"))
    frames.append(connected)
    digital = connected.assign(weight=lambda f: f["value"] * rng.uniform(0.5, 1.5, len(f)))
    digital = digital.drop(columns=["indicator", "value"])
    for indicator in ("people_trained_digital", "people_trained_financial",
                      "enterprises_strengthened", "private_investment_internet_usd"):
        frames.append(_spread(indicator, total[indicator], digital))
    frames.append(_percentages(rng, "coca_free_share", _weights(frames, "hectares"),
                               90.0, 8.0, (55.0, 100.0)))
    families_2022 = _weights(frames, "families_supported")
    frames.append(_percentages(rng, "income_change_pct",
                               families_2022[families_2022["year"] == 2022],
                               97.5, 30.0, (20.0, 200.0)))
    return [f[["ubigeo", "year", "value_chain", "indicator", "value"]] for f in frames]


def _weights(frames: list[pd.DataFrame], indicator: str) -> pd.DataFrame:
    rows = pd.concat([f for f in frames if (f["indicator"] == indicator).all()])
    return rows.groupby(["ubigeo", "year"], as_index=False)["value"].sum()


def _percentages(rng, indicator: str, weights: pd.DataFrame, target: float, spread: float,
                 bounds: tuple[float, float]) -> pd.DataFrame:
    """Values around ``target`` whose mean, weighted as the app weights it, is ``target``."""
    w = weights["value"].to_numpy(dtype=float)
    v = np.clip(rng.normal(target, spread, len(w)), *bounds)
    for _ in range(50):  # shift towards the target; clipping makes it take a few passes
        v = np.clip(v + target - np.dot(v, w) / w.sum(), *bounds)
    v = np.round(v, 1)
    heaviest = int(np.argmax(w))
    rest = np.delete(np.arange(len(w)), heaviest)
    v[heaviest] = (target * w.sum() - np.dot(v[rest], w[rest])) / w[heaviest]
    v[heaviest] = round(float(v[heaviest]), 2)
    if not bounds[0] <= v[heaviest] <= bounds[1]:
        raise ValueError(f"{indicator}: cannot reach {target} within {bounds}; change SEED")
    return weights.assign(value=v, value_chain="", indicator=indicator)


def _localities(rng, districts: pd.DataFrame, activity: np.ndarray) -> pd.DataFrame:
    total = int(catalog.INDICATORS["connected_localities"].national_total())
    counts = apportion(total, activity * rng.uniform(0, 1, len(activity)) ** 2)
    screen = geodata.load_boundaries("district", "screen").set_index("ubigeo").geometry
    rows = []
    for (code, name, shape), count in zip(
            districts[["ubigeo", "name", "geometry"]].itertuples(index=False), counts, strict=True):
        inner = shape.buffer(-INSET_DEGREES).intersection(screen[code].buffer(-INSET_DEGREES))
        for point in _points_inside(rng, inner if not inner.is_empty else shape, count):
            rows.append({
                "name": f"{LOCALITY_NAMES[rng.integers(len(LOCALITY_NAMES))]} ({name})",
                "ubigeo": code, "lat": round(point.y, 5), "lon": round(point.x, 5),
                "year": int(rng.choice(YEARS, p=YEAR_WEIGHTS / YEAR_WEIGHTS.sum())),
                "connection_type": CONNECTION_TYPES[rng.integers(len(CONNECTION_TYPES))],
            })
    return pd.DataFrame(rows)


def _points_inside(rng, shape, count: int) -> list:
    minx, miny, maxx, maxy = shape.bounds
    points: list = []
    while len(points) < count:
        candidate = shapely.Point(round(rng.uniform(minx, maxx), 5),
                                  round(rng.uniform(miny, maxy), 5))
        if shape.contains(candidate):
            points.append(candidate)
    return points
