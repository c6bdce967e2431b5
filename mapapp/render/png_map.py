"""A presentation-ready static map with matplotlib, no browser needed: a PNG for slides
(1920×1080, 16:9) and a vector PDF (A4 landscape) of the same layout.

Layout: a white header (title, subtitle with the filters and unit, the demo label),
then the map across the whole width down to the bottom edge, framed on the data (the
places with data, or every place of a filtered or drilled-down view) in the part of
the frame left of a side column; the column holds the legend, the scale bar, the north
arrow and the sources, over context only. An inset shows Lima and Callao when the view
includes them and they are too small to see, in a corner of the map free of places.

Place names are tried in priority order (largest values, then largest areas) and
kept only where their box (text and halo, measured by the renderer) overlaps no name
already placed, no value circle, no furniture, and stays inside the map; a name that
does not fit is left out. ``render_map`` reports the boxes it drew (``Rendered``).
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass, field

import numpy as np
import shapely

from mapapp.analysis.layer import MapLayer, context_departments, shown_areas, title
from mapapp.analysis.symbology import (
    COLORS,
    MAX_RADIUS_PT,
    LegendRow,
    circle_radii,
    format_bound,
    legend_rows,
    print_label_candidates,
    shows_localities,
)
from mapapp.boundaries import geodata
from mapapp.model.i18n import t
from mapapp.model.provenance import Credits

CIRCLE_ALPHA = 0.6  # the web map's circles are a little lighter (web_map)
KM_PER_DEGREE = 111.32
HALO_PT = 2.5  # width of the white stroke around names (half of it outside the glyphs)
LIMA_CALLAO = ("1501", "07")  # Lima Metropolitana and Callao: ubigeo prefixes
INSET_MIN_PX_IN = 0.16  # a place of Lima/Callao smaller than this (inches) calls the inset
INSET_MIN_ZOOM = 2.5  # … if the inset magnifies this much at least


@dataclass(frozen=True)
class Page:
    """A figure size; lengths of the layout are given for the 16 × 9 in slide and
    scaled (``scale``) to other sizes, so that A4 shows the same layout."""

    size_in: tuple[float, float]
    dpi: int

    @property
    def scale(self) -> float:
        return min(self.size_in[0] / 16, self.size_in[1] / 9)

    @property
    def px(self) -> tuple[float, float]:
        return self.size_in[0] * self.dpi, self.size_in[1] * self.dpi

    def pt(self, points: float) -> float:
        """A length of the slide layout in points, on this page."""
        return points * self.scale

    def to_px(self, points: float) -> float:
        """A length of the slide layout (points) in pixels of this page."""
        return points * self.scale * self.dpi / 72


SLIDE = Page((16, 9), 120)  # 1920 × 1080 pixels
A4_LANDSCAPE = Page((297 / 25.4, 210 / 25.4), 100)  # vector: the dpi is for measuring only
SIZE_IN, DPI = SLIDE.size_in, SLIDE.dpi

# The layout, in points of the slide (``Page.pt`` scales them).
MARGIN_PT = 18
HEADER_PT = 94  # the white band above the map
PANEL_PT = 300  # width of the side column
GAP_PT = 3  # between a circle and its name


@dataclass(frozen=True)
class Box:
    """A rectangle in the figure's pixels (origin bottom left)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def of(cls, bbox) -> Box:
        return cls(float(bbox.x0), float(bbox.y0), float(bbox.x1), float(bbox.y1))

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def padded(self, pad: float) -> Box:
        return Box(self.x0 - pad, self.y0 - pad, self.x1 + pad, self.y1 + pad)

    def overlaps(self, other: Box) -> bool:
        """The boxes share some area (touching edges do not count)."""
        return (self.x0 < other.x1 and other.x0 < self.x1
                and self.y0 < other.y1 and other.y0 < self.y1)

    def within(self, other: Box) -> bool:
        return (self.x0 >= other.x0 and self.y0 >= other.y0
                and self.x1 <= other.x1 and self.y1 <= other.y1)

    def hits_circles(self, circles: np.ndarray) -> bool:
        """Some circle (rows of x, y, radius) reaches inside the box."""
        if not len(circles):
            return False
        x, y, r = circles[:, 0], circles[:, 1], circles[:, 2]
        dx = np.clip(x, self.x0, self.x1) - x
        dy = np.clip(y, self.y0, self.y1) - y
        return bool((dx * dx + dy * dy < r * r).any())

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.y0, other.y0),
                   max(self.x1, other.x1), max(self.y1, other.y1))


