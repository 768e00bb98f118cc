"""The seller half of ``edi-gateway demo``: a hospital's order to cash.

Lakeside Regional Hospital (``partner_profiles/lakeside-hospital.yaml``, role customer)
buys from our distribution business (identity ``distributor``). The demo plays the
hospital and our staff, every step through the same Odoo calls a person's clicks make,
on the dry-run Odoo or on the real one when ``EDIGW_ODOO_*`` is set:

1. the hospital uploads its 850 over SFTP; the gateway makes a quotation of it;
2. the warehouse counts what is on the shelf (gloves in two lots with expiry dates,
   syringes; no gauze), and the sales desk confirms the order: Odoo reserves the stock,
   first in first out, and the gateway sends the 855 (gauze backordered);
3. the warehouse packs what was reserved, one package per product, and validates the
   delivery with a backorder for the gauze: an 856 with two packs, lots and expiry;
4. the gauze arrives, the backorder is reserved, packed and validated: a second 856;
5. accounting invoices the order and posts the invoice: an 810.

The hospital finds every document in its SFTP outbox and answers each with a 997 (the
gateway marks each accepted). :func:`play_seller` returns False
when a step did not happen as it should.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from gateway.documents import document_type
from gateway.odoo.api import OdooApi
from gateway.odoo.errors import OdooError
from gateway.pipeline.outbound import list_orders, poll
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Delivery, OutboundOrder

PARTNER = "lakeside-hospital"
SAMPLE = "850_purchase_order.edi"
PO_NUMBER = "LRH-PO-240871"


@dataclass(frozen=True)
class Stock:
    """Goods counted into WH/Stock for the customer's ``line`` (its n-th order line)."""

    line: int
    quantity: float
    lot: str | None = None
    expiry: str | None = None  # YYYY-MM-DD


# on the shelf when the order is confirmed: 12 + 30 gloves (the lot counted first, which
# also expires first, is reserved first), syringes; the gauze (line 3) arrives after the
# first delivery
SHELF = (
    Stock(1, 12, "GLV-2409A", "2027-09-30"),
    Stock(1, 30, "GLV-2503B", "2028-03-31"),
    Stock(2, 200),
)
ARRIVING = (Stock(3, 40),)
#: what each document must say for the demo to pass
EXPECTED_ACK = ["IA", "IA", "IB"]  # gloves and syringes accepted, gauze backordered


class SellerDemoError(Exception):
    """A step of the seller demo could not be played (names the step)."""


def sale_order_of(runtime: Runtime) -> int:
    """The sale order the hospital's 850 became (the delivery ledger names it)."""
    with runtime.sessions() as session:
        rows = session.scalars(
            select(Delivery).where(
                Delivery.partner_id == PARTNER, Delivery.business_key == PO_NUMBER
            )
        ).all()
    for delivery in rows:
        for record in delivery.records or []:
            if record.get("model") == "sale.order":
                return int(record["id"])
    raise SellerDemoError(f"{PO_NUMBER} did not become a sale order (see the table above)")


def products_by_line(odoo: OdooApi, order_id: int) -> dict[int, int]:
    """The customer's line number -> our product, from the sale order's lines."""
    lines = odoo.search_read(
        "sale.order.line", [["order_id", "=", order_id]], ["sequence", "product_id"]
    )
    return {int(x["sequence"]): int(x["product_id"][0]) for x in lines if x.get("product_id")}


