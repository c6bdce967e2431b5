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

from mapapp.model.messages import msg

_STRIP = re.compile(r"^(?:US\$|S/\.?|\$|€)?\s*|\s*%$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
# A group separator, used as such: 1.234.567 or 1,234,567.
_ONE_GROUP = re.compile(r"^-?\d{1,3}[.,]\d{3}$", re.ASCII)  # 1.234: a thousand, or one and a bit?
_GROUPED = {".": re.compile(r"^-?\d{1,3}(\.\d{3})+$", re.ASCII),
            ",": re.compile(r"^-?\d{1,3}(,\d{3})+$", re.ASCII)}

# The largest size a value may have. No indicator comes near it (the fact sheet's
# largest figure is US$ 92 million, about 1e8), and it makes overflowing sums
# impossible by construction: a file has at most limits.MAX_ROWS (1,000,000) rows and
# each row gives an indicator at most one value, so a total is at most 1e6 × 1e15 =
# 1e21 and a weighted mean's value × weight sum at most 1e15 × 1e21 = 1e36, both far
# below the largest float (1.8e308). No total, JSON figure or export can become inf.
MAX_MAGNITUDE = 1e15
ECHO_CHARS = 40  # a reason quotes at most this much of a cell


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

    Numbers from a workbook cell pass through; text follows ``convention``. A number
    too large for a float (400 digits, a cell of 1e309) comes back as ±inf: check
    every value with ``range_problem`` before using it.
    """
    if isinstance(raw, bool):
        return None, False
    if isinstance(raw, int):
        return _int_to_float(raw), False
    if isinstance(raw, float):
        return (None if math.isnan(raw) else raw), False
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


def plain_number(cell: object, convention: DecimalConvention) -> tuple[float, bool] | None:
    """What ``parse_number`` makes of the plainest texts (``-12``, ``12.5`` in a file
    with a decimal point), found with str methods instead of its regexes (0.3 µs
    instead of 2.4, for a million values); None for any other cell. Callers write
    ``plain_number(cell, c) or parse_number(cell, c)`` inline: a wrapper would add a
    call per value."""
    if type(cell) is not str:
        return None
    text = cell.strip()
    digits = text[1:] if text.startswith("-") else text
    if not digits.isascii():
        return None
    if digits.isdigit():
        return float(text), False
    if convention.decimal != ".":
        return None
    whole, _, part = digits.partition(".")
    if whole.isdigit() and part.isdigit():  # 1.234 could be a thousand, unless settled
        return float(text), not convention.settled and len(whole) <= 3 and len(part) == 3
    return None


def range_problem(value: float) -> str | None:
    """Why a parsed value cannot be kept for any indicator (a message that follows
    "value …", see ``messages``), or None when it can."""
    if math.isnan(value):
        return msg("is_not_number")
    if abs(value) > MAX_MAGNITUDE:
        return msg("out_of_range", limit=int(MAX_MAGNITUDE))
    return None


def shown(raw: object) -> str:
    """A cell as a reason quotes it: its repr, cut to ECHO_CHARS with "…" and its size
    (then a message, its size in the reader's words: ``messages.render``)."""
    try:
        text = raw if isinstance(raw, str) else repr(raw)
    except ValueError:  # an int beyond Python's limit on digits to print
        return msg("too_long_to_print")
    cut = text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS - 1] + "…"
    quoted = repr(cut) if isinstance(raw, str) else cut
    return quoted if cut == text else msg("cut_cell", text=quoted, length=len(text))


def other_reading(raw: object, convention: DecimalConvention) -> float | None:
    """What an ambiguous value would be with the other decimal mark."""
    other = DecimalConvention(convention.thousands, settled=True)
    return parse_number(raw, other)[0]


def _int_to_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:  # more than 308 digits: beyond any float, so beyond the cap too
        return math.inf if value > 0 else -math.inf


def _clean(raw: str) -> str:
    text = _SPACES.sub("", str(raw).strip())
    text = text.replace("\u2212", "-")  # typographic minus
    return _STRIP.sub("", text)