@dataclass(frozen=True)
class Rendered:
    """A rendered map and what is where on it, measured on the drawn artists (pixels of
    ``size``; a PDF's are those of its measuring dpi)."""

    data: bytes
    size: tuple[float, float]
    map_area: Box  # the map's axes
    data_area: Box  # the framed places' extent
    labels: tuple[Box, ...]  # each place name with its value line, halo included
    label_texts: tuple[str, ...]
    circles: tuple[tuple[float, float, float], ...]  # value circles: x, y, radius
    furniture: dict[str, Box] = field(default_factory=dict)  # panel, inset, …


def render_png(layer: MapLayer) -> bytes:
    """The slide: 1920 × 1080 PNG."""
    return render_map(layer, "png").data


def render_pdf(layer: MapLayer) -> bytes:
    """The same layout on an A4 landscape page, vector (text stays text)."""
    return render_map(layer, "pdf").data


def render_map(layer: MapLayer, fmt: str = "png", page: Page | None = None) -> Rendered:
    """``fmt`` "png" or "pdf"; ``page`` the slide for a PNG, A4 landscape for a PDF
    unless given."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    page = page or (SLIDE if fmt == "png" else A4_LANDSCAPE)
    # Text is text: no "$...$" mathtext (a published title or a name could hold one,
    # and a broken one raises while drawing).
    with matplotlib.rc_context({"text.parse_math": False}):
        return _render(layer, fmt, page, Figure, FigureCanvasAgg)


def _render(layer: MapLayer, fmt: str, page: Page, Figure, FigureCanvasAgg) -> Rendered:
    credits = layer.data.credits(layer.view.lang)
    fig = Figure(figsize=page.size_in, dpi=page.dpi)
    FigureCanvasAgg(fig)
    # geopandas asks the canvas to redraw after each layer: here that would render the
    # whole figure each time; it is drawn once, when saved.
    fig.canvas.draw_idle = lambda *args, **kwargs: None
    renderer = fig.canvas.get_renderer()
    layout = _Layout(page)
    _header(fig, renderer, layer, credits, page)
    ax = fig.add_axes(layout.map_rect)
    drawn = _draw_map(ax, layer, page, layout)
    panel = _panel(fig, renderer, layer, credits, page, layout, ax)
    obstacles = {"panel": panel}
    inset = _lima_inset(fig, ax, layer, page, layout, drawn)
    if inset is not None:
        obstacles["inset"] = inset
    if layer.view.labels:
        _labels(ax, renderer, layer, page, layout, drawn, list(obstacles.values()))
    report = _report(fig, ax, renderer, page, drawn, obstacles)
    buffer = io.BytesIO()
    if fmt == "png":
        fig.savefig(buffer, format="png", dpi=page.dpi, metadata={"Software": "mapapp"})
    else:
        import matplotlib as mpl

        # TrueType fonts (with their Unicode map): text a reader can search and copy
        with mpl.rc_context({"pdf.fonttype": 42}):
            fig.savefig(buffer, format="pdf", metadata={"Creator": "mapapp",
                                                        "Title": layer.title})
    return Rendered(buffer.getvalue(), page.px, **report)


# --- layout -------------------------------------------------------------------------

class _Layout:
    """Where things go, in figure pixels and fractions."""

    def __init__(self, page: Page) -> None:
        width, height = page.px
        self.page = page
        self.margin = page.to_px(MARGIN_PT)
        self.map_top = height - page.to_px(HEADER_PT)
        self.map_rect = (0.0, 0.0, 1.0, self.map_top / height)
        self.map_box = Box(0, 0, width, self.map_top)
        panel_x0 = width - self.margin - page.to_px(PANEL_PT)
        self.panel = Box(panel_x0, self.margin, width - self.margin, self.map_top - self.margin)
        # where the data is framed: left of the column, clear of the edges
        self.free = Box(self.margin, self.margin, panel_x0 - self.margin,
                        self.map_top - self.margin)

    def fraction(self, box: Box) -> tuple[float, float, float, float]:
        width, height = self.page.px
        return box.x0 / width, box.y0 / height, box.width / width, box.height / height


def _header(fig, renderer, layer: MapLayer, credits: Credits, page: Page) -> None:
    width, height = page.px
    margin = page.to_px(MARGIN_PT)
    right = width - margin
    if credits.demo_label:
        notice = fig.text(right / width, 1 - margin * 1.1 / height, credits.demo_label,
                          ha="right", va="top", fontsize=page.pt(15), fontweight="bold",
                          color=COLORS.notice_text,
                          bbox={"boxstyle": "round,pad=0.5", "fc": COLORS.notice,
                                "ec": COLORS.notice_edge})
        right = notice.get_window_extent(renderer).x0 - page.to_px(20)
    heading = fig.text(margin / width, 1 - margin / height, layer.title,
                       fontsize=page.pt(30), fontweight="bold", va="top")
    size = page.pt(30)
    while heading.get_window_extent(renderer).x1 > right and size > page.pt(18):
        size -= page.pt(1)  # a long title yields to the demo label
        heading.set_fontsize(size)
    subtitle = fig.text(margin / width, 1 - page.to_px(60) / height,
                        f"{layer.subtitle} · {layer.unit}", fontsize=page.pt(15),
                        color=COLORS.muted, va="top")
    _wrap_to(subtitle, renderer, right - margin)


def _wrap_to(text, renderer, width_px: float) -> None:
    """Wrap ``text`` (a matplotlib Text) at word breaks until it is ``width_px`` wide."""
    original = text.get_text()
    paragraphs = original.split("\n")
    chars = max(len(p) for p in paragraphs)
    while text.get_window_extent(renderer).width > width_px and chars > 10:
        chars = int(chars * 0.92)
        text.set_text("\n".join(textwrap.fill(p, chars, break_on_hyphens=False)
                                 for p in paragraphs))


# --- the map ------------------------------------------------------------------------

@dataclass
class _Drawn:
    """What the map drew, for the furniture and the names to avoid."""

    places: object  # GeoDataFrame of the view's places
    anchors: np.ndarray  # (n, 2) lon, lat of each place's point inside it
    radii_px: np.ndarray  # circle radius of each place (0: none)
    circles: object | None = None  # the PathCollection of the value circles
    lat0: float = 0.0


def _draw_map(ax, layer: MapLayer, page: Page, layout: _Layout) -> _Drawn:
    view = layer.view
    places = layer.places.reset_index(drop=True)
    framed = places
    if not shown_areas(view) and layer.has_data:
        framed = places[places["shown"].notna()]  # all Peru: the places with data
    bounds = tuple(framed.total_bounds)
    lat0 = (bounds[1] + bounds[3]) / 2
    anchors = shapely.get_coordinates(shapely.point_on_surface(places.geometry.values))
    radii = np.zeros(len(places))
    circles_drawn = not view.is_choropleth and layer.has_data
    if circles_drawn:
        with_data = places["shown"].notna().to_numpy()
        radii[with_data] = [page.to_px(r) for r in
                            circle_radii(places.loc[with_data, "shown"],
                                         MAX_RADIUS_PT[view.level], layer.largest)]
    framed_rows = places.index.get_indexer(framed.index)
    _fit(ax, bounds, lat0, layout,
         np.column_stack([anchors[framed_rows], radii[framed_rows]]))
    ax.set_aspect("auto")  # the limits already keep 1 / cos(lat0) on the axes' shape
    ax.set_facecolor(COLORS.sea)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    _context(ax, view, page)
    _places(ax, layer, places, page)
    drawn = _Drawn(places, anchors, radii, lat0=lat0)
    if circles_drawn:
        order = np.argsort(-radii)  # the largest below, so the small ones stay visible
        order = order[radii[order] > 0]
        drawn.circles = ax.scatter(
            anchors[order, 0], anchors[order, 1],
            s=(2 * radii[order] * 72 / page.dpi) ** 2, color=COLORS.circle,
            alpha=CIRCLE_ALPHA, edgecolor=COLORS.circle_edge, linewidth=page.pt(0.8),
            zorder=4)
    if shows_localities(layer):
        localities = layer.localities
        ax.scatter(localities["lon"], localities["lat"], s=page.pt(22) * page.scale,
                   color=COLORS.locality, edgecolor=COLORS.outline, linewidth=page.pt(0.8),
                   zorder=5)
    ax.set_xlabel("")  # geopandas labels the axes in degrees: not for a slide
    ax.set_ylabel("")
    return drawn


def _fit(ax, bounds: tuple[float, float, float, float], lat0: float, layout: _Layout,
         circles: np.ndarray) -> None:
    """Limits that put ``bounds`` and the circles (rows of lon, lat, radius in pixels)
    as large as they go in the free part of the map (left of the column), centred
    there, at 1 / cos(lat0) degrees of longitude per degree of latitude; the rest of
    the axes shows context."""
    minx, miny, maxx, maxy = bounds
    span_x = max(maxx - minx, 0.05) * 1.02
    span_y = max(maxy - miny, 0.05) * 1.02
    centre_x, centre_y = (minx + maxx) / 2, (miny + maxy) / 2
    cos0 = math.cos(math.radians(lat0))
    free = layout.free.padded(-layout.page.to_px(4))
    k = min(free.width / (span_x * cos0), free.height / span_y)  # pixels per degree of lat
    for _ in range(4):  # circles keep their size in pixels: shrink until they fit too
        x = (np.append(circles[:, 0], [centre_x - span_x / 2, centre_x + span_x / 2])
             - centre_x) * k * cos0
        y = (np.append(circles[:, 1], [centre_y - span_y / 2, centre_y + span_y / 2])
             - centre_y) * k
        r = np.append(circles[:, 2], [0, 0])
        (x0, x1), (y0, y1) = (float((x - r).min()), float((x + r).max())), \
            (float((y - r).min()), float((y + r).max()))
        shrink = min(free.width / (x1 - x0), free.height / (y1 - y0))
        if shrink >= 0.999:
            break
        k *= shrink * 0.995
    # the middle of everything drawn goes to the middle of the free part
    centre_x += (x0 + x1) / 2 / (k * cos0)
    centre_y += (y0 + y1) / 2 / k
    free_cx = (free.x0 + free.x1) / 2 - layout.map_box.x0
    free_cy = (free.y0 + free.y1) / 2 - layout.map_box.y0
    left = centre_x - free_cx / (k * cos0)
    bottom = centre_y - free_cy / k
    ax.set_xlim(left, left + layout.map_box.width / (k * cos0))
    ax.set_ylim(bottom, bottom + layout.map_box.height / k)


def _context(ax, view, page: Page) -> None:
    """Neighbouring countries, Peru outside the areas shown, and around a drilled-down
    province the other provinces of its department, in greys (those in the axes' view)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    countries = geodata.load_context("print").cx[x0:x1, y0:y1]
    countries = countries[countries["name"] != "Peru"]
    if len(countries):
        countries.plot(ax=ax, color=COLORS.countries, edgecolor=COLORS.outline,
                       linewidth=page.pt(0.8))
    rest = context_departments(view).cx[x0:x1, y0:y1]
    if len(rest):
        rest.plot(ax=ax, color=COLORS.rest, edgecolor=COLORS.rest_edge, linewidth=page.pt(0.6))
    if view.prov:
        provinces = geodata.load_boundaries("province", "screen")
        around = provinces[(provinces["ubigeo"].str[:2] == view.prov[:2])
                           & (provinces["ubigeo"] != view.prov)]
        if len(around):
            around.plot(ax=ax, color=COLORS.rest, edgecolor=COLORS.rest_edge,
                        linewidth=page.pt(0.6))


def _places(ax, layer: MapLayer, places, page: Page) -> None:
    no_data = places[places["shown"].isna()]
    if len(no_data):
        no_data.plot(ax=ax, color=COLORS.print_no_data, edgecolor=COLORS.print_no_data_edge,
                     linewidth=page.pt(0.4), hatch="///")
    with_data = places[places["shown"].notna()]
    if not len(with_data):
        return
    if layer.view.is_choropleth:
        colors = [layer.classes.color_of(v) for v in with_data["shown"]]
        with_data.plot(ax=ax, color=colors, edgecolor=COLORS.outline, linewidth=page.pt(0.4))
    else:
        with_data.plot(ax=ax, color=COLORS.base_fill, edgecolor=COLORS.base_edge,
                       linewidth=page.pt(0.5))


# --- names --------------------------------------------------------------------------

def _halo(page: Page = SLIDE):
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=page.pt(HALO_PT), foreground=COLORS.outline)]


