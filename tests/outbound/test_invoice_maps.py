"""The outbound 810 maps (004010/005010): an invoice to a customer passes our own
validator and our own inbound 810 map reads it back to the same canonical invoice - the
total in implied cents (TDS), taxes (TXI), allowances and charges (SAC), payment terms
(ITD) and the customer's line numbers (REF*LI). The Odoo side (a posted customer
invoice as the source) is not built yet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.canonical import (
    AllowanceCharge,
    Invoice,
    InvoiceLine,
    ItemIds,
    Party,
    PaymentTerms,
    Tax,
)
from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, translate
from gateway.outbound import OutboundEnvelope, OutboundLibrary, render, write
from gateway.partners.profile import PartnerProfile

REPO = Path(__file__).resolve().parents[2]
OUTBOUND = OutboundLibrary.load([REPO / "maps"])
INBOUND = MapLibrary.load([REPO / "maps"])
WHEN = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def invoice() -> Invoice:
    return Invoice(
        invoice_number="INV/2026/00012",
        invoice_date=dt.date(2026, 12, 6),
        po_number="MH-5001",
        currency="USD",
        terms="30 Days",  # the inbound map keeps ITD12 as the terms' text too
        seller=Party(name="MERIDIAN HEALTH SUPPLY", gln="0614141000005"),
        buyer=Party(name="MERCY HOSPITAL"),
        payment_terms=[
            PaymentTerms(type_code="01", basis_code="3", net_days=30, description="30 Days")
        ],
        lines=[
            InvoiceLine(
                line_number="1",
                po_line_number="1",
                quantity=Decimal(15),
                uom="EA",
                unit_price=Decimal("8.5"),
                item=ItemIds(gtin="00017953755437"),
            ),
            InvoiceLine(
                line_number="2",
                po_line_number="2",
                quantity=Decimal(5),
                uom="EA",
                unit_price=Decimal("13.5"),
                item=ItemIds(vendor_part="SYR-1"),
            ),
        ],
        taxes=[Tax(tax_type="ST", amount=Decimal("29.25"), rate=Decimal("15"))],
        allowances_charges=[
            AllowanceCharge(
                kind="charge", code="D240", amount=Decimal("12.50"), description="FREIGHT"
            ),
        ],
        total_amount=Decimal("236.25"),
    )


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_810_we_write_reads_back_the_same(version: str) -> None:
    doc = invoice()
    map_ = OUTBOUND.get(f"x12/{version}/810")
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=5,
                           when=WHEN)  # fmt: skip
    written = write(map_, render(map_, doc), env)  # our own validator passed it
    text = written.data.decode()
    assert "BIG*20261206*INV/2026/00012**MH-5001~" in text
    assert "TDS*23625~" in text and "SAC*C*D240***1250" in text and "TXI*ST*29.25*15~" in text
    assert "ITD*01*3*****30*****30 Days~" in text and "REF*LI*2~" in text
    payload = parse_payload(written.data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    profile = PartnerProfile.model_validate(
        {"id": "mercy", "name": "M", "x12": {"isa_qualifier": "ZZ", "isa_id": "MERCY",
                                              "version": version}}
    )  # fmt: skip
    inbound = INBOUND.map_for(profile, "x12", version, "810")
    back = translate(
        transaction, interchange=interchange, group=group, map=inbound, profile=profile
    ).document
    assert isinstance(back, Invoice)
    theirs = back.model_dump(exclude={"source"}, exclude_none=True)
    ours = doc.model_dump(exclude={"source"}, exclude_none=True)
    theirs.pop("dates", None)
    assert theirs == ours
