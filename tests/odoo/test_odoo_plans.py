"""Delivery plans: decided before any write, recorded, replayed; currency, charges, totals.

Against the Odoo double through the real client (the real server runs the same paths in
``tests/odoo_real``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from gateway.canonical import AllowanceCharge, Invoice, Tax
from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import DeliveryPlan, apply_plan, deliver, plan_delivery
from tests.odoo.conftest import World, make_profile
from tests.odoo.documents import invoice, purchase_order, ship_notice
from tests.support.odoo_double import OdooDouble

PROFILE = make_profile()
WRITES = ("create", "write", "message_post", "button_confirm", "action_post", "process")


def _writes(double: OdooDouble) -> list[str]:
    return [c for c in double.calls() if c.rsplit(".", 1)[-1] in WRITES]


def test_planning_writes_nothing_and_says_what_it_will_write(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    plan = plan_delivery(purchase_order(), profile=PROFILE, odoo=odoo_client)
    assert _writes(odoo_double) == []
    [step] = plan.steps
    assert step.op == "create_order" and step.confirm is True
    assert step.values["partner_ref"] == "PO-1001"
    assert [line[2]["product_qty"] for line in step.values["order_line"]] == [100.0, 20.0]
    assert plan.exceptions == [] and plan.key == "acme:purchase_order:PO-1001"
    # and the plan survives the store (JSON) unchanged
    assert DeliveryPlan.model_validate(plan.model_dump(mode="json")) == plan


def test_the_plan_is_recorded_before_the_first_write(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    seen: list[tuple[int, list[str]]] = []

    def record(plan: DeliveryPlan) -> None:
        seen.append((len(plan.steps), _writes(odoo_double)))

    deliver(purchase_order(), profile=PROFILE, odoo=odoo_client, record=record)
    assert seen == [(1, [])]
    assert _writes(odoo_double) == ["purchase.order.create", "purchase.order.button_confirm"]


def test_order_and_bill_carry_the_documents_currency(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    deliver(purchase_order(currency="EUR"), profile=PROFILE, odoo=odoo_client)
    [order] = odoo_double.records("purchase.order")
    assert order["currency_id"][1] == "EUR"
    deliver(ship_notice(), profile=PROFILE, odoo=odoo_client)
    document = invoice()
    document.currency = None  # no currency named: the order's, never the company's
    deliver(document, profile=PROFILE, odoo=odoo_client)
    [bill] = odoo_double.records("account.move")
    assert bill["currency_id"][1] == "EUR"


def test_inactive_or_unknown_currency_is_an_exception_naming_it(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    for code, why in (("GBP", "is not active in Odoo"), ("XTS", "is not a currency in Odoo")):
        outcome = deliver(purchase_order(currency=code), profile=PROFILE, odoo=odoo_client)
        [issue] = outcome.exceptions
        assert issue.kind == "unknown_currency" and issue.received == code
        assert f"currency {code} {why}" in issue.message
    assert odoo_double.records("purchase.order") == []


def _received(odoo_client: OdooClient) -> None:
    deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)
    deliver(ship_notice(), profile=PROFILE, odoo=odoo_client)


def _untaxed(odoo_double: OdooDouble) -> None:
    """The world's products without the default 15 % purchase tax."""
    for product in odoo_double.records("product.product"):
        odoo_double.odoo.write("product.product", [product["id"]], {"supplier_taxes_id": []})


