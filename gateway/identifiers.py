"""Item identifiers of healthcare supply: GTIN/UPC, NDC and HIBCC, checked and normalised.

Pure functions, no I/O. Each ``parse_*`` either returns the identifier in its normal form
or raises :class:`IdentifierError` saying what is wrong with it, so that a mistyped code
becomes a business exception naming its line instead of a silent "unknown item".

* **GTIN-8/12/13/14** (and UPC-A, which is GTIN-12): the last digit is the GS1 mod-10 check
  digit (weights 3 and 1 from the right). UPC-E (8 digits, number system 0 or 1) is also
  accepted: its check digit is that of the UPC-A it expands to.
* **NDC**: 10 digits in three layouts (labeler-product-package 4-4-2, 5-3-2, 5-4-1),
  normalised to the 11-digit 5-4-2 form HIPAA transactions use by a leading zero on the
  short segment. Dashes tell the layout. An **undashed 10-digit NDC is ambiguous** (the
  same ten digits read as 4-4-2, 5-3-2 and 5-4-1 are three different 11-digit codes), and
  the NDC has no check digit to tell them apart: unless the sender said which layout it
  used (X12 qualifiers N1/N2/N3), all three readings are kept and the lookup searches for
  each; only one may match a product, two matches are an "ambiguous item" exception.
* **HIBCC** supplier labelling (HIBC LIC): ``+``, a 4-character labeler identification
  code (a letter, then 3 letters or digits), the product/catalogue number (1-18 letters or
  digits), a one-digit unit of measure and a mod-43 check character over everything
  before it. The concatenated primary/secondary form (``+LIC PCN U/secondary C``) is
  checked by its final check character. The leading ``+`` may be left out in EDI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

NdcLayout = Literal["4-4-2", "5-3-2", "5-4-1", "5-4-2"]
NDC_LAYOUTS: tuple[NdcLayout, ...] = ("4-4-2", "5-3-2", "5-4-1", "5-4-2")
# X12 product/service id qualifiers (element 235) that say an NDC's layout
NDC_QUALIFIER_LAYOUTS: dict[str, NdcLayout] = {
    "N1": "4-4-2",
    "N2": "5-3-2",
    "N3": "5-4-1",
    "N4": "5-4-2",
}

GTIN_LENGTHS = (8, 12, 13, 14)
MOD43 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"


class IdentifierError(ValueError):
    """An item identifier that is malformed or fails its check digit."""

    def __init__(self, kind: str, value: str, reason: str) -> None:
        self.kind = kind
        self.value = value
        self.reason = reason
        super().__init__(f"{kind.upper()} {value!r}: {reason}")


# ---- GTIN / UPC ---------------------------------------------------------------------------
def gtin_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for ``body`` (all digits but the check digit)."""
    if not body.isdigit():
        raise ValueError(f"{body!r} is not all digits")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def _digits(kind: str, value: str) -> str:
    text = value.strip().replace(" ", "").replace("-", "")
    if not text:
        raise IdentifierError(kind, value, "is empty")
    if not text.isascii() or not text.isdigit():
        raise IdentifierError(kind, value, "has characters other than digits")
    return text


def parse_gtin(value: str, *, kind: str = "gtin") -> str:
    """A GTIN-8/12/13/14 with a correct check digit, as its digits (spaces/dashes dropped)."""
    digits = _digits(kind, value)
    if len(digits) not in GTIN_LENGTHS:
        raise IdentifierError(kind, value, f"has {len(digits)} digits; a GTIN has 8, 12, 13 or 14")
    expected = gtin_check_digit(digits[:-1])
    if digits[-1] != expected:
        raise IdentifierError(
            kind, value, f"check digit is {digits[-1]}, the digits before it give {expected}"
        )
    return digits


