"""Invoices and credit notes we send a customer, from a real Odoo 17, 18 and 19 with
``sale_stock``.

A customer's 850 (or ORDERS) becomes a sale order (the fixtures of test_sale_order.py);
the sales desk gives one line 10 % off, adds freight, puts an 8.25 % tax on every line and
"2 % 10, net 30" terms on the invoice, and posts it: the 810 carries Odoo's numbers field
by field (IT1 per line at the price before the discount, the discount as the line's SAC
with its percent, the freight as a summary SAC under the profile's charge code, TXI with
Odoo's tax amount and base, TDS = amount_total in cents, ITD with the early-payment
discount Odoo computed). Reversing the invoice sends an 810 credit memo (BIG07 CR, REF*OI
the invoice); an EDIFACT customer gets an INVOIC (BGM 380, PAT groups, TAX + MOA,
ALC + PCD + MOA) and for its credit note an INVOIC 381 (RFF+IV). Each is read back by
our own inbound map to the canonical invoice that was stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.canonical import Invoice
from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, translate
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.outbound import poll
from gateway.pipeline.runtime import Runtime
from gateway.store.models import OutboundOrder
from tests.odoo_real.samples import exceptions, ingest
from tests.odoo_real.test_sale_order import (
    STJUDE,
    Shop,
    lines_of,
    order_850,
    orders_edifact,
    sale_orders,
    seed,
)
from tests.odoo_real.test_seller_outbound import MERCY, Recorder, _runtime, segments
from tests.support.real_odoo import OdooDatabase

VERSIONS = [
    pytest.param({"version": v, "extra": ["sale_stock"]}, id=f"odoo{v}") for v in (17, 18, 19)
]
pytestmark = [
    pytest.mark.parametrize("real_odoo", VERSIONS, indirect=True),
    pytest.mark.timeout(900),
]

CHARGES = "  charges: {D240: FRT-1}\n"
INVOICING = MERCY.replace(
    "  sale_order: {confirm: review}\n", "  sale_order: {confirm: review}\n" + CHARGES
).replace(
    "  order_acknowledgement: {transport: sftp}\n",
    "  order_acknowledgement: {transport: sftp}\n  invoice: {transport: sftp}\n",
)
STJUDE_INVOICING = (
    STJUDE.replace(
        "  sale_order: {confirm: auto}\n",
        "  sale_order: {confirm: auto}\n" + CHARGES.replace("D240", "FC"),
    )
    + "sftp: {hosted: {username: stjude}}\noutbound:\n  invoice: {transport: sftp}\n"
)


@pytest.fixture(scope="module")
def shop(real_odoo: OdooDatabase) -> Shop:
    return seed(real_odoo)


def service(db: OdooDatabase) -> dict[str, str]:
    """A service product's type: ``detailed_type`` on 17, ``type`` from 18."""
    return {"detailed_type": "service"} if db.version == 17 else {"type": "service"}


def line_taxes(db: OdooDatabase) -> str:
    """``sale.order.line``'s taxes: ``tax_id`` until 18, ``tax_ids`` on 19."""
    return "tax_ids" if db.version >= 19 else "tax_id"


@pytest.fixture(scope="module")
def books(real_odoo: OdooDatabase) -> dict[str, int]:
    """A freight service product, an 8.25 % sales tax and "2 % 10, net 30" terms."""
    db = real_odoo
    freight = db.create(
        "product.product",
        {"name": "Freight", "default_code": "FRT-1", **service(db),
         "list_price": 25.0, "sale_ok": True, "invoice_policy": "order"},
    )  # fmt: skip
    tax = db.create(
        "account.tax",
        {"name": "Sales 8.25%", "amount": 8.25, "amount_type": "percent",
         "type_tax_use": "sale"},
    )  # fmt: skip
    terms = db.create(
        "account.payment.term",
        {"name": "2% 10, Net 30", "early_discount": True, "discount_percentage": 2.0,
         "discount_days": 10,
         "line_ids": [[0, 0, {"value": "percent", "value_amount": 100.0, "nb_days": 30}]]},
    )  # fmt: skip
    return {"freight": freight, "tax": tax, "terms": terms}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    (path / "mercy.yaml").write_text(INVOICING)
    (path / "stjude.yaml").write_text(STJUDE_INVOICING)
    return path


@pytest.fixture
def runtime(real_odoo: OdooDatabase, shop: Shop, site: Path, tmp_path: Path) -> Iterator[Runtime]:
    rt = _runtime(real_odoo, tmp_path, site)
    yield rt
    rt.engine.dispose()


