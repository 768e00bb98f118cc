"""Deliveries and customer invoices of sale orders in the imitated Odoo (the seller side
after the sale order: what ``sale_stock`` and ``sale`` do in Odoo 17).

* Confirming a sale order (``action_confirm``) gives its outgoing picking one move per
  product line (``sale_line_id``, quantity, unit, ``has_tracking``) from WH/Stock to the
  customer, and reserves stock: a storable product from the quants in WH/Stock, first in
  first out (Odoo 17's default removal strategy, ``in_date, id``: FEFO only when a
  category or location asks for it), one move line per lot used; the move is
  ``assigned``, ``partially_available`` or ``confirmed`` (waiting) accordingly. A
  consumable is reserved at once. ``stock.picking.action_assign`` reserves again (after
  goods arrived).
* Stock is put in WH/Stock as Odoo's inventory count does: ``stock.quant`` created with
  ``inventory_quantity`` (context ``inventory_mode``), then ``action_apply_inventory``.
  What outgoing move lines not yet done hold is reserved; a validated delivery takes its
  quantities out of the quants.
* The warehouse sets quantities, lots (``lot_id`` or ``lot_name``) and packages
  (``result_package_id``, a ``stock.quant.package`` named ``PACK0000001`` unless named)
  on the move lines, and validates (``button_validate``; a partial delivery asks the
  backorder wizard, whose ``process`` makes the backorder with the rest). A done move adds
  its quantity to the sale line's ``qty_delivered``.
* Invoicing is the ``sale.advance.payment.inv`` wizard's ``create_invoices``
  (``advance_payment_method`` ``delivered``): one draft ``out_invoice`` for what each
  order has to invoice (``qty_to_invoice``: ordered minus invoiced for the default
  invoice policy ``order``, delivered minus invoiced for ``delivery``), its lines linked
  by ``sale_line_ids``. Posting it names it ``INV/<year>/<n>``, dates it today unless
  dated and, without payment terms, makes it due on its date. Its tax is the products'
  customer taxes (``taxes_id``), none unless given.

Only what the gateway's outbound readers read is imitated, under Odoo 17's field names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from gateway.odoo.memory.orm import Values, now_text, user_error
from gateway.odoo.memory.sale import CUSTOMER_LOCATION, SaleBehaviour
from gateway.odoo.memory.schema import REQUIRED_MODULES, STOCK_LOCATION, F, _f

_OPEN = ("confirmed", "waiting", "partially_available", "assigned")


def sale_stock_schema(major: int, modules: Sequence[str]) -> dict[str, dict[str, F]]:
    """The fields deliveries and customer invoices add (merged into the schema)."""
    carrier: dict[str, dict[str, F]] = {}
    if "stock_delivery" in modules:
        carrier = {
            "stock.picking": {"carrier_id": _f("many2one", "delivery.carrier")},
            "delivery.carrier": {"name": _f("char"), "display_name": _f("char")},
        }
    schema: dict[str, dict[str, F]] = {
        "product.product": {
            "invoice_policy": _f("selection"),
            "taxes_id": _f("many2many", "account.tax"),
        },
        "product.template": {
            "invoice_policy": _f("selection"),
            "taxes_id": _f("many2many", "account.tax"),
        },
        "stock.warehouse": {"lot_stock_id": _f("many2one", "stock.location")},
        "stock.quant": {
            "product_id": _f("many2one", "product.product"),
            "location_id": _f("many2one", "stock.location"),
            "lot_id": _f("many2one", "stock.lot"),
            "quantity": _f("float"),
            "inventory_quantity": _f("float"),
            "reserved_quantity": _f("float"),
        },
        "stock.picking": {"write_date": _f("datetime")},
        "sale.order": {
            "invoice_ids": _f("many2many", "account.move"),
            "invoice_status": _f("selection"),
        },
        "sale.order.line": {
            "qty_invoiced": _f("float"),
            "qty_to_invoice": _f("float"),
            "invoice_lines": _f("many2many", "account.move.line"),
            "move_ids": _f("one2many", "stock.move", "sale_line_id"),
        },
        "sale.advance.payment.inv": {
            "advance_payment_method": _f("selection"),
            "sale_order_ids": _f("many2many", "sale.order"),
        },
        "account.payment.term": {"name": _f("char"), "display_name": _f("char")},
        "account.move": {
            "invoice_date_due": _f("date"),
            "invoice_payment_term_id": _f("many2one", "account.payment.term"),
            "company_id": _f("many2one", "res.company"),
            "write_date": _f("datetime"),
        },
        "account.move.line": {
            "display_type": _f("selection"),
            "sale_line_ids": _f("many2many", "sale.order.line"),
        },
    }
    for model, fields in carrier.items():
        schema.setdefault(model, {}).update(fields)
    return schema


class SaleStockBehaviour(SaleBehaviour):
    """Outgoing deliveries of sale orders, stock quants, customer invoices."""

    def __init__(self, major: int = 17, *, modules: Sequence[str] = REQUIRED_MODULES) -> None:
        super().__init__(major, modules=modules)
        for model, fields in sale_stock_schema(major, self.modules).items():
            self.schema.setdefault(model, {}).update(fields)
            self.tables.setdefault(model, {})
        if "stock.location" in self.tables:
            self.tables["stock.location"].setdefault(
                CUSTOMER_LOCATION, {"id": CUSTOMER_LOCATION, "name": "Partners/Customers"}
            )

    # ---- stock: quants and reservation ----------------------------------------------
    def _compute_stock_warehouse__lot_stock_id(self, warehouse: Values) -> int:
        return int(warehouse.get("lot_stock_id") or STOCK_LOCATION)  # the one warehouse

    def _create_stock_quant(self, vals: Values) -> int:
        vals.setdefault("location_id", STOCK_LOCATION)
        vals.setdefault("quantity", 0.0)
        vals.setdefault("reserved_quantity", 0.0)
        vals.setdefault("lot_id", False)
        return self._create_plain("stock.quant", vals)

    def _stock_quant__action_apply_inventory(self, ids: list[int], context: Values) -> bool:
        for quant_id in ids:
            quant = self.record("stock.quant", quant_id)
            quant["quantity"] = float(quant.get("inventory_quantity") or 0.0)
            quant["inventory_quantity"] = 0.0
        # as Odoo 17: a count reserves nothing by itself (only a validated receipt triggers
        # the waiting moves' reservation); the delivery's action_assign takes the stock
        return True

    def _storable(self, product: Values) -> bool:
        if self.major >= 18:
            return bool(product.get("is_storable"))
        return product.get("detailed_type", product.get("type")) == "product"

    def _held(self, product_id: int, lot_id: Any) -> float:
        """What outgoing move lines not yet done hold of ``product_id`` (of ``lot_id``)."""
        key = "quantity" if self.major >= 17 else "reserved_uom_qty"
        return sum(
            float(line.get(key) or 0.0)
            for line in self.tables["stock.move.line"].values()
            if line.get("product_id") == product_id
            and line.get("location_id") == STOCK_LOCATION
            and line.get("state") != "done"
            and (line.get("lot_id") or False) == (lot_id or False)
        )

    def _free_quants(self, product_id: int) -> list[tuple[Any, float]]:
        """(lot id, free quantity) in WH/Stock, first in first out (quants by id, which
        is the order they came in: Odoo 17's default ``fifo`` orders by ``in_date, id``)."""
        free: dict[Any, float] = {}
        for quant_id in sorted(self.tables["stock.quant"]):
            quant = self.tables["stock.quant"][quant_id]
            if quant.get("product_id") == product_id and quant.get("location_id") == STOCK_LOCATION:
                lot = quant.get("lot_id") or False
                free[lot] = free.get(lot, 0.0) + float(quant.get("quantity") or 0.0)
        out = [(lot, qty - self._held(product_id, lot)) for lot, qty in free.items()]
        return [x for x in out if x[1] > 0]

    def _reserve_outgoing(self, move: Values) -> None:
        """Reserve what the move still needs; set its state from what it holds."""
        qty_key = "quantity" if self.major >= 17 else "reserved_uom_qty"
        held = sum(float(x.get(qty_key) or 0.0) for x in self._move_lines(move["id"]))
        need = float(move["product_uom_qty"]) - held
        product = self.tables["product.product"][move["product_id"]]
        chunks: list[tuple[Any, float]] = []
        if need > 0 and not self._storable(product):
            chunks = [(False, need)]
        elif need > 0:
            for lot, free in self._free_quants(move["product_id"]):
                take = min(free, need)
                chunks.append((lot, take))
                need -= take
                if need <= 0:
                    break
        for lot, take in chunks:
            line: Values = {
                "move_id": move["id"],
                "picking_id": move["picking_id"],
                "product_id": move["product_id"],
                "product_uom_id": move["product_uom"],
                "location_id": move["location_id"],
                "location_dest_id": move["location_dest_id"],
                "lot_id": lot,
                "lot_name": False,
                "state": "assigned",
            }
            if self.major >= 17:
                line.update({"quantity": take, "picked": False})
            else:
                line.update({"qty_done": 0.0, "reserved_uom_qty": take})
            self._insert("stock.move.line", line)
        reserved = held + sum(take for _, take in chunks)
        if self.major < 17:
            move["reserved_availability"] = reserved
        if reserved >= float(move["product_uom_qty"]):
            move["state"] = "assigned"
        else:
            move["state"] = "partially_available" if reserved > 0 else "confirmed"

    def _assign_picking(self, picking: Values) -> None:
        moves = [m for m in self._picking_moves(picking["id"]) if m["state"] in _OPEN]
        for move in moves:
            self._reserve_outgoing(move)
        if moves:
            reserved = any(m["state"] in ("assigned", "partially_available") for m in moves)
            picking["state"] = "assigned" if reserved else "confirmed"

    def _stock_picking__action_assign(self, ids: list[int], context: Values) -> bool:
        for picking_id in ids:
            picking = self.record("stock.picking", picking_id)
            if picking.get("picking_type_code") == "outgoing":
                self._assign_picking(picking)
        return True

    # ---- sale orders: deliveries ------------------------------------------------------
    def _sale_order__action_confirm(self, ids: list[int], context: Values) -> bool:
        super()._sale_order__action_confirm(ids, context)
        for order_id in ids:
            for picking in list(self.tables["stock.picking"].values()):
                if picking.get("sale_id") != order_id or self._picking_moves(picking["id"]):
                    continue
                lines = sorted(
                    (x for x in self._sale_lines(order_id) if not x.get("display_type")),
                    key=lambda x: (int(x.get("sequence") or 0), x["id"]),
                )
                for line in lines:
                    self._new_delivery_move(picking, line, float(line["product_uom_qty"]))
                self._assign_picking(picking)
        return True

    def _new_delivery_move(self, picking: Values, line: Values, quantity: float) -> int:
        product = self.tables["product.product"][line["product_id"]]
        values: Values = {
            "name": line.get("name", ""),
            "picking_id": picking["id"],
            "product_id": line["product_id"],
            "product_uom_qty": quantity,
            "product_uom": line.get(self._line_uom_field) or 1,
            "state": "confirmed",
            "sale_line_id": line["id"],
            "location_id": STOCK_LOCATION,
            "location_dest_id": CUSTOMER_LOCATION,
            "has_tracking": product.get("tracking", "none"),
        }
        if self.major >= 17:
            values.update({"quantity": 0.0, "picked": False})
        else:
            values.update({"quantity_done": 0.0, "reserved_availability": 0.0})
        return self._insert("stock.move", values)

    def _backorder_move(self, picking: Values, move: Values, quantity: float) -> None:
        if not move.get("sale_line_id"):
            super()._backorder_move(picking, move, quantity)
            return
        line = self.tables["sale.order.line"][move["sale_line_id"]]
        self._new_delivery_move(picking, line, quantity)
        self._assign_picking(picking)

    def _move_done(self, move: Values, done: float) -> None:
        super()._move_done(move, done)
        if not move.get("sale_line_id"):
            return
        line = self.tables["sale.order.line"][move["sale_line_id"]]
        line["qty_delivered"] = float(line.get("qty_delivered") or 0.0) + done
        for move_line in self._move_lines(move["id"]):
            self._take_from_stock(move_line)

    def _take_from_stock(self, line: Values) -> None:
        """A delivered move line leaves WH/Stock (a quant may go negative, as in Odoo)."""
        lot = line.get("lot_id") or False
        amount = self._line_done(line)
        for quant in self.tables["stock.quant"].values():
            if (
                quant.get("product_id") == line["product_id"]
                and quant.get("location_id") == STOCK_LOCATION
                and (quant.get("lot_id") or False) == lot
            ):
                quant["quantity"] = float(quant.get("quantity") or 0.0) - amount
                return
        self._create_stock_quant(
            {"product_id": line["product_id"], "lot_id": lot, "quantity": -amount}
        )

    # ---- packages --------------------------------------------------------------------
    def _create_package(self, model: str, vals: Values) -> int:
        if not vals.get("name"):
            vals["name"] = f"PACK{self._sequence(model):07d}"
        vals.setdefault("display_name", vals["name"])
        return self._create_plain(model, vals)

    def _create_stock_quant_package(self, vals: Values) -> int:
        return self._create_package("stock.quant.package", vals)

    def _create_stock_package(self, vals: Values) -> int:
        return self._create_package("stock.package", vals)

    # ---- sale orders: invoices -------------------------------------------------------
    def _compute_sale_order_line__qty_invoiced(self, line: Values) -> float:
        total = 0.0
        for inv_line in self.tables["account.move.line"].values():
            if line["id"] not in (inv_line.get("sale_line_ids") or []):
                continue
            move = self.tables["account.move"].get(int(inv_line.get("move_id") or 0), {})
            if move.get("state") == "cancel":
                continue
            sign = -1 if move.get("move_type") == "out_refund" else 1
            total += sign * float(inv_line.get("quantity") or 0.0)
        return total

    def _compute_sale_order_line__qty_to_invoice(self, line: Values) -> float:
        order = self.tables["sale.order"][line["order_id"]]
        if order["state"] not in ("sale", "done") or line.get("display_type"):
            return 0.0
        product = self.tables["product.product"].get(int(line.get("product_id") or 0), {})
        basis = (
            float(line.get("qty_delivered") or 0.0)
            if product.get("invoice_policy") == "delivery"
            else float(line.get("product_uom_qty") or 0.0)
        )
        return basis - self._compute_sale_order_line__qty_invoiced(line)

    def _compute_sale_order_line__invoice_lines(self, line: Values) -> list[int]:
        return sorted(
            x["id"]
            for x in self.tables["account.move.line"].values()
            if line["id"] in (x.get("sale_line_ids") or [])
        )

    def _compute_sale_order__invoice_ids(self, order: Values) -> list[int]:
        return sorted(
            {
                int(self.tables["account.move.line"][i]["move_id"])
                for line in self._sale_lines(order["id"])
                for i in self._compute_sale_order_line__invoice_lines(line)
            }
        )

    def _compute_sale_order__invoice_status(self, order: Values) -> str:
        if order["state"] not in ("sale", "done"):
            return "no"
        lines = [x for x in self._sale_lines(order["id"]) if not x.get("display_type")]
        if any(self._compute_sale_order_line__qty_to_invoice(x) > 0 for x in lines):
            return "to invoice"
        if lines and all(self._compute_sale_order_line__qty_invoiced(x) for x in lines):
            return "invoiced"
        return "no"

    def _create_sale_advance_payment_inv(self, vals: Values) -> int:
        vals.setdefault("advance_payment_method", "delivered")
        return self._create_plain("sale.advance.payment.inv", vals)

    def _sale_advance_payment_inv__create_invoices(self, ids: list[int], context: Values) -> Values:
        made: list[int] = []
        for wizard_id in ids:
            wizard = self.record("sale.advance.payment.inv", wizard_id)
            if wizard.get("advance_payment_method") != "delivered":
                raise user_error("only the regular invoice (delivered) is imitated")
            order_ids = wizard.get("sale_order_ids") or context.get("active_ids") or []
            for order_id in order_ids:
                made.append(self._invoice_sale_order(self.record("sale.order", order_id)))
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "name": "Invoices",
            "domain": [["id", "in", made]],
        }

    def _invoice_sale_order(self, order: Values) -> int:
        lines = sorted(
            (x for x in self._sale_lines(order["id"]) if not x.get("display_type")),
            key=lambda x: (int(x.get("sequence") or 0), x["id"]),
        )
        due = [(x, self._compute_sale_order_line__qty_to_invoice(x)) for x in lines]
        due = [(x, qty) for x, qty in due if qty > 0]
        if not due:
            raise user_error(
                "Cannot create an invoice. No items are available to invoice.\n\n"
                "To resolve this issue, please ensure that:\n"
                "   • The products have been delivered before attempting to invoice them.\n"
                "   • The invoicing policy of the product is configured correctly."
            )
        move_id = self._create_plain(
            "account.move",
            {
                "move_type": "out_invoice",
                "state": "draft",
                "name": "/",
                "partner_id": order.get("partner_invoice_id") or order["partner_id"],
                "invoice_origin": order["name"],
                "ref": order.get("client_order_ref") or False,
                "currency_id": order.get("currency_id") or 1,
                "company_id": order.get("company_id") or 1,
                "invoice_date": False,
                "invoice_date_due": False,
                "invoice_payment_term_id": False,
            },
        )
        for line, quantity in due:
            self._create_plain(
                "account.move.line",
                {
                    "move_id": move_id,
                    "display_type": "product",
                    "product_id": line["product_id"],
                    "product_uom_id": line.get(self._line_uom_field) or 1,
                    "name": line.get("name", ""),
                    "quantity": quantity,
                    "price_unit": float(line.get("price_unit") or 0.0),
                    "sale_line_ids": [line["id"]],
                },
            )
        return move_id

    def _account_move__action_post(self, ids: list[int], context: Values) -> bool:
        for move_id in ids:
            move = self.record("account.move", move_id)
            if move.get("move_type") not in ("out_invoice", "out_refund"):
                continue
            if move["state"] != "draft":
                continue  # the base refuses it with Odoo's message
            date = str(move.get("invoice_date") or dt.date.today().isoformat())[:10]
            move["invoice_date"] = date
            if not move.get("invoice_date_due"):
                move["invoice_date_due"] = date
            if str(move.get("name") or "/") == "/":
                prefix = "INV" if move["move_type"] == "out_invoice" else "RINV"
                seq = self._sequence(f"{prefix}{date[:4]}")
                move["name"] = f"{prefix}/{date[:4]}/{seq:05d}"
            move["write_date"] = now_text()
        return super()._account_move__action_post(ids, context)

    def _customer_tax_rate(self, product_id: Any) -> float:
        product = self.tables["product.product"].get(int(product_id or 0))
        if product is None:
            return 0.0
        taxes = self.tables["account.tax"]
        ids = self._m2m_value(product.get("taxes_id"))
        return sum(float(taxes[i].get("amount", 0)) for i in ids if i in taxes) / 100

    def _compute_account_move__amount_tax(self, move: Values) -> float:
        if move.get("move_type") not in ("out_invoice", "out_refund"):
            return super()._compute_account_move__amount_tax(move)
        return round(
            sum(
                round(
                    self._compute_account_move_line__price_subtotal(x)
                    * self._customer_tax_rate(x.get("product_id")),
                    2,
                )
                for x in self.tables["account.move.line"].values()
                if x.get("move_id") == move["id"]
            ),
            2,
        )
