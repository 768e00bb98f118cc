"""Numbers from partner documents compared as text, never through ``int()``.

Counts and control numbers (IEA01/IEA02, GE01/GE02, SE01, HL01, UNT01, UNZ01 ...) come
from the partner and may hold any number of digits: Python refuses to convert strings
of more than 4300 digits, and a big conversion costs CPU. Comparing the digits as text
answers the same question for every length. :func:`plain` writes a quantity back as
text people read (in exception messages and notes).
"""

from __future__ import annotations

from decimal import Decimal


def is_digits(text: str) -> bool:
    """True for a non-empty string of ASCII digits."""
    return text.isascii() and text.isdigit()


def _canonical(digits: str) -> str:
    return digits.lstrip("0") or "0"


def equals_count(text: str, number: int) -> bool:
    """Whether ``text`` is the decimal ``number`` (leading zeros allowed)."""
    return is_digits(text) and _canonical(text) == str(number)


def same_number(a: str, b: str) -> bool:
    """Whether two digit strings are the same number (``000123`` == ``123``)."""
    return is_digits(a) and is_digits(b) and _canonical(a) == _canonical(b)


def bounded_int(text: str, max_digits: int = 18) -> int | None:
    """``int(text)`` for a digit string of at most ``max_digits`` digits, else None."""
    text = text.strip()
    if not is_digits(text):
        return None
    canonical = _canonical(text)
    return int(canonical) if len(canonical) <= max_digits else None


def plain(value: Decimal) -> str:
    """A quantity as people write it: ``150``, not ``1.5E+2``; ``2.5``, not ``2.50``."""
    return format(value.normalize(), "f")