def invoice_order(db: OdooDatabase, order_id: int, books: dict[str, int], *, terms: bool) -> int:
    """Freight added, the tax on every line, invoiced by the wizard; the draft's id."""
    db.call("sale.order.line", "create", [{"order_id": order_id, "product_id": books["freight"],
                                           "product_uom_qty": 1, "price_unit": 25.0}])  # fmt: skip
    line_ids = [x["id"] for x in lines_of(db, order_id)]
    db.call("sale.order.line", "write", line_ids, {line_taxes(db): [[6, 0, [books["tax"]]]]})
    context = {"active_model": "sale.order", "active_ids": [order_id], "active_id": order_id}
    wizard = db.call("sale.advance.payment.inv", "create",
                     [{"advance_payment_method": "delivered"}], context=context)  # fmt: skip
    wizard_id = wizard[0] if isinstance(wizard, list) else wizard
    db.call("sale.advance.payment.inv", "create_invoices", [wizard_id], context=context)
    [row] = db.search_read("sale.order", [["id", "=", order_id]], ["invoice_ids"])
    invoice_id = max(row["invoice_ids"])
    if terms:
        db.call("account.move", "write", [invoice_id],
                {"invoice_payment_term_id": books["terms"]})  # fmt: skip
    return int(invoice_id)


MOVE_FIELDS = ["name", "invoice_date", "invoice_date_due", "amount_untaxed", "amount_tax",
               "amount_total", "move_type", "reversed_entry_id"]  # fmt: skip


def posted(db: OdooDatabase, move_id: int) -> dict[str, Any]:
    db.call("account.move", "action_post", [move_id])
    [move] = db.search_read("account.move", [["id", "=", move_id]], MOVE_FIELDS)
    return move


def term_line(db: OdooDatabase, move_id: int) -> dict[str, Any]:
    [line] = db.search_read(
        "account.move.line",
        [["move_id", "=", move_id], ["display_type", "=", "payment_term"]],
        ["date_maturity", "amount_currency", "discount_date", "discount_amount_currency"],
    )
    return line


def reverse(db: OdooDatabase, invoice_id: int) -> int:
    """A credit note for the whole invoice, as *Credit Note* on it makes one; its id."""
    context = {"active_model": "account.move", "active_ids": [invoice_id]}
    [journal] = db.search_read("account.move", [["id", "=", invoice_id]], ["journal_id"])
    wizard = db.call("account.move.reversal", "create",
                     [{"reason": "damaged in transit", "move_ids": [[6, 0, [invoice_id]]],
                       "journal_id": journal["journal_id"][0]}],
                     context=context)  # fmt: skip
    wizard_id = wizard[0] if isinstance(wizard, list) else wizard
    db.call("account.move.reversal", "refund_moves", [wizard_id], context=context)
    [refund] = db.search_read("account.move", [["reversed_entry_id", "=", invoice_id]], ["id"])
    return int(refund["id"])


def cents(value: float) -> int:
    return int((Decimal(str(value)) * 100).quantize(Decimal(1)))


def sent(runtime: Runtime, recorder: Recorder, prefix: str) -> list[bytes]:
    result = poll(runtime)
    assert not result.errors, result.errors
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    return [data for name, data in recorder.files if name.startswith(prefix)]


def stored(runtime: Runtime, number: str) -> Invoice:
    with runtime.sessions() as s:
        [row] = s.scalars(
            select(OutboundOrder).where(
                OutboundOrder.document_type == "invoice", OutboundOrder.business_key == number
            )
        ).all()
        assert row.state == "sent", row.error
        return Invoice.model_validate(row.document)


def read_back(data: bytes, partner: str) -> Invoice:
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    ids: dict[str, Any]
    if transaction.set_id == "810":
        ids = {"x12": {"isa_qualifier": "ZZ", "isa_id": "MERCYHOSP", "version": "004010"}}
        syntax, version = "x12", "004010"
    else:
        ids = {"edifact": {"unb_id": "4098765000003", "directory": "D96A"}}
        syntax, version = "edifact", "D96A"
    profile = PartnerProfile.model_validate({"id": partner, "name": partner, **ids})
    maps = MapLibrary.load([Path(__file__).resolve().parents[2] / "maps"])
    inbound = maps.map_for(profile, syntax, version, transaction.set_id)
    document = translate(
        transaction, interchange=interchange, group=group, map=inbound, profile=profile
    ).document
    assert isinstance(document, Invoice)
    return document


def same(back: Invoice, ours: Invoice) -> None:
    theirs = back.model_dump(exclude={"source"}, exclude_none=True)
    theirs.pop("dates", None)
    assert theirs == ours.model_dump(exclude={"source"}, exclude_none=True)


