#!/usr/bin/env bash
# Re-create static/vendor/ from the npm registry, then the map's bundle from it
# (scripts/build_bundle.py): the map's scripts and styles are served by the app
# itself, never from a CDN. Versions match what folium 0.20 expects.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent leaflet@1.9.3 leaflet.markercluster@1.1.0 >/dev/null)
rm -rf static/vendor && mkdir -p static/vendor/leaflet static/vendor/leaflet.markercluster
tar xzf "$work/leaflet-1.9.3.tgz" -C "$work" && mv "$work/package" "$work/leaflet"
cp "$work"/leaflet/dist/leaflet.js "$work"/leaflet/dist/leaflet.css "$work"/leaflet/LICENSE \
  static/vendor/leaflet/
cp -r "$work"/leaflet/dist/images static/vendor/leaflet/
tar xzf "$work/leaflet.markercluster-1.1.0.tgz" -C "$work"
cp "$work"/package/dist/leaflet.markercluster.js "$work"/package/dist/MarkerCluster.css \
  "$work"/package/dist/MarkerCluster.Default.css "$work"/package/MIT-LICENCE.txt \
  static/vendor/leaflet.markercluster/
cat > static/vendor/README.md <<'TXT'
# Vendored front-end assets

The sources of the map's one script and one stylesheet,
`static/mapapp/bundle.js` and `bundle.css` (with `static/mapapp/mapapp.js`),
built by `scripts/build_bundle.py` (`make bundle`) and served by the app
(Streamlit static serving, `/app/static/mapapp/...`) or inlined into standalone
HTML exports, so that the map needs no CDN. Leaflet's images are served from
here. Re-create with `scripts/vendor_assets.sh` (npm registry; `make vendor`),
which rebuilds the bundle too.

| package | version | licence |
| --- | --- | --- |
| leaflet | 1.9.3 | BSD-2-Clause (`leaflet/LICENSE`) |
| leaflet.markercluster | 1.1.0 | MIT (`leaflet.markercluster/MIT-LICENCE.txt`) |
TXT
echo "static/vendor written"
python3 scripts/build_bundle.py
