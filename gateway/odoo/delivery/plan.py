"""A delivery's decision as a plain value: what it will write, what it found, whether to post.

Delivery is split the way Odoo's own ``purchase_stock`` splits ``_prepare_picking`` from
``_create_picking``: a *planner* per document type reads Odoo and decides (no writes), and
:func:`apply_plan` carries the decision out. The pipeline stores the plan before the first
write, so a retry after a crash replays the same decision instead of deciding again from
an Odoo that the first attempt already changed (a draft bill counts as invoiced, a posted
note looks like "already done"). Tests and the dry run assert on plans directly.

Every step is idempotent against Odoo's state: it looks for what an interrupted attempt
may already have written (the order by vendor + ``partner_ref``, the bill by vendor +
``ref``, a note by its marker, a picking by its state) and only writes what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from html import escape
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.odoo.api import OdooApi, m2o_id
from gateway.odoo.delivery.outcome import BusinessIssue, DeliveryOutcome, OdooRecordRef
from gateway.odoo.delivery.resolve import decimal
from gateway.odoo.errors import OdooBusinessError, OdooConfigurationError

BACKORDER_WIZARD = "stock.backorder.confirmation"


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateOrder(_Step):
    """Create the purchase order (or find the one an interrupted attempt created)."""

    op: Literal["create_order"] = "create_order"
    values: dict[str, Any]
    confirm: bool


class ConfirmOrder(_Step):
    """Confirm a purchase order still in draft."""

    op: Literal["confirm_order"] = "confirm_order"
    order_id: int


class CancelOrder(_Step):
    """Cancel a purchase order."""

    op: Literal["cancel_order"] = "cancel_order"
    order_id: int


class CreateSaleOrder(_Step):
    """Create the customer's sale order as a quotation (or find the one an interrupted
    attempt created, by customer + ``client_order_ref``). Lines carry no price: Odoo
    computes it from the customer's pricelist, and :class:`CheckSalePrices` compares."""

    op: Literal["create_sale_order"] = "create_sale_order"
    values: dict[str, Any]


class LinePrice(_Step):
    """The price a customer's order line states, for the line at ``sequence``."""

    line_number: str
    sequence: int
    price: Decimal
    product: str


class CheckSalePrices(_Step):
    """Compare the prices Odoo computed (pricelist, quantity) with the customer's; any
    difference is an issue and leaves the order a quotation. Decides ``confirm``."""

    op: Literal["check_sale_prices"] = "check_sale_prices"
    po_number: str
    lines: list[LinePrice]
    tolerance_amount: Decimal
    tolerance_percent: Decimal
    currency: str | None = None  # the order's ISO currency (CUR / CUX), when it says one


class ConfirmSaleOrder(_Step):
    """Confirm the quotation when the plan (after the price check) says so; otherwise
    post a note listing what to review."""

    op: Literal["confirm_sale_order"] = "confirm_sale_order"


class ChangeSaleOrder(_Step):
    """Apply a customer's change to their sale order: line values written (``updates``:
    (line id, values)), lines added (``creates``, each with its ``sequence``) or deleted,
    order values written, the quotation cancelled; then the note whose ``marker`` says the
    change is applied. A retry after a crash skips what is already there (a line deleted,
    a line with that sequence and product), and the note makes a second run a no-op."""

    op: Literal["change_sale_order"] = "change_sale_order"
    order_id: int
    marker: str
    updates: list[tuple[int, dict[str, Any]]] = Field(default_factory=list)
    creates: list[dict[str, Any]] = Field(default_factory=list)
    deletes: list[int] = Field(default_factory=list)
    order_values: dict[str, Any] = Field(default_factory=dict)
    cancel: bool = False
    lines: list[str] = Field(default_factory=list)


class WriteRecords(_Step):
    """Write values on records (writing the same values twice changes nothing)."""

    op: Literal["write"] = "write"
    model: str
    writes: list[tuple[int, dict[str, Any]]]


