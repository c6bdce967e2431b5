"""Numbers as people type them: ``87.200`` or ``87,200``, ``1.234,5`` or ``1,234.5``.

A file uses one convention. It is decided from values that can only be read
one way (``1,5``, ``1.234,5``); a value that fits both readings (``1.234``)
is reported as ambiguous when nothing in the file settles it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

_STRIP = re.compile(r"^(?:US\$|S/\.?|\$|€)?\s*|\s*%$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
# A group separator, used as such: 1.234.567 or 1,234,567.
_ONE_GROUP = re.compile(r"^-?\d{1,3}[.,]\d{3}$", re.ASCII)  # 1.234: a thousand, or one and a bit?
_GROUPED = {".": re.compile(r"^-?\d{1,3}(\.\d{3})+$", re.ASCII),
            ",": re.compile(r"^-?\d{1,3}(,\d{3})+$", re.ASCII)}


@dataclass(frozen=True)
class DecimalConvention:
    decimal: str  # "." or ","
    settled: bool  # True when the file itself shows which one it uses

    @property
    def thousands(self) -> str:
        return "," if self.decimal == "." else "."


def detect_decimal(values: Iterable[str], delimiter: str | None) -> DecimalConvention:
    """Decimal mark of a file, from its text values; the separator breaks ties
    (``;`` files come from Spanish-locale Excel, which writes a decimal comma)."""
    votes = {".": 0, ",": 0}
    for raw in values:
        text = _clean(raw)
        if "." in text and "," in text:
            votes["," if text.rfind(",") > text.rfind(".") else "."] += 1
        elif text.count(",") == 1 and not _GROUPED[","].match(text):
            votes[","] += 1
        elif text.count(".") == 1 and not _GROUPED["."].match(text):
            votes["."] += 1
        elif text.count(",") > 1:
            votes["."] += 1  # 1,234,567: comma groups, so the decimal is a point
        elif text.count(".") > 1:
            votes[","] += 1
    if votes["."] != votes[","]:
        return DecimalConvention("." if votes["."] > votes[","] else ",", settled=True)
    return DecimalConvention("," if delimiter == ";" else ".", settled=False)


def parse_number(raw: object, convention: DecimalConvention) -> tuple[float | None, bool]:
    """``(value, ambiguous)``; value is None when the text is not a number.

    Numbers from a workbook cell pass through; text follows ``convention``.
    """
    if isinstance(raw, bool):
        return None, False
    if isinstance(raw, (int, float)):
        value = float(raw)
        return (value if math.isfinite(value) else None), False
    text = _clean(str(raw))
    if not text:
        return None, False
    decimal, thousands = convention.decimal, convention.thousands
    ambiguous = not convention.settled and bool(_ONE_GROUP.match(text))
    if _GROUPED[thousands].match(text) or (thousands in text and decimal in text
                                            and text.rfind(decimal) > text.rfind(thousands)):
        head, _, tail = text.partition(decimal) if decimal in text else (text, "", "")
        digits_after = tail.isascii() and tail.isdigit()
        if not _GROUPED[thousands].match(head) or (tail and not digits_after):
            return None, False
        text = head.replace(thousands, "") + ("." + tail if tail else "")
    elif thousands in text:
        return None, False  # a thousands mark in the wrong place: 12,34 in a point file
    else:
        text = text.replace(decimal, ".")
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", text, flags=re.ASCII):
        return None, False
    return float(text), ambiguous


def other_reading(raw: object, convention: DecimalConvention) -> float | None:
    """What an ambiguous value would be with the other decimal mark."""
    other = DecimalConvention(convention.thousands, settled=True)
    return parse_number(raw, other)[0]


def _clean(raw: str) -> str:
    text = _SPACES.sub("", str(raw).strip())
    text = text.replace("\u2212", "-")  # typographic minus
    return _STRIP.sub("", text)
