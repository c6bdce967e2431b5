"""The map's one script and one stylesheet: built from committed sources, never stale,
loaded by a URL that changes with their content, inlined whole in the HTML export."""

import hashlib
import importlib.util
import re
from pathlib import Path

import pytest

from mapapp.analysis.layer import build_layer
from mapapp.ingest.datasets import demo_dataset
from mapapp.model.view import View
from mapapp.render.exports import standalone_html
from mapapp.render.web_map import BUNDLE_CSS, BUNDLE_JS, base_map, bundle_assets

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"


def build_script():
    spec = importlib.util.spec_from_file_location("build_bundle",
                                                  ROOT / "scripts" / "build_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = build_script()


@pytest.mark.parametrize("bundle", [BUNDLE_JS, BUNDLE_CSS])
def test_committed_bundle_is_the_build_of_its_sources(bundle):
    """Edit mapapp.js (or a vendored file) and forget `make bundle`: this fails."""
    committed = (STATIC / bundle).read_text(encoding="utf-8")
    assert committed == BUILD.build(bundle), \
        f"static/{bundle} is stale: run `python scripts/build_bundle.py` (make bundle)"


def test_the_script_bundle_is_leaflet_then_the_cluster_plugin_then_the_runtime():
    """A plain concatenation in order: each source whole (less its source-map comment)."""
    bundle = (STATIC / BUNDLE_JS).read_text(encoding="utf-8")
    sources = ["vendor/leaflet/leaflet.js",
               "vendor/leaflet.markercluster/leaflet.markercluster.js", "mapapp/mapapp.js"]
    expected = "".join(
        f"/* ---- static/{source} ---- */\n"
        + re.sub(r"\n//# sourceMappingURL=\S+\s*$", "",
                 (STATIC / source).read_text(encoding="utf-8")).rstrip() + "\n"
        for source in sources)
    assert bundle == expected


def test_the_stylesheet_bundle_keeps_leaflets_images_reachable():
    css = (STATIC / BUNDLE_CSS).read_text(encoding="utf-8")
    assert css.index(".leaflet-container") < css.index(".marker-cluster-small")
    for url in re.findall(r"url\(([^)#]+)\)", css):
        assert (STATIC / "mapapp" / url).resolve().is_file(), url
    assert "url(images/" not in css


def test_the_build_check_passes_on_the_committed_bundle():
    assert BUILD.main(["--check"]) == 0


def test_the_map_loads_the_bundle_by_a_content_versioned_url():
    page = base_map(View()).get_root().render()
    for relative in (BUNDLE_JS, BUNDLE_CSS):
        digest = hashlib.sha256((STATIC / relative).read_bytes()).hexdigest()[:12]
        assert f"/app/static/{relative}?v={digest}" in page
    scripts, styles = bundle_assets()
    assert len(scripts) == len(styles) == 1
    for old in ("vendor/leaflet/leaflet.js", "leaflet.markercluster.js", "mapapp/mapapp.js",
                "leaflet.css", "MarkerCluster"):
        assert old not in page


def test_the_html_export_inlines_the_bundle_once():
    page = standalone_html(build_layer(demo_dataset(), View(basemap="none")))
    assert page.count("/* ---- static/vendor/leaflet/leaflet.js ---- */") == 1
    assert page.count("/* ---- static/mapapp/mapapp.js ---- */") == 1
    assert page.count("/* ---- static/vendor/leaflet/leaflet.css ---- */") == 1
    assert "mapapp-inline:" not in page and "?v=" not in page