class PostNote(_Step):
    """An internal chatter note; ``marker`` finds it again. ``on`` = "bill" targets the
    bill this plan creates (its id is only known when it exists)."""

    op: Literal["note"] = "note"
    model: str
    res_id: int | None = None
    on: Literal["record", "bill"] = "record"
    marker: str
    lines: list[str]


class MoveReceipt(_Step):
    """What one stock move receives: a quantity, or one move line per lot."""

    move_id: int
    quantity: Decimal
    lots: list[tuple[str, Decimal, str | None]] = Field(default_factory=list)
    product_id: int | None = None
    uom_id: int | None = None


class Receive(_Step):
    """Set the received quantities (move lines with lots and expiry) on the picking."""

    op: Literal["receive"] = "receive"
    picking_id: int
    location_id: int | None
    location_dest_id: int | None
    moves: list[MoveReceipt]


class Validate(_Step):
    """Validate the picking; a partial receipt keeps a backorder."""

    op: Literal["validate"] = "validate"
    picking_id: int


class CreateBill(_Step):
    """Create the vendor bill or credit note (or find the one an interrupted attempt
    created)."""

    op: Literal["create_bill"] = "create_bill"
    values: dict[str, Any]


class CheckTotals(_Step):
    """Compare the bill Odoo computed with the invoice's totals; decides ``post``."""

    op: Literal["check_totals"] = "check_totals"
    untaxed: Decimal
    tax: Decimal | None
    total: Decimal | None
    tolerance_amount: Decimal
    tolerance_percent: Decimal


class PostBill(_Step):
    """Post the bill when the plan (after the totals check) says so."""

    op: Literal["post_bill"] = "post_bill"


Step = Annotated[
    CreateOrder
    | ConfirmOrder
    | CancelOrder
    | WriteRecords
    | PostNote
    | Receive
    | Validate
    | CreateBill
    | CheckTotals
    | PostBill
    | CreateSaleOrder
    | CheckSalePrices
    | ConfirmSaleOrder
    | ChangeSaleOrder,
    Field(discriminator="op"),
]


class DeliveryPlan(BaseModel):
    """The decision for one document: steps to run, issues found, whether to post.

    ``post`` is only meaningful for bills; ``totals_checked`` is set once the bill's
    totals were compared (that part of the decision needs the bill Odoo computed, so it
    is recorded as a second checkpoint, still before any later write). A sale order's
    price check works the same way (``prices_checked``, ``confirm``).
    """

    model_config = ConfigDict(extra="forbid")

    document_type: str
    key: str
    steps: list[Step] = Field(default_factory=list)
    exceptions: list[BusinessIssue] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    records: list[OdooRecordRef] = Field(default_factory=list)
    already_existed: bool = False
    post: bool = False
    totals_checked: bool = False
    bill_id: int | None = None
    #: the transaction's correlation id: noted on the Odoo records the plan writes
    correlation_id: str | None = None
    # sale orders: the order this plan created or found, whether the prices were compared
    # (a second checkpoint, like a bill's totals) and whether to confirm it
    sale_order_id: int | None = None
    prices_checked: bool = False
    confirm: bool = False

    @property
    def writes(self) -> bool:
        """True when carrying the plan out writes anything to Odoo."""
        return bool(self.steps)


Checkpoint = Callable[[DeliveryPlan], None]

#: the records that get a correlation note (a customer's sale order is left alone: its
#: chatter is the salesperson's conversation with the customer)
CORRELATED_MODELS = frozenset({"purchase.order", "stock.picking", "account.move"})


def correlation_text(correlation_id: str) -> str:
    """What a correlation note says, and what a search for the id finds."""
    return f"correlation id {correlation_id}"


def html_lines(lines: list[str]) -> str:
    """Chatter HTML: one escaped paragraph per line."""
    return "".join(f"<p>{escape(line)}</p>" for line in lines if line is not None)