def _halo_px(page: Page) -> float:
    return page.to_px(HALO_PT) / 2


def _collides(box: Box, placed: list[Box], circles: np.ndarray, obstacles: list[Box],
              area: Box) -> bool:
    """A name's box cannot go here: outside the map, over furniture, a circle or a
    name already placed."""
    return (not box.within(area) or any(box.overlaps(o) for o in obstacles)
            or box.hits_circles(circles) or any(box.overlaps(p) for p in placed))


def _labels(ax, renderer, layer: MapLayer, page: Page, layout: _Layout, drawn: _Drawn,
            obstacles: list[Box]) -> None:
    """Names (and values, under them) by priority; each where it fits, or not at all."""
    from matplotlib.text import Text

    candidates = print_label_candidates(layer)
    if candidates.empty:
        return
    lang = layer.view.lang
    name_style = {"fontsize": page.pt(10.5), "fontweight": "bold", "color": COLORS.ink}
    value_style = {"fontsize": page.pt(9.5), "color": COLORS.muted}
    to_px = ax.transData.transform
    row_of = {idx: i for i, idx in enumerate(drawn.places.index)}
    positions = drawn.places.index.get_indexer(candidates.index)
    anchors_px = to_px(drawn.anchors[positions]) if len(positions) else np.empty((0, 2))
    circles = np.column_stack([to_px(drawn.anchors), drawn.radii_px])
    circles = circles[drawn.radii_px > 0]
    circles[:, 2] += page.to_px(0.4)  # the circles' edge
    pad = _halo_px(page) + page.to_px(0.5)
    gap = page.to_px(GAP_PT)
    placed: list[Box] = []
    for (idx, place), (x, y) in zip(candidates.iterrows(), anchors_px, strict=True):
        if not np.isfinite([x, y]).all():
            continue
        lines = [(str(place["name"]), name_style)]
        if np.isfinite(place["shown"]):
            lines.append((format_bound(float(place["shown"]), layer.unit, lang), value_style))
        sizes = [Text(text=t, figure=ax.figure, **style).get_window_extent(renderer)
                 for t, style in lines]
        width = max(s.width for s in sizes) + 2 * pad
        height = sum(s.height for s in sizes) + 2 * pad
        radius = drawn.radii_px[row_of[idx]]
        for box, ha in _spots(x, y, radius, width, height, gap):
            if not _collides(box, placed, circles, obstacles, layout.map_box):
                placed.append(box)
                _draw_label(ax, page, (x, y), drawn.anchors[row_of[idx]], box, ha, pad,
                            lines, sizes)
                break


