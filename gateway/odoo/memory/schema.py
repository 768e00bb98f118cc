"""The imitated Odoo's models and fields, per major version, and its fixed data."""

from __future__ import annotations

F = tuple[str, str | None, str | None]


def _f(kind: str, relation: str | None = None, inverse: str | None = None) -> F:
    return (kind, relation, inverse)


def _schema(major: int, modules: tuple[str, ...] = ()) -> dict[str, dict[str, F]]:
    product_fields: dict[str, F] = {
        "name": _f("char"),
        "display_name": _f("char"),
        "default_code": _f("char"),
        "barcode": _f("char"),
        "type": _f("selection"),
        "tracking": _f("selection"),
        "use_expiration_date": _f("boolean"),
        "standard_price": _f("float"),
        "list_price": _f("float"),
        "purchase_ok": _f("boolean"),
        "sale_ok": _f("boolean"),
        "uom_id": _f("many2one", "uom.uom"),
        "supplier_taxes_id": _f("many2many", "account.tax"),
        "active": _f("boolean"),
    }
    if major <= 18:
        product_fields["uom_po_id"] = _f("many2one", "uom.uom")
    if major <= 17:
        product_fields["detailed_type"] = _f("selection")
    else:
        product_fields["is_storable"] = _f("boolean")
    move_qty: dict[str, F] = (
        {"quantity": _f("float"), "picked": _f("boolean")}
        if major >= 17
        else {"quantity_done": _f("float"), "reserved_availability": _f("float")}
    )
    line_qty: dict[str, F] = (
        {"quantity": _f("float"), "picked": _f("boolean")}
        if major >= 17
        else {"qty_done": _f("float"), "reserved_uom_qty": _f("float")}
    )
    return {
        "res.partner": {
            "name": _f("char"),
            "display_name": _f("char"),
            "ref": _f("char"),
            "vat": _f("char"),
            "email": _f("char"),
            "is_company": _f("boolean"),
            "supplier_rank": _f("integer"),
            "active": _f("boolean"),
            "phone": _f("char"),
            "street": _f("char"),
            "street2": _f("char"),
            "city": _f("char"),
            "zip": _f("char"),
            "state_id": _f("many2one", "res.country.state"),
            "country_id": _f("many2one", "res.country"),
        },
        "res.country": {"name": _f("char"), "display_name": _f("char"), "code": _f("char")},
        "res.country.state": {
            "name": _f("char"),
            "display_name": _f("char"),
            "code": _f("char"),
            "country_id": _f("many2one", "res.country"),
        },
        "res.company": {
            "name": _f("char"),
            "display_name": _f("char"),
            "partner_id": _f("many2one", "res.partner"),
            "currency_id": _f("many2one", "res.currency"),
        },
        "res.users": {
            "name": _f("char"),
            "display_name": _f("char"),
            "login": _f("char"),
            "email": _f("char"),
            "phone": _f("char"),
            "company_id": _f("many2one", "res.company"),
            "partner_id": _f("many2one", "res.partner"),
        },
        "stock.warehouse": {
            "name": _f("char"),
            "display_name": _f("char"),
            "partner_id": _f("many2one", "res.partner"),
        },
        "stock.picking.type": {
            "name": _f("char"),
            "display_name": _f("char"),
            "code": _f("selection"),
            "warehouse_id": _f("many2one", "stock.warehouse"),
        },
        "uom.category": {"name": _f("char"), "display_name": _f("char")},
        "uom.uom": {
            "name": _f("char"),
            "display_name": _f("char"),
            "category_id": _f("many2one", "uom.category"),
            "factor": _f("float"),
            "uom_type": _f("selection"),
            "active": _f("boolean"),
        },
        "product.template": {
            **product_fields,
            "product_variant_ids": _f("one2many", "product.product", "product_tmpl_id"),
            "seller_ids": _f("one2many", "product.supplierinfo", "product_tmpl_id"),
        },
        "product.product": {
            **product_fields,
            "product_tmpl_id": _f("many2one", "product.template"),
        },
        "product.supplierinfo": {
            "partner_id": _f("many2one", "res.partner"),
            "product_id": _f("many2one", "product.product"),
            "product_tmpl_id": _f("many2one", "product.template"),
            "product_code": _f("char"),
            "product_name": _f("char"),
            "sequence": _f("integer"),
            "price": _f("float"),
            "min_qty": _f("float"),
            "display_name": _f("char"),
            "currency_id": _f("many2one", "res.currency"),
            "date_start": _f("date"),
            "date_end": _f("date"),
            "company_id": _f("many2one", "res.company"),
            ("product_uom_id" if major >= 19 else "product_uom"): _f("many2one", "uom.uom"),
            **({"discount": _f("float")} if major >= 17 else {}),
        },
        "purchase.order": {
            "name": _f("char"),
            "display_name": _f("char"),
            "partner_id": _f("many2one", "res.partner"),
            "partner_ref": _f("char"),
            "origin": _f("char"),
            "state": _f("selection"),
            "date_order": _f("datetime"),
            "date_approve": _f("datetime"),
            "date_planned": _f("datetime"),
            ("note" if major >= 19 else "notes"): _f("html"),
            "company_id": _f("many2one", "res.company"),
            "user_id": _f("many2one", "res.users"),
            "picking_type_id": _f("many2one", "stock.picking.type"),
            "write_date": _f("datetime"),
            "order_line": _f("one2many", "purchase.order.line", "order_id"),
            "amount_untaxed": _f("float"),
            "amount_total": _f("float"),
            "invoice_status": _f("selection"),
            "receipt_status": _f("selection"),
            "invoice_ids": _f("many2many", "account.move"),
            "currency_id": _f("many2one", "res.currency"),
            "picking_ids": _f("one2many", "stock.picking", "purchase_id"),
        },
        "purchase.order.line": {
            "order_id": _f("many2one", "purchase.order"),
            "display_name": _f("char"),
            "display_type": _f("selection"),  # line_section / line_note; False for products
            "name": _f("text"),
            "sequence": _f("integer"),
            "product_id": _f("many2one", "product.product"),
            "product_qty": _f("float"),
            ("product_uom_id" if major >= 19 else "product_uom"): _f("many2one", "uom.uom"),
            "price_unit": _f("float"),
            "price_subtotal": _f("float"),
            "date_planned": _f("datetime"),
            "qty_received": _f("float"),
            "qty_invoiced": _f("float"),
            "state": _f("selection"),
            "move_ids": _f("one2many", "stock.move", "purchase_line_id"),
            "invoice_lines": _f("one2many", "account.move.line", "purchase_line_id"),
        },
        "stock.location": {"name": _f("char"), "display_name": _f("char")},
        "stock.picking": {
            "name": _f("char"),
            "display_name": _f("char"),
            "partner_id": _f("many2one", "res.partner"),
            "purchase_id": _f("many2one", "purchase.order"),
            "picking_type_code": _f("selection"),
            "state": _f("selection"),
            "origin": _f("char"),
            **({"carrier_tracking_ref": _f("char")} if "stock_delivery" in modules else {}),
            "backorder_id": _f("many2one", "stock.picking"),
            "move_ids": _f("one2many", "stock.move", "picking_id"),
            "move_line_ids": _f("one2many", "stock.move.line", "picking_id"),
            "location_id": _f("many2one", "stock.location"),
            "location_dest_id": _f("many2one", "stock.location"),
            "scheduled_date": _f("datetime"),
            "date_done": _f("datetime"),
        },
        "stock.move": {
            "name": _f("char"),
            "display_name": _f("char"),
            "picking_id": _f("many2one", "stock.picking"),
            "product_id": _f("many2one", "product.product"),
            "product_uom_qty": _f("float"),
            "product_uom": _f("many2one", "uom.uom"),
            **move_qty,
            "state": _f("selection"),
            "move_line_ids": _f("one2many", "stock.move.line", "move_id"),
            "purchase_line_id": _f("many2one", "purchase.order.line"),
            "location_id": _f("many2one", "stock.location"),
            "location_dest_id": _f("many2one", "stock.location"),
            "has_tracking": _f("selection"),
        },
        "stock.move.line": {
            "display_name": _f("char"),
            "move_id": _f("many2one", "stock.move"),
            "picking_id": _f("many2one", "stock.picking"),
            "product_id": _f("many2one", "product.product"),
            "product_uom_id": _f("many2one", "uom.uom"),
            "lot_id": _f("many2one", "stock.lot"),
            "lot_name": _f("char"),
            **line_qty,
            "expiration_date": _f("datetime"),
            "location_id": _f("many2one", "stock.location"),
            "location_dest_id": _f("many2one", "stock.location"),
            "state": _f("selection"),
        },
        "stock.lot": {
            "name": _f("char"),
            "display_name": _f("char"),
            "product_id": _f("many2one", "product.product"),
            "expiration_date": _f("datetime"),
        },
        "stock.backorder.confirmation": {
            "pick_ids": _f("many2many", "stock.picking"),
            "show_transfers": _f("boolean"),
        },
        "account.move": {
            "name": _f("char"),
            "display_name": _f("char"),
            "move_type": _f("selection"),
            "partner_id": _f("many2one", "res.partner"),
            "ref": _f("char"),
            "invoice_date": _f("date"),
            "state": _f("selection"),
            "invoice_origin": _f("char"),
            "invoice_line_ids": _f("one2many", "account.move.line", "move_id"),
            "amount_untaxed": _f("float"),
            "amount_tax": _f("float"),
            "amount_total": _f("float"),
            "currency_id": _f("many2one", "res.currency"),
            "reversed_entry_id": _f("many2one", "account.move"),
        },
        "account.move.line": {
            "display_name": _f("char"),
            "move_id": _f("many2one", "account.move"),
            "purchase_line_id": _f("many2one", "purchase.order.line"),
            "product_id": _f("many2one", "product.product"),
            "product_uom_id": _f("many2one", "uom.uom"),
            "name": _f("char"),
            "quantity": _f("float"),
            "price_unit": _f("float"),
            "price_subtotal": _f("float"),
            "tax_ids": _f("many2many", "account.tax"),  # the taxes are the product's here
        },
        "res.currency": {
            "name": _f("char"),
            "display_name": _f("char"),
            "active": _f("boolean"),
        },
        "account.tax": {
            "name": _f("char"),
            "display_name": _f("char"),
            "amount": _f("float"),
            "type_tax_use": _f("selection"),
        },
        "mail.message": {
            "model": _f("char"),
            "res_id": _f("integer"),
            "body": _f("html"),
            "message_type": _f("selection"),
            "date": _f("datetime"),
        },
        "ir.module.module": {
            "name": _f("char"),
            "state": _f("selection"),
            "display_name": _f("char"),
        },
    }


REQUIRED_MODULES = ("purchase", "stock", "account", "purchase_stock", "product_expiry")
TAX_RATE = 0.15  # the recorded database's default purchase tax (965.0 -> 1109.75)
DEFAULT_PURCHASE_TAX = 1  # account.tax id new products get, as Odoo's company default
CURRENCIES = (("USD", True), ("EUR", True), ("GBP", False))  # the first is the company's
# the fresh database's company (its partner, warehouse, receipts type) and admin user
COMPANY = {"name": "My Company", "street": "250 Executive Park Blvd, Suite 3400",
           "city": "San Francisco", "zip": "94134", "state": ("California", "CA"),
           "country": ("United States", "US")}  # fmt: skip
ADMIN_USER = 2  # Odoo's admin is user 2 (1 is the superuser __system__)
VENDOR_LOCATION = 4
STOCK_LOCATION = 8
