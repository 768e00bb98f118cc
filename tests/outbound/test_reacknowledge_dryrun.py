"""A confirmed sale order changed within the second the poll saw it, on the dry-run Odoo:
Odoo's ``write_date`` has whole seconds, so the change leaves the stamp the poll saw, and
the poll compares the sale order's content (not the customer's ask) to find it. A
customer change we refused, with nothing changed in Odoo, is not told on its own."""

from __future__ import annotations

from pathlib import Path

from gateway.demo import SAMPLES
from gateway.demo_seller import PARTNER, PO_NUMBER, sale_order_of
from gateway.engines import parse_payload
from gateway.odoo.memory.orm import clock_at
from gateway.pipeline.outbound import poll
from tests.outbound.dry_run import dry_run_runtime, shipped_profile
from tests.pipeline.test_customer_orders import ingest


def _acks(data: bytes) -> list[tuple[str, str]]:
    [interchange] = parse_payload(data).interchanges
    [transaction] = interchange.groups[0].transactions
    return [(s.elements[0], s.elements[1]) for s in transaction.segments if s.tag == "ACK"]


def test_a_change_within_the_second_the_poll_saw_sends_one_replacing_855(
    tmp_path: Path,
) -> None:
    profile = shipped_profile(PARTNER)
    profile["sftp"]["hosted"].pop("authorized_keys", None)
    runtime, hospital = dry_run_runtime(tmp_path, {PARTNER: profile})

    def round_() -> list[str]:
        result = poll(runtime, partner_id=PARTNER)
        assert not result.errors, result.errors
        runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
        return result.changed

    # given the hospital's 850 became a sale order the sales desk confirmed, and its 855
    # went out
    sample = (SAMPLES / PARTNER / "850_purchase_order.edi").read_bytes()
    assert ingest(runtime, sample, "850.edi").state == "delivered"
    odoo = runtime.odoo
    order_id = sale_order_of(runtime)
    odoo.call("sale.order", "action_confirm", ids=[order_id])
    round_()
    assert [name.split("_")[0] for name, _ in hospital.files] == ["855"]
    first = _acks(hospital.files[0][1])
    # and a poll of the untouched order sends nothing
    assert round_() == [] and len(hospital.files) == 1
    # when the sales desk lowers the first line within the second the poll saw the order
    # in (the same whole-second write_date)
    [seen] = odoo.read("sale.order", [order_id], ["order_line", "write_date"])
    lines = odoo.read("sale.order.line", seen["order_line"], ["product_uom_qty", "sequence"])
    line = min(lines, key=lambda x: x["sequence"])
    fewer = line["product_uom_qty"] - 1
    with clock_at(seen["write_date"]):
        odoo.write("sale.order.line", [line["id"]], {"product_uom_qty": fewer})
    [after] = odoo.read("sale.order", [order_id], ["write_date"])
    assert after["write_date"] == seen["write_date"]
    # then the next poll sends one replacing 855 (BAK01 05) with that line changed (IQ)
    assert round_() == [PO_NUMBER]
    assert [name.split("_")[0] for name, _ in hospital.files] == ["855", "855"]
    second = hospital.files[1][1]
    assert b"BAK*05*" in second
    assert _acks(second)[0] == ("IQ", f"{fewer:g}") and _acks(second)[1:] == first[1:]
    # and polling again (the same stamp, the same content) sends nothing more
    assert round_() == [] and len(hospital.files) == 2