def _spots(x: float, y: float, radius: float, width: float, height: float, gap: float):
    """Boxes a name may take around its place's point, best first: on the point when it
    has no circle, else beside the circle (right, left), above, below."""
    if radius <= 0:
        yield Box(x - width / 2, y - height / 2, x + width / 2, y + height / 2), "center"
        yield Box(x - width / 2, y + gap, x + width / 2, y + gap + height), "center"
        yield Box(x - width / 2, y - gap - height, x + width / 2, y - gap), "center"
        return
    reach = radius + gap
    yield Box(x + reach, y - height / 2, x + reach + width, y + height / 2), "left"
    yield Box(x - reach - width, y - height / 2, x - reach, y + height / 2), "right"
    yield Box(x - width / 2, y + reach, x + width / 2, y + reach + height), "center"
    yield Box(x - width / 2, y - reach - height, x + width / 2, y - reach), "center"


def _draw_label(ax, page: Page, anchor_px, anchor_xy, box: Box, ha: str, pad: float,
                lines, sizes) -> None:
    x = {"left": box.x0 + pad, "right": box.x1 - pad, "center": (box.x0 + box.x1) / 2}[ha]
    top = box.y1 - pad
    points = 72 / page.dpi
    for (text, style), size in zip(lines, sizes, strict=True):
        offset = ((x - anchor_px[0]) * points, (top - anchor_px[1]) * points)
        # the halo is drawn as outlines under the text, so the text itself stays text
        # in a PDF (a path effect on it would turn it into outlines)
        ax.annotate(text, anchor_xy, xytext=offset, textcoords="offset points", ha=ha,
                    va="top", zorder=6, annotation_clip=False, path_effects=_halo(page),
                    gid="label-halo", **{**style, "color": COLORS.outline})
        ax.annotate(text, anchor_xy, xytext=offset, textcoords="offset points", ha=ha,
                    va="top", zorder=6.1, annotation_clip=False,
                    gid="label" if style is lines[0][1] else "label-value", **style)
        top -= size.height


