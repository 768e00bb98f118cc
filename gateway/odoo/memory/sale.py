"""Sale orders and pricelists in the imitated Odoo (the seller side).

A sale order takes its pricelist from the customer's ``property_product_pricelist`` and
its delivery address from ``partner_shipping_id`` (the customer when not given); a line
created without ``price_unit`` gets the pricelist price for its quantity, as Odoo 17's
``sale.order.line._compute_price_unit`` does. Only the pricelist rules the gateway's tests
use are imitated: items on one variant, one template or everything, a minimum quantity,
and ``fixed`` or ``percentage`` (off the sales price ``list_price``) prices; the most
specific item, then the highest minimum quantity, wins; no item means ``list_price``.
Confirming (``action_confirm``) moves the order to ``sale`` and creates the outgoing
picking's header; its moves, reservation and invoicing are in ``sale_stock``.

The models are declared here, as the ``sale`` module adds them to Odoo (with the fields
it and ``contacts`` add to ``res.partner`` and ``sale_stock`` to ``stock.picking``), and
added to the database's schema when it is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from gateway.odoo.memory.account import AccountBehaviour
from gateway.odoo.memory.orm import OdooFault, Values, now_text, user_error
from gateway.odoo.memory.schema import REQUIRED_MODULES, STOCK_LOCATION, F, _f

CUSTOMER_LOCATION = 5
_SPECIFICITY = {"0_product_variant": 0, "1_product": 1, "2_product_category": 2, "3_global": 3}


def sale_schema(major: int) -> dict[str, dict[str, F]]:
    """The sale side's models, and the fields it adds to existing ones (merged)."""
    package = "stock.package" if major >= 19 else "stock.quant.package"  # 19 renamed it
    return {
        "res.partner": {
            "customer_rank": _f("integer"),
            # delivery addresses are child contacts (type "delivery") of the company
            "parent_id": _f("many2one", "res.partner"),
            "child_ids": _f("one2many", "res.partner", "parent_id"),
            "type": _f("selection"),
            "street": _f("char"),
            "city": _f("char"),
            "zip": _f("char"),
            "property_product_pricelist": _f("many2one", "product.pricelist"),
        },
        "stock.picking": {"sale_id": _f("many2one", "sale.order")},
        "stock.move": {"sale_line_id": _f("many2one", "sale.order.line")},
        # the packages a delivery's goods were put in (an outbound 856's packs)
        "stock.move.line": {"result_package_id": _f("many2one", package)},
        package: {"name": _f("char"), "display_name": _f("char")},
        "product.pricelist": {
            "name": _f("char"),
            "display_name": _f("char"),
            "currency_id": _f("many2one", "res.currency"),
            "discount_policy": _f("selection"),
            "item_ids": _f("one2many", "product.pricelist.item", "pricelist_id"),
        },
        "product.pricelist.item": {
            "pricelist_id": _f("many2one", "product.pricelist"),
            "display_name": _f("char"),
            "applied_on": _f("selection"),
            "product_id": _f("many2one", "product.product"),
            "product_tmpl_id": _f("many2one", "product.template"),
            "min_quantity": _f("float"),
            "compute_price": _f("selection"),
            "fixed_price": _f("float"),
            "percent_price": _f("float"),
        },
        "sale.order": {
            "name": _f("char"),
            "display_name": _f("char"),
            "partner_id": _f("many2one", "res.partner"),
            "partner_shipping_id": _f("many2one", "res.partner"),
            "partner_invoice_id": _f("many2one", "res.partner"),
            "client_order_ref": _f("char"),
            "origin": _f("char"),
            "state": _f("selection"),
            "date_order": _f("datetime"),
            "commitment_date": _f("datetime"),
            "pricelist_id": _f("many2one", "product.pricelist"),
            "currency_id": _f("many2one", "res.currency"),
            "note": _f("html"),
            "order_line": _f("one2many", "sale.order.line", "order_id"),
            "amount_untaxed": _f("float"),
            "picking_ids": _f("one2many", "stock.picking", "sale_id"),
            "company_id": _f("many2one", "res.company"),
            "write_date": _f("datetime"),
        },
        "sale.order.line": {
            "order_id": _f("many2one", "sale.order"),
            "display_name": _f("char"),
            "name": _f("text"),
            "sequence": _f("integer"),
            "display_type": _f("selection"),
            "product_id": _f("many2one", "product.product"),
            "product_uom_qty": _f("float"),
            ("product_uom_id" if major >= 19 else "product_uom"): _f("many2one", "uom.uom"),
            "price_unit": _f("float"),
            "discount": _f("float"),
            "price_subtotal": _f("float"),
            "qty_delivered": _f("float"),
            "state": _f("selection"),
        },
    }


