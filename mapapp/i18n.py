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
    "map_coming": {"es": "El mapa interactivo llega en la próxima versión.",
                   "en": "The interactive map arrives in the next version."},
}
QUALIFIER = {"=": "", "≈": "≈ ", ">": "> "}


def t(key: str, lang: Lang) -> str:
    return TEXT[key][lang]
