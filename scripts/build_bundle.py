"""Build the map's one script and one stylesheet from their committed sources.

static/mapapp/bundle.js is Leaflet, Leaflet.markercluster and static/mapapp/mapapp.js,
in that order; static/mapapp/bundle.css is Leaflet's and the cluster plugin's CSS. The
map page then loads one file of each instead of three (streamlit-folium loads scripts
one after the other). Each part is the source as it is, after a comment naming it, with
two changes: a ``sourceMappingURL`` comment is dropped (the maps are not vendored), and
a relative ``url(...)`` in CSS is rewritten to stay right from static/mapapp/.

    python scripts/build_bundle.py          # write the bundle (make bundle; make vendor)
    python scripts/build_bundle.py --check  # exit 1 if the committed bundle is stale

tests/render/test_bundle.py checks that the committed bundle is this script's output.
Standard library only.
"""

from __future__ import annotations

import posixpath
import re
import sys
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "static"
BUNDLES = {
    "mapapp/bundle.js": ("vendor/leaflet/leaflet.js",
                         "vendor/leaflet.markercluster/leaflet.markercluster.js",
                         "mapapp/mapapp.js"),
    "mapapp/bundle.css": ("vendor/leaflet/leaflet.css",
                          "vendor/leaflet.markercluster/MarkerCluster.css",
                          "vendor/leaflet.markercluster/MarkerCluster.Default.css"),
}
SOURCE_MAP = re.compile(r"^\s*(//[#@]\s*sourceMappingURL=.*|/\*[#@]\s*sourceMappingURL=.*\*/)\s*$",
                        re.MULTILINE)
CSS_URL = re.compile(r"""url\((['"]?)(?![a-zA-Z][\w+.-]*:|/|#)([^'")]+)\1\)""")


def part(source: str, bundle: str) -> str:
    """One source file as it goes into ``bundle`` (both relative to static/)."""
    text = (STATIC / source).read_text(encoding="utf-8")
    text = SOURCE_MAP.sub("", text).rstrip() + "\n"
    if source.endswith(".css"):
        here = posixpath.dirname(source)
        there = posixpath.dirname(bundle)

        def rebase(match: re.Match) -> str:
            target = posixpath.normpath(posixpath.join(here, match.group(2)))
            return f"url({match.group(1)}{posixpath.relpath(target, there)}{match.group(1)})"

        text = CSS_URL.sub(rebase, text)
    elif not text.rstrip().endswith(";"):  # the next file would continue this statement
        raise SystemExit(f"static/{source} must end with ';' to be concatenated")
    return f"/* ---- static/{source} ---- */\n{text}"


def build(bundle: str) -> str:
    """The text of ``bundle`` (a key of BUNDLES) from its sources, in order."""
    return "".join(part(source, bundle) for source in BUNDLES[bundle])


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for bundle in BUNDLES:
        path = STATIC / bundle
        text = build(bundle)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(bundle)
            continue
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"static/{bundle}: {len(text.encode('utf-8')):,} bytes")
    if stale:
        print("stale: " + ", ".join(f"static/{b}" for b in stale)
              + "; run python scripts/build_bundle.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
