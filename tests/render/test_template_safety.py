"""No user text is ever Jinja source: folium/branca compile a MacroElement's output as
a new template, so text with ``{{ … }}`` in a map element would run on the server.

Payloads go through every text field that reaches a map or an export (locality
names, place names and other cells of rejected rows, file names) and must come out
verbatim, with no template compiled from them and no file created by them.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import folium
import jinja2
import pandas as pd
import pytest
from branca.element import Element, Figure, MacroElement
from helpers import dataset_with
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit_folium import _get_feature_group_string

from mapapp.analysis.layer import build_layer
from mapapp.ingest.datasets import demo_dataset
from mapapp.ingest.localities import read_localities
from mapapp.ingest.results import read_results
from mapapp.model.view import View
from mapapp.render import web_map
from mapapp.render.exports import FORMATS, csv_bytes, export_view
from mapapp.render.web_map import base_map, build_map, script_json, style_group

DEMO = demo_dataset()
MARK = "ZQXJ"  # in every payload: found in a compiled template's source, it is a leak


def payloads(touch: Path) -> list[str]:
    """Jinja in every form a reader could try: expressions, statements, comments,
    unbalanced and nested delimiters, and one that would create ``touch``."""
    run = f"cycler.__init__.__globals__.os.popen('touch {touch}').read()"
    return [f"X{{{{7*7}}}}X{MARK}", f"{{{{ {run} }}}}{MARK}", f"{{% broken {MARK}",
            f"{{# open comment {MARK}", f"{{%- for x in range(3) %}}{{{{x}}}}{{% endfor %}}{MARK}",
            f"}}}}{{{{{{{{ '{MARK}' }}}}}}", f"{{{{'{MARK}'}}}}", f"{MARK} {{%raw%}}{{{{ x",
            f"</script><script>alert(1)</script>{MARK}", f"{MARK}\\u007b\\u007b 1 }}}}"]


@pytest.fixture
def compiled(monkeypatch) -> list[str]:
    """The source of every Jinja template compiled while the test runs."""
    sources: list[str] = []
    original = jinja2.Environment.compile

    def spy(self, source, *args, **kwargs):
        sources.append(str(source))
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", spy)
    return sources


def with_names(names: list[str]) -> pd.DataFrame:
    localities = DEMO.localities.head(len(names)).copy()
    localities["name"] = names
    return localities


def live_page(view: View, localities: pd.DataFrame) -> str:
    """What streamlit-folium sends: the base map rendered, then the style group."""
    layer = build_layer(dataset_with(True, localities), view)
    base = base_map(view)
    script = base.get_root().render()
    group = style_group(layer)
    return script + _get_feature_group_string(group, base)


def locality_lines(page: str) -> list[str]:
    """The first popup line (the name) of each locality in a page's style data."""
    start = page.index("mapappBase.apply(")
    data_start = page.index("{", page.index(",", start))
    data, _ = json.JSONDecoder().raw_decode(page, data_start)
    return [row["lines"][0] for row in data["localities"]]


# --- structure: every element that carries data renders literally ----------------------

# folium's own elements that we give no text from data (bounds are numbers from geodata).
NO_DATA_ELEMENTS = (folium.Map, folium.TileLayer, folium.FeatureGroup, folium.FitBounds, Figure)


def elements(root: Element):
    yield root
    for child in root._children.values():
        yield from elements(child)


def test_every_map_element_with_data_skips_the_second_template_pass():
    layer = build_layer(DEMO, View(basemap="osm"))
    fmap = build_map(layer, heading=("title", "subtitle"))
    macros = [e for e in elements(fmap.get_root()) if isinstance(e, MacroElement)]
    assert {type(e).__name__ for e in macros} >= {"PlacesBase", "PlacesStyle", "HtmlControl"}
    wrong = [type(e).__name__ for e in macros
             if not isinstance(e, (web_map.LiteralMacroElement, *NO_DATA_ELEMENTS))]
    assert wrong == [], f"{wrong} would compile their output as Jinja; derive from " \
                        "web_map.LiteralMacroElement"


def test_branca_itself_still_evaluates_macro_output():
    """The hole this file guards against exists in branca: if this starts failing,
    branca changed, and LiteralMacroElement may no longer be needed."""
    class Plain(MacroElement):
        _template = jinja2.Template("{% macro script(this, kwargs) %}"
                                    "var x = {{ this.text }};{% endmacro %}")

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Safe(web_map.LiteralMacroElement, Plain):
        pass

    outputs = []
    for cls in (Plain, Safe):
        figure = Figure()
        cls('"X{{7*7}}X"').add_to(figure)
        outputs.append(figure.render())
    assert "X49X" in outputs[0]
    assert "X{{7*7}}X" in outputs[1] and "X49X" not in outputs[1]


