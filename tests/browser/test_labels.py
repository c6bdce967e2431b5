"""Place names on the web map never collide, stay in the frame, and more show zoomed in."""

# Every visible name's box (its text), the map's box, and how many pairs overlap.
LABEL_BOXES = """() => {
  const frame = window.mapappBase.map.getContainer().getBoundingClientRect();
  const boxes = [...document.querySelectorAll('.map-label span')]
    .map((s) => s.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
  let overlaps = 0;
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
      overlaps += 1;
    }
  }));
  const outside = boxes.filter((r) => r.left < frame.left - 1 || r.top < frame.top - 1 ||
    r.right > frame.right + 1 || r.bottom > frame.bottom + 1).length;
  const base = window.mapappBase, stats = base.labelStats, view = base.map.getBounds();
  const names = (items) => items.map((item) => item.span.textContent);
  return {shown: boxes.length, overlaps, outside, zoom: base.map.getZoom(),
          candidates: stats.candidates, placed: stats.placed, ms: stats.ms,
          names: names(base.labels.items.filter((item) => base.labels.layer.hasLayer(
            item.marker))),
          inView: names(base.labels.items.filter((item) => view.contains(item.latlng)))};
}"""

# Zoom with no animation on the middle of the named places, then wait for the names to
# be placed again (after moveend, in the next animation frame).
ZOOM_TO = """(zoom) => new Promise((done) => {
  const base = window.mapappBase, map = base.map, before = base.labelStats;
  const centre = base.labelCentre || (base.labelCentre = (() => {
    const points = base.labels.items.map((item) => item.latlng);
    return L.latLngBounds(points).getCenter();
  })());
  const wait = () => base.labelStats !== before ? done() : requestAnimationFrame(wait);
  map.setView(centre, zoom, {animate: false});
  requestAnimationFrame(wait);
})"""


def test_labels_never_overlap_and_more_show_as_one_zooms_in(offline):
    view = offline()
    frame = view.open("?basemap=none&localities=0&level=province")
    frame.wait_for_function("() => window.mapappBase && window.mapappBase.labelStats")
    start = frame.evaluate(LABEL_BOXES)
    assert start["candidates"] >= 20 and start["shown"] > 0
    zoom = round(start["zoom"])
    seen = {}
    for level in (zoom - 1, zoom, zoom + 1, zoom + 2, zoom + 1, zoom):
        frame.evaluate(ZOOM_TO, level)
        boxes = frame.evaluate(LABEL_BOXES)
        assert boxes["zoom"] == level
        assert boxes["overlaps"] == 0, boxes
        assert boxes["outside"] == 0, boxes
        # a few ms on a quiet machine (forced layout included); loose for busy ones
        assert boxes["shown"] == boxes["placed"] and boxes["ms"] < 250, boxes
        seen.setdefault(level, boxes)
        assert boxes["names"] == seen[level]["names"]  # the same view names the same places
    # The names whose places are in the zoomed-in view: more of them show, zoomed in.
    inner = set(seen[zoom + 1]["inView"])
    shown = [len(inner & set(seen[z]["names"])) for z in (zoom - 1, zoom, zoom + 1)]
    assert shown[0] <= shown[1] < shown[2], shown
    assert seen[zoom - 1]["shown"] < seen[zoom]["shown"]  # the same places, room for more
    view.screenshot("labels-province-zoomed")
    assert view.errors == []


def test_labels_in_a_choropleth_and_at_department_level_keep_apart(offline):
    view = offline(width=900, height=800)
    frame = view.open("?basemap=none&localities=0&measure=per_km2")
    frame.wait_for_function("() => window.mapappBase && window.mapappBase.labelStats")
    boxes = frame.evaluate(LABEL_BOXES)
    assert boxes["candidates"] == 25 and 0 < boxes["shown"] <= 25
    assert boxes["overlaps"] == 0 and boxes["outside"] == 0, boxes
    frame.evaluate(ZOOM_TO, round(boxes["zoom"]) + 2)
    closer = frame.evaluate(LABEL_BOXES)
    assert closer["overlaps"] == 0 and closer["outside"] == 0, closer
    assert view.errors == []
