"""Compact geometry for the browser: a topology of delta-encoded integer arcs.

A layer is ``{"scale": S, "arcs": [...], "features": [{"id", "n", "p"}]}``:

- coordinates are integers in units of 1/``SCALE`` degree (~11 m);
- ``arcs`` is one flat list of numbers per arc, ``[dx0, dy0, dx1, dy1, …]``: every
  vertex is the difference from the vertex before it, through all arcs in order (the
  first arc's first vertex from 0, 0; an arc's first vertex from the last vertex of
  the arc before it, which is often the same junction: ``0, 0``);
- a feature's ``p`` is a list of polygons, a polygon a list of rings (outer first),
  a ring a list of arc indices: ``i`` for arc ``i`` as stored, ``~i`` (``-i - 1``)
  for arc ``i`` reversed. Consecutive arcs of a ring share their end vertex, and
  the last arc ends where the first one starts (the ring's closing vertex).

Neighbouring places share their borders vertex for vertex (the districts are
coverage-simplified together and the upper levels dissolved from them), so each
border is stored once. Rings are cut into arcs at junctions: vertices where the
edges of all rings do not form a simple path (a degree other than 2), or where the
rings using the edge before and the edge after differ. A ring without a junction
(an island, an enclave and the hole it fills) becomes one closed arc, started at its
smallest vertex and running towards the smaller of that vertex's neighbours, so
that the enclave and the hole find the same arc.

Decoding gives each ring's quantised vertices in the ring's own direction, from
another start vertex perhaps (a junction), without repeated consecutive vertices.
``static/mapapp/mapapp.js`` decodes the same format.
"""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import pairwise

import shapely

SCALE = 10_000  # 1e-4 degree, ~11 m: the screen detail's grid

Point = tuple[int, int]


def quantise_ring(coords) -> list[Point]:
    """A ring's vertices on the grid, as a cycle: no closing vertex, no vertex twice
    in a row (two source vertices can round to the same grid point)."""
    ring: list[Point] = []
    for x, y in coords:
        point = (round(x * SCALE), round(y * SCALE))
        if not ring or ring[-1] != point:
            ring.append(point)
    while len(ring) > 1 and ring[-1] == ring[0]:
        ring.pop()
    return ring


def geometry_rings(geometry) -> list[list[list[Point]]]:
    """The quantised rings of a (multi)polygon: polygons of rings, outer first."""
    polygons = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]
    return [[quantise_ring(p.exterior.coords), *(quantise_ring(r.coords) for r in p.interiors)]
            for p in polygons]


class _Topology:
    """Arcs shared between the rings of a whole layer."""

    def __init__(self, rings: list[list[Point]]) -> None:
        self.rings = rings
        users: dict[tuple[Point, Point], list[int]] = defaultdict(list)
        for index, ring in enumerate(rings):
            for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
                users[(a, b) if a <= b else (b, a)].append(index)
        neighbours: dict[Point, set[Point]] = defaultdict(set)
        for a, b in users:
            neighbours[a].add(b)
            neighbours[b].add(a)
        self.junctions = set()
        for point, around in neighbours.items():
            if len(around) != 2:
                self.junctions.add(point)
                continue
            one, two = (tuple(sorted(users[(point, n) if point <= n else (n, point)]))
                        for n in around)
            if one != two:
                self.junctions.add(point)
        self.arcs: list[list[Point]] = []
        self.index: dict[tuple[Point, ...], int] = {}

    def _arc(self, points: list[Point]) -> int:
        key = tuple(points)
        if key in self.index:
            return self.index[key]
        if key[::-1] in self.index:
            return ~self.index[key[::-1]]
        self.index[key] = len(self.arcs)
        self.arcs.append(points)
        return self.index[key]

    def ring_arcs(self, ring: list[Point]) -> list[int]:
        cuts = [i for i, point in enumerate(ring) if point in self.junctions]
        if not cuts:  # a closed arc, from its smallest vertex towards its smaller neighbour
            start = ring.index(min(ring))
            cycle = ring[start:] + ring[:start]
            backwards = cycle[-1] < cycle[1]
            if backwards:
                cycle = cycle[:1] + cycle[:0:-1]
            arc = self._arc([*cycle, cycle[0]])
            return [~arc if backwards else arc]
        cycle = ring[cuts[0]:] + ring[:cuts[0]] + [ring[cuts[0]]]
        cuts = [i - cuts[0] for i in cuts] + [len(ring)]
        return [self._arc(cycle[a:b + 1]) for a, b in pairwise(cuts)]


def encode_arcs(arcs: list[list[Point]]) -> list[list[int]]:
    """Each arc's vertices as differences, continuing from the arc before it."""
    out, last_x, last_y = [], 0, 0
    for arc in arcs:
        numbers: list[int] = []
        for x, y in arc:
            numbers += [x - last_x, y - last_y]
            last_x, last_y = x, y
        out.append(numbers)
    return out


def decode_arcs(arcs: list[list[int]]) -> list[list[Point]]:
    """A layer's ``arcs`` back to integer grid vertices."""
    out, x, y = [], 0, 0
    for numbers in arcs:
        points = []
        for i in range(0, len(numbers), 2):
            x, y = x + numbers[i], y + numbers[i + 1]
            points.append((x, y))
        out.append(points)
    return out


def decode_ring(ring: list[int], arcs: list[list[Point]]) -> list[Point]:
    """A ring's integer vertices from its arc indices (``arcs`` from ``decode_arcs``),
    closed: its last vertex is its first."""
    points: list[Point] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points += arc[1:] if points else arc
    return points


def decode_geometry(polygons: list[list[list[int]]], arcs: list[list[Point]]):
    """A feature's ``p`` as a shapely (Multi)Polygon in degrees (``arcs`` from
    ``decode_arcs(layer["arcs"])``)."""
    def ring(indices):
        return [(x / SCALE, y / SCALE) for x, y in decode_ring(indices, arcs)]

    shapes = [shapely.Polygon(ring(rings[0]), [ring(r) for r in rings[1:]])
              for rings in polygons]
    return shapely.MultiPolygon(shapes) if len(shapes) > 1 else shapes[0]


def encode_layer(frame, key: str = "ubigeo", name: str | None = "name") -> dict:
    """``{"scale": …, "arcs": […], "features": [{"id": key, "n": name, "p": polygons}]}``."""
    drawn = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    names = drawn[name] if name else [None] * len(drawn)
    shapes = [geometry_rings(shape) for shape in drawn.geometry]
    topology = _Topology([ring for polygons in shapes for rings in polygons for ring in rings])
    features = []
    for code, label, polygons in zip(drawn[key], names, shapes, strict=True):
        feature = {"id": str(code), "p": [[topology.ring_arcs(r) for r in rings]
                                          for rings in polygons]}
        if label:
            feature["n"] = str(label)
        features.append(feature)
    return {"scale": SCALE, "arcs": encode_arcs(topology.arcs), "features": features}


def dumps(layer: dict) -> str:
    return json.dumps(layer, separators=(",", ":"), allow_nan=False)