def upce_to_upca(upce: str) -> str:
    """Expand an 8-digit UPC-E (number system, 6 digits, check) to its 12-digit UPC-A."""
    if len(upce) != 8 or not upce.isdigit() or upce[0] not in "01":
        raise ValueError(f"{upce!r} is not a UPC-E code")
    ns, d, check = upce[0], upce[1:7], upce[7]
    last = d[5]
    if last in "012":
        body = f"{ns}{d[0]}{d[1]}{last}0000{d[2]}{d[3]}{d[4]}"
    elif last == "3":
        body = f"{ns}{d[0]}{d[1]}{d[2]}00000{d[3]}{d[4]}"
    elif last == "4":
        body = f"{ns}{d[0]}{d[1]}{d[2]}{d[3]}00000{d[4]}"
    else:
        body = f"{ns}{d[0]}{d[1]}{d[2]}{d[3]}{d[4]}0000{last}"
    return body + check


def parse_upc(value: str) -> str:
    """A UPC-A (GTIN-12, or shorter/longer GTINs sent as UPC) or UPC-E, as UPC-A/GTIN digits.

    An 8-digit code is taken as UPC-E when its check digit fits the expanded UPC-A,
    otherwise as GTIN-8.
    """
    digits = _digits("upc", value)
    if len(digits) == 8 and digits[0] in "01":
        upca = upce_to_upca(digits)
        if gtin_check_digit(upca[:-1]) == upca[-1]:
            return upca
    return parse_gtin(value, kind="upc")


def gtin_forms(gtin: str) -> list[str]:
    """How a product database may store a checked GTIN: as sent, and zero-padded to
    8, 12, 13 and 14 digits (GS1: the same item whatever the number of leading zeros)."""
    core = gtin.lstrip("0") or "0"
    forms = [gtin]
    for width in GTIN_LENGTHS:
        padded = core.zfill(width)
        if len(core) <= width and padded not in forms:
            forms.append(padded)
    return forms


# ---- NDC ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ndc:
    """An NDC as sent and its 11-digit (5-4-2) reading(s); several only when ambiguous."""

    given: str
    readings: tuple[str, ...]

    @property
    def ambiguous(self) -> bool:
        """An undashed 10-digit NDC whose layout nobody said."""
        return len(self.readings) > 1

    @property
    def normalized(self) -> str | None:
        """The 11-digit form, when there is exactly one."""
        return self.readings[0] if len(self.readings) == 1 else None


def _to_eleven(ten: str, layout: NdcLayout) -> str:
    if layout == "4-4-2":
        return "0" + ten
    if layout == "5-3-2":
        return ten[:5] + "0" + ten[5:]
    if layout == "5-4-1":
        return ten[:9] + "0" + ten[9:]
    return ten


def parse_ndc(value: str, layout: NdcLayout | None = None) -> Ndc:
    """An NDC in any of its layouts, normalised to 11 digits (see the module docstring).

    ``layout`` is what the sender declared (X12 N1/N2/N3/N4); dashes in the value win
    over it only when they agree, and contradicting them is an error.
    """
    text = value.strip()
    if "-" in text:
        parts = text.split("-")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
            raise IdentifierError(
                "ndc", value, "dashes do not split it into three groups of digits"
            )
        seen = "-".join(str(len(part)) for part in parts)
        if seen not in NDC_LAYOUTS:
            raise IdentifierError(
                "ndc", value, f"segments {seen} are not an NDC layout (4-4-2, 5-3-2, 5-4-1)"
            )
        if layout is not None and layout != seen:
            raise IdentifierError("ndc", value, f"is written {seen} but was sent as {layout}")
        labeler, product, package = parts
        return Ndc(value, (labeler.zfill(5) + product.zfill(4) + package.zfill(2),))
    digits = _digits("ndc", value)
    if len(digits) == 11:
        if layout not in (None, "5-4-2"):
            raise IdentifierError("ndc", value, f"has 11 digits but was sent as {layout}")
        return Ndc(value, (digits,))
    if len(digits) != 10:
        raise IdentifierError("ndc", value, f"has {len(digits)} digits; an NDC has 10 or 11")
    if layout == "5-4-2":
        raise IdentifierError("ndc", value, "has 10 digits but was sent as 5-4-2 (11 digits)")
    layouts: tuple[NdcLayout, ...] = (layout,) if layout else ("4-4-2", "5-3-2", "5-4-1")
    return Ndc(value, tuple(_to_eleven(digits, each) for each in layouts))


def format_ndc(eleven: str) -> str:
    """``12345678901`` as ``12345-6789-01``."""
    return f"{eleven[:5]}-{eleven[5:9]}-{eleven[9:]}"


