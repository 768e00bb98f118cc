"""A purchase order the partner's syntax cannot carry fails alone, with a business exception.

The pipeline runs for real as in tests/outbound/test_change_pipeline.py: one order's line
description holds a character the writer refuses (an X12 element separator, a '€' under
UNOC); the partner's other order in the same poll is still sent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.canonical import ItemIds, PurchaseOrder, PurchaseOrderLine
from gateway.outbound import OutboundEnvelope, OutboundInvalid, OutboundLibrary, render, write
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, OutboundOrder
from tests.outbound.test_change_pipeline import REPO, TableOdoo, _line, _odoo, _run, _runtime

OUTBOUND = OutboundLibrary.load([REPO / "maps"])


def _second_order(odoo: TableOdoo) -> None:
    """A clean PO-7002 for the same supplier, written after PO-7001."""
    line = _line(odoo, 2, 3, 4)
    odoo.tables["purchase.order.line"][line]["order_id"] = [2, "PO-7002"]
    odoo.add("purchase.order", name="PO-7002", state="purchase", partner_id=[1, "Supplier"],
             company_id=False, currency_id=[1, "USD"], date_order="2026-12-02 08:00:00",
             date_approve="2026-12-02 08:05:00", date_planned="2026-12-10 00:00:00",
             partner_ref=False, picking_type_id=False, order_line=[line],
             write_date="2026-12-04 08:30:00")  # fmt: skip


@pytest.mark.parametrize(
    ("partner", "vendor_ref", "description", "where"),
    [
        ("summit-medical", "SUMMIT", "Gauze 4*4 sterile", "(PID), element 5"),
        ("summit-medical", "SUMMIT", "Gauze 4~4 sterile", "(PID), element 5"),
        ("nordlicht-medtech", "NORDLICHT", "Mull 5 € steril", "(IMD), element 3"),
    ],
)
def test_an_unwritable_order_fails_alone_with_an_exception_naming_the_field(
    tmp_path: Path, partner: str, vendor_ref: str, description: str, where: str
) -> None:
    # given two orders for one supplier, the first with a line description its syntax
    # (X12 delimiters, EDIFACT UNOC) cannot carry
    odoo, _ = _odoo(vendor_ref)
    odoo.tables["purchase.order.line"][1]["name"] = description
    _second_order(odoo)
    runtime, recorder = _runtime(tmp_path, partner, "send", odoo)
    # when the outbound poll runs (twice: the second finds nothing new)
    result = _run(runtime)
    _run(runtime)
    # then the poll reports no error, the clean order is sent and the other one failed
    assert (result.queued, result.failed) == (["PO-7002"], ["PO-7001"])
    assert [name.split("_")[1] for name, _ in recorder.files] == ["PO-7002"]
    with session_scope(runtime.sessions) as session:
        states = {o.business_key: o.state for o in session.scalars(select(OutboundOrder))}
        assert states == {"PO-7001": "failed", "PO-7002": "sent"}
        (exception,) = session.scalars(select(BusinessException)).all()
        # and the operator's exception names the segment, element and canonical field
        assert exception.kind == "order_not_sendable"
        assert "PO-7001" in exception.message
        assert where in exception.message
        assert "from lines[0].item.description" in exception.message


def _order(description: str) -> PurchaseOrder:
    line = PurchaseOrderLine(line_number="1", quantity=Decimal(2), uom="EA",
                             item=ItemIds(vendor_part="V1", description=description))  # fmt: skip
    return PurchaseOrder(po_number="PO-1", order_date=dt.date(2026, 12, 1), lines=[line])


@pytest.mark.parametrize(
    ("map_name", "syntax", "description", "finding"),
    [
        ("x12/004010/850", "UNOC", "Gauze 😀", "(PID), element 5: text cannot be encoded"),
        (
            "edifact/D96A/ORDERS",
            "UNOA",
            "Mull Köln",
            "(IMD), element 3: IMD element 3 component 4: 'Ö' is not in the UNOA",
        ),
    ],
)
def test_a_character_the_charset_cannot_carry_is_a_finding_not_a_crash(
    map_name: str, syntax: str, description: str, finding: str
) -> None:
    # given an order whose line description its partner's character set cannot carry
    map_ = OUTBOUND.get(map_name)
    env = OutboundEnvelope(sender_id="OURS", receiver_id="THEM", interchange_control=7,
                           edifact_syntax=syntax)  # fmt: skip
    # when it is written, then it is refused as our validator refuses, naming the field
    with pytest.raises(OutboundInvalid) as caught:
        write(map_, render(map_, _order(description)), env)
    (text,) = caught.value.findings
    assert finding in text and "from lines[0].item.description" in text


def test_an_envelope_value_that_cannot_be_written_is_named_without_a_body_position() -> None:
    # given a sender id longer than ISA06 allows (15)
    map_ = OUTBOUND.get("x12/004010/850")
    env = OutboundEnvelope(sender_id="S" * 16, receiver_id="THEM", interchange_control=7)
    # when a clean order is written, then the finding names ISA06, not a body segment
    with pytest.raises(OutboundInvalid) as caught:
        write(map_, render(map_, _order("Gauze")), env)
    (text,) = caught.value.findings
    assert text.startswith("interchange: ISA06 ") and "segment" not in text


@pytest.mark.parametrize("map_name", ["x12/004010/850", "edifact/D96A/ORDERS"])
def test_line_breaks_and_tabs_in_odoo_text_are_written_as_spaces(map_name: str) -> None:
    # given a line description typed over several lines in Odoo
    map_ = OUTBOUND.get(map_name)
    env = OutboundEnvelope(sender_id="OURS", receiver_id="THEM", interchange_control=7)
    order = _order("Swabs\r\n4x4 in,\n\nsterile\tbox")
    # when it is written, then each run of breaks and tabs is one space, and it validates
    written = write(map_, render(map_, order), env)
    assert b"Swabs 4x4 in, sterile box" in written.data
    assert b"\r" not in written.data and b"\t" not in written.data


def test_a_unoa_partner_gets_capitals_not_a_refusal() -> None:
    # given a partner whose syntax identifier is UNOA (no lower case) and Odoo's
    # mixed-case text
    map_ = OUTBOUND.get("edifact/D96A/ORDERS")
    env = OutboundEnvelope(sender_id="OURS", receiver_id="THEM", interchange_control=7,
                           edifact_syntax="UNOA")  # fmt: skip
    # when the order is written
    written = write(map_, render(map_, _order("Mull-Kompresse steril (10 St.)")), env)
    # then it goes out in capitals, declared UNOA, and parses back clean
    assert b"UNB+UNOA:3" in written.data
    assert b"MULL-KOMPRESSE STERIL (10 ST.)" in written.data
    assert not any(c.islower() for c in written.data.decode("ascii"))
