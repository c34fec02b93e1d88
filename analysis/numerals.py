"""How a number is written for a reader: thousands separated, fixed decimals, a true minus sign.

One formatter for prose, tables and the texts the methods write for a reader (how a printed
number was recomputed), so '−64' in a sentence is the '−64' of the table beside it.
"""

from __future__ import annotations

import math

MINUS = "\u2212"  # '−', not the hyphen '-'
MISSING = "–"


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def number(value, decimals: int = 0, sign: bool = False) -> str:
    """'1,234', '−6.8', '+643' (``sign``: a plus on a positive number, for changes); '–' for missing.

    A value that rounds to zero is written without a sign ('0.0', never '−0.0').
    """
    if _missing(value):
        return MISSING
    v = float(value)
    if math.isinf(v):
        return ("" if v > 0 else MINUS) + "∞"
    text = f"{abs(v):,.{int(decimals)}f}"
    if float(text.replace(",", "")) == 0:
        return text
    return (MINUS if v < 0 else "+" if sign else "") + text


def decimals_of(value, at_most: int = 6) -> int:
    """The decimals a stored value needs to be written as it is held: 14.7 -> 1, 5.0 -> 0, 1/3 -> ``at_most``."""
    if _missing(value):
        return 0
    text = f"{abs(float(value)):.{at_most}f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def as_printed(value, sign: bool = False) -> str:
    """A printed number with the decimals it was printed with ('14.7', '−0.2', '2,372')."""
    return number(value, decimals_of(value), sign=sign)
