"""Text keys for matching names, headers and ids typed by people."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_key(text: object) -> str:
    """Fold case, accents, spacing and punctuation: ``" San  Martín."`` → ``"san martin"``.

    ``ñ`` folds to ``n`` as well, so ``Marañón`` and ``MARANON`` meet.
    """
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_ALNUM.sub(" ", ascii_only).strip()


def ascii_digits(text: str) -> bool:
    """Only 0-9: ``"¹".isdigit()`` is True, but it is no digit of a year or a code."""
    return text.isascii() and text.isdigit()


_LOWER_WORDS = {"de", "del", "la", "las", "los", "y", "el", "en"}


def spanish_title(upper_name: str, accents: dict[str, str]) -> str:
    """``"SAN JUAN DE LA VIRGEN"`` → ``"San Juan de la Virgen"``, restoring known accents."""
    words = upper_name.split()
    out = []
    for i, word in enumerate(words):
        if word in accents:
            out.append(accents[word])
        elif i > 0 and word.lower() in _LOWER_WORDS:
            out.append(word.lower())
        else:  # each part of a hyphenated name: "HUAC-HUAS" → "Huac-Huas"
            out.append("-".join(part.capitalize() for part in word.split("-")))
    return " ".join(out)
