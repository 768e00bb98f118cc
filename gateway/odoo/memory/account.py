"""Vendor bills and credit notes in the imitated Odoo (``action_post`` answers ``False``,
as recorded)."""

from __future__ import annotations

from gateway.odoo.memory.orm import OdooFault, Values, user_error
from gateway.odoo.memory.purchase import PurchaseBehaviour


class AccountBehaviour(PurchaseBehaviour):
    """``account.move(.line)`` of type ``in_invoice`` and ``in_refund``."""

    # ---- accounting ------------------------------------------------------------------
    def _create_account_move(self, vals: Values) -> int:
        vals.setdefault("move_type", "entry")
        vals.setdefault("state", "draft")
        if vals["move_type"] not in (
            "entry",
            "out_invoice",
            "out_refund",
            "in_invoice",
            "in_refund",
            "out_receipt",
            "in_receipt",
        ):
            raise OdooFault(
                "builtins.ValueError",
                f"Wrong value for account.move.move_type: {vals['move_type']!r}",
            )
        if vals["move_type"] in ("in_invoice", "in_refund") and vals.get("invoice_date"):
            # the purchase journal's sequence; credit notes have their own ("R" + BILL)
            date = str(vals["invoice_date"])
            prefix = "BILL" if vals["move_type"] == "in_invoice" else "RBILL"
            number = self._sequence(prefix.lower() + date[:7])
            vals["name"] = f"{prefix}/{date[:4]}/{date[5:7]}/{number:04d}"
        else:
            vals.setdefault("name", "/")
        vals.setdefault("invoice_origin", False)
        return self._create_plain("account.move", vals)

    def _create_account_move_line(self, vals: Values) -> int:
        if vals.get("purchase_line_id"):
            po_line = self.record("purchase.order.line", vals["purchase_line_id"])
            vals.setdefault("product_id", po_line["product_id"])
            vals.setdefault("product_uom_id", po_line.get(self._line_uom_field))
            vals.setdefault("name", po_line.get("name", ""))
        return self._create_plain("account.move.line", vals)

    def _compute_account_move_line__price_subtotal(self, line: Values) -> float:
        return round(float(line.get("quantity", 0)) * float(line.get("price_unit", 0)), 2)

    def _compute_account_move__amount_untaxed(self, move: Values) -> float:
        return round(
            sum(
                self._compute_account_move_line__price_subtotal(x)
                for x in self.tables["account.move.line"].values()
                if x.get("move_id") == move["id"]
            ),
            2,
        )

    def _compute_account_move__amount_tax(self, move: Values) -> float:
        # rounded per line, as Odoo's default tax_calculation_rounding_method
        return round(
            sum(
                round(
                    self._compute_account_move_line__price_subtotal(x)
                    * self.tax_rate(x.get("product_id")),
                    2,
                )
                for x in self.tables["account.move.line"].values()
                if x.get("move_id") == move["id"]
            ),
            2,
        )

    def _compute_account_move__amount_total(self, move: Values) -> float:
        return round(
            self._compute_account_move__amount_untaxed(move)
            + self._compute_account_move__amount_tax(move),
            2,
        )

    def _account_move__action_post(self, ids: list[int], context: Values) -> bool:
        for move_id in ids:
            move = self.record("account.move", move_id)
            if move["state"] != "draft":
                raise user_error("Only draft journal entries can be posted.")
            if move["move_type"] in ("in_invoice", "in_refund") and not move.get("invoice_date"):
                raise user_error("The Bill/Refund date is required to validate this document.")
            move["state"] = "posted"
        return False  # recorded: action_post answers false on success

    def _account_move__button_draft(self, ids: list[int], context: Values) -> bool:
        for move_id in ids:
            self.record("account.move", move_id)["state"] = "draft"
        return True

    def _account_move__button_cancel(self, ids: list[int], context: Values) -> bool:
        for move_id in ids:
            self.record("account.move", move_id)["state"] = "cancel"
        return True