def test_charges_become_bill_lines_on_the_profiles_products(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _untaxed(odoo_double)
    freight = odoo_double.add_product("Freight", default_code="FRT", taxes=[])
    _received(odoo_client)
    document = invoice()
    document.allowances_charges = [
        AllowanceCharge(kind="charge", code="D240", description="FREIGHT", amount=Decimal("25")),
        AllowanceCharge(kind="allowance", code="C310", description="DISCOUNT", amount=Decimal("5")),
    ]
    document.total_amount = Decimal("695.00")  # 435 + 240 + 25 - 5
    profile = make_profile(charges={"D240": "FRT", "C310": "FRT"})
    outcome = deliver(document, profile=profile, odoo=odoo_client)
    assert outcome.exceptions == []
    [bill] = odoo_double.records("account.move")
    assert bill["state"] == "posted" and bill["amount_total"] == 695.0
    extra = [x for x in odoo_double.records("account.move.line") if not x["purchase_line_id"]]
    assert [(x["product_id"][0], x["price_unit"]) for x in extra] == [
        (freight, 25.0),
        (freight, -5.0),
    ]


def test_a_lines_stated_amount_holds_its_allowances_once(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # an EANCOM INVOIC states each line's net amount (MOA+203), its allowances inside it
    _untaxed(odoo_double)
    discount = odoo_double.add_product("Discount", default_code="DSC", taxes=[])
    _received(odoo_client)
    document = invoice()
    gloves, syringes = document.lines
    # the gloves at their net price (PRI+AAA): 60 x 7.25 = 435, the 30 off only informs
    gloves.amount = Decimal("435.00")
    # the syringes at their gross price (PRI+AAB): 20 x 12.00 - 20 off = 220
    syringes.amount = Decimal("220.00")
    document.allowances_charges = [
        AllowanceCharge(kind="allowance", code="C310", amount=Decimal("30"), line_number="1"),
        AllowanceCharge(kind="allowance", code="C310", amount=Decimal("20"), line_number="2"),
    ]
    document.total_amount = Decimal("655.00")
    outcome = deliver(document, profile=make_profile(charges={"C310": "DSC"}), odoo=odoo_client)
    # then neither allowance is taken off twice: the bill comes to the invoice's 655
    assert outcome.exceptions == []
    [bill] = odoo_double.records("account.move")
    assert bill["state"] == "posted" and bill["amount_total"] == 655.0
    extra = [x for x in odoo_double.records("account.move.line") if not x["purchase_line_id"]]
    assert [(x["product_id"][0], x["price_unit"]) for x in extra] == [(discount, -20.0)]


def test_a_charge_the_profile_does_not_name_is_an_exception(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _untaxed(odoo_double)
    _received(odoo_client)
    document = invoice()
    document.allowances_charges = [
        AllowanceCharge(kind="charge", code="D240", description="FREIGHT", amount=Decimal("25"))
    ]
    document.total_amount = Decimal("700.00")
    outcome = deliver(document, profile=PROFILE, odoo=odoo_client)
    kinds = sorted(e.kind for e in outcome.exceptions)
    assert kinds == ["total_mismatch", "total_mismatch", "unmapped_charge"]
    assert "odoo.charges" in next(
        e.message for e in outcome.exceptions if e.kind == "unmapped_charge"
    )
    [bill] = odoo_double.records("account.move")
    assert bill["state"] == "draft"


def test_a_total_beyond_tolerance_leaves_the_bill_in_draft_with_both_totals(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _untaxed(odoo_double)
    _received(odoo_client)
    document = invoice()
    document.total_amount = Decimal("675.50")  # the bill comes to 675.00
    outcome = deliver(document, profile=PROFILE, odoo=odoo_client)
    [issue] = outcome.exceptions
    assert issue.kind == "total_mismatch"
    assert (issue.received, issue.expected) == ("675.50", "675.00")
    assert "675.50" in issue.message and "675.00" in issue.message
    [bill] = odoo_double.records("account.move")
    assert bill["state"] == "draft"
    notes = [m["body"] for m in odoo_double.records("mail.message") if m["model"] == "account.move"]
    assert len(notes) == 1 and "675.50" in notes[0]
    # within the profile's tolerance the same invoice is posted
    odoo_double.odoo.write("account.move", [bill["id"]], {"state": "cancel"})
    loose = make_profile(invoice_tolerance={"amount": "0.01", "percent": "0.1"})
    assert deliver(document, profile=loose, odoo=odoo_client).exceptions == []


def _credit_note(number: str = "CN-1", credited: str | None = "INV-1") -> Invoice:
    """Credits 10 of the 20 syringes billed by ``invoice()`` (returned damaged)."""
    document = invoice(invoice_number=number)
    document.credit_note, document.original_invoice_number = True, credited
    document.lines = [document.lines[1].model_copy(update={"quantity": Decimal("10")})]
    document.total_amount = Decimal("138.00")  # 10 x 12.00 + 15 % tax
    return document


def _qty_invoiced(odoo_double: OdooDouble) -> list[float]:
    return [x["qty_invoiced"] for x in odoo_double.records("purchase.order.line")]


def test_a_suppliers_credit_note_reverses_the_bill_of_the_invoice_it_names(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _received(odoo_client)
    assert deliver(invoice(), profile=PROFILE, odoo=odoo_client).exceptions == []
    assert _qty_invoiced(odoo_double) == [60.0, 20.0]
    outcome = deliver(_credit_note(), profile=PROFILE, odoo=odoo_client)
    assert outcome.exceptions == [], [e.message for e in outcome.exceptions]
    bill, refund = odoo_double.records("account.move")
    assert (refund["move_type"], refund["ref"], refund["state"]) == ("in_refund", "CN-1", "posted")
    assert refund["reversed_entry_id"][0] == bill["id"] and refund["name"].startswith("RBILL/")
    assert (refund["amount_untaxed"], refund["amount_total"]) == (120.0, 138.0)
    [line] = [
        x for x in odoo_double.records("account.move.line") if x["move_id"][0] == refund["id"]
    ]
    syringes = odoo_double.records("purchase.order.line")[1]
    assert (line["purchase_line_id"][0], line["quantity"]) == (syringes["id"], 10.0)
    # Odoo's billed quantity goes down by what was credited
    assert _qty_invoiced(odoo_double) == [60.0, 10.0]
    assert any("crediting bill" in note for note in outcome.notes)
    # and the same credit note again is the one already entered, never a second
    again = deliver(_credit_note(), profile=PROFILE, odoo=odoo_client)
    assert again.already_existed and len(odoo_double.records("account.move")) == 2
    assert [r.id for r in again.records] == [refund["id"]]


def test_a_credit_note_signed_negative_credits_the_same(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _received(odoo_client)
    deliver(invoice(), profile=PROFILE, odoo=odoo_client)
    document = _credit_note()
    document.lines = [document.lines[0].model_copy(update={"quantity": Decimal("-10")})]
    document.total_amount = Decimal("-138.00")
    assert deliver(document, profile=PROFILE, odoo=odoo_client).exceptions == []
    refund = odoo_double.records("account.move")[1]
    assert (refund["move_type"], refund["amount_total"]) == ("in_refund", 138.0)


def test_crediting_more_than_was_billed_leaves_the_credit_note_in_draft(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _received(odoo_client)
    deliver(invoice(), profile=PROFILE, odoo=odoo_client)
    deliver(_credit_note("CN-1"), profile=PROFILE, odoo=odoo_client)  # 10 of 20 credited
    document = _credit_note("CN-2")
    document.lines = [document.lines[0].model_copy(update={"quantity": Decimal("15")})]
    document.total_amount = Decimal("207.00")
    outcome = deliver(document, profile=PROFILE, odoo=odoo_client)
    [issue] = outcome.exceptions
    assert issue.kind == "quantity_mismatch"
    assert "15 credited but 10 billed and not yet credited" in issue.message
    refund = odoo_double.records("account.move")[-1]
    assert (refund["ref"], refund["move_type"], refund["state"]) == ("CN-2", "in_refund", "draft")


@pytest.mark.parametrize(
    ("credited", "why"),
    [
        ("INV-0042", "invoice INV-0042 is not a bill of this vendor in Odoo"),
        (None, "it names no invoice it credits"),
    ],
)
def test_a_credit_note_for_no_bill_in_odoo_is_for_the_accounts_team(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World, credited: str | None, why: str
) -> None:
    _received(odoo_client)
    outcome = deliver(_credit_note(credited=credited), profile=PROFILE, odoo=odoo_client)
    [issue] = outcome.exceptions
    assert issue.kind == "supplier_credit_note" and why in issue.message
    assert "CN-1" in issue.message and "enter it in Odoo by hand" in issue.message
    assert odoo_double.records("account.move") == []


def test_a_credit_note_before_its_bill_is_entered_once_the_bill_is(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # the credit note overtook its invoice: an exception; delivering it again (the
    # operator's retry) after the invoice was billed enters it
    _received(odoo_client)
    early = deliver(_credit_note(), profile=PROFILE, odoo=odoo_client)
    assert [e.kind for e in early.exceptions] == ["supplier_credit_note"]
    deliver(invoice(), profile=PROFILE, odoo=odoo_client)
    assert deliver(_credit_note(), profile=PROFILE, odoo=odoo_client).exceptions == []
    assert [m["move_type"] for m in odoo_double.records("account.move")] == [
        "in_invoice",
        "in_refund",
    ]


def test_tax_differs_from_what_odoo_computes(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _received(odoo_client)  # Odoo's default 15 % applies: 435 + 240 = 675, tax 101.25
    document = invoice()
    document.taxes = [Tax(tax_type="VAT", rate=Decimal("19"), amount=Decimal("128.25"))]
    document.total_amount = Decimal("803.25")
    outcome = deliver(document, profile=PROFILE, odoo=odoo_client)
    assert sorted(e.kind for e in outcome.exceptions) == ["tax_mismatch", "total_mismatch"]
    tax = next(e for e in outcome.exceptions if e.kind == "tax_mismatch")
    assert (tax.received, tax.expected) == ("128.25", "101.25")


def test_line_taxes_repeating_the_documents_are_not_counted_twice(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    _received(odoo_client)  # Odoo's default 15 % applies: 435 + 240 = 675, tax 101.25
    document = invoice()
    document.taxes = [
        Tax(tax_type="VAT", rate=Decimal("15"), amount=Decimal("101.25")),
        Tax(tax_type="VAT", rate=Decimal("15"), amount=Decimal("65.25"), line_number="1"),
        Tax(tax_type="VAT", rate=Decimal("15"), amount=Decimal("36.00"), line_number="2"),
    ]
    document.total_amount = Decimal("776.25")
    assert deliver(document, profile=PROFILE, odoo=odoo_client).exceptions == []
    # with line taxes only, their sum is the invoice's tax
    odoo_double.odoo.write("account.move", [odoo_double.records("account.move")[0]["id"]],
                           {"state": "cancel"})  # fmt: skip
    document.invoice_number += "-B"
    document.taxes = document.taxes[1:]
    assert deliver(document, profile=PROFILE, odoo=odoo_client).exceptions == []


def test_a_replayed_decision_never_posts_a_bill_whose_checks_failed(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # billed before anything was received: quantity checks fail, the bill stays draft
    deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)
    plan = plan_delivery(invoice(), profile=PROFILE, odoo=odoo_client)
    assert plan.post is False and {e.kind for e in plan.exceptions} == {"quantity_mismatch"}
    stored = plan.model_dump(mode="json")
    first = apply_plan(plan, odoo_client)
    # a retry replays the stored decision: same exceptions, still draft, one note
    again = apply_plan(DeliveryPlan.model_validate(stored), odoo_client)
    assert again.exceptions == first.exceptions
    [bill] = odoo_double.records("account.move")
    assert bill["state"] == "draft"
    notes = [m for m in odoo_double.records("mail.message") if m["model"] == "account.move"]
    assert len(notes) == 1
    # while deciding afresh would now see a draft bill and decide differently: that is
    # why the pipeline stores the decision before the first write
    fresh = plan_delivery(invoice(), profile=PROFILE, odoo=odoo_client)
    assert fresh.already_existed and fresh.exceptions == []


def test_a_posted_bill_is_recorded_under_the_number_posting_gave_it(
    odoo_double: OdooDouble,
    odoo_client: OdooClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # as Odoo 18 and 19 do: a draft bill has no number (name reads false) until posted
    memory = odoo_double.odoo
    create, post = memory._create_account_move, memory._account_move__action_post
    numbers: dict[int, str] = {}

    def create_unnumbered(vals: dict[str, Any]) -> int:
        bill_id = create(vals)
        numbers[bill_id] = memory.record("account.move", bill_id)["name"]
        memory.record("account.move", bill_id)["name"] = False
        return bill_id

    def post_numbered(ids: list[int], context: dict[str, Any]) -> bool:
        for bill_id in ids:
            memory.record("account.move", bill_id)["name"] = numbers[bill_id]
        return post(ids, context)

    monkeypatch.setattr(memory, "_create_account_move", create_unnumbered)
    monkeypatch.setattr(memory, "_account_move__action_post", post_numbered)
    _untaxed(odoo_double)
    _received(odoo_client)
    outcome = deliver(invoice(), profile=PROFILE, odoo=odoo_client)
    [bill] = odoo_double.records("account.move")
    assert bill["state"] == "posted" and bill["name"].startswith("BILL/")
    assert [(r.model, r.name) for r in outcome.records if r.model == "account.move"] == [
        ("account.move", bill["name"])
    ]
    # left in draft, the bill is recorded without a number (not "False")
    odoo_double.odoo.write("account.move", [bill["id"]], {"state": "cancel"})
    document = invoice()
    document.total_amount = Decimal("1.00")
    draft = deliver(document, profile=PROFILE, odoo=odoo_client)
    assert [r.name for r in draft.records if r.model == "account.move"] == [""]


def _notes(double: OdooDouble, model: str) -> list[str]:
    return [
        m["body"]
        for m in double.records("mail.message")
        if m["model"] == model and "correlation id" in m["body"]
    ]


def test_a_record_just_created_gets_its_correlation_note_without_a_search(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given an order's plan carrying its transaction's correlation id
    plan = plan_delivery(purchase_order(), profile=PROFILE, odoo=odoo_client)
    plan.correlation_id = "0f9e8d7c-0000-4000-8000-000000000001"
    # when it is carried out, creating the order
    apply_plan(plan, odoo_client)
    # then the order has its note, and no search looked for one on the new order first
    assert len(_notes(odoo_double, "purchase.order")) == 1
    assert "mail.message.search_read" not in odoo_double.calls()
    # when the same decision is carried out again (a retry after a crash): the order is
    # found, not created, so its chatter is searched and no second note is posted
    apply_plan(plan, odoo_client)
    assert odoo_double.calls().count("mail.message.search_read") == 1
    assert len(_notes(odoo_double, "purchase.order")) == 1
    assert len(odoo_double.records("purchase.order")) == 1


def test_an_order_created_before_a_crash_gets_its_note_once(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given an attempt that created the order and died before its note
    plan = plan_delivery(purchase_order(), profile=PROFILE, odoo=odoo_client)
    apply_plan(plan, odoo_client)  # (no correlation id: no note)
    assert _notes(odoo_double, "purchase.order") == []
    # when the retry carries out the recorded decision
    plan.correlation_id = "0f9e8d7c-0000-4000-8000-000000000002"
    apply_plan(plan, odoo_client)
    apply_plan(plan, odoo_client)
    # then the found order got the note once
    assert len(_notes(odoo_double, "purchase.order")) == 1