def count_stock(odoo: OdooApi, products: dict[int, int], goods: tuple[Stock, ...]) -> list[str]:
    """The warehouse counts goods into WH/Stock (lots created with their expiry dates), as
    Odoo's inventory adjustment does; returns a line per count."""
    [warehouse] = odoo.search_read("stock.warehouse", [], ["lot_stock_id"], limit=1)
    location = int(warehouse["lot_stock_id"][0])
    out = []
    for item in goods:
        product = products[item.line]
        values: dict[str, Any] = {
            "product_id": product,
            "location_id": location,
            "inventory_quantity": item.quantity,
        }
        if item.lot is not None:
            [row] = odoo.read("product.product", [product], ["tracking"])
            if row.get("tracking") != "lot":  # the dry run's made-up product: tracked as ours
                odoo.write("product.product", [product], {"tracking": "lot"})
            values["lot_id"] = odoo.create(
                "stock.lot",
                {"name": item.lot, "product_id": product,
                 "expiration_date": f"{item.expiry} 00:00:00"},
            )  # fmt: skip
        quant = odoo.create("stock.quant", values, context={"inventory_mode": True})
        odoo.call("stock.quant", "action_apply_inventory", ids=[quant])
        lot = f" lot {item.lot} (expires {item.expiry})" if item.lot else ""
        out.append(f"line {item.line}: {item.quantity:g} counted into stock{lot}")
    return out


def open_delivery(odoo: OdooApi, order_id: int) -> dict[str, Any]:
    """The sale order's delivery that is not done yet."""
    rows = odoo.search_read(
        "stock.picking",
        [["sale_id", "=", order_id], ["state", "not in", ["done", "cancel"]]],
        ["name", "state", "move_ids"],
    )
    if not rows:
        raise SellerDemoError(f"the sale order {order_id} has no open delivery")
    return rows[0]


def pack_and_validate(odoo: OdooApi, picking: dict[str, Any]) -> list[str]:
    """Put each reserved product in a package of its own, mark it picked, validate (a
    partial delivery answers the backorder wizard with *create a backorder*)."""
    quantity = odoo.dialect.field("stock.move.line", "quantity")
    moves = odoo.read("stock.move", picking["move_ids"], ["product_id", "move_line_ids"])
    out = []
    for move in moves:
        lines = odoo.read("stock.move.line", move["move_line_ids"], [quantity, "lot_id"])
        lines = [x for x in lines if float(x.get(quantity) or 0) > 0]
        if not lines:
            continue
        package = odoo.create(odoo.dialect.package_model, {})
        [named] = odoo.read(odoo.dialect.package_model, [package], ["name"])
        odoo.write(
            "stock.move.line",
            [int(x["id"]) for x in lines],
            {"result_package_id": package, "picked": True},
        )
        odoo.write("stock.move", [int(move["id"])], {"picked": True})
        lots = ", ".join(str(x["lot_id"][1]) for x in lines if x.get("lot_id"))
        total = sum(float(x[quantity]) for x in lines)
        out.append(
            f"{total:g} x {move['product_id'][1]} in {named['name']}"
            + (f" ({lots})" if lots else "")
        )
    result = odoo.call("stock.picking", "button_validate", ids=[int(picking["id"])])
    if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
        context = result.get("context") or {}
        wizard = odoo.create("stock.backorder.confirmation", {}, context=context)
        odoo.call("stock.backorder.confirmation", "process", ids=[wizard], context=context)
        out.append("validated with a backorder for the rest")
    else:
        out.append("validated")
    return out


def invoice(odoo: OdooApi, order_id: int) -> str:
    """Invoice the order (Create invoice → Regular invoice) and post the invoice."""
    context = {"active_model": "sale.order", "active_ids": [order_id], "active_id": order_id}
    wizard = odoo.create(
        "sale.advance.payment.inv", {"advance_payment_method": "delivered"}, context=context
    )
    odoo.call("sale.advance.payment.inv", "create_invoices", ids=[wizard], context=context)
    [order] = odoo.read("sale.order", [order_id], ["invoice_ids"])
    drafts = odoo.read("account.move", order["invoice_ids"], ["state"])
    ids = [int(x["id"]) for x in drafts if x.get("state") == "draft"]
    odoo.call("account.move", "action_post", ids=ids)
    [posted] = odoo.read("account.move", ids[:1], ["name", "amount_total"])
    return f"invoice {posted['name']} posted, total {posted['amount_total']:.2f}"


