"""Read a confirmed Odoo purchase order as the canonical :class:`PurchaseOrder`.

The same canonical model inbound 850s become, so the outbound maps, the validator and
the console treat both alike. What comes from where:

* header: ``purchase.order`` name (PO number), ``date_approve``/``date_order`` (order
  date), ``date_planned`` (requested delivery), currency ISO code, ``partner_ref``
  (the supplier's own reference, kept as the contract number only when the profile
  does not say otherwise);
* parties: buyer and bill-to from the company's partner, ship-to from the receiving
  warehouse's address (the order's operation type), seller from the vendor; the
  buyer's contact (name, phone, e-mail) from the order's purchase representative
  (``user_id``);
* notes: the order's terms and conditions (``notes``; ``note`` in 19), HTML turned into
  one line of text per paragraph;
* lines: quantity and price as ordered, the unit through the profile's unit table in
  reverse (Odoo unit name -> EDI code), the vendor's part number from
  ``product.supplierinfo.product_code``, our ``default_code`` as the buyer part, and
  the barcode as GTIN - or as NDC when the profile keeps NDCs in that field.

A unit the profile's table does not name, or a line without a product, is an
:class:`OrderNotSendable` naming the line: the buyer must fix the order (or onboarding
the profile); it is never sent with a guessed code.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from gateway.canonical import Address, Contact, ItemIds, Party, PurchaseOrder, PurchaseOrderLine
from gateway.odoo.api import OdooApi, Values
from gateway.partners.profile import PartnerProfile

ORDER_FIELDS = [
    "name",
    "state",
    "partner_id",
    "company_id",
    "currency_id",
    "date_order",
    "date_approve",
    "date_planned",
    "partner_ref",
    "picking_type_id",
    "order_line",
    "write_date",
    "user_id",
]
CONTACT_FIELDS = ["name", "phone", "email"]
_BLOCK_END = re.compile(r"<\s*(?:br\s*/?|/p|/div|/li|/h[1-6]|/tr)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
ADDRESS_FIELDS = ["name", "street", "street2", "city", "zip", "state_id", "country_id", "ref"]


class OrderNotSendable(Exception):
    """The order cannot become a valid document for this partner (names what and where)."""

    def __init__(self, po_number: str, problems: Sequence[str]) -> None:
        self.po_number = po_number
        self.problems = list(problems)
        super().__init__(f"purchase order {po_number}: " + "; ".join(self.problems))


def _id(value: Any) -> int | None:
    """The id of a many2one value (``[id, name]`` or ``False``)."""
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _name(value: Any) -> str | None:
    if isinstance(value, list | tuple) and len(value) > 1:
        return str(value[1])
    return None


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    return dt.date.fromisoformat(str(value)[:10])


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value else None


def html_lines(value: Any) -> list[str]:
    """The text of an Odoo HTML field, one entry per paragraph, line break or list item."""
    if not value or not isinstance(value, str):
        return []
    text = _TAG.sub("", _BLOCK_END.sub("\n", value))
    lines = (" ".join(html.unescape(line).split()) for line in text.splitlines())
    return [line for line in lines if line]


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)).normalize() if value else Decimal(0)


class OdooOrderReader:
    """Reads orders from one Odoo for one partner profile."""

    def __init__(self, odoo: OdooApi, profile: PartnerProfile) -> None:
        if profile.odoo is None:
            raise ValueError(f"partner {profile.id!r} has no odoo section")
        self.odoo = odoo
        self.profile = profile
        self.settings = profile.odoo
        self._states: dict[int, str] = {}
        self._countries: dict[int, str] = {}
        # one poll reads many orders of one company and warehouse: read those once
        self._parties: dict[int, Party | None] = {}
        self._ship_to_by_type: dict[int, Party | None] = {}
        self._company_party: dict[int, Party | None] = {}
        self._contacts: dict[int, Contact | None] = {}

    def read(self, order_id: int) -> tuple[PurchaseOrder, Values]:
        """The canonical order and the raw ``purchase.order`` row it was read from."""
        notes_field = self.odoo.dialect.field("purchase.order", "notes")
        rows = self.odoo.read("purchase.order", [order_id], [*ORDER_FIELDS, notes_field])
        if not rows:
            raise OrderNotSendable(str(order_id), [f"purchase.order {order_id} does not exist"])
        order = rows[0]
        po_number = str(order["name"])
        problems: list[str] = []
        lines = self._lines(order, problems)
        if problems:
            raise OrderNotSendable(po_number, problems)
        company = self._company_partner(order)
        buyer = company.model_copy(deep=True) if company is not None else None
        contact = self._contact(_id(order.get("user_id")))
        if contact is not None:
            buyer = (buyer or Party()).model_copy(update={"contact": contact})
        document = PurchaseOrder(
            po_number=po_number,
            order_date=_date(order.get("date_approve") or order.get("date_order")),
            currency=_name(order.get("currency_id")),
            buyer=buyer,
            bill_to=company,
            ship_to=self._ship_to(order) or company,
            seller=self._party(_id(order.get("partner_id"))),
            requested_delivery_date=_date(order.get("date_planned")),
            lines=lines,
            notes=html_lines(order.get(notes_field)),
        )
        return document, order

    # -- lines -------------------------------------------------------------------------
    def _lines(self, order: Values, problems: list[str]) -> list[PurchaseOrderLine]:
        uom_field = self.odoo.dialect.purchase_line_uom_field
        line_ids = [int(i) for i in order.get("order_line") or []]
        fields = ["product_id", "name", "product_qty", uom_field, "price_unit", "date_planned"]
        fields.append("display_type")
        rows = self.odoo.read("purchase.order.line", line_ids, fields) if line_ids else []
        rows = [row for row in rows if not row.get("display_type")]  # sections and notes
        if not rows:
            problems.append("the order has no product lines")
            return []
        product_ids = sorted({pid for row in rows if (pid := _id(row.get("product_id")))})
        products = {
            int(p["id"]): p
            for p in self.odoo.read(
                "product.product", product_ids, ["default_code", "barcode", "product_tmpl_id"]
            )
        }
        vendor_codes = self._vendor_codes(order, products)
        units = {name: code for code, name in self.settings.uom.items()}
        lines: list[PurchaseOrderLine] = []
        for n, row in enumerate(rows, 1):
            pid = _id(row.get("product_id"))
            if pid is None or pid not in products:
                problems.append(f"line {n} ({row.get('name')!r}) has no product")
                continue
            unit_name = _name(row.get(uom_field))
            code = units.get(unit_name or "")
            if code is None:
                problems.append(
                    f"line {n}: unit {unit_name!r} is not in partner {self.profile.id!r}'s "
                    f"unit table (odoo.uom: {dict(self.settings.uom)})"
                )
                continue
            product = products[pid]
            lines.append(
                PurchaseOrderLine(
                    line_number=str(n),
                    quantity=_decimal(row.get("product_qty")),
                    uom=code,
                    unit_price=_decimal(row.get("price_unit")),
                    item=self._item(product, vendor_codes, row),
                    requested_date=_date(row.get("date_planned")),
                )
            )
        return lines

    def _item(self, product: Values, vendor_codes: dict[int, str], row: Values) -> ItemIds:
        barcode = _text(product.get("barcode"))
        ndc_in_barcode = self.settings.ndc_field == "barcode" and "ndc" in self.settings.item_lookup
        description = _text(str(row.get("name") or "").splitlines()[0] if row.get("name") else "")
        return ItemIds(
            vendor_part=vendor_codes.get(int(product["id"])),
            buyer_part=_text(product.get("default_code")),
            gtin=None if ndc_in_barcode else barcode,
            ndc=barcode if ndc_in_barcode else None,
            description=description,
        )

    def _vendor_codes(self, order: Values, products: dict[int, Values]) -> dict[int, str]:
        """Vendor part number per product: a variant's own row beats its template's."""
        vendor = _id(order.get("partner_id"))
        templates = {_id(p.get("product_tmpl_id")): pid for pid, p in products.items()}
        rows = self.odoo.search_read(
            "product.supplierinfo",
            [["partner_id", "=", vendor], ["product_tmpl_id", "in", [t for t in templates if t]]],
            ["product_code", "product_id", "product_tmpl_id", "sequence"],
            order="sequence, id",
        )
        codes: dict[int, str] = {}
        for row in rows:
            code = _text(row.get("product_code"))
            if not code:
                continue
            variant = _id(row.get("product_id"))
            if variant in products:
                codes[variant] = code
                continue
            pid = templates.get(_id(row.get("product_tmpl_id")))
            if pid is not None:
                codes.setdefault(pid, code)
        return codes

    # -- parties -----------------------------------------------------------------------
    def _company_partner(self, order: Values) -> Party | None:
        company = _id(order.get("company_id"))
        if company is None:
            return None
        if company not in self._company_party:
            rows = self.odoo.read("res.company", [company], ["partner_id"])
            found = self._party(_id(rows[0].get("partner_id"))) if rows else None
            self._company_party[company] = found
        return self._company_party[company]

    def _contact(self, user_id: int | None) -> Contact | None:
        """The purchase representative as the buyer's contact (``None`` without one)."""
        if user_id is None:
            return None
        if user_id not in self._contacts:
            rows = self.odoo.read("res.users", [user_id], CONTACT_FIELDS)
            row = rows[0] if rows else {}
            found = Contact(
                name=_text(row.get("name")),
                phone=_text(row.get("phone")),
                email=_text(row.get("email")),
            )
            self._contacts[user_id] = found if any(found.model_dump().values()) else None
        return self._contacts[user_id]

    def _ship_to(self, order: Values) -> Party | None:
        picking_type = _id(order.get("picking_type_id"))
        if picking_type is None:
            return None
        if picking_type not in self._ship_to_by_type:
            types = self.odoo.read("stock.picking.type", [picking_type], ["warehouse_id"])
            warehouse = _id(types[0].get("warehouse_id")) if types else None
            houses = (
                self.odoo.read("stock.warehouse", [warehouse], ["partner_id"]) if warehouse else []
            )
            party = self._party(_id(houses[0].get("partner_id"))) if houses else None
            self._ship_to_by_type[picking_type] = party
        return self._ship_to_by_type[picking_type]

    def _party(self, partner_id: int | None) -> Party | None:
        if partner_id is None:
            return None
        if partner_id not in self._parties:
            self._parties[partner_id] = self._read_party(partner_id)
        party = self._parties[partner_id]
        return party.model_copy(deep=True) if party is not None else None

    def _read_party(self, partner_id: int) -> Party | None:
        rows = self.odoo.read("res.partner", [partner_id], ADDRESS_FIELDS)
        if not rows:
            return None
        row = rows[0]
        address = Address(
            street=_text(row.get("street")),
            street2=_text(row.get("street2")),
            city=_text(row.get("city")),
            state=self._code("res.country.state", _id(row.get("state_id")), self._states),
            postal_code=_text(row.get("zip")),
            country=self._code("res.country", _id(row.get("country_id")), self._countries),
        )
        has_address = any(address.model_dump().values())
        return Party(name=_text(row.get("name")), address=address if has_address else None)

    def _code(self, model: str, record: int | None, cache: dict[int, str]) -> str | None:
        if record is None:
            return None
        if record not in cache:
            rows = self.odoo.read(model, [record], ["code"])
            cache[record] = str(rows[0].get("code") or "") if rows else ""
        return cache[record] or None
