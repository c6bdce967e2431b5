"""Exports of the current view: PNG, standalone HTML, PPTX, CSV, XLSX, GeoJSON.

Plain functions over the same ``MapLayer`` the app shows; the CLI and the page
call ``export_view``. Every export carries the source, the boundaries'
attribution and licence, and the demo label when the data is the demo's.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd

from mapapp.analysis.layer import MapLayer, build_layer, filter_localities, subtitle, title
from mapapp.boundaries import geodata
from mapapp.model import catalog
from mapapp.model.output import strict_json
from mapapp.model.view import View
from mapapp.render.web_map import build_map

FORMATS = ("png", "html", "pptx", "csv", "xlsx", "geojson")
MIME = {"png": "image/png", "html": "text/html", "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "geojson": "application/geo+json"}
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
INLINE_BASE = "mapapp-inline:"
LICENCE = "Boundaries: MPL-2.0 (INEI 2007 via juaneladio/peru-geojson); context: Natural Earth"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_view(fmt: str, results: pd.DataFrame, view: View,
                localities: pd.DataFrame | None = None, *, demo: bool) -> bytes:
    """The file for ``fmt`` of what ``view`` shows of ``results``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    years = _years_in(results)
    located = filter_localities(localities, view) if localities is not None else None
    if fmt == "pptx":
        return pptx_deck(results, view, localities, demo=demo)
    layer = build_layer(results, view, "print" if fmt in ("png", "geojson") else "screen")
    if fmt == "png":
        from mapapp.render.png_map import render_png

        return render_png(layer, located, demo=demo, years_in_data=years)
    if fmt == "html":
        return standalone_html(layer, located, demo=demo, years_in_data=years).encode()
    if fmt == "geojson":
        return geojson_bytes(layer, demo=demo)
    table = place_table(layer, demo=demo, years_in_data=years)
    return csv_bytes(table) if fmt == "csv" else xlsx_bytes(table, layer.view.lang)


def _years_in(results: pd.DataFrame) -> tuple[int, int] | None:
    if results.empty:
        return None
    return int(results["year"].min()), int(results["year"].max())


def file_name(view: View, fmt: str) -> str:
    parts = [view.indicator, view.level, *view.chains, *((view.prov,) if view.prov else
                                                          view.depts)]
    if view.years:
        parts.append(f"{view.years[0]}-{view.years[1]}")
    return f"{'_'.join(parts)}_{view.lang}.{fmt}"


# --- HTML ---------------------------------------------------------------------------

def standalone_html(layer: MapLayer, localities: pd.DataFrame | None, *, demo: bool,
                    years_in_data: tuple[int, int] | None = None) -> str:
    """One file that opens with no network: shapes, Leaflet and our runtime inlined."""
    fmap = build_map(layer, localities, demo=demo, asset_base=INLINE_BASE,
                     heading=(title(layer.view), f"{subtitle(layer.view, years_in_data)} · "
                              f"{layer.unit}"))
    page = fmap.get_root().render()
    page = re.sub(r'<script src="mapapp-inline:([^"]+)"></script>',
                  lambda m: f"<script>{_vendor(m.group(1), script=True)}</script>", page)
    page = re.sub(r'<link rel="stylesheet" href="mapapp-inline:([^"]+)"/>',
                  lambda m: f"<style>{_vendor(m.group(1))}</style>", page)
    heading = _html_text(title(layer.view))
    return page.replace("<head>", f"<head>\n<title>{heading}</title>", 1)


def _vendor(relative: str, script: bool = False) -> str:
    path = (STATIC_DIR / relative.lstrip("/")).resolve()
    if not path.is_relative_to(STATIC_DIR):  # only our assets are ever inlined
        raise ValueError(f"{relative!r} is not a file of static/")
    text = path.read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script") if script else text


def _html_text(text: str) -> str:
    import html

    return html.escape(text)


# --- tables -------------------------------------------------------------------------

