"""Blank-but-for-examples files people fill in: results and localities, es/en headers."""

from __future__ import annotations

import io

import pandas as pd

from mapapp.model import catalog

RESULTS_HEADERS = {
    "es": ["Ubigeo", "Departamento", "Provincia", "Distrito", "Año", "Cadena de valor",
           "Indicador", "Valor"],
    "en": ["ubigeo", "department", "province", "district", "year", "value_chain", "indicator",
           "value"],
}
RESULTS_EXAMPLES = [
    ["221005", "San Martín", "Tocache", "Uchiza", 2021, "cacao", "hectares", 120.5],
    ["", "Huánuco", "Leoncio Prado", "Rupa-Rupa", 2022, "cafe", "families_supported", 35],
    ["1903", "Pasco", "Oxapampa", "", 2020, "", "connected_localities", 2],
]
LOCALITY_HEADERS = {
    "es": ["Nombre", "Ubigeo", "Latitud", "Longitud", "Año", "Tipo de conexión"],
    "en": ["name", "ubigeo", "lat", "lon", "year", "connection_type"],
}
LOCALITY_EXAMPLES = [
    ["Nuevo Progreso", "221005", -8.39, -76.39, 2021, "mobile"],
    ["Villa Rica", "190307", "", "", 2022, "fixed_mobile"],
]


def template(kind: str, lang: catalog.Lang, fmt: str) -> bytes:
    """A template with headers in ``lang`` and example rows that validate."""
    headers, rows = ((RESULTS_HEADERS, RESULTS_EXAMPLES) if kind == "results"
                     else (LOCALITY_HEADERS, LOCALITY_EXAMPLES))
    frame = pd.DataFrame(rows, columns=headers[lang])
    if lang == "es":
        frame = frame.replace({"mobile": "móvil", "fixed_mobile": "fijo y móvil"})
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.astype({headers[lang][0 if kind == "results" else 1]: str}).to_excel(
            writer, index=False, sheet_name="datos" if lang == "es" else "data")
    return buffer.getvalue()
