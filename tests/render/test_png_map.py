"""The static map for slides: names that never collide, a frame that uses the slide,
furniture that covers no data. Boxes come from ``render_map``'s report, measured on
the artists it drew (text extent with the halo, circles from the drawn collection)."""

import io
from dataclasses import replace
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from helpers import dataset_with
from PIL import Image

from mapapp.analysis.layer import build_layer
from mapapp.ingest.datasets import demo_dataset
from mapapp.model.view import View
from mapapp.render import png_map
from mapapp.render.png_map import Box, render_map

DEMO = demo_dataset()

VIEWS = {
    "department": {},
    "province": {"level": "province"},
    "district": {"level": "district", "lang": "en"},
    "San Martín's provinces": {"level": "province", "depts": ("22",)},
    "drilled down to San Martín": {"level": "district", "depts": ("22",), "prov": "2209"},
    "drilled down to Tocache": {"level": "district", "depts": ("22",), "prov": "2210",
                                "lang": "en"},
    "choropleth": {"level": "province", "indicator": "coca_free_share"},
}


def rendered(dataset=DEMO, fmt="png", **view):
    return render_map(build_layer(dataset, View(**view), "print"), fmt)


def collisions(out) -> list[str]:
    """Every overlap of a name's box with another name, a circle, the furniture or the
    map's edge."""
    found = []
    for (i, a), (j, b) in combinations(enumerate(out.labels), 2):
        if a.overlaps(b):
            found.append(f"{out.label_texts[i]} / {out.label_texts[j]}")
    circles = np.array(out.circles).reshape(-1, 3)
    for name, box in zip(out.label_texts, out.labels, strict=True):
        if box.hits_circles(circles):
            found.append(f"{name} / a circle")
        if not box.within(out.map_area):
            found.append(f"{name} / the map's edge")
        found += [f"{name} / {what}" for what, other in out.furniture.items()
                  if box.overlaps(other)]
    return found


@pytest.mark.parametrize("view", VIEWS.values(), ids=VIEWS.keys())
def test_names_never_overlap_names_circles_or_furniture(view):
    out = rendered(**view)
    assert len(out.labels) >= 5  # names are shown …
    assert collisions(out) == []  # … and none collides


def test_the_collision_count_finds_overlaps_when_names_are_not_checked(monkeypatch):
    """Without the check (the old renderer put every name on its place), the same count
    finds names on top of each other over San Martín: the test above can fail."""
    monkeypatch.setattr(png_map, "_collides", lambda *args: False)
    out = rendered(level="province")
    overlapping = collisions(out)
    assert len(overlapping) > 10
    assert any("Lamas" in pair or "Moyobamba" in pair for pair in overlapping)


def test_names_go_by_priority_largest_values_first():
    out = rendered(level="province", depts=("22",))
    layer = build_layer(DEMO, View(level="province", depts=("22",)), "print")
    largest = layer.places.nlargest(3, "shown")["name"].tolist()
    assert out.label_texts[:3] == tuple(largest)


def test_hidden_labels_draw_no_names():
    assert rendered(level="province", labels=False).labels == ()


def test_box_measures_include_the_halo():
    out = rendered(level="province", depts=("22",))
    # the report pads the text's own extent by half the halo's stroke
    assert all(box.height > png_map.SLIDE.to_px(10.5) for box in out.labels)


@pytest.mark.parametrize("view", VIEWS.values(), ids=VIEWS.keys())
def test_the_data_fills_the_frame_left_of_the_side_column(view):
    out = rendered(**view)
    width, height = out.size
    assert out.map_area.width == width and out.map_area.height > 0.85 * height
    panel, data = out.furniture["panel"], out.data_area
    free_width = panel.x0 - out.map_area.x0
    # the data's extent reaches across the free part in one direction at least
    assert data.height > 0.8 * out.map_area.height or data.width > 0.8 * free_width
    assert data.within(Box(0, 0, panel.x0, out.map_area.y1))  # nothing under the column


def test_all_peru_is_framed_on_the_places_with_data():
    """The demo's data lies in the Amazon departments: the frame leaves the southern
    coast out, and Peru's height takes most of the map's (the old map: about half)."""
    out = rendered()
    assert out.data_area.height > 0.8 * out.map_area.height


def with_lima_data():
    results = DEMO.results
    lima = results[results["indicator"] == "families_supported"].head(1).assign(
        ubigeo="150132", value=1500.0)  # San Juan de Lurigancho
    return replace(dataset_with(True, None), key="demo+lima",
                   results=pd.concat([results, lima], ignore_index=True))


def test_lima_and_callao_get_an_inset_where_they_are_too_small():
    out = render_map(build_layer(with_lima_data(), View(level="district"), "print"))
    inset = out.furniture["inset"]
    assert inset.within(out.map_area) and not inset.overlaps(out.furniture["panel"])
    circles = np.array(out.circles).reshape(-1, 3)
    assert not inset.hits_circles(circles)
    assert "inset" not in render_map(build_layer(with_lima_data(), View(
        level="district", depts=("22",)), "print")).furniture
    assert "inset" not in rendered(level="district").furniture  # no data there: no inset


def test_the_inset_shows_lima_data_with_its_circles():
    out = render_map(build_layer(with_lima_data(), View(level="district"), "print"))
    assert "inset" in out.furniture
    image = Image.open(io.BytesIO(out.data)).convert("RGB")
    inset = out.furniture["inset"]
    height = out.size[1]
    crop = image.crop((int(inset.x0), int(height - inset.y1), int(inset.x1),
                       int(height - inset.y0)))
    blue = np.array(crop).reshape(-1, 3)
    # the circle's blue (alpha over the base fill) is somewhere in the inset
    assert ((blue[:, 2] > 150) & (blue[:, 0] < 150)).sum() > 50


def test_slide_is_full_hd_and_a4_keeps_the_layout():
    png = rendered(level="province")
    assert Image.open(io.BytesIO(png.data)).size == (1920, 1080) == png.size
    pdf = rendered(fmt="pdf", level="province")
    assert pdf.data.startswith(b"%PDF")
    assert collisions(pdf) == [] and len(pdf.labels) >= 5
