"""The naive baseline: what one would write first. GeoDataFrame.explore() of the
unsimplified INEI 2007 boundaries, shown with st_folium; no caching at all.

Run by bench/run.py beside the real app; not part of the product.
"""

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(os.environ.get("MAPAPP_GEODATA_SRC", ROOT.parent / "shared" / "geodata-src"))
LAYERS = {
    "department": ("peru_departamental_simple.geojson", "FIRST_IDDP", 2),
    "province": ("peru_provincial_simple.geojson", "FIRST_IDPR", 4),
    "district": ("peru_distrital_simple.geojson", "IDDIST", 6),
}

level = st.query_params.get("level", "department")
file, code_column, length = LAYERS[level]
boundaries = gpd.read_file(SOURCE / "peru-inei-2007" / file)
results = pd.read_csv(ROOT / "geodata" / "demo" / "results.csv", dtype={"ubigeo": str})
indicator = st.selectbox("Indicator", sorted(results["indicator"].unique()),
                         index=sorted(results["indicator"].unique()).index("families_supported"))
rows = results[results["indicator"] == indicator]
values = rows.groupby(rows["ubigeo"].str[:length])["value"].sum()
boundaries["value"] = boundaries[code_column].map(values)
fmap = boundaries.explore(column="value", legend_kwds={"caption": indicator})
st_folium(fmap, width=1000, height=600)
