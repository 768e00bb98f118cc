"""Which of our products a customer is told about (846 inventory, 832 catalog), and how
each is named to them.

The products are the customer's cross-reference table (``edi-gateway xref import``,
:mod:`gateway.customer_items`): each row names our item (``default_code`` or GTIN) and
the customer's own part number, so the customer hears of exactly the products they buy
and under their own number too. A customer without a table is told about every product
we sell (``sale_ok``) that has a barcode, without a customer part number.

Each product is named with every identifier we have: our ``default_code`` (the vendor
part, X12 VP / EDIFACT SA), the customer's number (BP / IN), the barcode as GTIN - or as
NDC or HIBCC when the profile keeps those in the barcode field (``odoo.ndc_field``,
``odoo.hibcc_field``, as the other readers do) - and its name. Quantities and prices are
in the product's unit, named with the profile's unit table (``odoo.uom``): a product
whose unit the table lacks is an error naming both, never a guessed code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.canonical import ItemIds
from gateway.odoo.api import OdooApi
from gateway.partners.profile import PartnerProfile

PRODUCT_FIELDS = ["default_code", "barcode", "name", "uom_id", "product_tmpl_id", "categ_id"]


class CustomerItem(Protocol):
    """One row of the customer's cross-reference table
    (:class:`gateway.customer_items.CustomerItemRef` satisfies it)."""

    @property
    def customer_part(self) -> str: ...
    @property
    def our_item(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def line_number(self) -> int: ...


class NotPublishable(Exception):
    """The document cannot be written for this customer (names every problem)."""

    def __init__(self, what: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{what}: " + "; ".join(self.problems))


@dataclass(frozen=True)
class OfferedProduct:
    """One product as the customer hears of it."""

    id: int
    template_id: int
    categ_id: int | None
    item: ItemIds
    uom: str  # the EDI unit code
    row: dict[str, Any]  # the product.product row read (with the caller's extra fields)


def _id(value: Any) -> int | None:
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return int(value) if value else None


def _name(value: Any) -> str | None:
    if isinstance(value, list | tuple) and len(value) > 1:
        return str(value[1])
    return None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value not in (None, False) else ""
    return text or None


class OfferedProducts:
    """Reads the products a customer is told about (see the module's docstring)."""

    def __init__(
        self, odoo: OdooApi, profile: PartnerProfile, items: Sequence[CustomerItem]
    ) -> None:
        if profile.odoo is None:
            raise NotPublishable(profile.id, ["the profile has no odoo section"])
        self.odoo = odoo
        self.profile = profile
        self.settings = profile.odoo
        self.items = list(items)

    def _fields(self, extra: Sequence[str]) -> list[str]:
        fields = [*PRODUCT_FIELDS, *extra]
        for name in (self.settings.ndc_field, self.settings.hibcc_field):
            if name != "barcode" and name not in fields:
                fields.append(name)
        return fields

    def read(self, extra_fields: Sequence[str] = ()) -> list[OfferedProduct]:
        """Every product the customer is told about, in a stable order; raises
        :class:`NotPublishable` naming each product that cannot be."""
        fields = self._fields(extra_fields)
        problems: list[str] = []
        chosen: list[tuple[dict[str, Any], str | None]] = []
        if self.items:
            codes = sorted({i.our_item for i in self.items if i.kind == "default_code"})
            gtins = sorted({i.our_item for i in self.items if i.kind == "gtin"})
            by_code: dict[str, dict[str, Any]] = {}
            by_gtin: dict[str, dict[str, Any]] = {}
            if codes:
                for row in self.odoo.search_read(
                    "product.product", [["default_code", "in", codes]], fields
                ):
                    by_code.setdefault(str(row.get("default_code")), row)
            if gtins:
                for row in self.odoo.search_read(
                    "product.product", [["barcode", "in", gtins]], fields
                ):
                    by_gtin.setdefault(str(row.get("barcode")), row)
            for ref in sorted(self.items, key=lambda i: i.customer_part):
                found = (by_gtin if ref.kind == "gtin" else by_code).get(ref.our_item)
                if found is None:
                    problems.append(
                        f"customer part {ref.customer_part!r}: no product in Odoo has "
                        f"{ref.kind} {ref.our_item!r} (xref line {ref.line_number})"
                    )
                    continue
                chosen.append((found, ref.customer_part))
        else:
            rows = self.odoo.search_read(
                "product.product",
                [["sale_ok", "=", True], ["barcode", "!=", False]],
                fields,
                order="default_code, id",
            )
            chosen = [(row, None) for row in rows]
        units = {name: code for code, name in self.settings.uom.items()}
        out: list[OfferedProduct] = []
        for row, customer_part in chosen:
            unit = _name(row.get("uom_id"))
            code = units.get(unit or "")
            label = _text(row.get("default_code")) or _text(row.get("name")) or str(row["id"])
            if code is None:
                problems.append(
                    f"product {label}: unit {unit!r} is not in partner {self.profile.id!r}'s "
                    f"unit table (odoo.uom: {dict(self.settings.uom)})"
                )
                continue
            out.append(
                OfferedProduct(
                    id=int(row["id"]),
                    template_id=_id(row.get("product_tmpl_id")) or 0,
                    categ_id=_id(row.get("categ_id")),
                    item=self._item(row, customer_part),
                    uom=code,
                    row=row,
                )
            )
        if problems:
            raise NotPublishable(f"partner {self.profile.id}", problems)
        return out

    def _item(self, row: dict[str, Any], customer_part: str | None) -> ItemIds:
        barcode = _text(row.get("barcode"))
        lookup = self.settings.item_lookup
        ndc_in_barcode = self.settings.ndc_field == "barcode" and "ndc" in lookup
        hibcc_in_barcode = (
            not ndc_in_barcode and self.settings.hibcc_field == "barcode" and "hibcc" in lookup
        )
        ndc = barcode if ndc_in_barcode else None
        hibcc = barcode if hibcc_in_barcode else None
        if self.settings.ndc_field != "barcode":
            ndc = _text(row.get(self.settings.ndc_field))
        if self.settings.hibcc_field != "barcode":
            hibcc = _text(row.get(self.settings.hibcc_field))
        return ItemIds(
            vendor_part=_text(row.get("default_code")),
            buyer_part=customer_part,
            gtin=None if (ndc_in_barcode or hibcc_in_barcode) else barcode,
            ndc=ndc,
            hibcc=hibcc,
            description=_text(row.get("name")),
        )
