"""Every export opened by the library that reads it, and checked for content."""

import io
import json
import re
import zlib

import openpyxl
import pandas as pd
import pytest
from helpers import dataset_with
from PIL import Image
from pptx import Presentation

from mapapp.analysis.layer import build_layer
from mapapp.ingest.datasets import demo_dataset
from mapapp.model.provenance import BOUNDARIES_ATTRIBUTION, SOURCE_DOCUMENT, DataShown
from mapapp.model.view import View
from mapapp.render import png_map
from mapapp.render.exports import csv_bytes, export_view, neutralise, xlsx_bytes

DEMO = demo_dataset()


def export(fmt: str, demo: bool = True, localities=DEMO.localities, **view) -> bytes:
    return export_view(fmt, dataset_with(demo, localities), View(**view))


def pixels(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return set(image.get_flattened_data())


@pytest.mark.parametrize("lang", ["es", "en"])
def test_png_is_a_16_9_full_hd_map_with_demo_label(lang):
    png = export("png", lang=lang, indicator="coca_free_share")
    image = Image.open(io.BytesIO(png))
    assert image.size == (1920, 1080)
    colours = pixels(png)
    assert (0xff, 0xf3, 0xcd) in colours  # the amber demo label
    assert len(colours) > 500  # a drawing, not a blank canvas


def pdf_texts(pdf: bytes) -> list[str]:
    """The strings a PDF shows as text (``TJ`` arrays of its content streams; the
    renderer writes TrueType text as UTF-16), one per line of text drawn."""
    texts = []
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream.group(1))
        except zlib.error:
            continue  # not a compressed content stream
        for shown in re.finditer(rb"\[((?:\((?:\\.|[^\\)])*\)|[^\]])*)\]\s*TJ", content, re.S):
            parts = re.findall(rb"\(((?:\\.|[^\\)])*)\)", shown.group(1), re.S)
            raw = b"".join(re.sub(rb"\\(.)", rb"\1", part, flags=re.S) for part in parts)
            texts.append(raw.decode("utf-16-be", "replace"))
    return texts


@pytest.mark.parametrize("lang, demo_words", [("es", "distribución ilustrativa"),
                                              ("en", "illustrative distribution")])
def test_pdf_is_an_a4_landscape_vector_map_with_text_and_credits(lang, demo_words):
    pdf = export("pdf", lang=lang)
    assert pdf.startswith(b"%PDF-")
    box = [float(v) for v in re.search(rb"/MediaBox \[([^\]]+)\]", pdf).group(1).split()]
    assert box[2:] == pytest.approx([841.89, 595.28], abs=0.5)  # A4 landscape, in points
    assert b"/Subtype /Image" not in pdf  # drawn, not one big picture
    drawing = b"".join(zlib.decompress(m.group(1)) for m in re.finditer(
        rb"/Filter /FlateDecode[^>]*>>\s*stream\r?\n(.*?)\r?\nendstream", pdf, re.S))
    assert len(re.findall(rb" l\n", drawing)) > 5_000  # the boundaries, as lines
    texts = pdf_texts(pdf)
    text = " ".join(texts)
    assert ("Familias apoyadas" if lang == "es" else "Families supported") in texts
    assert "INEI (2007)" in text and "MPL-2.0" in text and demo_words in text
    assert "San Martín" in texts  # place names are text too, not outlines


def test_png_without_demo_data_has_no_demo_label():
    assert (0xff, 0xf3, 0xcd) not in pixels(export("png", demo=False))


def test_html_opens_with_no_network():
    page = export("html", basemap="none", lang="en").decode()
    assert not re.search(r"<script[^>]+src=", page) and "<link" not in page
    loads = r"""<(script|link|img|iframe)[^>]+(src|href)=["']?https?:|url\(["']?https?:"""
    assert not re.search(loads, page)  # (Leaflet's own credit link is a link, not a load)
    assert "Leaflet" in page and "markerClusterGroup" in page  # inlined libraries
    assert "<title>Families supported</title>" in page
    assert "Demo data — illustrative distribution" in page and "MPL-2.0" in page


