"""The floor: a page holding only our map, built exactly as the app builds it
(``mapapp.app.show_map``): ``base_map(view)``, with the view's ``style_group``
passed to ``st_folium(..., feature_group_to_add=...)``; nothing else on the page
(no title, sidebar, widgets or panels). Its first paint is the least that any
page showing this map with st_folium can take.

The view comes from the URL as in the app (``?level=district&basemap=none``…);
the layer and its styles are cached across sessions, as the app's are. The map sits
as in the app (wide layout, the 7 : 3 main column, the same height): the app draws
its map before its sidebar, so both maps are first drawn at the same size (the
benchmark reports it). Run by bench/run.py; not part of the product.
"""

import streamlit as st
from streamlit_folium import st_folium

from mapapp.analysis.layer import build_layer
from mapapp.app import MAP_HEIGHT
from mapapp.ingest.datasets import demo_dataset
from mapapp.model.view import View
from mapapp.render.web_map import base_map, style_data, style_group


@st.cache_resource(show_spinner=False, max_entries=64)
def layer_and_style(view: View):
    layer = build_layer(demo_dataset(), view)
    return layer, style_data(layer)


st.set_page_config(page_title="floor", layout="wide")
view = View.from_query(st.query_params.to_dict(), demo_dataset().years)[0].settled()
layer, style = layer_and_style(view)
with st.columns([7, 3], gap="medium")[0]:
    st_folium(base_map(view), key="map", height=MAP_HEIGHT, use_container_width=True,
              feature_group_to_add=style_group(layer, style),
              returned_objects=["last_active_drawing"])
