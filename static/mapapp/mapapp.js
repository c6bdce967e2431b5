/* mapapp map runtime (served by the app; inlined in standalone exports).
 *
 * mapapp.base(map, config) loads the shapes once: neighbouring countries, the
 * rest of Peru and the places of the level, from compact files (see
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

  function decodeRing(numbers, scale) {
    var coords = [], x = 0, y = 0;
    for (var i = 0; i < numbers.length; i += 2) {
      x += numbers[i]; y += numbers[i + 1];
      coords.push([x / scale, y / scale]);
    }
    return coords;
  }

  function toGeoJSON(layer, keep) {
    var features = [];
    layer.features.forEach(function (f) {
      if (!keep(f.id)) { return; }
      features.push({
        type: "Feature", properties: {ubigeo: f.id, name: f.n || ""},
        geometry: {type: "MultiPolygon", coordinates: f.p.map(function (rings) {
          return rings.map(function (ring) { return decodeRing(ring, layer.scale); });
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

  function textIcon(className, text) {
    var span = document.createElement("span");
    span.textContent = text;
    return L.divIcon({className: className, html: span, iconSize: [0, 0]});
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
      data.labels.forEach(function (l) {
        L.marker([l[0], l[1]], {interactive: false, icon: textIcon("map-label", l[2])})
          .addTo(group);
      });
      if (data.localities && data.localities.length) { localities(group, data.localities); }
      if (first) { markStyled(); }
    }).catch(failed);
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

  window.mapapp = {base: base, decodeRing: decodeRing};
}());