class SaleBehaviour(AccountBehaviour):
    """``sale.order(.line)``, ``product.pricelist(.item)``."""

    def __init__(self, major: int = 17, *, modules: Sequence[str] = REQUIRED_MODULES) -> None:
        super().__init__(major, modules=modules)
        for model, fields in sale_schema(major).items():
            self.schema.setdefault(model, {}).update(fields)
            self.tables.setdefault(model, {})

    @classmethod
    def load(cls, data: Values) -> Self:
        odoo = super().load(data)
        for model in odoo.schema:  # a state saved before these models were imitated
            odoo.tables.setdefault(model, {})
        return odoo

    def message_post(
        self,
        model: str,
        ids: list[int],
        body: str = "",
        message_type: str = "notification",
        subtype_xmlid: str | None = None,
        context: Values | None = None,
        body_is_html: bool = False,
        **kwargs: Any,
    ) -> int:
        """A sale order has a chatter too: posted as on its customer (same checks and
        body handling), then the message is moved onto the order."""
        options: Values = {
            "message_type": message_type,
            "subtype_xmlid": subtype_xmlid,
            "context": context,
            "body_is_html": body_is_html,
            **kwargs,
        }
        if model != "sale.order":
            return super().message_post(model, ids, body, **options)
        if len(ids) != 1:
            raise OdooFault("builtins.ValueError", f"Expected singleton: {model}{tuple(ids)}")
        order = self.record("sale.order", ids[0])
        message_id = super().message_post("res.partner", [order["partner_id"]], body, **options)
        self.tables["mail.message"][message_id].update({"model": model, "res_id": ids[0]})
        return message_id

    def _create_sale_order(self, vals: Values) -> int:
        if not vals.get("partner_id"):
            raise OdooFault(
                "odoo.exceptions.ValidationError",
                "The operation cannot be completed: Missing required fields on "
                "sale.order: Customer",
            )
        partner = self.record("res.partner", vals["partner_id"])
        vals.setdefault("partner_shipping_id", partner["id"])
        vals.setdefault("partner_invoice_id", partner["id"])
        vals.setdefault("pricelist_id", partner.get("property_product_pricelist") or False)
        pricelist = self.tables["product.pricelist"].get(int(vals["pricelist_id"] or 0), {})
        vals.setdefault("currency_id", pricelist.get("currency_id") or 1)
        vals.setdefault("state", "draft")
        vals.setdefault("date_order", now_text())
        vals.setdefault("company_id", 1)
        vals["name"] = f"S{self._sequence('sale.order'):05d}"
        return self._create_plain("sale.order", vals)

    def _create_sale_order_line(self, vals: Values) -> int:
        order = self.record("sale.order", vals["order_id"])
        product = self.record("product.product", vals["product_id"])
        uom_field = self._line_uom_field
        vals.setdefault(uom_field, product.get("uom_id") or 1)
        vals.setdefault("product_uom_qty", 1.0)
        if "price_unit" not in vals:
            vals["price_unit"] = self.pricelist_price(
                order.get("pricelist_id"), product, float(vals["product_uom_qty"])
            )
        vals.setdefault("discount", 0.0)
        vals.setdefault("name", self.display_name("product.product", product["id"]))
        vals.setdefault("sequence", 10)
        vals.setdefault("qty_delivered", 0.0)
        return self._create_plain("sale.order.line", vals)

    def pricelist_price(self, pricelist_id: Any, product: Values, quantity: float) -> float:
        """The unit price the pricelist gives ``product`` for ``quantity`` (see the module
        docstring for the rules imitated)."""
        base = float(product.get("list_price") or 0.0)
        items = [
            item
            for item in self.tables["product.pricelist.item"].values()
            if item.get("pricelist_id") == int(pricelist_id or 0)
            and self._item_applies(item, product)
            and float(item.get("min_quantity") or 0) <= quantity
        ]
        if not items:
            return base
        items.sort(
            key=lambda i: (
                _SPECIFICITY.get(str(i.get("applied_on") or "3_global"), 3),
                -float(i.get("min_quantity") or 0),
                i["id"],
            )
        )
        item = items[0]
        if item.get("compute_price") == "percentage":
            return round(base * (1 - float(item.get("percent_price") or 0) / 100), 2)
        if item.get("compute_price", "fixed") == "fixed":
            return float(item.get("fixed_price") or 0.0)
        raise user_error(f"pricelist rule {item.get('compute_price')!r} is not imitated")

    @staticmethod
    def _item_applies(item: Values, product: Values) -> bool:
        applied_on = item.get("applied_on") or "3_global"
        if applied_on == "0_product_variant":
            return bool(item.get("product_id") == product["id"])
        if applied_on == "1_product":
            return bool(item.get("product_tmpl_id") == product.get("product_tmpl_id"))
        return applied_on == "3_global"

    def _compute_sale_order_line__price_subtotal(self, line: Values) -> float:
        net = float(line.get("price_unit", 0)) * (1 - float(line.get("discount") or 0) / 100)
        return round(float(line.get("product_uom_qty", 0)) * net, 2)

    def _compute_sale_order_line__state(self, line: Values) -> str:
        return str(self.tables["sale.order"][line["order_id"]]["state"])

    def _compute_sale_order__amount_untaxed(self, order: Values) -> float:
        return round(
            sum(
                self._compute_sale_order_line__price_subtotal(line)
                for line in self._sale_lines(order["id"])
            ),
            2,
        )

    def _sale_lines(self, order_id: int) -> list[Values]:
        return [
            line
            for line in self.tables["sale.order.line"].values()
            if line.get("order_id") == order_id
        ]

    def _write_sale_order_line(self, line: Values, values: Values) -> None:
        """Odoo 17's rules for a confirmed order's line (``sale`` and ``sale_stock``): the
        quantity never below what was delivered."""
        order = self.record("sale.order", line["order_id"])
        quantity = values.get("product_uom_qty")
        delivered = float(line.get("qty_delivered") or 0)
        if order["state"] == "sale" and quantity is not None and float(quantity) < delivered:
            raise user_error(
                "The ordered quantity of a sale order line cannot be decreased below the "
                "amount already delivered. Instead, create a return in your inventory."
            )

    def unlink(self, model: str, ids: list[int], context: Values | None = None) -> bool:
        """A confirmed order's lines cannot be deleted (Odoo 17's ``_unlink_except_confirmed``)."""
        if model == "sale.order.line":
            for line_id in ids:
                line = self.tables[model].get(line_id) or {}
                order = self.tables["sale.order"].get(int(line.get("order_id") or 0))
                if order is not None and order["state"] == "sale" and not line.get("display_type"):
                    raise user_error(
                        "Once a sales order is confirmed, you can't remove one of its lines (we "
                        "need to track if something gets invoiced or delivered).\n"
                        "                Set the quantity to 0 instead."
                    )
        return super().unlink(model, ids, context)

    def _sale_order__action_confirm(self, ids: list[int], context: Values) -> bool:
        for order_id in ids:
            order = self.record("sale.order", order_id)
            if order["state"] not in ("draft", "sent"):
                raise user_error(
                    "Some orders are not in a state requiring confirmation.\n"
                    f"Order {order['name']} is in the state {order['state']!r}"
                )
            order["state"] = "sale"
            order["date_order"] = now_text()
            self._insert(
                "stock.picking",
                {
                    "name": f"WH/OUT/{self._sequence('stock.picking.out'):05d}",
                    "partner_id": order.get("partner_shipping_id") or order["partner_id"],
                    "sale_id": order_id,
                    "picking_type_code": "outgoing",
                    "state": "confirmed",
                    "origin": order["name"],
                    "backorder_id": False,
                    "location_id": STOCK_LOCATION,
                    "location_dest_id": CUSTOMER_LOCATION,
                    "scheduled_date": order.get("commitment_date") or now_text(),
                },
            )
        return True

    def _sale_order__action_cancel(self, ids: list[int], context: Values) -> bool:
        for order_id in ids:
            self.record("sale.order", order_id)["state"] = "cancel"
        return True
