"""Unit prices quoted for more than one unit, brought to a price per unit.

A partner may price a line per hundred or per thousand: X12 PO105 / IT105 / POC07 (639
basis of unit price: ``HP`` price per hundred), EDIFACT PRI C509 5284 (unit price basis)
with 6411 (its unit). A map reads that basis into the line's ``price_basis`` (a quantity:
the X12 code through a table of the codes we support, any other code refused there) and
``price_basis_uom``; this module divides, so every reader of the canonical document
(Odoo delivery, price checks, acknowledgements) sees ``unit_price`` per one unit of the
line's unit, with the price as written kept in ``quoted_price``.

Done once, at translation: a stored document is never divided again when it is read back.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from gateway.mapping.errors import DocumentError
from gateway.mapping.schema import Rule

ONE = Decimal(1)


def per_unit_prices(lines: list[dict[str, Any]], fields: dict[str, list[Rule]]) -> None:
    """Divide each line's ``unit_price`` by its ``price_basis`` (in place).

    Raises :class:`DocumentError` for a basis that is not a positive quantity and for a
    basis unit (PRI 6411) that is not the line's unit: a price per 100 pieces on a line
    ordered in boxes has no price per box we could work out.
    """
    for index, line in enumerate(lines):
        basis = line.get("price_basis")
        basis_uom = line.get("price_basis_uom")
        if basis is None and basis_uom is None:
            continue
        if basis is not None and (not isinstance(basis, Decimal) or basis <= 0):
            raise _refused(
                index,
                "price_basis",
                fields,
                f"unit price basis {basis} is not a quantity more than zero",
            )
        if basis_uom is not None and basis_uom != line.get("uom"):
            unit = line.get("uom")
            raise _refused(
                index,
                "price_basis_uom",
                fields,
                f"unit price basis is per {basis or ONE} {basis_uom} but the line is "
                f"{'in ' + str(unit) if unit else 'without a unit'}: no price per unit "
                "of the line can be worked out",
            )
        if basis is None or basis == ONE:
            # per one unit of the line's unit (PE, UM, CP ...): nothing to divide or keep,
            # the document reads as one that named no basis
            line.pop("price_basis", None)
            line.pop("price_basis_uom", None)
            continue
        price = line.get("unit_price")
        if isinstance(price, Decimal):
            line["quoted_price"] = price
            line["unit_price"] = price / basis


def _refused(index: int, name: str, fields: dict[str, list[Rule]], reason: str) -> DocumentError:
    """The error naming the line's field and the segment and element the map reads it from."""
    rules: Sequence[Rule] = fields.get(name, ())
    rule = next((r for r in rules if r.segment is not None), None)
    return DocumentError(
        reason,
        field=f"lines[{index}].{name}",
        segment_tag=rule.segment if rule is not None else None,
        element=rule.element if rule is not None else None,
        code="7",
    )