@pytest.mark.parametrize("lang, title, goals", [("es", "Desarrollo sostenible", "Meta 2"),
                                                ("en", "Sustainable development", "Goal 2")])
def test_pptx_has_title_goals_and_one_map_per_value_chain(lang, title, goals):
    deck = Presentation(io.BytesIO(export("pptx", lang=lang, indicator="hectares",
                                          chains=("cacao", "cafe"))))
    slides = list(deck.slides)
    assert deck.slide_width / deck.slide_height == pytest.approx(16 / 9, rel=0.01)
    texts = ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
             for slide in slides]
    assert title in texts[0] and goals in texts[1]
    assert "33.619 ha" in texts[1] or "33,619 ha" in texts[1]
    maps = [slide for slide in slides if any(s.shape_type == 13 for s in slide.shapes)]
    assert len(maps) == 2 and slides[-2:] == maps  # one per value chain, at the end
    for slide in maps:
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pictures) == 1
        image = Image.open(io.BytesIO(pictures[0].image.blob))
        assert image.size == (1920, 1080)
    for slide in slides:
        notes = slide.notes_slide.notes_text_frame.text
        assert "INEI (2007)" in notes and "MPL-2.0" in notes


def test_csv_is_utf8_with_bom_and_carries_filters_and_source():
    data = export("csv", indicator="hectares", chains=("cacao",), years=(2019, 2021))
    assert data.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"ubigeo": str})
    assert {"ubigeo", "name", "value", "department", "indicator", "unit", "years",
            "value_chains", "source", "attribution", "data"} <= set(table.columns)
    assert len(table) == 25 and table["ubigeo"].str.len().eq(2).all()
    assert set(table["years"]) == {"2019-2021"} and set(table["value_chains"]) == {"cacao"}
    assert "Áncash" in set(table["name"])


@pytest.mark.parametrize("fmt, chain, level, indicator, total", [
    ("csv", "cacao", "department", "hectares", 80_986),
    ("csv", "cafe", "department", "hectares", 33_619),
    ("xlsx", None, "district", "families_supported", 87_200),
    ("geojson", "cacao", "province", "hectares", 80_986),
])
def test_exported_figures_reconcile_with_the_fact_sheet(fmt, chain, level, indicator, total):
    data = export(fmt, level=level, indicator=indicator, chains=(chain,) if chain else ())
    if fmt == "csv":
        values = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")["value"]
    elif fmt == "xlsx":
        values = pd.read_excel(io.BytesIO(data), sheet_name="data")["value"]
    else:
        values = pd.Series([f["properties"]["value"] for f in json.loads(data)["features"]],
                           dtype=float)
    assert values.sum() == total


def test_xlsx_has_data_and_sources_sheets():
    book = openpyxl.load_workbook(io.BytesIO(export("xlsx", lang="en")))
    assert book.sheetnames == ["data", "sources"]
    sources = {row[0]: row[1] for row in book["sources"].iter_rows(values_only=True)}
    assert sources["boundaries"] == BOUNDARIES_ATTRIBUTION["en"]
    assert sources["data"] == "Demo data — illustrative distribution"


def test_geojson_has_properties_and_attribution():
    collection = json.loads(export("geojson", level="district", depts=("22",)))
    feature = collection["features"][0]
    assert {"ubigeo", "name", "value", "unit", "indicator"} <= feature["properties"].keys()
    assert all(f["properties"]["ubigeo"].startswith("22") for f in collection["features"])
    assert "MPL-2.0" in collection["license"] and "INEI" in collection["attribution"]


HOSTILE = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "plain", "-"]


