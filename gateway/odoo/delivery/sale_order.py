"""A customer's PurchaseOrder (850 / ORDERS from a partner with ``role: customer``) →
``sale.order``.

The customer is the profile's ``odoo.customer_ref`` / ``customer_id`` (else its
``vendor_ref`` / ``vendor_id``: one company both ways); the ship-to (N1*ST / NAD+DP) is a
delivery address under it, found by its GLN or code in ``res.partner.ref``; each line's
product by the profile's ``odoo.sale_order.item_lookup`` (our GTIN/UPC/NDC/HIBCC, our part
number = ``default_code``, the customer's part number through the gateway's
cross-reference table, :mod:`gateway.customer_items`). Everything is resolved before
anything is written, so an unknown customer, ship-to or item leaves no half-made order.

The order is created as a quotation keyed by customer + ``client_order_ref`` = the PO
number (a retry or a resent 850 finds it; the delivery ledger stops a resend earlier).
Lines carry no price: Odoo computes each from the customer's pricelist for the ordered
quantity (``sale.order.line._compute_price_unit``; the pricelist's own price methods are
private and cannot be called over RPC), and :class:`CheckSalePrices` compares that with
the customer's price. A difference is a business exception and leaves the quotation
unconfirmed; otherwise ``sale_order.confirm: auto`` confirms it.

Dates: the requested delivery date (the header's, else the earliest line's) becomes
``commitment_date``; a line asking for another date says so in its description (Odoo 17
has no per-line delivery date on a sale order line). A change or cancellation of an order
already in Odoo (860 / ORDCHG, or an 850 / ORDERS that says so) is planned by
:mod:`gateway.odoo.delivery.sale_order_change`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.canonical import ItemIds, Party, PurchaseOrder, PurchaseOrderLine, Purpose
from gateway.odoo.api import OdooApi
from gateway.odoo.delivery.item_checks import CHECKED_KINDS, identifier_issue, lookup_values
from gateway.odoo.delivery.outcome import BusinessIssue, OdooRecordRef
from gateway.odoo.delivery.plan import (
    CheckSalePrices,
    ConfirmSaleOrder,
    CreateSaleOrder,
    DeliveryPlan,
    LinePrice,
)
from gateway.odoo.delivery.purchase_order import odoo_datetime, source_label
from gateway.odoo.delivery.resolve import Product, Resolver
from gateway.odoo.delivery.sale_order_change import plan_sale_order_change
from gateway.odoo.errors import OdooConfigurationError

SALE_ORDER_FIELDS = ["id", "name", "state", "client_order_ref", "partner_id"]


def plan_sale_order(
    document: PurchaseOrder, *, plan: DeliveryPlan, odoo: OdooApi, resolver: Resolver
) -> DeliveryPlan:
    """Decide how a customer's order lands (a quotation; confirmed per profile)."""
    settings = resolver.settings
    customer = find_customer(odoo, resolver)
    if isinstance(customer, BusinessIssue):
        plan.exceptions.append(customer)
        plan.notes.append(f"sale order for {document.po_number} not created: no customer")
        return plan
    existing = find_sale_order(odoo, customer, document.po_number)
    if existing is not None:
        return _existing(document, existing, plan=plan, odoo=odoo, resolver=resolver)
    if document.purpose is not Purpose.ORIGINAL:
        plan.exceptions.append(
            BusinessIssue(
                kind="order_not_found",
                message=f"{document.purpose.value} of customer order {document.po_number}, "
                "which is not a sale order in Odoo",
                received=document.po_number,
            )
        )
        return plan

    issues: list[BusinessIssue] = []
    ship_to = find_ship_to(odoo, customer, document.ship_to)
    if isinstance(ship_to, BusinessIssue):
        issues.append(ship_to)
    commitment = commitment_date(document)
    uom_field = odoo.dialect.purchase_line_uom_field  # sale lines use the same name per version
    commands: list[list[Any]] = []
    prices: list[LinePrice] = []
    for line in document.lines:
        product = sale_product(resolver, line.item, line.line_number)
        uom = resolver.uom(line.uom, line.line_number)
        if isinstance(product, BusinessIssue):
            issues.append(product)
        if isinstance(uom, BusinessIssue):
            issues.append(uom.model_copy(update={"identifiers": line.item.identifiers()}))
        if not isinstance(product, Product) or isinstance(uom, BusinessIssue):
            continue
        sequence = len(commands) + 1
        unit = {uom_field: uom} if uom is not None else {}
        commands.append([0, 0, _line_values(line, product, sequence, unit, commitment)])
        if line.unit_price is not None:
            prices.append(
                LinePrice(
                    line_number=line.line_number,
                    sequence=sequence,
                    price=line.unit_price,
                    product=product.name,
                )
            )
    if not document.lines:
        issues.append(BusinessIssue(kind="unknown_item", message="the customer order has no lines"))
    if issues:
        plan.exceptions.extend(issues)
        plan.notes.append(f"sale order for {document.po_number} not created: fix the above first")
        return plan

    order_values = _order_values(document, customer, commands, ship_to, commitment)
    plan.confirm = settings.sale_order.confirm == "auto"
    plan.steps.append(CreateSaleOrder(values=order_values))
    plan.steps.append(
        CheckSalePrices(
            po_number=document.po_number,
            lines=prices,
            tolerance_amount=settings.tolerances.price_amount,
            tolerance_percent=settings.tolerances.price_percent,
            currency=document.currency.strip().upper() if document.currency else None,
        )
    )
    plan.steps.append(ConfirmSaleOrder())
    plan.notes.append(f"quotation created for customer order {document.po_number}")
    if not plan.confirm:
        plan.notes.append("left as a quotation for review (odoo.sale_order.confirm: review)")
    if ship_to is None:
        plan.notes.append("no ship-to in the order: Odoo's delivery address of the customer")
    return plan