# --- the side column ----------------------------------------------------------------

def _panel(fig, renderer, layer: MapLayer, credits: Credits, page: Page, layout: _Layout,
           ax) -> Box:
    """A white column right of the data: legend, scale bar and north arrow, sources."""
    box = layout.panel
    column = fig.add_axes(layout.fraction(box), zorder=2)  # above the map
    column.set_facecolor((1, 1, 1, 0.94))
    column.set_xticks([])
    column.set_yticks([])
    for spine in column.spines.values():
        spine.set_edgecolor(COLORS.swatch_edge)
        spine.set_linewidth(page.pt(0.6))
    inner = page.to_px(14)
    width, height = page.px
    sources = fig.text((box.x0 + inner) / width, (box.y0 + inner) / height,
                       "\n".join(credits.lines), fontsize=page.pt(9), color=COLORS.muted,
                       va="bottom", linespacing=1.3)
    _wrap_to(sources, renderer, box.width - 2 * inner)
    top_of_sources = sources.get_window_extent(renderer).y1
    scale_y = top_of_sources + page.to_px(24)
    _scale_bar(fig, ax, page, box.x0 + inner, scale_y, box.width * 0.5)
    _north_arrow(column, page, box.x1 - inner - page.to_px(16), scale_y - page.to_px(6))
    legend_bottom = scale_y + page.to_px(70)
    _legend(fig, layer, page, Box(box.x0 + inner, legend_bottom, box.x1 - inner,
                                  box.y1 - inner), renderer)
    return box