def untaxed(invoice: Invoice) -> Decimal:
    """Lines at their price, less allowances, plus charges: what Odoo's untaxed must be."""
    total = sum((x.quantity * x.unit_price for x in invoice.lines), Decimal(0))
    for ac in invoice.allowances_charges:
        total += ac.amount if ac.kind == "charge" else -ac.amount
    return total


def test_an_invoice_with_tax_discount_freight_and_early_payment_terms_then_its_credit_note(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop, books: dict[str, int]
) -> None:
    db = real_odoo
    recorder = Recorder()
    runtime.senders["sftp"] = recorder
    txn = ingest(runtime, order_850(951, "MH-9501"), "850.edi")
    assert txn.state == "delivered", (txn.error, exceptions(runtime, txn))
    [order] = sale_orders(db, shop.mercy, "MH-9501")
    db.call("sale.order", "action_confirm", [order["id"]])
    # given the syringes 10 % off, freight, 8.25 % tax and early-payment terms
    syringes = lines_of(db, order["id"])[1]
    db.call("sale.order.line", "write", [syringes["id"]], {"discount": 10.0})
    invoice_id = invoice_order(db, order["id"], books, terms=True)
    # when the invoice is posted
    move = posted(db, invoice_id)
    due = term_line(db, invoice_id)
    [data] = sent(runtime, recorder, "810_")
    # then the 810 says what Odoo says, field by field
    seg = segments(data)
    body = seg[3 : [s[0] for s in seg].index("SE")]
    tags = [s[0] for s in body]
    assert tags == ["BIG", "CUR", "N1", "N1", "ITD",
                    "IT1", "TXI", "REF",
                    "IT1", "TXI", "REF", "SAC",
                    "IT1", "TXI", "REF",
                    "TDS", "TXI", "SAC", "CTT"]  # fmt: skip
    big = body[0]
    assert big[1:] == [move["invoice_date"].replace("-", ""), move["name"], "", "MH-9501"]
    it1 = [s[1:5] for s in body if s[0] == "IT1"]
    assert it1 == [["1", "20", "EA", "8.5"], ["2", "5", "EA", "13.5"], ["3", "40", "EA", "4"]]
    # the syringes' discount: 5 x 13.50 = 67.50, 10 % off = 6.75 (675 cents)
    [line_sac] = [s for s in body[: tags.index("TDS")] if s[0] == "SAC"]
    assert line_sac == ["SAC", "A", "C310", "", "", "675", "3", "10", *[""] * 7, "Discount 10 %"]
    # each line names its tax; the summary has Odoo's tax amount and the base it applies to
    assert [s for s in body[: tags.index("TDS")] if s[0] == "TXI"] == [
        ["TXI", "TX", "", "8.25"]
    ] * 3
    [summary_txi] = [s for s in body[tags.index("TDS") :] if s[0] == "TXI"]
    assert summary_txi[:4] == ["TXI", "TX", str(Decimal(str(move["amount_tax"]))), "8.25"]
    assert Decimal(summary_txi[8]) == Decimal(str(move["amount_untaxed"]))
    freight = body[tags.index("SAC", tags.index("TDS"))]
    assert freight[:6] == ["SAC", "C", "D240", "", "", "2500"]
    assert freight[15] == "[FRT-1] Freight"  # the invoice line's label
    assert body[tags.index("TDS")] == ["TDS", str(cents(move["amount_total"]))]
    # 2 % if paid within 10 days, net 30; the discount is what Odoo lets the customer keep
    invoice_date = dt.date.fromisoformat(move["invoice_date"])
    early = invoice_date + dt.timedelta(days=10)
    keep = cents(due["amount_currency"]) - cents(due["discount_amount_currency"])
    assert due["discount_date"] == early.isoformat() and keep > 0
    assert body[tags.index("ITD")] == [
        "ITD", "08", "3", "2", early.strftime("%Y%m%d"), "10",
        move["invoice_date_due"].replace("-", ""), "30", str(keep), "", "", "", "2% 10, Net 30",
    ]  # fmt: skip
    ours = stored(runtime, move["name"])
    assert untaxed(ours) == Decimal(str(move["amount_untaxed"]))
    assert ours.total_amount == Decimal(str(move["amount_total"])).quantize(Decimal("0.01"))
    same(read_back(data, "mercy"), ours)

    # when the invoice is reversed (a credit note) and the credit note posted
    credit = posted(db, reverse(db, invoice_id))
    assert credit["move_type"] == "out_refund"
    [memo] = [d for d in sent(runtime, recorder, "810_") if d != data]
    # then an 810 credit memo names the invoice it credits, with the same lines and totals
    body = segments(memo)
    body = body[3 : [s[0] for s in body].index("SE")]
    tags = [s[0] for s in body]
    assert body[0][1:] == [credit["invoice_date"].replace("-", ""), credit["name"], "",
                           "MH-9501", "", "", "CR"]  # fmt: skip
    assert body[tags.index("REF")] == ["REF", "OI", move["name"]]
    assert "ITD" not in tags  # nothing is due to us on a credit note
    assert [s[1:5] for s in body if s[0] == "IT1"] == it1
    assert body[tags.index("TDS")] == ["TDS", str(cents(credit["amount_total"]))]
    assert credit["amount_total"] == move["amount_total"]
    back = stored(runtime, credit["name"])
    assert back.credit_note and back.original_invoice_number == move["name"]
    same(read_back(memo, "mercy"), back)