def _line_values(
    line: PurchaseOrderLine,
    product: Product,
    sequence: int,
    unit: dict[str, int],
    commitment: dt.date | None,
) -> dict[str, Any]:
    """A sale line's values; a line wanted on another day than the order's commitment
    date says so in its description."""
    values: dict[str, Any] = {
        "product_id": product.id,
        "product_uom_qty": float(line.quantity),
        "sequence": sequence,
        **unit,
    }
    wanted = line_date(line)
    if wanted is not None and wanted != commitment:
        values["name"] = f"{product.name}\nRequested delivery: {wanted.isoformat()}"
    return values


def _order_values(
    document: PurchaseOrder,
    customer: int,
    commands: list[list[Any]],
    ship_to: int | BusinessIssue | None,
    commitment: dt.date | None,
) -> dict[str, Any]:
    """The sale order's own values around its line commands."""
    values: dict[str, Any] = {
        "partner_id": customer,
        "client_order_ref": document.po_number,
        "origin": source_label(document, "850"),
        "order_line": commands,
    }
    if isinstance(ship_to, int):
        values["partner_shipping_id"] = ship_to
    if commitment is not None:
        values["commitment_date"] = odoo_datetime(commitment)
    return values


# ---- lookups ---------------------------------------------------------------------------
def find_customer(odoo: OdooApi, resolver: Resolver) -> int | BusinessIssue:
    """The customer's ``res.partner`` id, or the issue naming what was looked for."""
    partner_id, ref = resolver.settings.customer()
    if partner_id is not None:
        rows = odoo.read("res.partner", [partner_id], ["id"])
        what = f"id {partner_id} (the profile's odoo.customer_id)"
    elif ref is not None:
        rows = odoo.search_read("res.partner", [["ref", "=", ref]], ["id"], limit=2)
        what = f"the reference {ref!r} (the profile's odoo.customer_ref)"
    else:  # the profile validator makes this unreachable
        raise OdooConfigurationError("the profile names no Odoo partner for the customer")
    if len(rows) == 1:
        return int(rows[0]["id"])
    found = "no Odoo partner" if not rows else "several Odoo partners"
    return BusinessIssue(
        kind="unknown_customer",
        message=f"{found} with {what}: the customer's orders cannot be created",
        received=str(ref if partner_id is None else partner_id),
    )


def find_sale_order(odoo: OdooApi, customer_id: int, po_number: str) -> dict[str, Any] | None:
    """The customer's sale order for this PO number (a live one before a cancelled one)."""
    rows = odoo.search_read(
        "sale.order",
        [["client_order_ref", "=", po_number], ["partner_id", "=", customer_id]],
        SALE_ORDER_FIELDS,
        order="id",
    )
    if not rows:
        return None
    live = [r for r in rows if r.get("state") != "cancel"]
    return (live or rows)[0]


def ship_to_codes(party: Party) -> list[str]:
    """The codes a ship-to carries, GLN first (N1*ST*..*UL / NAD+DP+..::9, then others)."""
    codes = [party.gln] if party.gln else []
    codes += [v for v in party.identifiers.values() if v and v not in codes]
    if party.duns and party.duns not in codes:
        codes.append(party.duns)
    return codes


def find_ship_to(
    odoo: OdooApi, customer_id: int, party: Party | None
) -> int | BusinessIssue | None:
    """The delivery address (a ``type='delivery'`` contact under the customer, or the
    customer itself) whose ``ref`` is the ship-to's GLN or code; None when the order names
    no ship-to (Odoo then uses the customer's own delivery address)."""
    if party is None:
        return None
    codes = ship_to_codes(party)
    label = party.name or "the ship-to"
    if not codes:
        return BusinessIssue(
            kind="unknown_ship_to",
            message=f"ship-to {label!r} carries no GLN or code to find its delivery address",
            received=label,
        )
    for domain in (
        [["parent_id", "=", customer_id], ["type", "=", "delivery"], ["ref", "in", codes]],
        [["id", "=", customer_id], ["ref", "in", codes]],
    ):
        rows = odoo.search_read("res.partner", domain, ["id", "ref"])
        for code in codes:  # the GLN wins over other codes
            hits = [int(r["id"]) for r in rows if r.get("ref") == code]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                return BusinessIssue(
                    kind="unknown_ship_to",
                    message=f"ship-to {code} matches {len(hits)} delivery addresses of the "
                    "customer in Odoo",
                    received=code,
                )
    shown = f"GLN {party.gln}" if party.gln else "code " + ", ".join(codes)
    return BusinessIssue(
        kind="unknown_ship_to",
        message=f"ship-to {shown} ({label}) is not a delivery address of the customer in "
        f"Odoo (a contact of type delivery under the customer, with {codes[0]} as reference)",
        received=codes[0],
    )