def _scale_bar(fig, ax, page: Page, x0_px: float, y_px: float, room_px: float) -> None:
    from matplotlib.lines import Line2D

    width, height = page.px
    (minx, maxx), (miny, maxy) = ax.get_xlim(), ax.get_ylim()
    lat = (miny + maxy) / 2
    km_per_px = (maxx - minx) * KM_PER_DEGREE * math.cos(math.radians(lat)) / ax.bbox.width
    nice = _nice_length(room_px * km_per_px)
    length = nice / km_per_px
    fig.add_artist(Line2D([x0_px / width, (x0_px + length) / width], [y_px / height] * 2,
                          transform=fig.transFigure, color=COLORS.ink,
                          linewidth=page.pt(4), solid_capstyle="butt", zorder=7))
    for end in (x0_px, x0_px + length / 2, x0_px + length):
        fig.add_artist(Line2D([end / width] * 2, [(y_px - page.to_px(4)) / height,
                                                  (y_px + page.to_px(4)) / height],
                              transform=fig.transFigure, color=COLORS.ink,
                              linewidth=page.pt(1.2), zorder=7))
    fig.text((x0_px + length / 2) / width, (y_px + page.to_px(7)) / height,
             f"{nice:g} km", ha="center", va="bottom", fontsize=page.pt(12), zorder=7)


def _nice_length(km: float) -> float:
    magnitude = 10 ** math.floor(math.log10(km))
    return max(m * magnitude for m in (1, 2, 5) if m * magnitude <= km)


def _north_arrow(ax, page: Page, x_px: float, y_px: float) -> None:
    """"N" at (x, y) pixels with its arrow above (sizes in points: the same on a PDF)."""
    width, height = page.px
    ax.annotate("N", xy=(x_px / width, (y_px + page.to_px(62)) / height),
                xytext=(x_px / width, y_px / height), xycoords="figure fraction",
                ha="center", va="bottom", fontsize=page.pt(16), fontweight="bold",
                zorder=7, annotation_clip=False,
                arrowprops={"facecolor": COLORS.ink, "edgecolor": COLORS.ink,
                            "width": page.pt(5), "headwidth": page.pt(14),
                            "headlength": page.pt(13), "shrink": 0})