def noted(odoo: OdooApi, model: str, record_id: int, text: str) -> bool:
    """True when the record's chatter already holds a note containing ``text``."""
    rows = odoo.search_read(
        "mail.message",
        [["model", "=", model], ["res_id", "=", record_id], ["body", "ilike", text]],
        ["id"],
        limit=1,
    )
    return bool(rows)


def post_note(odoo: OdooApi, model: str, record_id: int, lines: list[str]) -> None:
    """Post an internal note whose lines show as lines."""
    odoo.message_post(model, record_id, html_lines(lines), html=True)


def apply_plan(
    plan: DeliveryPlan, odoo: OdooApi, *, checkpoint: Checkpoint | None = None
) -> DeliveryOutcome:
    """Carry out ``plan`` (again, after a crash: each step skips what is already done)."""
    runner = _Runner(plan, odoo, checkpoint)
    runner.correlate()  # the records the plan found (an acknowledged order ...) first
    for step in plan.steps:
        runner.run(step)
    runner.correlate()  # and the ones it created
    return DeliveryOutcome(
        records=runner.records,
        exceptions=list(plan.exceptions),
        already_existed=plan.already_existed,
        notes=list(plan.notes),
    )


class _Runner:
    def __init__(self, plan: DeliveryPlan, odoo: OdooApi, checkpoint: Checkpoint | None):
        self.plan = plan
        self.odoo = odoo
        self.checkpoint = checkpoint
        self.records = list(plan.records)
        self._correlated: set[tuple[str, int]] = set()
        #: records this run created: no note can be on them yet, so none is searched for
        self._created: set[tuple[str, int]] = set()

    def correlate(self) -> None:
        """One note per record the plan writes: the transaction's correlation id, so that
        searching Odoo's chatter for it finds every record of the document. The note has
        no ``[EDI ...]`` marker: it is not part of what the delivery decides."""
        cid = self.plan.correlation_id
        if not cid or not self.plan.steps:
            return
        text = correlation_text(cid)
        for ref in list(self.records):
            if ref.model not in CORRELATED_MODELS or (ref.model, ref.id) in self._correlated:
                continue
            self._correlated.add((ref.model, ref.id))
            if (ref.model, ref.id) in self._created or not noted(
                self.odoo, ref.model, ref.id, text
            ):
                kind = self.plan.document_type.replace("_", " ")
                key = self.plan.key.split(":", 2)[-1]
                post_note(self.odoo, ref.model, ref.id, [f"EDI gateway: {text} ({kind} {key})"])

    def _add(self, ref: OdooRecordRef) -> None:
        """Add a record to the outcome; a record already there takes the newer name."""
        for index, known in enumerate(self.records):
            if (known.model, known.id) == (ref.model, ref.id):
                self.records[index] = ref
                return
        self.records.append(ref)

    def run(self, step: Any) -> None:
        getattr(self, f"_{step.op}")(step)

    # ---- purchase orders -------------------------------------------------------------
    def _create_order(self, step: CreateOrder) -> None:
        odoo = self.odoo
        values = step.values
        found = odoo.search_read(
            "purchase.order",
            [
                ["partner_ref", "=", values["partner_ref"]],
                ["partner_id", "=", values["partner_id"]],
                ["state", "!=", "cancel"],
            ],
            ["id", "name", "state"],
            order="id",
        )
        if found:  # an interrupted attempt created it
            order_id, state = int(found[0]["id"]), str(found[0].get("state"))
        else:
            order_id, state = odoo.create("purchase.order", values), "draft"
            self._created.add(("purchase.order", order_id))
        if step.confirm and state in ("draft", "sent"):
            odoo.call("purchase.order", "button_confirm", ids=[order_id])
        self._add(_read_ref(odoo, "purchase.order", order_id))

    def _confirm_order(self, step: ConfirmOrder) -> None:
        rows = self.odoo.read("purchase.order", [step.order_id], ["state"])
        if rows and rows[0].get("state") in ("draft", "sent"):
            self.odoo.call("purchase.order", "button_confirm", ids=[step.order_id])

    def _cancel_order(self, step: CancelOrder) -> None:
        rows = self.odoo.read("purchase.order", [step.order_id], ["state"])
        if rows and rows[0].get("state") != "cancel":
            self.odoo.call("purchase.order", "button_cancel", ids=[step.order_id])

    # ---- sale orders (a customer's order) ----------------------------------------------
    def _create_sale_order(self, step: CreateSaleOrder) -> None:
        odoo = self.odoo
        values = step.values
        found = odoo.search_read(
            "sale.order",
            [
                ["client_order_ref", "=", values["client_order_ref"]],
                ["partner_id", "=", values["partner_id"]],
                ["state", "!=", "cancel"],
            ],
            ["id"],
            order="id",
        )
        order_id = int(found[0]["id"]) if found else odoo.create("sale.order", values)
        self.plan.sale_order_id = order_id
        self._add(_read_ref(odoo, "sale.order", order_id))

    def _check_sale_prices(self, step: CheckSalePrices) -> None:
        plan = self.plan
        if plan.prices_checked:
            return  # decided (and recorded) by an earlier attempt
        if plan.sale_order_id is None:
            raise OdooConfigurationError("price check without a sale order")
        if not self.odoo.knows_prices:
            # its products are made up (price 0): the customer's prices stand in for the
            # pricelist's, so what follows (855, 810) shows sensible amounts
            lines = {int(r.get("sequence") or 0): int(r["id"]) for r in sale_lines(
                self.odoo, plan.sale_order_id)}  # fmt: skip
            for line in step.lines:
                if line.sequence in lines:
                    self.odoo.write(
                        "sale.order.line", [lines[line.sequence]], {"price_unit": float(line.price)}
                    )
            plan.notes.append(
                "prices not compared (the dry run has no real pricelists): the customer's "
                "prices taken"
            )
        else:
            issues = sale_currency_issues(step, self.odoo, plan.sale_order_id)
            # prices in another currency than the pricelist's cannot be compared
            issues = issues or sale_price_issues(step, sale_lines(self.odoo, plan.sale_order_id))
            plan.exceptions.extend(issues)
            if issues:
                plan.notes.append("left as a quotation: the prices differ from the pricelist")
        plan.confirm = plan.confirm and not plan.exceptions
        plan.prices_checked = True
        if self.checkpoint is not None:
            self.checkpoint(plan)

    def _confirm_sale_order(self, step: ConfirmSaleOrder) -> None:
        plan = self.plan
        order_id = plan.sale_order_id
        if order_id is None:
            return
        if not plan.confirm:
            head = f"[EDI quotation to review {plan.key}]"
            if plan.exceptions and not noted(self.odoo, "sale.order", order_id, head):
                lines = [f"{head}: review before confirming"]
                lines.extend(f"- {issue.message}" for issue in plan.exceptions)
                post_note(self.odoo, "sale.order", order_id, lines)
            return
        rows = self.odoo.read("sale.order", [order_id], ["state"])
        if rows and rows[0].get("state") in ("draft", "sent"):
            self.odoo.call("sale.order", "action_confirm", ids=[order_id])
        if "confirmed" not in plan.notes:
            plan.notes.append("confirmed")
        self._add(_read_ref(self.odoo, "sale.order", order_id))

    def _change_sale_order(self, step: ChangeSaleOrder) -> None:
        odoo, order_id = self.odoo, step.order_id
        if not noted(odoo, "sale.order", order_id, step.marker):
            rows = odoo.search_read(
                "sale.order.line", [["order_id", "=", order_id]], ["sequence", "product_id"]
            )
            there = {int(r["id"]) for r in rows}
            made = {(int(r.get("sequence") or 0), m2o_id(r.get("product_id"))) for r in rows}
            commands: list[list[Any]] = [
                [1, line_id, values] for line_id, values in step.updates if line_id in there
            ]
            commands += [[2, line_id] for line_id in step.deletes if line_id in there]
            commands += [
                [0, 0, values]
                for values in step.creates
                if (int(values["sequence"]), int(values["product_id"])) not in made
            ]
            values = dict(step.order_values)
            if commands:
                values["order_line"] = commands
            if values:
                odoo.write("sale.order", [order_id], values)
            if step.cancel:
                state = odoo.read("sale.order", [order_id], ["state"])
                if state and state[0].get("state") != "cancel":
                    odoo.call(
                        "sale.order",
                        "action_cancel",
                        ids=[order_id],
                        context={"disable_cancel_warning": True},
                    )
            post_note(odoo, "sale.order", order_id, step.lines)
        self._add(_read_ref(odoo, "sale.order", order_id))

    # ---- generic ---------------------------------------------------------------------
    def _write(self, step: WriteRecords) -> None:
        for record_id, values in step.writes:
            self.odoo.write(step.model, [record_id], values)

    def _note(self, step: PostNote) -> None:
        res_id = self.plan.bill_id if step.on == "bill" else step.res_id
        if res_id is None:
            raise OdooConfigurationError(f"note {step.marker}: no record to post it on")
        if not noted(self.odoo, step.model, res_id, step.marker):
            post_note(self.odoo, step.model, res_id, step.lines)

    # ---- receipts --------------------------------------------------------------------
    def _picking_state(self, picking_id: int) -> str:
        rows = self.odoo.read("stock.picking", [picking_id], ["state"])
        if not rows:
            raise OdooBusinessError(f"receipt {picking_id} no longer exists in Odoo")
        return str(rows[0].get("state"))

    def _receive(self, step: Receive) -> None:
        if self._picking_state(step.picking_id) in ("done", "cancel"):
            return  # validated by an earlier attempt
        odoo = self.odoo
        dialect = odoo.dialect
        qty = dialect.move_line_quantity_field
        current = {
            int(m["id"]): [int(i) for i in m.get("move_line_ids") or []]
            for m in odoo.read("stock.move", [m.move_id for m in step.moves], ["move_line_ids"])
        }
        for move in step.moves:
            if not move.lots:
                values: dict[str, Any] = {dialect.move_quantity_field: float(move.quantity)}
                if dialect.has_picked:
                    values["picked"] = move.quantity > 0
                odoo.write("stock.move", [move.move_id], values)
                continue
            existing = current.get(move.move_id, [])
            commands: list[list[Any]] = []
            for index, (lot, quantity, expiry) in enumerate(move.lots):
                line_values: dict[str, Any] = {"lot_name": lot, qty: float(quantity)}
                if dialect.has_picked:
                    line_values["picked"] = True
                if expiry:
                    line_values["expiration_date"] = expiry
                if index < len(existing):
                    commands.append([1, existing[index], line_values])
                else:
                    line_values.update(
                        {
                            "product_id": move.product_id,
                            "product_uom_id": move.uom_id,
                            "location_id": step.location_id,
                            "location_dest_id": step.location_dest_id,
                            "picking_id": step.picking_id,
                        }
                    )
                    commands.append([0, 0, line_values])
            commands.extend([2, stale] for stale in existing[len(move.lots) :])
            odoo.write("stock.move", [move.move_id], {"move_line_ids": commands})

    def _validate(self, step: Validate) -> None:
        odoo = self.odoo
        picking_id = step.picking_id
        if self._picking_state(picking_id) != "done":
            result = odoo.call("stock.picking", "button_validate", ids=[picking_id])
            if isinstance(result, dict) and result.get("res_model"):
                wizard_model = str(result["res_model"])
                context = result.get("context") or {}
                if wizard_model != BACKORDER_WIZARD:
                    raise OdooBusinessError(
                        f"validating the receipt opened {wizard_model!r} "
                        f"({result.get('name', '')}); finish it in Odoo",
                        odoo_name="wizard",
                    )
                created = odoo.call(
                    wizard_model, "create", params={"vals_list": [{}]}, context=context
                )
                wizard_id = int(created[0] if isinstance(created, list) else created)
                odoo.call(wizard_model, "process", ids=[wizard_id], context=context)
        self._add(_read_ref(odoo, "stock.picking", picking_id))
        for backorder in odoo.search_read(
            "stock.picking", [["backorder_id", "=", picking_id]], ["id", "name"]
        ):
            self._add(
                OdooRecordRef(
                    model="stock.picking", id=int(backorder["id"]), name=backorder["name"]
                )
            )

    # ---- bills -----------------------------------------------------------------------
    def _create_bill(self, step: CreateBill) -> None:
        odoo = self.odoo
        values = step.values
        found = odoo.search_read(
            "account.move",
            [
                ["ref", "=", values["ref"]],
                ["partner_id", "=", values["partner_id"]],
                ["move_type", "=", values["move_type"]],  # a bill or a credit note
                ["state", "!=", "cancel"],
            ],
            ["id"],
            order="id",
        )
        if found:
            bill_id = int(found[0]["id"])
        else:
            bill_id = odoo.create("account.move", values)
            self._created.add(("account.move", bill_id))
        self.plan.bill_id = bill_id
        self._add(_read_ref(odoo, "account.move", bill_id))

    def _check_totals(self, step: CheckTotals) -> None:
        plan = self.plan
        if plan.totals_checked:
            return  # decided (and recorded) by an earlier attempt
        if plan.bill_id is None:
            raise OdooConfigurationError("totals check without a bill")
        rows = self.odoo.read(
            "account.move", [plan.bill_id], ["amount_untaxed", "amount_tax", "amount_total"]
        )
        bill = rows[0] if rows else {}
        if not self.odoo.computes_taxes:
            step = step.model_copy(update={"tax": None, "total": None})
            plan.notes.append("tax and total not compared (the dry run has no real taxes)")
        issues = total_issues(step, bill)
        plan.exceptions.extend(issues)
        plan.post = plan.post and not plan.exceptions
        if issues:
            plan.notes.append("left in draft: the totals differ")
        plan.totals_checked = True
        if self.checkpoint is not None:
            self.checkpoint(plan)

    def _post_bill(self, step: PostBill) -> None:
        plan = self.plan
        if plan.bill_id is None:
            return
        if not plan.post:
            head = f"[EDI bill left in draft {plan.key}]"
            if plan.exceptions and not noted(self.odoo, "account.move", plan.bill_id, head):
                lines = [f"{head}: review before posting"]
                lines.extend(f"- {issue.message}" for issue in plan.exceptions)
                post_note(self.odoo, "account.move", plan.bill_id, lines)
            return
        rows = self.odoo.read("account.move", [plan.bill_id], ["state"])
        if rows and rows[0].get("state") == "draft":
            self.odoo.call("account.move", "action_post", ids=[plan.bill_id])
            # a draft bill may have no number yet (18/19 read false, 17 "/" after the
            # period's first): the ledger and the outcome keep the number posting gave it
            self._add(_read_ref(self.odoo, "account.move", plan.bill_id))
        if "posted" not in plan.notes:
            plan.notes.append("posted")