def test_an_edifact_customer_gets_an_invoic(
    runtime: Runtime, real_odoo: OdooDatabase, shop: Shop, books: dict[str, int]
) -> None:
    db = real_odoo
    recorder = Recorder()
    runtime.senders["sftp"] = recorder
    txn = ingest(runtime, orders_edifact("SJ0951", "SJ-951"), "orders.edi")
    assert txn.state == "delivered", (txn.error, exceptions(runtime, txn))
    [order] = sale_orders(db, shop.stjude, "SJ-951")
    assert order["state"] == "sale"  # St. Jude's orders are confirmed automatically
    gauze = lines_of(db, order["id"])[1]
    db.call("sale.order.line", "write", [gauze["id"]], {"discount": 5.0})
    invoice_id = invoice_order(db, order["id"], books, terms=True)
    move = posted(db, invoice_id)
    due = term_line(db, invoice_id)
    [data] = sent(runtime, recorder, "INVOIC_")
    text = data.decode()
    found = [s.strip() for s in text.split("'") if s.strip()]
    tags = [s.split("+")[0] for s in found]
    assert f"BGM+380+{move['name']}+9" in found
    assert tags[tags.index("BGM") :] == [
        "BGM", "DTM", "FTX", "RFF", "NAD", "NAD", "CUX",
        "PAT", "DTM", "PAT", "DTM", "PCD", "MOA",
        "ALC", "MOA",  # freight
        "LIN", "QTY", "MOA", "PRI", "RFF", "TAX",
        "LIN", "PIA", "QTY", "MOA", "PRI", "RFF", "TAX", "ALC", "PCD", "MOA",
        "UNS", "CNT", "MOA", "TAX", "MOA", "MOA", "UNT", "UNZ",
    ]  # fmt: skip
    # gauze: 100 x 4.00 = 400.00, 5 % off: 20.00 taken off, 380 the line's amount
    assert "ALC+A++++DI:::Discount 5 %" in found and "PCD+3:5" in found
    assert "MOA+204:20" in found and "MOA+203:380" in found
    assert "ALC+C++++FC:::[FRT-1] Freight" in found and "MOA+23:25" in found
    assert f"MOA+77:{Decimal(str(move['amount_total'])).normalize():f}" in found
    assert f"MOA+124:{Decimal(str(move['amount_tax'])).normalize():f}" in found
    assert "TAX+7+VAT+++:::8.25" in found
    invoice_date = dt.date.fromisoformat(move["invoice_date"])
    keep = (cents(due["amount_currency"]) - cents(due["discount_amount_currency"])) / 100
    assert "PAT+1++5:3:D:30" in found and "PAT+22++5:3:D:10" in found
    assert f"DTM+13:{move['invoice_date_due'].replace('-', '')}:102" in found
    assert f"DTM+12:{(invoice_date + dt.timedelta(days=10)).strftime('%Y%m%d')}:102" in found
    assert "PCD+12:2" in found and f"MOA+52:{Decimal(str(keep)).normalize():f}" in found
    ours = stored(runtime, move["name"])
    assert untaxed(ours) == Decimal(str(move["amount_untaxed"]))
    same(read_back(data, "stjude"), ours)
    # and its credit note is an INVOIC 381 naming the invoice, without payment terms
    credit = posted(db, reverse(db, invoice_id))
    [memo] = [d for d in sent(runtime, recorder, "INVOIC_") if d != data]
    found = [s.strip() for s in memo.decode().split("'") if s.strip()]
    assert f"BGM+381+{credit['name']}+9" in found and f"RFF+IV:{move['name']}" in found
    assert not [s for s in found if s.startswith(("PAT", "FTX"))]
    assert f"MOA+77:{Decimal(str(credit['amount_total'])).normalize():f}" in found
    back = stored(runtime, credit["name"])
    assert back.credit_note and back.original_invoice_number == move["name"]
    same(read_back(memo, "stjude"), back)
