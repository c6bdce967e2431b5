"""Words of the interface in Spanish (default) and English. Indicator, value chain
and goal names live in ``catalog``."""

from __future__ import annotations

from mapapp.catalog import Lang

DEFAULT_LANG: Lang = "es"

TEXT: dict[str, dict[str, str]] = {
    "title": {"es": "Desarrollo sostenible en la Amazonía peruana",
              "en": "Sustainable development in the Peruvian Amazon"},
    "subtitle": {"es": "Dónde trabaja el programa y qué logró (2018–2022)",
                 "en": "Where the program works and what it achieved (2018–2022)"},
    "language": {"es": "Idioma", "en": "Language"},
    "goal": {"es": "Meta", "en": "Goal"},
    "headline": {"es": "Resultados principales", "en": "Headline results"},
    "fact_sheet": {"es": "hoja informativa", "en": "fact sheet"},
    "of_fact_sheet": {"es": "de la cifra de la hoja informativa",
                      "en": "of the fact-sheet figure"},
    "no_data": {"es": "sin datos", "en": "no data"},
    "source": {"es": "Fuente", "en": "Source"},
    "data": {"es": "Datos", "en": "Data"},
    "per_km2": {"es": "por km²", "en": "per km²"},
    "share_of_total": {"es": "parte del total", "en": "share of total"},
    "by_department": {"es": "Por departamento", "en": "By department"},
    "by_province": {"es": "Por provincia", "en": "By province"},
    "by_district": {"es": "Por distrito", "en": "By district"},
    "amazon_only": {"es": "Solo Amazonía", "en": "Amazon only"},
    "value": {"es": "Valor", "en": "Value"},
    "rank": {"es": "Puesto", "en": "Rank"},
    "share": {"es": "Parte del total", "en": "Share of total"},
    "place": {"es": "Lugar", "en": "Place"},
    "district": {"es": "Distrito", "en": "District"},
    "year": {"es": "Año", "en": "Year"},
    "connection": {"es": "Conexión", "en": "Connection"},
    "connected_localities": {"es": "Localidades conectadas", "en": "Connected localities"},
    "peru": {"es": "Perú", "en": "Peru"},
    "level": {"es": "Nivel", "en": "Level"},
    "department": {"es": "Departamento", "en": "Department"},
    "province": {"es": "Provincia", "en": "Province"},
    "indicator": {"es": "Indicador", "en": "Indicator"},
    "measure": {"es": "Mostrar", "en": "Show"},
    "measure_value": {"es": "Cantidad (círculos)", "en": "Amount (circles)"},
    "measure_per_km2": {"es": "Densidad por km²", "en": "Density per km²"},
    "measure_share": {"es": "Parte del total", "en": "Share of total"},
    "measure_percent": {"es": "Los porcentajes se muestran como coropletas",
                        "en": "Percentages are shown as a choropleth"},
    "value_chains": {"es": "Cadenas de valor", "en": "Value chains"},
    "all_chains": {"es": "Todas", "en": "All"},
    "no_chains": {"es": "Este indicador no se divide por cadena de valor",
                  "en": "This indicator is not split by value chain"},
    "years": {"es": "Años", "en": "Years"},
    "departments": {"es": "Departamentos", "en": "Departments"},
    "all_peru": {"es": "Todo el Perú", "en": "All of Peru"},
    "classification": {"es": "Clasificación y colores", "en": "Classes and colours"},
    "scheme": {"es": "Método", "en": "Method"},
    "scheme_quantiles": {"es": "Cuantiles", "en": "Quantiles"},
    "scheme_natural_breaks": {"es": "Cortes naturales (Jenks)", "en": "Natural breaks (Jenks)"},
    "scheme_equal_interval": {"es": "Intervalos iguales", "en": "Equal intervals"},
    "classes": {"es": "Número de clases", "en": "Number of classes"},
    "palette": {"es": "Paleta (apta para daltónicos)", "en": "Palette (colour-blind safe)"},
    "layers": {"es": "Capas", "en": "Layers"},
    "basemap": {"es": "Mapa base", "en": "Basemap"},
    "basemap_positron": {"es": "Claro (CARTO)", "en": "Light (CARTO)"},
    "basemap_osm": {"es": "OpenStreetMap", "en": "OpenStreetMap"},
    "basemap_satellite": {"es": "Satélite (Esri)", "en": "Satellite (Esri)"},
    "basemap_none": {"es": "Ninguno (sin conexión)", "en": "None (offline)"},
    "show_localities": {"es": "Localidades conectadas a 4G", "en": "Localities connected to 4G"},
    "show_labels": {"es": "Nombres de lugares", "en": "Place names"},
    "present": {"es": "Modo presentación", "en": "Presentation mode"},
    "exit_present": {"es": "Salir del modo presentación", "en": "Leave presentation mode"},
    "ranking": {"es": "Ranking", "en": "Ranking"},
    "goals": {"es": "Metas del programa", "en": "Program goals"},
    "click_hint": {"es": "Haga clic en un lugar para ver su detalle.",
                   "en": "Click a place to see inside it."},
    "unallocated": {"es": "{rows} filas dan valores para un lugar mayor que el nivel del mapa "
                          "(total {total}); no se reparten entre sus partes.",
                    "en": "{rows} rows give values for a place larger than the map level "
                          "(total {total}); they are not spread over its parts."},
    "ignored_params": {"es": "Parámetros de la URL ignorados", "en": "URL parameters ignored"},
    "nothing": {"es": "No hay datos para estos filtros.",
                "en": "No data for these filters."},
    "of_figure": {"es": "de", "en": "of"},
}
QUALIFIER = {"=": "", "≈": "≈ ", ">": "> "}


def t(key: str, lang: Lang) -> str:
    return TEXT[key][lang]
