"""Receipts in the imitated Odoo: reservation, validation, backorders, lots."""

from __future__ import annotations

from typing import Any

from gateway.odoo.memory.orm import MemoryOrm, Values, now_text, user_error
from gateway.odoo.memory.schema import STOCK_LOCATION, VENDOR_LOCATION


class StockBehaviour(MemoryOrm):
    """``stock.picking``, ``stock.move(.line)``, ``stock.lot`` and the backorder wizard."""

    # ---- stock ---------------------------------------------------------------------
    def _create_receipt(self, order: Values) -> int:
        picking_id = self._insert(
            "stock.picking",
            {
                "name": f"WH/IN/{self._sequence('stock.picking.in'):05d}",
                "partner_id": order["partner_id"],
                "purchase_id": order["id"],
                "picking_type_code": "incoming",
                "state": "assigned",
                "origin": order["name"],
                "backorder_id": False,
                "location_id": VENDOR_LOCATION,
                "location_dest_id": STOCK_LOCATION,
                "scheduled_date": order.get("date_planned") or now_text(),
            },
        )
        for line in sorted(self._lines(order["id"]), key=lambda x: x["id"]):
            self._new_move(picking_id, line, float(line["product_qty"]))
        return picking_id

    def _new_move(self, picking_id: int, line: Values, quantity: float) -> int:
        product = self.tables["product.product"][line["product_id"]]
        values: Values = {
            "name": line.get("name", ""),
            "picking_id": picking_id,
            "product_id": line["product_id"],
            "product_uom_qty": quantity,
            "product_uom": line.get(self._line_uom_field) or 1,
            "state": "assigned",
            "purchase_line_id": line["id"],
            "location_id": VENDOR_LOCATION,
            "location_dest_id": STOCK_LOCATION,
            "has_tracking": product.get("tracking", "none"),
        }
        if self.major >= 17:
            values.update({"quantity": 0.0, "picked": False})
        else:
            values.update({"quantity_done": 0.0, "reserved_availability": 0.0})
        move_id = self._insert("stock.move", values)
        self._reserve(self.tables["stock.move"][move_id])
        return move_id

    def _reserve(self, move: Values) -> None:
        """Incoming moves are reserved at once: one move line for the whole demand."""
        for line_id in self.value("stock.move", move, "move_line_ids"):
            self.tables["stock.move.line"].pop(line_id)
        demand = float(move["product_uom_qty"])
        line: Values = {
            "move_id": move["id"],
            "picking_id": move["picking_id"],
            "product_id": move["product_id"],
            "product_uom_id": move["product_uom"],
            "location_id": move["location_id"],
            "location_dest_id": move["location_dest_id"],
            "lot_name": False,
            "lot_id": False,
            "state": "assigned",
        }
        if self.major >= 17:
            line.update({"quantity": demand, "picked": False})
            move["quantity"] = demand
        else:
            line.update({"qty_done": 0.0, "reserved_uom_qty": demand})
            move["reserved_availability"] = demand
        if demand > 0:
            self._insert("stock.move.line", line)

    def _move_lines(self, move_id: int) -> list[Values]:
        return [
            line
            for line in self.tables["stock.move.line"].values()
            if line.get("move_id") == move_id
        ]

    def _compute_stock_move__quantity(self, move: Values) -> float:
        lines = self._move_lines(move["id"])
        if not lines:
            return float(move.get("quantity", 0.0))
        return sum(float(x.get("quantity", 0.0)) for x in lines)

    def _compute_stock_move__picked(self, move: Values) -> bool:
        lines = self._move_lines(move["id"])
        if not lines:
            return bool(move.get("picked", False))
        return all(bool(x.get("picked")) for x in lines)

    def _compute_stock_move__quantity_done(self, move: Values) -> float:
        lines = self._move_lines(move["id"])
        if not lines:
            return float(move.get("quantity_done", 0.0))
        return sum(float(x.get("qty_done", 0.0)) for x in lines)

    def _write_stock_move(self, move: Values, vals: Values) -> None:
        if move["state"] in ("done", "cancel"):
            raise user_error("You cannot change a move that is done or cancelled.")
        qty_field = "quantity" if self.major >= 17 else "quantity_done"
        line_field = "quantity" if self.major >= 17 else "qty_done"
        if qty_field in vals:
            # Writing the move quantity puts it on the move's single line (as Odoo does
            # for an untracked move); a tracked move needs its lines written with lots.
            target = float(vals[qty_field])
            lines = self._move_lines(move["id"])
            if lines:
                lines[0][line_field] = target
                for extra in lines[1:]:
                    self.tables["stock.move.line"].pop(extra["id"])
            elif target:
                self._insert(
                    "stock.move.line",
                    {
                        "move_id": move["id"],
                        "picking_id": move["picking_id"],
                        "product_id": move["product_id"],
                        "product_uom_id": move["product_uom"],
                        "location_id": move["location_id"],
                        "location_dest_id": move["location_dest_id"],
                        line_field: target,
                        "state": "assigned",
                    },
                )
        if vals.get("picked") and self.major >= 17:
            for line in self._move_lines(move["id"]):
                line["picked"] = True

    def _create_stock_move_line(self, vals: Values) -> int:
        move = self.record("stock.move", vals["move_id"])
        vals.setdefault("picking_id", move["picking_id"])
        vals.setdefault("product_id", move["product_id"])
        vals.setdefault("product_uom_id", move["product_uom"])
        vals.setdefault("location_id", move["location_id"])
        vals.setdefault("location_dest_id", move["location_dest_id"])
        vals.setdefault("state", "assigned")
        return self._create_plain("stock.move.line", vals)

    def _stock_picking__button_validate(self, ids: list[int], context: Values) -> Any:
        pickings = [self.record("stock.picking", i) for i in ids]
        partial: list[int] = []
        for picking in pickings:
            if picking["state"] in ("done", "cancel"):
                raise user_error("You cannot validate a transfer that is done or cancelled.")
            moves = self._picking_moves(picking["id"])
            done = {m["id"]: self._done_quantity(m, moves) for m in moves}
            if not any(done.values()):
                raise user_error(
                    "You cannot validate a transfer if no quantities are reserved nor done. "
                    "To force the transfer, encode quantities."
                )
            for move in moves:
                if done[move["id"]] and move.get("has_tracking") in ("lot", "serial"):
                    for line in self._move_lines(move["id"]):
                        if self._line_done(line) and not (
                            line.get("lot_name") or line.get("lot_id")
                        ):
                            product = self.display_name("product.product", move["product_id"])
                            raise user_error(
                                f"You need to supply a Lot/Serial number for product:\n- {product}"
                            )
            if any(done[m["id"]] < float(m["product_uom_qty"]) for m in moves):
                partial.append(picking["id"])
        if partial and not context.get("skip_backorder"):
            return {
                "name": "Create Backorder?",
                "type": "ir.actions.act_window",
                "view_mode": "form",
                "res_model": "stock.backorder.confirmation",
                "views": [[814, "form"]],
                "view_id": 814,
                "target": "new",
                "context": {
                    "button_validate_picking_ids": list(ids),
                    "default_show_transfers": False,
                    "default_pick_ids": [[4, i] for i in partial],
                },
            }
        cancel = set(context.get("picking_ids_not_to_backorder") or [])
        for picking in pickings:
            self._action_done(picking, backorder=picking["id"] not in cancel)
        return True

    def _picking_moves(self, picking_id: int) -> list[Values]:
        return sorted(
            (m for m in self.tables["stock.move"].values() if m.get("picking_id") == picking_id),
            key=lambda m: m["id"],
        )

    def _line_done(self, line: Values) -> float:
        if self.major >= 17:
            return float(line.get("quantity", 0.0))
        return float(line.get("qty_done", 0.0))

    def _done_quantity(self, move: Values, moves: list[Values]) -> float:
        if self.major >= 17:
            # Odoo 17: once any move of the picking is picked, only picked moves count;
            # when none is picked, validating takes every reserved quantity.
            anything_picked = any(self._compute_stock_move__picked(m) for m in moves)
            if anything_picked and not self._compute_stock_move__picked(move):
                return 0.0
            return self._compute_stock_move__quantity(move)
        return self._compute_stock_move__quantity_done(move)

    def _action_done(self, picking: Values, *, backorder: bool) -> None:
        moves = self._picking_moves(picking["id"])
        done_by_move = {m["id"]: self._done_quantity(m, moves) for m in moves}
        remaining: list[tuple[Values, float]] = []
        for move in moves:
            done = done_by_move[move["id"]]
            left = float(move["product_uom_qty"]) - done
            for line in self._move_lines(move["id"]):
                if done <= 0 or self._line_done(line) <= 0:
                    self.tables["stock.move.line"].pop(line["id"])
                    continue
                tracked = move.get("has_tracking") in ("lot", "serial")
                if tracked and line.get("lot_name") and not line.get("lot_id"):
                    line["lot_id"] = self._lot(line)
                line["state"] = "done"
            if done <= 0:
                if left > 0:
                    remaining.append((move, left))
                move["state"] = "cancel"
                continue
            move["state"] = "done"
            move["product_uom_qty"] = done
            if self.major >= 17:
                move["quantity"] = done
                move["picked"] = True
            self._move_done(move, done)
            if left > 0:
                remaining.append((move, left))
        # moves with nothing done leave the picking for the backorder
        for move, _ in remaining:
            if move["state"] == "cancel":
                self.tables["stock.move"].pop(move["id"])
        picking["state"] = "done"
        picking["date_done"] = now_text()
        if "write_date" in self.schema["stock.picking"]:
            picking["write_date"] = picking["date_done"]
        if backorder and remaining:
            kind = "out" if picking.get("picking_type_code") == "outgoing" else "in"
            new_id = self._insert(
                "stock.picking",
                {
                    **{k: v for k, v in picking.items() if k not in ("id", "name", "date_done")},
                    "name": f"WH/{kind.upper()}/{self._sequence('stock.picking.' + kind):05d}",
                    "state": "assigned",
                    "backorder_id": picking["id"],
                },
            )
            for move, left in remaining:
                self._backorder_move(self.tables["stock.picking"][new_id], move, left)

    def _move_done(self, move: Values, done: float) -> None:
        """A move was done with ``done``: a receipt adds it to its order line's received."""
        if move.get("purchase_line_id"):
            line = self.tables["purchase.order.line"][move["purchase_line_id"]]
            line["qty_received"] = float(line.get("qty_received", 0.0)) + done

    def _backorder_move(self, picking: Values, move: Values, quantity: float) -> None:
        """The backorder's move for what ``move`` left undone (receipts: its order line)."""
        line = self.tables["purchase.order.line"][move["purchase_line_id"]]
        self._new_move(picking["id"], line, quantity)

    def _lot(self, line: Values) -> int:
        for lot in self.tables["stock.lot"].values():
            if lot["name"] == line["lot_name"] and lot["product_id"] == line["product_id"]:
                return int(lot["id"])
        return self._insert(
            "stock.lot",
            {
                "name": line["lot_name"],
                "product_id": line["product_id"],
                "expiration_date": line.get("expiration_date") or False,
            },
        )

    def _create_stock_backorder_confirmation(self, vals: Values) -> int:
        return self._create_plain("stock.backorder.confirmation", vals)

    def _stock_backorder_confirmation__process(self, ids: list[int], context: Values) -> bool:
        return self._backorder_answer(ids, context, keep=True)

    def _stock_backorder_confirmation__process_cancel_backorder(
        self, ids: list[int], context: Values
    ) -> bool:
        return self._backorder_answer(ids, context, keep=False)

    def _backorder_answer(self, ids: list[int], context: Values, *, keep: bool) -> bool:
        for wizard_id in ids:
            wizard = self.record("stock.backorder.confirmation", wizard_id)
            picking_ids = context.get("button_validate_picking_ids") or wizard.get("pick_ids", [])
            for picking_id in picking_ids:
                picking = self.record("stock.picking", picking_id)
                if picking["state"] != "done":
                    self._action_done(picking, backorder=keep)
        return True