def within(expected: Decimal, actual: Decimal, amount: Decimal, percent: Decimal) -> bool:
    """True when ``actual`` is within the absolute or percent tolerance of ``expected``."""
    allowed = max(amount, abs(expected) * percent / 100)
    return abs(actual - expected) <= allowed


def _money(value: Any) -> Decimal:

    return decimal(value).quantize(Decimal("0.01"))


def total_issues(step: CheckTotals, bill: dict[str, Any]) -> list[BusinessIssue]:
    """The invoice's totals against the bill Odoo computed, as business issues."""
    out: list[BusinessIssue] = []
    checks: list[tuple[str, Decimal | None, str]] = [
        ("untaxed amount", step.untaxed, "amount_untaxed"),
        ("tax", step.tax, "amount_tax"),
        ("total", step.total, "amount_total"),
    ]
    for label, expected, field in checks:
        if expected is None:
            continue
        actual = _money(bill.get(field))
        if not within(expected, actual, step.tolerance_amount, step.tolerance_percent):
            out.append(
                BusinessIssue(
                    kind="tax_mismatch" if field == "amount_tax" else "total_mismatch",
                    message=f"invoice {label} {expected} differs from the bill Odoo computed: "
                    f"{actual}",
                    expected=str(actual),
                    received=str(expected),
                )
            )
    return out