def _legend(fig, layer: MapLayer, page: Page = SLIDE, area: Box | None = None,
            renderer=None) -> None:
    """Title with unit, then the symbology's rows (localities only when drawn); the
    rows are the texts of the last axes added."""
    view = layer.view
    width, height = page.px
    if area is None:
        area = _Layout(page).panel.padded(-page.to_px(14))
    heading = fig.text(area.x0 / width, area.y1 / height, f"{title(view)}\n({layer.unit})",
                       fontsize=page.pt(15), fontweight="bold", va="top")
    if renderer is None:
        if not hasattr(fig.canvas, "get_renderer"):
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(fig)
        renderer = fig.canvas.get_renderer()
    _wrap_to(heading, renderer, area.width)
    top_px = heading.get_window_extent(renderer).y0 - page.to_px(16)
    ax = fig.add_axes((area.x0 / width, area.y0 / height, area.width / width,
                       max(top_px - area.y0, 1) / height), zorder=3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    rows = legend_rows(layer, MAX_RADIUS_PT[view.level],
                       with_localities=shows_localities(layer))
    height_pt = max(top_px - area.y0, 1) * 72 / page.dpi
    symbol_x = page.to_px(max(MAX_RADIUS_PT[view.level], 18) + 2) / area.width
    top = 1.0
    for row in rows:
        row_pt = max(page.pt(30), 2 * page.pt(row.radius or 0) + page.pt(10))
        middle = top - row_pt / 2 / height_pt
        _legend_symbol(ax, symbol_x, middle, row, page, area.width * 72 / page.dpi, height_pt)
        ax.text(2 * symbol_x + 0.04, middle, row.text, va="center", fontsize=page.pt(13))
        top -= row_pt / height_pt


def _legend_symbol(ax, x: float, y: float, row: LegendRow, page: Page, width_pt: float,
                   height_pt: float) -> None:
    from matplotlib.patches import Rectangle

    box_w, box_h = page.pt(36) / width_pt, page.pt(16) / height_pt
    if row.kind == "box":
        ax.add_patch(Rectangle((x - box_w / 2, y - box_h / 2), box_w, box_h, color=row.color,
                               ec=COLORS.swatch_edge))
    elif row.kind == "nodata":
        ax.add_patch(Rectangle((x - box_w / 2, y - box_h / 2), box_w, box_h,
                               fc=COLORS.print_no_data, ec=COLORS.print_no_data_edge,
                               hatch="///"))
    elif row.kind == "circle":
        ax.scatter([x], [y], s=(2 * page.pt(row.radius)) ** 2, color=row.color,
                   alpha=CIRCLE_ALPHA, edgecolor=COLORS.circle_edge, clip_on=False)
    else:
        ax.scatter([x], [y], s=page.pt(40) * page.scale, color=row.color,
                   edgecolor=COLORS.outline, clip_on=False)


# --- Lima and Callao ----------------------------------------------------------------

def _lima_inset(fig, ax, layer: MapLayer, page: Page, layout: _Layout,
                drawn: _Drawn) -> Box | None:
    """An inset of Lima Metropolitana and Callao when the view has data there that the
    map draws too small to see; in a corner of the map that covers no place. (Without
    data there, an inset would magnify "no data".)"""
    places = drawn.places
    here = places[places["ubigeo"].str.startswith(LIMA_CALLAO)]
    if here.empty or here["shown"].isna().all():
        return None
    to_px = ax.transData.transform
    bounds = here.geometry.bounds.to_numpy()
    low, high = to_px(bounds[:, :2]), to_px(bounds[:, 2:])
    sizes = np.maximum(high[:, 0] - low[:, 0], high[:, 1] - low[:, 1])
    if sizes.min() >= INSET_MIN_PX_IN * page.dpi * page.scale:
        return None
    provinces = geodata.load_boundaries("province", "screen")
    metro = provinces[provinces["ubigeo"].isin(("1501", "0701"))]
    extent = metro.total_bounds if len(metro) else here.total_bounds
    size = (page.to_px(170), page.to_px(160))
    spot = _free_corner(ax, layout, size, drawn)
    if spot is None:
        return None
    minx, miny, maxx, maxy = extent
    cos0 = math.cos(math.radians((miny + maxy) / 2))
    k = min(spot.width / ((maxx - minx) * cos0), spot.height / (maxy - miny)) / 1.08
    if k < INSET_MIN_ZOOM * ax.bbox.height / np.ptp(ax.get_ylim()):
        return None  # it would hardly magnify
    inset = fig.add_axes(layout.fraction(spot))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_x, half_y = spot.width / 2 / (k * cos0), spot.height / 2 / k
    inset.set_xlim(cx - half_x, cx + half_x)
    inset.set_ylim(cy - half_y, cy + half_y)
    inset.set_facecolor(COLORS.sea)
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set_edgecolor(COLORS.ink)
        spine.set_linewidth(page.pt(1))
    _context(inset, layer.view, page)
    window = shapely.box(cx - half_x, cy - half_y, cx + half_x, cy + half_y)
    shown = places[places.intersects(window)]
    _places(inset, layer, shown, page)
    circled = [i for i in shown.index if drawn.radii_px[i] > 0]
    if circled:
        radii = drawn.radii_px[circled] * 72 / page.dpi
        inset.scatter(drawn.anchors[circled, 0], drawn.anchors[circled, 1], s=(2 * radii) ** 2,
                      color=COLORS.circle, alpha=CIRCLE_ALPHA, edgecolor=COLORS.circle_edge,
                      linewidth=page.pt(0.8), zorder=4)
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.text(0.04, 0.96, t("lima_callao_inset", layer.view.lang),
               transform=inset.transAxes, ha="left", va="top", fontsize=page.pt(11),
               fontweight="bold", color=COLORS.ink, path_effects=_halo(page), zorder=8)
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((cx - half_x, cy - half_y), 2 * half_x, 2 * half_y, fill=False,
                           edgecolor=COLORS.ink, linewidth=page.pt(0.8), zorder=6))
    return spot


