"""Item identifiers checked before they are looked up, and the forms Odoo may store them in.

The checks themselves are in :mod:`gateway.identifiers`; this module turns a failed check
into the business issue that names the line, so a mistyped GTIN, NDC or HIBCC code is
reported as such and never as "no product found".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeGuard

from gateway.canonical import ItemIds
from gateway.identifiers import (
    IdentifierError,
    gtin_forms,
    ndc_forms,
    parse_gtin,
    parse_hibcc,
    parse_ndc,
    parse_upc,
)
from gateway.odoo.delivery.outcome import BusinessIssue

CHECKED_KINDS = ("gtin", "upc", "ndc", "hibcc")


def _check(kind: str, value: str) -> None:
    if kind == "gtin":
        parse_gtin(value)
    elif kind == "upc":
        parse_upc(value)
    elif kind == "ndc":
        parse_ndc(value)
    elif kind == "hibcc":
        parse_hibcc(value)


def identifier_issue(
    item: ItemIds, kinds: Iterable[str], line_number: str | None
) -> BusinessIssue | None:
    """The first identifier among the looked-up ``kinds`` that fails its check, as an issue.

    Every identifier the profile looks items up by is checked before any lookup, so a
    wrong one is reported even when another identifier would have found a product.
    """
    for kind in kinds:
        value = getattr(item, kind, None) if kind in CHECKED_KINDS else None
        if not value:
            continue
        try:
            _check(kind, value)
        except IdentifierError as exc:
            return BusinessIssue(
                kind="invalid_item_id",
                message=f"line {line_number}: {kind.upper()} {value!r} {exc.reason}",
                line_number=line_number,
                received=f"{kind}={value}",
                identifiers=item.identifiers(),
            )
    return None


def invalid_identifier(found: object) -> TypeGuard[BusinessIssue]:
    """Whether a lookup result is the issue :func:`identifier_issue` raised (callers that
    report an unmatched line must report this instead of "item not on the order")."""
    return isinstance(found, BusinessIssue) and found.kind == "invalid_item_id"


def lookup_values(kind: str, value: str) -> list[str]:
    """Every form of a checked identifier that a product field may hold.

    GTIN/UPC: zero-padded to 8/12/13/14 digits (a UPC-E also as its UPC-A); NDC: the
    11-digit form plain and dashed and each 10-digit layout it can be written in - for an
    undashed 10-digit NDC, of all three readings (see :mod:`gateway.identifiers`); HIBCC:
    with and without the leading ``+``.
    """
    if kind in ("gtin", "upc"):
        digits = parse_upc(value) if kind == "upc" else parse_gtin(value)
        forms = gtin_forms(digits)
        return forms if value in forms else [value, *forms]
    if kind == "ndc":
        forms = [value.strip()]
        for eleven in parse_ndc(value).readings:
            forms += [f for f in ndc_forms(eleven) if f not in forms]
        return forms
    if kind == "hibcc":
        code = parse_hibcc(value).code
        return [code, code[1:]]
    return [value]