def test_formula_injection_is_neutralised_in_csv_and_xlsx():
    table = pd.DataFrame({"name": HOSTILE, "value": range(len(HOSTILE))})
    read_back = pd.read_csv(io.BytesIO(csv_bytes(table)), encoding="utf-8-sig")
    assert read_back["name"].tolist() == ["'" + h if h != "plain" else h for h in HOSTILE]
    assert read_back["value"].tolist() == list(range(len(HOSTILE)))  # numbers untouched
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(
        table.assign(data="x"), DataShown(demo=False).credits("es"))))["data"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells == [neutralise(h) for h in HOSTILE]
    assert all(c.data_type == "s" for c in sheet["A"][1:])


def test_rejected_rows_download_is_neutralised_too():
    from mapapp.ingest.results import read_results

    report = read_results(b"ubigeo,year,indicator,value\n=cmd|' /C calc'!A0,2020,x,1\n",
                          "bad.csv")
    download = csv_bytes(report.rejected).decode("utf-8-sig")
    assert "'=cmd" in download and "\n=cmd" not in download


@pytest.mark.parametrize("fmt", ["png", "pdf", "html", "pptx", "csv", "xlsx", "geojson"])
def test_every_format_exports_user_data_without_demo_label(fmt):
    data = export(fmt, demo=False, localities=None)
    text = data.decode("utf-8", "ignore") if fmt not in ("png", "pdf", "pptx", "xlsx") else ""
    if fmt == "pdf":
        text = " ".join(pdf_texts(data))
        assert "Límites: INEI (2007)" in text  # the credits stay
    assert "Datos de demostración" not in text
    if fmt == "pptx":
        deck = Presentation(io.BytesIO(data))
        all_text = " ".join(s.text_frame.text for slide in deck.slides for s in slide.shapes
                            if s.has_text_frame)
        assert "demostración" not in all_text and SOURCE_DOCUMENT["es"] in " ".join(
            slide.notes_slide.notes_text_frame.text for slide in deck.slides)


HOSTILE_TITLE = "Q3 <b>x</b> {{7*7}} $\\frac{1$ =1+1"


def all_text(fmt: str, data: bytes) -> str:
    """What a reader of the file sees, in one string."""
    if fmt == "pdf":
        return " ".join(pdf_texts(data))
    if fmt == "pptx":
        deck = Presentation(io.BytesIO(data))
        return " ".join([s.text_frame.text for slide in deck.slides for s in slide.shapes
                         if s.has_text_frame]
                        + [slide.notes_slide.notes_text_frame.text for slide in deck.slides])
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data))
        return " ".join(str(cell.value) for sheet in book for row in sheet.iter_rows()
                        for cell in row if cell.value is not None)
    return data.decode("utf-8", "ignore")


@pytest.mark.parametrize("fmt", ["pdf", "html", "pptx", "csv", "xlsx", "geojson"])
def test_every_format_cites_the_published_version(fmt):
    from dataclasses import replace

    from mapapp.model.provenance import Publication

    published = replace(dataset_with(False, None), publication=Publication(
        "Resultados T3", "resultados-t3", 2, "2026-11-27"))
    text = all_text(fmt, export_view(fmt, published, View(lang="es")))
    assert "resultados-t3@2" in text and "2026-11-27" in text
    assert "Resultados T3" in text


def test_png_and_pdf_draw_a_hostile_published_title_as_text():
    """Matplotlib reads "$...$" as mathtext unless told not to: a broken one raised."""
    from dataclasses import replace

    from mapapp.model.provenance import Publication

    published = replace(dataset_with(False, None), publication=Publication(
        HOSTILE_TITLE, "q3", 1, "2026-11-27"))
    layer = build_layer(published, View(), "print")
    assert png_map.render_map(layer, "png").data.startswith(b"\x89PNG")
    assert "$\\frac{1$" in " ".join(pdf_texts(png_map.render_map(layer, "pdf").data))


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_validate_as_they_are(lang, fmt):
    from mapapp.ingest.localities import read_localities
    from mapapp.ingest.results import read_results
    from mapapp.ingest.templates import RESULTS_HEADERS, template

    results = read_results(template("results", lang, fmt), f"template.{fmt}")
    assert results.rows_total == 3 and results.rows_rejected == 0 and results.warnings == []
    assert results.info["layout"] == "long"
    localities = read_localities(template("localities", lang, fmt), f"localities.{fmt}")
    assert localities.rows_total == 2 and localities.rows_rejected == 0
    first_row = template("results", lang, fmt)
    if fmt == "csv":
        assert first_row.decode("utf-8-sig").startswith(",".join(RESULTS_HEADERS[lang]))