def sale_product(
    resolver: Resolver, item: ItemIds, line_number: str | None
) -> Product | BusinessIssue:
    """Our product for a customer's line, by ``odoo.sale_order.item_lookup`` in order."""
    settings = resolver.settings
    kinds = settings.sale_order.item_lookup
    invalid = identifier_issue(item, [k for k in kinds if k in CHECKED_KINDS], line_number)
    if invalid is not None:
        return invalid
    tried: list[str] = []
    for kind in kinds:
        for label, domain in _domains(resolver, kind, item):
            tried.append(label)
            if domain is None:
                continue
            ids = resolver.search_products(domain)
            if len(ids) > 1:
                return BusinessIssue(
                    kind="ambiguous_item",
                    message=f"line {line_number}: {label} matches {len(ids)} products in Odoo",
                    line_number=line_number,
                    received=label,
                    identifiers=item.identifiers(),
                )
            if ids:
                return resolver._product_record(ids[0], label)
    shown = ", ".join(tried) if tried else "no identifier the profile looks up"
    return BusinessIssue(
        kind="unknown_item",
        message=f"line {line_number}: no Odoo product for {shown}",
        line_number=line_number,
        received=shown,
        identifiers=item.identifiers(),
    )


def _domains(resolver: Resolver, kind: str, item: ItemIds) -> list[tuple[str, list[Any] | None]]:
    """(label, product domain) per way ``kind`` names the item; a None domain is a
    customer part number the cross-reference table does not have (reported as tried)."""
    s = resolver.settings
    if kind in ("gtin", "upc"):
        value = item.gtin if kind == "gtin" else item.upc
        if value:
            return [(f"{kind}={value}", [["barcode", "in", lookup_values(kind, value)]])]
    if kind == "ndc" and item.ndc:
        return [(f"ndc={item.ndc}", [[s.ndc_field, "in", lookup_values("ndc", item.ndc)]])]
    if kind == "hibcc" and item.hibcc:
        return [
            (f"hibcc={item.hibcc}", [[s.hibcc_field, "in", lookup_values("hibcc", item.hibcc)]])
        ]
    if kind == "our_part" and item.vendor_part:
        return [(f"our part={item.vendor_part}", [["default_code", "=", item.vendor_part]])]
    if kind == "customer_part" and item.buyer_part:
        ref = resolver.customer_items.get(item.buyer_part)
        label = f"customer part={item.buyer_part}"
        if ref is None:
            return [(f"{label} (not in the cross-reference table)", None)]
        if ref.kind == "gtin":
            return [
                (
                    f"{label} → gtin {ref.our_item}",
                    [["barcode", "in", lookup_values("gtin", ref.our_item)]],
                )
            ]
        return [(f"{label} → {ref.our_item}", [["default_code", "=", ref.our_item]])]
    return []


# ---- dates -----------------------------------------------------------------------------
def line_date(line: PurchaseOrderLine) -> dt.date | None:
    """The delivery date a line asks for (its own, or from its dates by meaning)."""
    if line.requested_date is not None:
        return line.requested_date
    return line.dates.requested_delivery if line.dates is not None else None


def commitment_date(document: PurchaseOrder) -> dt.date | None:
    """The order's requested delivery date: the header's, else the earliest line's."""
    if document.requested_delivery_date is not None:
        return document.requested_delivery_date
    if document.dates is not None and document.dates.requested_delivery is not None:
        return document.dates.requested_delivery
    dates = [d for line in document.lines if (d := line_date(line)) is not None]
    return min(dates) if dates else None


# ---- an order already in Odoo ------------------------------------------------------------
def _existing(
    document: PurchaseOrder,
    order: dict[str, Any],
    *,
    plan: DeliveryPlan,
    odoo: OdooApi,
    resolver: Resolver,
) -> DeliveryPlan:
    if document.purpose is not Purpose.ORIGINAL:
        # a change (860 / ORDCHG, or an 850 / ORDERS that says change or cancel)
        return plan_sale_order_change(
            document,
            order,
            plan=plan,
            odoo=odoo,
            resolver=resolver,
            find_product=lambda line: sale_product(resolver, line.item, line.line_number),
        )
    order_id = int(order["id"])
    ref = OdooRecordRef(model="sale.order", id=order_id, name=str(order.get("name") or ""))
    plan.records.append(ref)
    plan.sale_order_id = order_id
    # the same order again: a resend by the customer (the ledger missed it because the
    # first one ended in an exception) or a retry; never a second sale order
    plan.already_existed = True
    plan.notes.append(
        f"customer order {document.po_number} already in Odoo as {ref.name} "
        f"({order.get('state')}): not created again"
    )
    return plan