def sale_lines(odoo: OdooApi, order_id: int) -> list[dict[str, Any]]:
    """The sale order's lines in Odoo's order (sequence, id)."""
    rows = odoo.search_read(
        "sale.order.line",
        [["order_id", "=", order_id]],
        ["id", "sequence", "product_id", "product_uom_qty", "price_unit", "discount"],
    )
    rows.sort(key=lambda r: (r.get("sequence") or 0, r["id"]))
    return rows


def sale_currency_issues(
    step: CheckSalePrices, odoo: OdooApi, order_id: int
) -> list[BusinessIssue]:
    """The customer's currency against the sale order's (its pricelist's), as an issue."""
    if not step.currency:
        return []
    rows = odoo.read("sale.order", [order_id], ["currency_id"])
    currency = rows[0].get("currency_id") if rows else None
    ours = str(currency[1]) if isinstance(currency, list) and len(currency) > 1 else ""
    if not ours or ours.upper() == step.currency.upper():
        return []
    return [
        BusinessIssue(
            kind="customer_price_mismatch",
            message=f"order {step.po_number} is in {step.currency}, the customer's pricelist "
            f"in Odoo is in {ours}: prices not compared",
            expected=ours,
            received=step.currency,
        )
    ]


def sale_price_issues(step: CheckSalePrices, lines: list[dict[str, Any]]) -> list[BusinessIssue]:
    """The customer's prices against the net unit prices Odoo computed, as issues."""

    by_sequence = {int(line.get("sequence") or 0): line for line in lines}
    out: list[BusinessIssue] = []
    for wanted in step.lines:
        line = by_sequence.get(wanted.sequence)
        if line is None:
            continue
        discount = decimal(line.get("discount"))
        ours = (decimal(line.get("price_unit")) * (1 - discount / 100)).quantize(Decimal("0.0001"))
        ours = ours.normalize()
        if within(ours, wanted.price, step.tolerance_amount, step.tolerance_percent):
            continue
        out.append(
            BusinessIssue(
                kind="customer_price_mismatch",
                message=f"order {step.po_number} line {wanted.line_number} ({wanted.product}): "
                f"the customer's price {wanted.price} differs from our price {ours:f} "
                "(their pricelist in Odoo)",
                line_number=wanted.line_number,
                expected=f"{ours:f}",
                received=str(wanted.price),
            )
        )
    return out


def _read_ref(odoo: OdooApi, model: str, record_id: int) -> OdooRecordRef:
    rows = odoo.read(model, [record_id], ["name"])
    name = rows[0].get("name") if rows else None
    # Odoo answers false for an empty name (a draft bill on 19), never "False"
    return OdooRecordRef(model=model, id=record_id, name=str(name) if name else "")


__all__ = [
    "CancelOrder",
    "ChangeSaleOrder",
    "CheckSalePrices",
    "CheckTotals",
    "ConfirmOrder",
    "ConfirmSaleOrder",
    "CreateBill",
    "CreateOrder",
    "CreateSaleOrder",
    "DeliveryPlan",
    "LinePrice",
    "MoveReceipt",
    "PostBill",
    "PostNote",
    "Receive",
    "Validate",
    "WriteRecords",
    "apply_plan",
    "html_lines",
    "m2o_id",
    "noted",
    "sale_currency_issues",
    "sale_price_issues",
    "within",
]
