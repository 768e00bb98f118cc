"""Products and purchase orders in the imitated Odoo (confirming creates the receipt)."""

from __future__ import annotations

from typing import Any

from gateway.odoo.memory.orm import OdooFault, Values, now_text, user_error
from gateway.odoo.memory.schema import ADMIN_USER, DEFAULT_PURCHASE_TAX
from gateway.odoo.memory.stock import StockBehaviour


class PurchaseBehaviour(StockBehaviour):
    """``product.*``, ``product.supplierinfo``, ``purchase.order(.line)``."""

    # ---- products ------------------------------------------------------------------
    def _create_product_product(self, vals: Values) -> int:
        tmpl_id = vals.pop("product_tmpl_id", None)
        self._product_defaults(vals)
        if not tmpl_id:
            tmpl_id = self._create_plain("product.template", dict(vals))
        return self._create_plain("product.product", {**vals, "product_tmpl_id": tmpl_id})

    def _create_product_template(self, vals: Values) -> int:
        self._product_defaults(vals)
        tmpl_id = self._create_plain("product.template", dict(vals))
        product_vals = {k: v for k, v in vals.items() if k in self.schema["product.product"]}
        self._create_plain("product.product", {**product_vals, "product_tmpl_id": tmpl_id})
        return tmpl_id

    def _product_defaults(self, vals: Values) -> None:
        # as Odoo: a new product gets the company's default purchase tax unless told
        vals.setdefault("supplier_taxes_id", [DEFAULT_PURCHASE_TAX])
        if self.major <= 17:
            vals.setdefault("detailed_type", "consu")
            if vals["detailed_type"] not in ("consu", "service", "product", "combo"):
                raise OdooFault(
                    "builtins.ValueError",
                    f"Wrong value for product.product.detailed_type: {vals['detailed_type']!r}",
                )
            vals["type"] = (
                "product" if vals["detailed_type"] == "product" else vals["detailed_type"]
            )
        else:
            vals.setdefault("type", "consu")
            if vals["type"] not in ("consu", "service", "combo"):
                raise OdooFault(
                    "builtins.ValueError",
                    f"Wrong value for product.product.type: {vals['type']!r}",
                )
            vals.setdefault("is_storable", False)
        vals.setdefault("tracking", "none")
        vals.setdefault("uom_id", 1)
        if self.major <= 18:
            vals.setdefault("uom_po_id", vals["uom_id"])
        vals.setdefault("purchase_ok", True)
        vals.setdefault("standard_price", 0.0)

    def _create_product_supplierinfo(self, vals: Values) -> int:
        if vals.get("product_id") and not vals.get("product_tmpl_id"):
            product = self.record("product.product", vals["product_id"])
            vals["product_tmpl_id"] = product["product_tmpl_id"]
        return self._create_plain("product.supplierinfo", vals)

    # ---- purchase ------------------------------------------------------------------
    def _create_purchase_order(self, vals: Values) -> int:
        if not vals.get("partner_id"):
            raise OdooFault(
                "odoo.exceptions.ValidationError",
                "The operation cannot be completed: Missing required fields on "
                "purchase.order: Vendor",
            )
        self.record("res.partner", vals["partner_id"])
        vals.setdefault("state", "draft")
        vals.setdefault("date_order", now_text())
        # as Odoo's defaults: the user's company, the user, the warehouse's receipts
        vals.setdefault("company_id", 1)
        vals.setdefault("user_id", ADMIN_USER)
        vals.setdefault("picking_type_id", 1)
        if vals.get("name", "New") == "New":  # Odoo keeps a name given on create
            vals["name"] = f"P{self._sequence('purchase.order'):05d}"
        return self._create_plain("purchase.order", vals)

    def _create_purchase_order_line(self, vals: Values) -> int:
        order = self.record("purchase.order", vals["order_id"])
        product = self.record("product.product", vals["product_id"])
        uom_field = self._line_uom_field
        vals.setdefault(uom_field, product.get("uom_po_id") or product.get("uom_id") or 1)
        if "price_unit" not in vals:
            seller = next(
                (
                    s
                    for s in self.tables["product.supplierinfo"].values()
                    if s.get("partner_id") == order["partner_id"]
                    and s.get("product_tmpl_id") == product["product_tmpl_id"]
                ),
                None,
            )
            vals["price_unit"] = seller["price"] if seller else product.get("standard_price", 0.0)
        vals.setdefault("name", self.display_name("product.product", product["id"]))
        vals.setdefault("date_planned", order.get("date_planned") or now_text())
        vals.setdefault("qty_received", 0.0)
        vals.setdefault("sequence", 10)
        line_id = self._create_plain("purchase.order.line", vals)
        return line_id

    def _compute_purchase_order_line__price_subtotal(self, line: Values) -> float:
        return round(float(line.get("product_qty", 0)) * float(line.get("price_unit", 0)), 2)

    def _compute_purchase_order_line__qty_invoiced(self, line: Values) -> float:
        total = 0.0
        for bill_line in self.tables["account.move.line"].values():
            if bill_line.get("purchase_line_id") != line["id"]:
                continue
            bill = self.tables["account.move"].get(int(bill_line.get("move_id") or 0), {})
            if bill.get("state") != "cancel":
                # a vendor credit note's lines take back what the bill's lines billed
                sign = -1 if bill.get("move_type") == "in_refund" else 1
                total += sign * self._in_unit(
                    float(bill_line.get("quantity", 0)),
                    bill_line.get("product_uom_id"),
                    line.get(self._line_uom_field),
                )
        return total

    def _in_unit(self, quantity: float, from_uom: Any, to_uom: Any) -> float:
        """``quantity`` of ``from_uom`` expressed in ``to_uom`` (Odoo's factor semantics)."""
        units = self.tables["uom.uom"]
        source, target = units.get(int(from_uom or 0)), units.get(int(to_uom or 0))
        if not source or not target or source is target:
            return quantity
        return quantity / float(source.get("factor") or 1) * float(target.get("factor") or 1)

    def tax_rate(self, product_id: Any) -> float:
        """The summed percent of the product's purchase taxes, as a fraction."""
        product = self.tables["product.product"].get(int(product_id or 0))
        if product is None:
            return 0.0
        taxes = self.tables["account.tax"]
        ids = self._m2m_value(product.get("supplier_taxes_id"))
        return sum(float(taxes[i].get("amount", 0)) for i in ids if i in taxes) / 100

    def _compute_purchase_order_line__state(self, line: Values) -> str:
        return str(self.tables["purchase.order"][line["order_id"]]["state"])

    def _compute_purchase_order__amount_untaxed(self, order: Values) -> float:
        return round(
            sum(
                self._compute_purchase_order_line__price_subtotal(x)
                for x in self._lines(order["id"])
            ),
            2,
        )

    def _compute_purchase_order__amount_total(self, order: Values) -> float:
        lines = self._lines(order["id"])
        return round(
            sum(
                self._compute_purchase_order_line__price_subtotal(x)
                * (1 + self.tax_rate(x.get("product_id")))
                for x in lines
            ),
            2,
        )

    def _compute_purchase_order__invoice_ids(self, order: Values) -> list[int]:
        line_ids = {line["id"] for line in self._lines(order["id"])}
        return sorted(
            {
                bl["move_id"]
                for bl in self.tables["account.move.line"].values()
                if bl.get("purchase_line_id") in line_ids
            }
        )

    def _compute_purchase_order__invoice_status(self, order: Values) -> str:
        if order["state"] not in ("purchase", "done"):
            return "no"
        lines = self._lines(order["id"])
        pending = [
            x
            for x in lines
            if self._compute_purchase_order_line__qty_invoiced(x) < float(x.get("qty_received", 0))
        ]
        if pending:
            return "to invoice"
        if any(self._compute_purchase_order_line__qty_invoiced(x) for x in lines):
            return "invoiced"
        return "no"

    def _compute_purchase_order__receipt_status(self, order: Values) -> Any:
        lines = self._lines(order["id"])
        if order["state"] not in ("purchase", "done") or not lines:
            return False
        received = [float(x.get("qty_received", 0)) for x in lines]
        if all(r >= float(x["product_qty"]) for r, x in zip(received, lines, strict=True)):
            return "full"
        return "partial" if any(received) else "pending"

    def _write_purchase_order_line(self, line: Values, vals: Values) -> None:
        if "product_qty" in vals and line.get("state", "") != "draft":
            order = self.tables["purchase.order"][line["order_id"]]
            if order["state"] == "purchase":
                delta = float(vals["product_qty"]) - float(line["product_qty"])
                for move in self.tables["stock.move"].values():
                    if move.get("purchase_line_id") == line["id"] and move["state"] not in (
                        "done",
                        "cancel",
                    ):
                        move["product_uom_qty"] = max(0.0, float(move["product_uom_qty"]) + delta)
                        self._reserve(move)
                        break

    def _purchase_order__button_confirm(self, ids: list[int], context: Values) -> bool:
        for order_id in ids:
            order = self.record("purchase.order", order_id)
            if order["state"] not in ("draft", "sent"):
                continue
            order["state"] = "purchase"
            order["date_approve"] = order["write_date"] = now_text()
            self._create_receipt(order)
        return True

    def _purchase_order__button_cancel(self, ids: list[int], context: Values) -> None:
        for order_id in ids:
            order = self.record("purchase.order", order_id)
            for picking in self.tables["stock.picking"].values():
                if picking.get("purchase_id") == order_id and picking["state"] == "done":
                    raise user_error(
                        f"Unable to cancel purchase order {order['name']} as some receptions have "
                        "already been done."
                    )
            order["state"] = "cancel"
            order["write_date"] = now_text()  # a write, as Odoo's cancel is: the poll sees it
            for picking in self.tables["stock.picking"].values():
                if picking.get("purchase_id") == order_id:
                    picking["state"] = "cancel"

    def _purchase_order__button_done(self, ids: list[int], context: Values) -> None:
        for order_id in ids:
            self.record("purchase.order", order_id)["state"] = "done"
        # returns None, as recorded: the reply then has no "result" key

    def _purchase_order__action_create_invoice(self, ids: list[int], context: Values) -> Values:
        for order_id in ids:
            self.record("purchase.order", order_id)
            lines = self._lines(order_id)
            if not any(
                float(x.get("qty_received", 0)) > self._compute_purchase_order_line__qty_invoiced(x)
                for x in lines
            ):
                raise user_error(
                    "There is no invoiceable line. If a product has a control policy based on "
                    "received quantity, please make sure that a quantity has been received."
                )
        raise user_error("action_create_invoice is not imitated beyond its refusal")
