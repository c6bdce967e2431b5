/* mapapp map runtime (served by the app; inlined in standalone exports).
 *
 * mapapp.base(map, config) draws the shapes once: neighbouring countries, the
 * rest of Peru and the places of the level, from compact files (see
 * mapapp/compact.py) given as a URL or inline. It returns a handle whose
 * apply(group, data) restyles the places and puts circles, labels, localities
 * and legend in `group` - so a new indicator or filter sends styles, never
 * shapes again. Text from data is set with textContent, never as HTML; only
 * the legend and source boxes take HTML, which the server escaped. Styles and
 * colours come from the server too (config.styles, data.palette/noData; see
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
    var places = L.geoJSON(null, {style: function () { return styles.places; }}).addTo(map);
    var handle = {map: map, places: places, styles: styles, texts: {},
                  legend: box(map, "bottomright", "map-box map-legend"),
                  source: box(map, "bottomleft", "map-box map-source"),
                  notice: box(map, "topright", "map-box map-notice")};
    var context = L.geoJSON(null, {interactive: false, style: function () {
      return styles.context;
    }});
    var rest = L.geoJSON(null, {interactive: false, style: function () { return styles.rest; }});
    context.addTo(map); rest.addTo(map); places.bringToFront();
    var keep = inAreas(config.areas);
    var departments = config.areas.map(function (a) { return a.slice(0, 2); });
    handle.ready = Promise.all([
      load(config.context).then(function (data) {
        context.addData(toGeoJSON(data, function () { return true; }));
        context.bringToBack();
      }),
      config.rest ? load(config.rest).then(function (data) {
        rest.addData(toGeoJSON(data, function (code) {
          return departments.indexOf(code) < 0;
        }));
      }) : null,
      load(config.places).then(function (data) {
        places.addData(toGeoJSON(data, keep));
        places.bringToFront();
      })
    ]).catch(function (error) {
      handle.notice.textContent = String(error);
    });
    places.on("mouseover", function (e) { e.layer.setStyle(styles.hover); });
    places.on("mouseout", function (e) {
      e.layer.setStyle(handle.styleOf(e.layer.feature.properties.ubigeo));
    });
    // One tooltip for the whole layer, reading the current view's values: a new view
    // changes data, not 1,800 tooltips.
    places.bindTooltip(function (layer) {
      return tooltip(handle.aliases, handle.textsOf(layer.feature.properties));
    }, {sticky: true});
    handle.aliases = []; handle.texts = {}; handle.noDataText = "";
    handle.textsOf = function (props) {
      return [props.name].concat(handle.texts[props.ubigeo] || [handle.noDataText, "–", "–"]);
    };
    handle.styleOf = function (code) {
      var index = handle.classOf[code];
      return index === undefined ? handle.defaultStyle : handle.palette[index];
    };
    handle.palette = []; handle.classOf = {};
    handle.defaultStyle = styles.places;
    handle.apply = function (group, data) { return apply(handle, group, data); };
    return handle;
  }

  function apply(handle, group, data) {
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
    return handle.ready.then(function () {
      var names = {};
      handle.places.eachLayer(function (layer) {
        var props = layer.feature.properties;
        names[props.ubigeo] = props;
        layer.setStyle(handle.styleOf(props.ubigeo));
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
    });
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