def send_due(runtime: Runtime, wanted: int, timeout: float = 30) -> list[dict[str, Any]]:
    """The scheduler's outbound poll; waits until ``wanted`` documents for the hospital
    left the queue and returns them, oldest first."""
    result = poll(runtime, partner_id=PARTNER)
    if result.errors:
        raise SellerDemoError("; ".join(result.errors))
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        with runtime.sessions() as session:
            rows = list(reversed(list_orders(session, partner_id=PARTNER)))
        if len(rows) >= wanted and all(r["state"] != "queued" for r in rows):
            break
        time.sleep(0.2)
    return rows


def _sent(console: Console, rows: list[dict[str, Any]], already: int) -> bool:
    ok = True
    for row in rows[already:]:
        label = document_type(row["document_type"]).label
        good = row["state"] == "sent"
        ok &= good
        mark = "[green]→[/]" if good else "[red]✗[/]"
        console.print(
            f"  {mark} {label} {row['set']} {row['po_number']} to {row['partner_id']} over "
            f"{row['transport']}, interchange {row['interchange_control']}: {row['state']}"
            + ("" if good else f" {row.get('error') or ''}")
        )
    return ok


def _stored(runtime: Runtime, row_id: int) -> dict[str, Any]:
    """The canonical document stored with an outbound row (what was written)."""
    with runtime.sessions() as session:
        stored = session.get(OutboundOrder, row_id)
        return dict(stored.document or {}) if stored is not None else {}


def _packs(runtime: Runtime, row: dict[str, Any]) -> list[str]:
    """A line per pack of a sent ship notice: its SSCC-18 and what is in it."""
    packs: dict[str, list[str]] = {}
    for order in _stored(runtime, row["id"]).get("orders", []):
        for line in order.get("lines", []):
            lot = (
                f" lot {line['lot_number']} exp {line['expiry_date']}"
                if line.get("lot_number")
                else ""
            )
            quantity = Decimal(str(line["quantity"])).normalize()
            what = f"line {line.get('po_line_number')}: {quantity:f}{lot}"
            packs.setdefault(str(line.get("sscc") or "no package"), []).append(what)
    return [f"pack SSCC {sscc}: " + "; ".join(lines) for sscc, lines in packs.items()]


GROUP_CODES = {"855": "PR", "856": "SH", "810": "IN"}  # GS01 of the group a 997 answers


def hospital_997(runtime: Runtime, row: dict[str, Any], control: int) -> bytes:
    """The hospital's 997 accepting one document we sent it (its group and set)."""
    with runtime.sessions() as session:
        sent = session.get(OutboundOrder, row["id"])
        st02 = sent.transaction_control if sent is not None else ""
    them, us = "LAKESIDEHOSP", "MERIDIANDIST"
    body = [
        f"AK1*{GROUP_CODES[row['set']]}*{row['group_control']}",
        f"AK2*{row['set']}*{st02}",
        "AK5*A",
        "AK9*A*1*1*1",
    ]
    segments = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{them:<15}*ZZ*{us:<15}*261208*1000*U*00401*"
        f"{control:09d}*0*P*>",
        f"GS*FA*{them}*{us}*20261208*1000*{control}*X*004010",
        "ST*997*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return ("~\n".join(segments) + "~\n").encode()


