"""Exports of the current view: PNG, PDF, standalone HTML, PPTX, CSV, XLSX, GeoJSON.

Plain functions over the same ``MapLayer`` the app shows; the CLI and the page
call ``export_view``. Every export carries the source, the boundaries'
attribution and licence, and the demo label when the data is the demo's.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from mapapp.analysis.layer import MapLayer, build_layer
from mapapp.boundaries import geodata
from mapapp.model import catalog
from mapapp.model.output import strict_json
from mapapp.model.provenance import Credits
from mapapp.model.view import View
from mapapp.render.deck import build_deck
from mapapp.render.png_map import render_pdf, render_png
from mapapp.render.web_map import STATIC_DIR, build_map

if TYPE_CHECKING:
    from mapapp.ingest.datasets import Dataset

INLINE_BASE = "mapapp-inline:"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Format:
    """A file a view can be downloaded as: its media type and how it is made."""

    mime: str
    render: Callable[[Dataset, View], bytes]


def export_view(fmt: str, dataset: Dataset, view: View) -> bytes:
    """The ``fmt`` file of what ``view`` shows of ``dataset``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[fmt].render(dataset, view)


def file_name(view: View, fmt: str) -> str:
    parts = [view.indicator, view.level, *view.chains, *((view.prov,) if view.prov else
                                                          view.depts)]
    if view.years:
        parts.append(f"{view.years[0]}-{view.years[1]}")
    return f"{'_'.join(parts)}_{view.lang}.{fmt}"


# --- HTML ---------------------------------------------------------------------------

def standalone_html(layer: MapLayer) -> str:
    """One file that opens with no network: shapes, Leaflet and our runtime inlined."""
    fmap = build_map(layer, asset_base=INLINE_BASE,
                     heading=(layer.title, f"{layer.subtitle} · {layer.unit}"))
    page = fmap.get_root().render()
    # (a file's ?v=<content hash> matters to a browser cache, not to a copy inlined here)
    page = re.sub(r'<script src="mapapp-inline:([^"?]+)(?:\?[^"]*)?"></script>',
                  lambda m: f"<script>{_vendor(m.group(1), script=True)}</script>", page)
    page = re.sub(r'<link rel="stylesheet" href="mapapp-inline:([^"?]+)(?:\?[^"]*)?"/>',
                  lambda m: f"<style>{_vendor(m.group(1))}</style>", page)
    heading = html.escape(layer.title)
    return page.replace("<head>", f"<head>\n<title>{heading}</title>", 1)


def _vendor(relative: str, script: bool = False) -> str:
    path = (STATIC_DIR / relative.lstrip("/")).resolve()
    if not path.is_relative_to(STATIC_DIR):  # only our assets are ever inlined
        raise ValueError(f"{relative!r} is not a file of static/")
    text = path.read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script") if script else text


# --- tables -------------------------------------------------------------------------

def place_table(layer: MapLayer) -> pd.DataFrame:
    """One row per place of the view (no data included, empty), with the filters used."""
    view, lang = layer.view, layer.view.lang
    credits = layer.data.credits(lang)
    ind = catalog.INDICATORS[view.indicator]
    places = layer.places.sort_values("ubigeo").reset_index(drop=True)
    names = geodata.places().set_index("ubigeo")["name"]
    years = layer.years
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
        "data": credits.data,
        "source": credits.source,
        "attribution": credits.boundaries,
    })
    return table


def _whole_if_possible(values: pd.Series) -> pd.Series:
    """Counts as whole numbers (87200, not 87200.0); other values untouched."""
    finite = values.dropna()
    return values.astype("Int64") if (finite == finite.round()).all() else values


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


def xlsx_bytes(table: pd.DataFrame, credits: Credits) -> bytes:
    """A "data" sheet (text cells never formulas) and a "sources" sheet of credits."""
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
    for line in (("source", credits.source), ("boundaries", credits.boundaries),
                 ("licence", credits.licence), ("data", credits.data)):
        sources.append(list(line))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def geojson_bytes(layer: MapLayer) -> bytes:
    view = layer.view
    ind = catalog.INDICATORS[view.indicator]
    places = layer.places[["ubigeo", "name", "value", "rank", "share", "geometry"]].copy()
    places["rank"] = places["rank"].astype("float")
    places["indicator"] = ind.id
    places["unit"] = ind.unit[view.lang]
    collection = json.loads(places.to_json(drop_id=True, na="null"))
    collection.update({"name": f"{layer.title} — {layer.subtitle}",
                       **layer.data.credits(view.lang).fields})
    # Strict: a non-finite value raises here rather than shipping a non-standard "Infinity".
    return strict_json(collection, ensure_ascii=False).encode("utf-8")


# --- the table of formats ---------------------------------------------------------

def _table(make: Callable[[pd.DataFrame, Credits], bytes]) -> Callable[[Dataset, View], bytes]:
    def render(dataset: Dataset, view: View) -> bytes:
        layer = build_layer(dataset, view)
        return make(place_table(layer), layer.data.credits(view.lang))
    return render


FORMATS: dict[str, Format] = {
    "png": Format("image/png",
                  lambda dataset, view: render_png(build_layer(dataset, view, "print"))),
    # the PNG's layout on an A4 landscape page, vector: prints sharp, text stays text
    "pdf": Format("application/pdf",
                  lambda dataset, view: render_pdf(build_layer(dataset, view, "print"))),
    "html": Format("text/html",
                   lambda dataset, view: standalone_html(build_layer(dataset, view)).encode()),
    "pptx": Format("application/vnd.openxmlformats-officedocument.presentationml.presentation",
                   build_deck),
    "csv": Format("text/csv", _table(lambda table, _credits: csv_bytes(table))),
    "xlsx": Format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   _table(xlsx_bytes)),
    "geojson": Format("application/geo+json",
                      lambda dataset, view: geojson_bytes(build_layer(dataset, view, "print"))),
}