def _free_corner(ax, layout: _Layout, size: tuple[float, float], drawn: _Drawn) -> Box | None:
    """The first corner of the map's free part (bottom left, top left, bottom right, top
    right) where a box of ``size`` covers no place of the view and no circle."""
    free, (w, h) = layout.free, size
    corners = [Box(free.x0, free.y0, free.x0 + w, free.y0 + h),
               Box(free.x0, free.y1 - h, free.x0 + w, free.y1),
               Box(free.x1 - w, free.y0, free.x1, free.y0 + h),
               Box(free.x1 - w, free.y1 - h, free.x1, free.y1)]
    to_data = ax.transData.inverted().transform
    circles = np.column_stack([ax.transData.transform(drawn.anchors), drawn.radii_px])
    circles = circles[drawn.radii_px > 0]
    geometry = drawn.places.geometry
    for corner in corners:
        (x0, y0), (x1, y1) = to_data([(corner.x0, corner.y0), (corner.x1, corner.y1)])
        if corner.hits_circles(circles):
            continue
        if not len(geometry.sindex.query(shapely.box(x0, y0, x1, y1), predicate="intersects")):
            return corner
    return None


# --- what was drawn -----------------------------------------------------------------

def _report(fig, ax, renderer, page: Page, drawn: _Drawn, furniture: dict[str, Box]) -> dict:
    """Boxes of the drawn artists: names (each with its value line, halo included),
    circles, the map and the data's extent, in the figure's pixels."""
    halo = _halo_px(page)
    boxes, names = [], []
    for text in ax.texts:  # a name, then its value line (if any)
        box = Box.of(text.get_window_extent(renderer)).padded(halo)
        if text.get_gid() == "label":
            boxes.append(box)
            names.append(text.get_text())
        elif text.get_gid() == "label-value":
            boxes[-1] = boxes[-1].union(box)
    circles = []
    if drawn.circles is not None:
        centres = ax.transData.transform(drawn.circles.get_offsets())
        radii = np.sqrt(drawn.circles.get_sizes()) / 2 * page.dpi / 72
        circles = [(float(x), float(y), float(r)) for (x, y), r in zip(centres, radii,
                                                                     strict=True)]
    places = drawn.places
    framed = places if places["shown"].isna().all() else places[places["shown"].notna()]
    minx, miny, maxx, maxy = framed.total_bounds
    (x0, y0), (x1, y1) = ax.transData.transform([(minx, miny), (maxx, maxy)])
    return {"map_area": Box.of(ax.bbox), "data_area": Box(x0, y0, x1, y1),
            "labels": tuple(boxes), "label_texts": tuple(names),
            "circles": tuple(circles), "furniture": dict(furniture)}