def _ack_codes(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        rows = list_orders(session, partner_id=PARTNER)
    from_odoo = [r for r in rows if r["document_type"] == "order_acknowledgement"]
    if not from_odoo:
        return []
    document = _stored(runtime, from_odoo[0]["id"])
    return [str(line.get("status_code") or "") for line in document.get("lines", [])]


def play_seller(
    console: Console,
    runtime: Runtime,
    upload: Callable[[str, bytes], str],
    settle: Callable[[int], bool],
    sample: bytes,
) -> bool:
    """Play the hospital and our staff through order to cash (see the module docstring).

    ``upload(filename, data)`` sends the hospital's file over SFTP, ``settle(n)`` waits
    until the gateway processed the hospital's first ``n`` files."""
    odoo = runtime.odoo
    console.rule("[bold]the seller side: Lakeside Regional Hospital orders from us")
    ok = True
    try:
        console.print(f"  [green]→[/] {PARTNER} sftp {SAMPLE}: {upload(SAMPLE, sample)}")
        ok &= settle(1)
        odoo.begin_document(f"demo_{PARTNER}_order_to_cash")
        order_id = sale_order_of(runtime)
        [order] = odoo.read("sale.order", [order_id], ["name", "state"])
        state = {"draft": "a quotation", "sale": "confirmed"}.get(order["state"], order["state"])
        console.print(f"  sale order {order['name']} ({state}) made from {PO_NUMBER}")
        products = products_by_line(odoo, order_id)
        console.print("[bold]the warehouse counts its shelf[/]")
        for line in count_stock(odoo, products, SHELF):
            console.print(f"  {line}")
        console.print(f"[bold]the sales desk confirms {order['name']}[/] → 855")
        if order["state"] in ("draft", "sent"):
            odoo.call("sale.order", "action_confirm", ids=[order_id])
        ok &= _sent(console, send_due(runtime, 1), 0)
        codes = _ack_codes(runtime)
        good = codes == EXPECTED_ACK
        ok &= good
        console.print(
            f"  {'[green]' if good else '[red]'}line statuses (ACK01): {', '.join(codes)}[/]"
            " (gauze backordered: nothing of it on the shelf)"
        )
        console.print("[bold]the warehouse packs what was reserved and ships[/] → 856")
        first = open_delivery(odoo, order_id)
        for line in pack_and_validate(odoo, first):
            console.print(f"  {first['name']}: {line}")
        rows = send_due(runtime, 2)
        ok &= _sent(console, rows, 1)
        packs = _packs(runtime, rows[1]) if len(rows) > 1 else []
        ok &= len(packs) == 2  # gloves (two lots) and syringes, each in its package
        for line in packs:
            console.print(f"    {line}")
        console.print("[bold]the gauze arrives; the backorder ships[/] → second 856")
        for line in count_stock(odoo, products, ARRIVING):
            console.print(f"  {line}")
        backorder = open_delivery(odoo, order_id)
        odoo.call("stock.picking", "action_assign", ids=[int(backorder["id"])])
        for line in pack_and_validate(odoo, backorder):
            console.print(f"  {backorder['name']}: {line}")
        rows = send_due(runtime, 3)
        ok &= _sent(console, rows, 2)
        for line in _packs(runtime, rows[2]) if len(rows) > 2 else []:
            console.print(f"    {line}")
        console.print("[bold]accounting invoices the order[/] → 810")
        console.print(f"  {invoice(odoo, order_id)}")
        rows = send_due(runtime, 4)
        ok &= _sent(console, rows, 3)
        kinds = [r["set"] for r in rows]
        good = kinds == ["855", "856", "856", "810"]
        ok &= good
        console.print(f"  {'[green]' if good else '[red]'}sent to {PARTNER}: {', '.join(kinds)}[/]")
        console.print(f"[bold]{PARTNER} answers each with a 997[/]")
        for n, row in enumerate(rows, 1):
            name = f"997_{row['set']}_{row['interchange_control']}.edi"
            upload(name, hospital_997(runtime, row, 240900 + n))
            ok &= settle(1 + n)
        with runtime.sessions() as session:
            states = [r["state"] for r in reversed(list_orders(session, partner_id=PARTNER))]
        good = states == ["accepted"] * 4
        ok &= good
        console.print(f"  {'[green]' if good else '[red]'}our documents: {', '.join(states)}[/]")
    except (OdooError, SellerDemoError) as exc:
        console.print(f"  [red]✗ {type(exc).__name__}: {exc}[/]")
        return False
    report_seller(console, runtime)
    return ok


def report_seller(console: Console, runtime: Runtime) -> None:
    """What we sent the hospital (``edi-gateway outbound list --partner``)."""
    with runtime.sessions() as session:
        rows = list(reversed(list_orders(session, partner_id=PARTNER)))
    table = Table(title=f"what we sent {PARTNER} (edi-gateway outbound list)", show_lines=True)
    for column in ("document", "for", "sent as", "state"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            document_type(row["document_type"]).label,
            row["po_number"],
            f"{row['set']} {row['interchange_control']} over {row['transport']}",
            row["state"],
        )
    console.print(table)