FINITE = st.floats(allow_nan=False, allow_infinity=False)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | FINITE | st.text(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@given(JSON_VALUES)
@settings(max_examples=300, deadline=None)
def test_script_json_reads_back_the_same_and_hides_template_and_html_syntax(value):
    text = script_json(value)
    assert json.loads(text) == value
    for syntax in ("{{", "{%", "{#", "<", ">", "&"):
        assert syntax not in text


@pytest.mark.parametrize("text", payloads(Path("/nonexistent/pwned")))
def test_script_json_hides_every_payload(text):
    written = script_json({"name": [text], text: 1})
    assert json.loads(written) == {"name": [text], text: 1}
    assert not re.search(r"\{[{%#]|[<>&]", written)


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_script_json_is_strict(bad):
    with pytest.raises(ValueError):
        script_json({"value": bad})


# --- payloads through every output ---------------------------------------------------

JINJA_BITS = st.sampled_from(["{{", "}}", "{%", "%}", "{#", "#}", "{{7*7}}", "{% broken",
                              "{%- if 1 %}", "{{'x'}}", "{{ self }}", "\\", '"', "'", "<",
                              "</script>", "&amp;", "\n", "\u2028", "é", MARK])


@given(st.lists(st.lists(JINJA_BITS | st.text(max_size=3), min_size=1, max_size=8).map(
    lambda bits: "".join(bits) + MARK), min_size=1, max_size=3))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_locality_names_reach_the_live_map_verbatim(compiled, names):
    compiled.clear()
    page = live_page(View(basemap="none"), with_names(names))
    assert sorted(locality_lines(page)) == sorted(names)
    assert not [s for s in compiled if MARK in s]


def test_payloads_never_run_in_any_export(compiled, tmp_path):
    touch = tmp_path / "pwned"
    names = payloads(touch)
    localities = with_names(names)
    for fmt in FORMATS:
        data = export_view(fmt, dataset_with(True, localities), View(basemap="none"))
        assert data, fmt
    html = export_view("html", dataset_with(True, localities), View(basemap="none")).decode()
    assert sorted(locality_lines(html)) == sorted(names)
    assert "X49X" not in html
    assert not touch.exists()
    assert not [s for s in compiled if MARK in s]


def test_payloads_in_a_localities_file_reach_the_map_verbatim(compiled, tmp_path):
    touch = tmp_path / "pwned"
    names = payloads(touch)
    rows = ["nombre,ubigeo,año"] + [f'"{n.replace(chr(34), chr(34) * 2)}",220901,2021'
                                    for n in names]
    report = read_localities("\n".join(rows).encode(), f"{names[1]}.csv")
    assert report.rows_valid == len(names)
    page = live_page(View(basemap="none"), report.valid)
    assert sorted(locality_lines(page)) == sorted(names)
    assert not touch.exists()
    assert not [s for s in compiled if MARK in s]


def test_payloads_in_rejected_results_come_out_verbatim(tmp_path):
    """Place names, indicators, value chains and years that are payloads are rejected;
    the rejected-rows table and its CSV keep them as they were written."""
    names = payloads(tmp_path / "pwned")
    header = ["departamento", "provincia", "distrito", "año", "indicador", "cadena", "valor"]
    rows = [header] + [[n, n, n, n, n, n, "1"] for n in names]
    text = "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows)
    report = read_results(text.encode(), names[0] + ".csv")
    assert report.rows_rejected == len(names)
    table = pd.read_csv(io.BytesIO(csv_bytes(report.rejected)), dtype=str,
                        keep_default_na=False, encoding="utf-8-sig")
    kept = set(table.iloc[:, 1])
    assert kept == {("'" + n) if n.startswith(("=", "+", "-", "@")) else n for n in names}
    assert not (tmp_path / "pwned").exists()


def test_pptx_text_holds_no_evaluated_template(tmp_path):
    names = payloads(tmp_path / "pwned")
    deck = export_view("pptx", dataset_with(True, with_names(names)), View(basemap="none"))
    with zipfile.ZipFile(io.BytesIO(deck)) as archive:
        text = " ".join(archive.read(n).decode("utf-8", "replace")
                        for n in archive.namelist() if n.endswith(".xml"))
    assert "X49X" not in text
    assert not (tmp_path / "pwned").exists()


def test_payloads_in_an_uploaded_file_and_its_name_stay_text_on_the_page(compiled, tmp_path):
    """Through the real page: a localities upload whose name and rows are payloads."""
    from test_app import map_payload, run_page, upload

    from mapapp.model.formatting import escape_markdown

    names = payloads(tmp_path / "pwned")
    rows = ["nombre,ubigeo,año"] + [f'"{n.replace(chr(34), chr(34) * 2)}",220901,2021'
                                    for n in names]
    file_name = f"{names[1]}.csv"
    app = upload(run_page(basemap="none", level="district", dept="22"), "upload_localities",
                 file_name, "\n".join(rows).encode())
    assert not app.exception
    assert sorted(locality_lines(map_payload(app)["all"])) == sorted(names)
    shown = [e.label for e in app.expander] + [e.value for e in app.success]
    assert any(escape_markdown(file_name) in text for text in shown)
    assert not (tmp_path / "pwned").exists()
    assert not [s for s in compiled if MARK in s]


@pytest.mark.parametrize("path", ["../README.md", "/../../etc/passwd", "vendor/../../Makefile"])
def test_the_html_export_inlines_only_files_of_static(path):
    from mapapp.render.exports import _vendor

    with pytest.raises(ValueError, match="not a file of static/"):
        _vendor(path)