def place_table(layer: MapLayer, *, demo: bool,
                years_in_data: tuple[int, int] | None = None) -> pd.DataFrame:
    """One row per place of the view (no data included, empty), with the filters used."""
    view, lang = layer.view, layer.view.lang
    ind = catalog.INDICATORS[view.indicator]
    places = layer.places.sort_values("ubigeo").reset_index(drop=True)
    names = geodata.places().set_index("ubigeo")["name"]
    years = view.years or years_in_data
    table = pd.DataFrame({
        "ubigeo": places["ubigeo"].to_numpy(),
        "name": places["name"].to_numpy(),
        "level": view.level,
        "department": places["ubigeo"].str[:2].map(names).to_numpy(),
        "province": (places["ubigeo"].str[:4].map(names) if view.level != "department"
                     else pd.Series("", index=places.index)).to_numpy(),
        "indicator": ind.id,
        "indicator_label": ind.label[lang],
        "value": _whole_if_possible(places["value"]),
        "unit": ind.unit[lang],
        "rank": places["rank"].astype("Int64"),
        "share_of_total": places["share"].round(6).to_numpy(),
        "years": f"{years[0]}-{years[1]}" if years else "",
        "value_chains": ",".join(view.chains) if ind.by_value_chain else "",
        "areas": ",".join((view.prov,) if view.prov else view.depts),
        "amazon_only": view.amazon,
        "data": _data_label(lang, demo),
        "source": catalog.SOURCE_DOCUMENT[lang],
        "attribution": geodata.ATTRIBUTION[lang],
    })
    return table


def _whole_if_possible(values: pd.Series) -> pd.Series:
    """Counts as whole numbers (87200, not 87200.0); other values untouched."""
    finite = values.dropna()
    return values.astype("Int64") if (finite == finite.round()).all() else values


def _data_label(lang: catalog.Lang, demo: bool) -> str:
    from mapapp.builders.demo import DEMO_LABEL

    return DEMO_LABEL[lang] if demo else {"es": "Datos del usuario", "en": "User data"}[lang]


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe(table: pd.DataFrame) -> pd.DataFrame:
    safe = table.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(c) for c in safe.columns]
    return safe


def csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so that Excel shows the accents."""
    return _safe(table).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame, lang: catalog.Lang) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "data"
    safe = _safe(table)
    sheet.append(list(safe.columns))
    for row in safe.itertuples(index=False):
        sheet.append([None if pd.isna(v) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    sources = book.create_sheet("sources")
    for line in (("source", catalog.SOURCE_DOCUMENT[lang]),
                 ("boundaries", geodata.ATTRIBUTION[lang]),
                 ("licence", LICENCE), ("data", str(safe["data"].iloc[0]) if len(safe) else "")):
        sources.append(list(line))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def geojson_bytes(layer: MapLayer, *, demo: bool) -> bytes:
    view = layer.view
    ind = catalog.INDICATORS[view.indicator]
    places = layer.places[["ubigeo", "name", "value", "rank", "share", "geometry"]].copy()
    places["rank"] = places["rank"].astype("float")
    places["indicator"] = ind.id
    places["unit"] = ind.unit[view.lang]
    collection = json.loads(places.to_json(drop_id=True, na="null"))
    collection.update({
        "name": f"{title(view)} — {subtitle(view)}",
        "data": _data_label(view.lang, demo),
        "source": catalog.SOURCE_DOCUMENT[view.lang],
        "attribution": geodata.ATTRIBUTION[view.lang],
        "license": LICENCE,
    })
    # Strict: a non-finite value raises here rather than shipping a non-standard "Infinity".
    return strict_json(collection, ensure_ascii=False).encode("utf-8")


# --- PPTX ---------------------------------------------------------------------------

def pptx_deck(results: pd.DataFrame, view: View, localities: pd.DataFrame | None, *,
              demo: bool) -> bytes:
    """Title slide, goals/KPI slide, one map slide per value chain chosen (or one)."""
    from mapapp.render.deck import build_deck

    maps = []
    views = [replace(view, chains=(chain,)) for chain in view.chains] \
        if len(view.chains) > 1 and catalog.INDICATORS[view.indicator].by_value_chain else [view]
    for one in views:
        png = export_view("png", results, one, localities, demo=demo)
        maps.append((one, png))
    return build_deck(results, view, maps, demo=demo, years_in_data=_years_in(results))
