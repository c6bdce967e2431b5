/* mapapp map runtime (served by the app; inlined in standalone exports).
 *
 * mapapp.base(map, config) loads the shapes once: neighbouring countries, the
 * rest of Peru and the places of the level, from compact files (arcs; see
 * mapapp/boundaries/compact.py) given as a URL or inline. It returns a handle
 * whose apply(group, data) styles the places and puts circles, labels,
 * localities and legend in `group` - so a new indicator or filter sends styles,
 * never shapes again. The places are drawn by the first apply, already in the
 * view's style, with its circles and labels in the same frame (never a default
 * style first); window.mapappStyled marks that frame (performance.now()).
 * Text from data is set with textContent, never as HTML; only the legend and
 * source boxes take HTML, which the server escaped. Styles and colours come
 * from the server too (config.styles, data.palette/noData; see
 * mapapp/analysis/symbology.py): this file has none of its own.
 */
(function () {
  "use strict";

  function load(source) {
    if (typeof source === "string") {
      return fetch(source).then(function (response) {
        if (!response.ok) { throw new Error(source + ": " + response.status); }
        return response.json();
      });
    }
    return Promise.resolve(source);
  }

  // A layer's arcs as [lon, lat] vertices: one stream of differences through all arcs
  // (mapapp/boundaries/compact.py), so an arc starts from the end of the one before.
  function decodeArcs(layer) {
    var arcs = [], x = 0, y = 0, scale = layer.scale;
    layer.arcs.forEach(function (numbers) {
      var points = [];
      for (var i = 0; i < numbers.length; i += 2) {
        x += numbers[i]; y += numbers[i + 1];
        points.push([x / scale, y / scale]);
      }
      arcs.push(points);
    });
    return arcs;
  }

  // A ring from its arc indices (~i: arc i reversed); consecutive arcs share a vertex.
  function decodeRing(indices, arcs) {
    var coords = [];
    indices.forEach(function (index) {
      var arc = index >= 0 ? arcs[index] : arcs[~index].slice().reverse();
      for (var i = coords.length ? 1 : 0; i < arc.length; i++) { coords.push(arc[i]); }
    });
    return coords;
  }

  function toGeoJSON(layer, keep) {
    var features = [], arcs = decodeArcs(layer);
    layer.features.forEach(function (f) {
      if (!keep(f.id)) { return; }
      features.push({
        type: "Feature", properties: {ubigeo: f.id, name: f.n || ""},
        geometry: {type: "MultiPolygon", coordinates: f.p.map(function (rings) {
          return rings.map(function (ring) { return decodeRing(ring, arcs); });
        })}
      });
    });
    return {type: "FeatureCollection", features: features};
  }

  function inAreas(areas) {
    return function (code) {
      if (!areas.length) { return true; }
      return areas.some(function (area) { return code.indexOf(area) === 0; });
    };
  }

  function box(map, position, className) {
    var control = L.control({position: position});
    control.onAdd = function () {
      var div = L.DomUtil.create("div", className);
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    control.addTo(map);
    return control.getContainer();
  }

  function tooltip(aliases, values) {
    var table = document.createElement("table");
    values.forEach(function (value, i) {
      var row = table.insertRow();
      var head = document.createElement("th");
      head.textContent = aliases[i];
      row.appendChild(head);
      row.insertCell().textContent = value;
    });
    return table;
  }

  function base(map, config) {
    var styles = config.styles;
    var handle = {map: map, styles: styles, palette: [], classOf: {}, aliases: [], texts: {},
                  noDataText: "", defaultStyle: styles.places, drawn: false,
                  legend: box(map, "bottomright", "map-box map-legend"),
                  source: box(map, "bottomleft", "map-box map-source"),
                  notice: box(map, "topright", "map-box map-notice")};
    handle.styleOf = function (code) {
      var index = handle.classOf[code];
      return index === undefined ? handle.defaultStyle : handle.palette[index];
    };
    // The places layer is on the map from the start (streamlit-folium hooks its clicks
    // to the map's layers once), but its shapes are added only by the first apply: each
    // shape is born with the view's style, so the first frame is already styled.
    var places = L.geoJSON(null, {style: function (feature) {
      return handle.styleOf(feature.properties.ubigeo);
    }}).addTo(map);
    handle.places = places;
    var context = L.geoJSON(null, {interactive: false, style: function () {
      return styles.context;
    }}).addTo(map);
    var rest = L.geoJSON(null, {interactive: false, style: function () { return styles.rest; }})
      .addTo(map);
    function underPlaces() { rest.bringToBack(); context.bringToBack(); }
    var keep = inAreas(config.areas);
    var departments = config.areas.map(function (a) { return a.slice(0, 2); });
    var failed = function (error) { handle.notice.textContent = String(error); };
    // Decoded while the page waits for the view's data; drawn by apply.
    handle.shapes = load(config.places).then(function (data) { return toGeoJSON(data, keep); });
    handle.ready = Promise.all([
      load(config.context).then(function (data) {
        context.addData(toGeoJSON(data, function () { return true; }));
        underPlaces();
      }),
      config.rest ? load(config.rest).then(function (data) {
        rest.addData(toGeoJSON(data, function (code) {
          return departments.indexOf(code) < 0;
        }));
        underPlaces();
      }) : null,
      handle.shapes
    ]).catch(failed);
    places.on("mouseover", function (e) { e.layer.setStyle(styles.hover); });
    places.on("mouseout", function (e) {
      e.layer.setStyle(handle.styleOf(e.layer.feature.properties.ubigeo));
    });
    // One tooltip for the whole layer, reading the current view's values: a new view
    // changes data, not 1,800 tooltips.
    places.bindTooltip(function (layer) {
      return tooltip(handle.aliases, handle.textsOf(layer.feature.properties));
    }, {sticky: true});
    handle.textsOf = function (props) {
      return [props.name].concat(handle.texts[props.ubigeo] || [handle.noDataText, "–", "–"]);
    };
    handle.apply = function (group, data) { return apply(handle, group, data, failed); };
    var pending = false;
    map.on("zoomend moveend resize", function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; placeLabels(handle); });
    });
    return handle;
  }

  // After the frame that first drew the styled places: Leaflet's canvas redraw was
  // requested before this animation frame callback, so it runs after that draw. Once.
  function markStyled() {
    window.requestAnimationFrame(function () {
      if (window.mapappStyled === undefined) {
        window.mapappStyled = performance.now();
        reportReady();
      }
    });
  }

  // Tell the page that the map has painted: its first run drew only the header and the
  // map, and draws the rest on this report (mapapp/app.py, map first). Once per page
  // load: a later map (another level) does not ask for a rerun. Through streamlit-folium
  // (window.Streamlit); a standalone export has no page to tell.
  function reportReady() {
    var streamlit = window.Streamlit, shared = window.__GLOBAL_DATA__, page = null;
    if (!streamlit || !shared) { return; }
    try { page = window.parent; } catch (e) { page = null; }
    try {
      if (page && page.mapappMapReported) { return; }
      if (page) { page.mapappMapReported = true; }
    } catch (e) { /* another origin: report, as a first map would */ }
    streamlit.setComponentValue(Object.assign({}, shared.previous_data || {},
                                              {map_ready: true}));
  }

  function apply(handle, group, data, failed) {
    handle.legend.innerHTML = data.legendHtml;
    handle.source.innerHTML = data.sourceHtml;
    handle.notice.innerHTML = data.noticeHtml;
    handle.notice.style.display = data.noticeHtml ? "" : "none";
    handle.palette = data.palette;
    handle.classOf = data.classOf;
    handle.defaultStyle = data.noData;
    handle.aliases = data.aliases;
    handle.texts = data.texts;
    handle.noDataText = data.noDataText;
    return handle.shapes.then(function (shapes) {
      var first = !handle.drawn;
      if (first) {  // shapes born styled, with circles, labels and localities: one frame
        handle.drawn = true;
        handle.places.addData(shapes);
        handle.places.bringToFront();
      } else {  // a later view: the same shapes, restyled
        handle.places.eachLayer(function (layer) {
          layer.setStyle(handle.styleOf(layer.feature.properties.ubigeo));
        });
      }
      var names = {};
      handle.places.eachLayer(function (layer) {
        names[layer.feature.properties.ubigeo] = layer.feature.properties;
      });
      data.circles.forEach(function (c) {
        var marker = L.circleMarker([c[0], c[1]],
                                    L.extend({radius: c[2]}, handle.styles.circle));
        marker.feature = {type: "Feature", properties: {ubigeo: c[3]}};
        marker.bindTooltip(function () {
          return tooltip(data.aliases, handle.textsOf(names[c[3]] || {ubigeo: c[3], name: c[3]}));
        }, {sticky: true});
        marker.addTo(group);
      });
      handle.labels = labelState(handle, data);
      handle.labels.layer.addTo(group);
      placeLabels(handle);
      if (data.localities && data.localities.length) { localities(group, data.localities); }
      if (first) { markStyled(); }
    }).catch(failed);
  }

  // Place names that never collide. The candidates come in data.labels ([lat, lon, name])
  // in the order their names claim room (mapapp/analysis/symbology.py label_priority:
  // the largest values first, then the largest areas); a name is shown only where its
  // box (with a margin for its halo) stays inside the map and overlaps no name placed
  // before it, no value circle and no box of the map (legend, source...). A place with
  // a circle (the circle at the same point) is named beside it (right, left, above,
  // below), any other on its point. Placed again after every zoom, move and resize:
  // more names as one zooms in.
  var LABEL_MARGIN = 2, LABEL_CELL = 64;

  function labelState(handle, data) {
    var circleAt = {};
    data.circles.forEach(function (c) { circleAt[c[0] + "," + c[1]] = c; });
    var items = data.labels.map(function (l) {
      var circle = circleAt[l[0] + "," + l[1]], span = document.createElement("span");
      span.textContent = l[2];
      return {latlng: L.latLng(l[0], l[1]), span: span, width: 0, height: 0,
              radius: circle && circle[2] > 0 ? circle[2] + 1 : 0,  // + its edge
              marker: L.marker([l[0], l[1]], {interactive: false, keyboard: false,
                icon: L.divIcon({className: "map-label", html: span, iconSize: [0, 0]})})};
    });
    var circles = data.circles.filter(function (c) { return c[2] > 0; }).map(function (c) {
      return {latlng: L.latLng(c[0], c[1]), radius: c[2] + 1};
    });
    var layer = L.layerGroup();
    var state = {layer: layer, items: items, circles: circles, measured: false};
    layer.on("add", function () { placeLabels(handle); });
    return state;
  }

  // Width and height of each name as the page's style sets it, read in one layout.
  function measureLabels(map, items) {
    var probe = L.DomUtil.create("div", "map-label", map.getContainer());
    probe.style.cssText = "position:absolute;left:0;top:0;visibility:hidden";
    items.forEach(function (item) { probe.appendChild(item.span); });
    items.forEach(function (item) {
      item.width = item.span.offsetWidth;
      item.height = item.span.offsetHeight;
    });
    items.forEach(function (item) { probe.removeChild(item.span); });
    L.DomUtil.remove(probe);
    return items.some(function (item) { return item.width > 0; });
  }

  function Grid() { this.cells = {}; }
  Grid.prototype.keys = function (box, visit) {
    for (var i = Math.floor(box[0] / LABEL_CELL); i <= Math.floor(box[2] / LABEL_CELL); i++) {
      for (var j = Math.floor(box[1] / LABEL_CELL); j <= Math.floor(box[3] / LABEL_CELL); j++) {
        if (visit(i + "," + j) === false) { return false; }
      }
    }
    return true;
  };
  Grid.prototype.add = function (box, circle) {
    var cells = this.cells, entry = {box: box, circle: circle};
    this.keys(box, function (key) { (cells[key] = cells[key] || []).push(entry); });
  };
  Grid.prototype.free = function (box) {
    var cells = this.cells;
    return this.keys(box, function (key) {
      var entries = cells[key] || [];
      for (var k = 0; k < entries.length; k++) {
        if (hits(box, entries[k])) { return false; }
      }
    });
  };

  function hits(box, entry) {
    var other = entry.box;
    if (box[0] >= other[2] || box[2] <= other[0] || box[1] >= other[3] || box[3] <= other[1]) {
      return false;
    }
    var c = entry.circle;
    if (!c) { return true; }
    var dx = Math.max(box[0] - c.x, 0, c.x - box[2]), dy = Math.max(box[1] - c.y, 0, c.y - box[3]);
    return dx * dx + dy * dy < c.r * c.r;
  }

  function placeLabels(handle) {
    var state = handle.labels, map = handle.map;
    if (!state || !state.layer._map) { return; }
    var started = performance.now(), size = map.getSize(), grid = new Grid(), placed = 0;
    if (!state.measured && state.items.length) {
      state.measured = measureLabels(map, state.items);  // again if the map was hidden
    }
    state.circles.forEach(function (c) {
      var p = map.latLngToContainerPoint(c.latlng), r = c.radius;
      if (p.x + r < 0 || p.y + r < 0 || p.x - r > size.x || p.y - r > size.y) { return; }
      grid.add([p.x - r, p.y - r, p.x + r, p.y + r], {x: p.x, y: p.y, r: r});
    });
    var frame = map.getContainer().getBoundingClientRect();
    var boxes = map.getContainer().querySelectorAll(".leaflet-control");
    for (var b = 0; b < boxes.length; b++) {
      var rect = boxes[b].getBoundingClientRect();
      if (rect.width && rect.height) {
        grid.add([rect.left - frame.left, rect.top - frame.top, rect.right - frame.left,
                  rect.bottom - frame.top]);
      }
    }
    state.items.forEach(function (item) {
      var p = map.latLngToContainerPoint(item.latlng), r = item.radius;
      var w = item.width / 2 + LABEL_MARGIN, h = item.height / 2 + LABEL_MARGIN;
      var offsets = r ? [[r + w, 0], [-r - w, 0], [0, -r - h], [0, r + h]] : [[0, 0]];
      var spot = null;
      for (var k = 0; k < offsets.length && !spot; k++) {
        var x = p.x + offsets[k][0], y = p.y + offsets[k][1];
        var box = [x - w, y - h, x + w, y + h];
        if (item.width && box[0] >= 0 && box[1] >= 0 && box[2] <= size.x && box[3] <= size.y &&
            grid.free(box)) {
          grid.add(box);
          spot = offsets[k];
        }
      }
      if (spot) {
        item.span.style.left = spot[0] + "px";
        item.span.style.top = spot[1] + "px";
        if (!state.layer.hasLayer(item.marker)) { state.layer.addLayer(item.marker); }
        placed += 1;
      } else if (state.layer.hasLayer(item.marker)) {
        state.layer.removeLayer(item.marker);
      }
    });
    handle.labelStats = {candidates: state.items.length, placed: placed,
                         ms: performance.now() - started};
  }

  function localities(group, rows) {
    var cluster = L.markerClusterGroup({maxClusterRadius: 40, iconCreateFunction: function (c) {
      var span = document.createElement("span");
      span.textContent = c.getChildCount();
      return L.divIcon({className: "locality-cluster", iconSize: [26, 26], html: span});
    }});
    rows.forEach(function (r) {
      var marker = L.marker([r.lat, r.lon], {title: r.lines[0], icon: L.divIcon({
        className: "locality", html: '<div class="locality-dot"></div>',
        iconSize: [14, 14], iconAnchor: [7, 7]})});
      marker.bindPopup(function () {
        var div = document.createElement("div");
        div.className = "locality-popup";
        r.lines.forEach(function (line, i) {
          var part = document.createElement(i ? "div" : "b");
          part.textContent = line;
          div.appendChild(part);
        });
        return div;
      });
      cluster.addLayer(marker);
    });
    cluster.addTo(group);
  }

  window.mapapp = {base: base, decodeArcs: decodeArcs, decodeRing: decodeRing};
}());