def ndc_forms(eleven: str) -> list[str]:
    """Every way a product database may store this 11-digit NDC: 11 digits plain and
    dashed, and each 10-digit layout it can be written in (plain and dashed)."""
    forms = [eleven, format_ndc(eleven)]
    labeler, product, package = eleven[:5], eleven[5:9], eleven[9:]
    if labeler[0] == "0":
        forms += [labeler[1:] + product + package, f"{labeler[1:]}-{product}-{package}"]
    if product[0] == "0":
        forms += [labeler + product[1:] + package, f"{labeler}-{product[1:]}-{package}"]
    if package[0] == "0":
        forms += [labeler + product + package[1:], f"{labeler}-{product}-{package[1:]}"]
    return forms


# ---- HIBCC ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hibcc:
    """An HIBC LIC supplier labelling code, split into its parts."""

    code: str  # as normalised: with the leading "+", upper case
    lic: str  # labeler identification code
    product: str  # product or catalogue number
    unit_of_measure: str  # one digit, 0 = the lowest level of packaging
    check: str
    secondary: str | None = None  # the part after "/" in the concatenated form


def hibcc_check_character(data: str) -> str:
    """The mod-43 check character of ``data`` (every character counts, the ``+`` too)."""
    try:
        total = sum(MOD43.index(ch) for ch in data)
    except ValueError as exc:
        raise ValueError(f"{data!r} has a character outside the HIBC set") from exc
    return MOD43[total % 43]


_HIBCC_PRIMARY = re.compile(r"^\+([A-Z][A-Z0-9]{3})([A-Z0-9]{1,18})([0-9])$")


def parse_hibcc(value: str) -> Hibcc:
    """An HIBC LIC code with a correct mod-43 check character (see the module docstring)."""
    # a space is a valid check character (value 38): only line ends are trimmed at the end;
    # "*" are Code 39 start/stop characters, if copied from a scanner
    text = value.lstrip().rstrip("\r\n\t").strip("*").upper()
    if not text:
        raise IdentifierError("hibcc", value, "is empty")
    if not text.startswith("+"):
        text = "+" + text
    if len(text) < 8:
        raise IdentifierError(
            "hibcc", value, "is too short for + LIC (4) + product + unit of measure + check"
        )
    bad = sorted({ch for ch in text if ch not in MOD43})
    if bad:
        raise IdentifierError("hibcc", value, f"has characters outside the HIBC set: {bad}")
    data, check = text[:-1], text[-1]
    expected = hibcc_check_character(data)
    if check != expected:
        raise IdentifierError(
            "hibcc",
            value,
            f"check character is {check!r}, the characters before it give {expected!r}",
        )
    primary, _, secondary = data.partition("/")
    match = _HIBCC_PRIMARY.match(primary)
    if match is None:
        raise IdentifierError(
            "hibcc",
            value,
            "is not + labeler code (a letter and 3 letters/digits), product number "
            "(1-18 letters/digits) and a one-digit unit of measure",
        )
    lic, product, uom = match.groups()
    return Hibcc(text, lic, product, uom, check, secondary or None)


def is_sscc(value: str) -> bool:
    """True for an SSCC-18: 18 digits whose last is the GS1 mod-10 check digit."""
    return len(value) == 18 and value.isdigit() and gtin_check_digit(value[:17]) == value[17]


def make_sscc(gs1_prefix: str, serial: int, extension: int = 0) -> str:
    """An SSCC-18 from our GS1 company prefix and a serial reference (a package id):
    extension digit, prefix, the serial zero-padded to fill 17 digits, check digit."""
    if not gs1_prefix.isdigit() or not 6 <= len(gs1_prefix) <= 12:
        raise ValueError(f"{gs1_prefix!r} is not a GS1 company prefix (6 to 12 digits)")
    room = 16 - len(gs1_prefix)
    reference = str(serial)
    if serial < 0 or len(reference) > room:
        raise ValueError(f"serial {serial} does not fit the {room} digits the prefix leaves")
    body = f"{extension % 10}{gs1_prefix}{reference.zfill(room)}"
    return body + gtin_check_digit(body)
