"""Our stock of the products a customer buys, from Odoo, as an inventory advice (846 /
INVRPT).

For every product the customer is told about (:mod:`gateway.outbound.offered`) the
advice carries Odoo's ``qty_available`` as ``on_hand`` (what is in our stock locations
now) and ``virtual_available`` as ``forecast`` (on hand plus confirmed receipts, less
confirmed deliveries: what is left to promise), both in the product's unit, as of the
report date. Odoo computes both over every warehouse of the company the RPC user works
in; the profile's ``outbound.inventory_advice.warehouse`` (a ``stock.warehouse`` name)
narrows them to one warehouse through Odoo's ``warehouse`` context key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from gateway.canonical import InventoryAdvice, InventoryLine, Party
from gateway.odoo.api import OdooApi
from gateway.outbound.offered import CustomerItem, NotPublishable, OfferedProducts
from gateway.partners.profile import PartnerProfile

QUANTITY_FIELDS = ["qty_available", "virtual_available"]


def _decimal(value: Any) -> Decimal:
    """An Odoo float as the decimal Odoo shows (its shortest repr), without a trailing .0."""
    number = Decimal(repr(float(value or 0)))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def our_company(odoo: OdooApi) -> Party | None:
    """Our company as the seller party (the RPC user's company)."""
    rows = odoo.search_read("res.company", [], ["name"], limit=1, order="id")
    return Party(name=str(rows[0].get("name") or "") or None) if rows else None


class InventoryReader:
    """Reads the advice for one customer."""

    def __init__(
        self, odoo: OdooApi, profile: PartnerProfile, items: Sequence[CustomerItem]
    ) -> None:
        self.odoo = odoo
        self.profile = profile
        self.offered = OfferedProducts(odoo, profile, items)

    def read(self, report_number: str, report_date: dt.date) -> InventoryAdvice:
        """The advice, numbered ``report_number``; raises :class:`NotPublishable`."""
        products = self.offered.read()
        if not products:
            raise NotPublishable(
                f"inventory advice for {self.profile.id}",
                ["no products to report: the customer's xref table is empty and no product "
                 "we sell has a barcode"],
            )  # fmt: skip
        quantities = self._quantities([p.id for p in products])
        lines = []
        for n, product in enumerate(products, 1):
            row = quantities.get(product.id, {})
            lines.append(
                InventoryLine(
                    line_number=str(n),
                    item=product.item,
                    on_hand=_decimal(row.get("qty_available")),
                    forecast=_decimal(row.get("virtual_available")),
                    uom=product.uom,
                    as_of=report_date,
                )
            )
        return InventoryAdvice(
            report_number=report_number,
            report_date=report_date,
            seller=our_company(self.odoo),
            buyer=Party(name=self.profile.name),
            lines=lines,
        )

    def _quantities(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        warehouse = getattr(self.profile.outbound.inventory_advice, "warehouse", None)
        if warehouse:
            found = self.odoo.search_read("stock.warehouse", [["name", "=", warehouse]], ["id"])
            if not found:
                raise NotPublishable(
                    f"inventory advice for {self.profile.id}",
                    [f"no stock.warehouse named {warehouse!r} (outbound.inventory_advice)"],
                )
            rows = self.odoo.call(
                "product.product",
                "read",
                ids=ids,
                params={"fields": QUANTITY_FIELDS},
                context={"warehouse": int(found[0]["id"])},
            )
        else:
            rows = self.odoo.read("product.product", ids, QUANTITY_FIELDS)
        return {int(r["id"]): r for r in rows or []}
