"""Numbers for the reader: es ``87.200`` and ``92.132.183``, en ``87,200``."""

from __future__ import annotations

import math

from mapapp.model.catalog import Lang

_MARKS = {"es": (".", ","), "en": (",", ".")}  # (thousands, decimal)


def number_marks(lang: Lang) -> tuple[str, str]:
    """(thousands, decimal) separators of the reader's language."""
    return _MARKS[lang]


def format_number(value: float | None, lang: Lang = "es", decimals: int | None = None) -> str:
    """Group thousands and write decimals the reader's way; ``None``/NaN → "–".

    Without ``decimals``, whole numbers get none and others one.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if decimals is None:
        decimals = 0 if float(value).is_integer() or abs(value) >= 1000 else 1
    thousands, decimal = _MARKS[lang]
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def format_value(value: float | None, unit: str, lang: Lang = "es") -> str:
    """A value with its unit: ``US$ 92.132.183``, ``90,0 %``, ``87.200 familias``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "US$":
        return f"US$ {format_number(value, lang)}"
    if unit == "%":
        return f"{format_number(value, lang, decimals=1)} %"
    return f"{format_number(value, lang)} {unit}"


def format_share(share: float | None, lang: Lang = "es") -> str:
    """A share of 1 as a percentage: es ``45,2 %``, en ``45.2%``."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    number = format_number(share * 100, lang, decimals=0 if share >= 0.995 else 1)
    return f"{number} %" if lang == "es" else f"{number}%"


_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def escape_markdown(text: str) -> str:
    """Text from a file shown through Streamlit's markdown stays literal text."""
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in str(text))
