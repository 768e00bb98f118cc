"""The outbound 810 maps (004010/005010) and INVOIC maps (D96A/D01B): an invoice or a
credit note to a customer passes our own validator and our own inbound map reads it back
to the same canonical invoice - the total in implied cents (TDS) / MOA+77, taxes per
document and per line (TXI / TAX+MOA), allowances and charges per document and per line
with their percent (SAC / ALC+PCD+MOA), payment terms with an early-payment discount
(ITD / PAT+DTM+PCD+MOA), the customer's line numbers (REF*LI / RFF+LI), and a credit
note's type and original invoice (BIG07 CR + REF*OI / BGM 381 + RFF+IV)."""

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


def discounted(credit_note: bool = False, edifact: bool = False) -> Invoice:
    """Line 2 at 10 % off, a freight charge, 15 % tax on both lines, 2 % 10 net 30."""
    doc = invoice()
    doc.credit_note = credit_note
    doc.original_invoice_number = "INV/2026/00011" if credit_note else None
    doc.lines[0].amount = Decimal("127.50") if edifact else None
    doc.lines[1].amount = Decimal("60.75") if edifact else None
    # the document's taxes and allowances first, the lines' after (as maps read them)
    doc.taxes = [
        Tax(
            tax_type="VAT" if edifact else "ST",
            rate=Decimal(15),
            amount=Decimal("28.24"),
            taxable_amount=Decimal("188.25"),
        ),
        Tax(tax_type="VAT" if edifact else "ST", rate=Decimal(15), line_number="1"),
        Tax(tax_type="VAT" if edifact else "ST", rate=Decimal(15), line_number="2"),
    ]
    doc.allowances_charges = [
        AllowanceCharge(
            kind="charge", code="FC" if edifact else "D240", amount=Decimal("12.50"),
            description="Freight",
        ),
        AllowanceCharge(
            kind="allowance", code="DI" if edifact else "C310", amount=Decimal("6.75"),
            percent=Decimal(10), line_number="2",
        ),
    ]  # fmt: skip
    due, early = dt.date(2027, 1, 5), dt.date(2026, 12, 16)
    if edifact:
        doc.payment_terms = [
            PaymentTerms(type_code="1", basis_code="5", net_days=30, net_due_date=due),
            PaymentTerms(
                type_code="22", basis_code="5", discount_days=10, discount_due_date=early,
                discount_percent=Decimal(2), discount_amount=Decimal("4.01"),
            ),
        ]  # fmt: skip
    else:
        doc.payment_terms = [
            PaymentTerms(
                type_code="08", basis_code="3", discount_percent=Decimal(2),
                discount_due_date=early, discount_days=10, net_due_date=due, net_days=30,
                discount_amount=Decimal("4.01"), description="30 Days",
            )
        ]  # fmt: skip
    doc.total_amount = Decimal("229.24")
    return doc


def _read_back(data: bytes, syntax: str, version: str, set_id: str) -> Invoice:
    payload = parse_payload(data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    ids = (
        {"x12": {"isa_qualifier": "ZZ", "isa_id": "MERCY", "version": version}}
        if set_id == "810"
        else {"edifact": {"unb_id": "MERCY", "directory": version}}
    )
    profile = PartnerProfile.model_validate({"id": "mercy", "name": "M", **ids})
    inbound = INBOUND.map_for(profile, syntax, version, set_id)
    back = translate(
        transaction, interchange=interchange, group=group, map=inbound, profile=profile
    ).document
    assert isinstance(back, Invoice)
    return back


def _same(back: Invoice, doc: Invoice) -> None:
    theirs = back.model_dump(exclude={"source"}, exclude_none=True)
    theirs.pop("dates", None)
    assert theirs == doc.model_dump(exclude={"source"}, exclude_none=True)


@pytest.mark.parametrize("credit_note", [False, True])
@pytest.mark.parametrize("version", ["004010", "005010"])
def test_taxes_discounts_charges_terms_and_credit_notes_in_an_810(
    version: str, credit_note: bool
) -> None:
    doc = discounted(credit_note)
    map_ = OUTBOUND.get(f"x12/{version}/810")
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=6,
                           when=WHEN)  # fmt: skip
    written = write(map_, render(map_, doc), env)
    body = [s.strip().split("*") for s in written.data.decode().split("~") if s.strip()]
    tags = [s[0] for s in body]
    assert tags[tags.index("BIG") :] == [
        "BIG", "CUR", *(["REF"] if credit_note else []), "N1", "N1", "ITD",
        "IT1", "TXI", "REF",  # line 1: its tax (type, percent), its PO line
        "IT1", "TXI", "REF", "SAC",  # line 2: and its discount
        "TDS", "TXI", "SAC", "CTT", "SE", "GE", "IEA",
    ]  # fmt: skip
    big = body[tags.index("BIG")]
    assert big[7:] == (["CR"] if credit_note else [])
    if credit_note:
        assert body[tags.index("REF")] == ["REF", "OI", "INV/2026/00011"]
    assert ["SAC", "A", "C310", "", "", "675", "3", "10"] in body  # 6.75 off is 10 %
    freight = ["SAC", "C", "D240", "", "", "1250", *[""] * 9, "Freight"]
    assert freight in body
    assert ["TXI", "ST", "28.24", "15", "", "", "", "", "188.25"] in body
    assert ["TDS", "22924"] in body
    assert body[tags.index("ITD")] == [
        "ITD", "08", "3", "2", "20261216", "10", "20270105", "30", "401", "", "", "", "30 Days"
    ]  # fmt: skip
    _same(_read_back(written.data, "x12", version, "810"), doc)


@pytest.mark.parametrize("credit_note", [False, True])
@pytest.mark.parametrize("directory", ["D96A", "D01B"])
def test_an_invoic_we_write_reads_back_the_same(directory: str, credit_note: bool) -> None:
    doc = discounted(credit_note, edifact=True)
    map_ = OUTBOUND.get(f"edifact/{directory}/INVOIC")
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=7,
                           when=WHEN)  # fmt: skip
    written = write(map_, render(map_, doc), env)  # our own validator passed it
    text = written.data.decode()
    segments = [s.strip() for s in text.split("'") if s.strip()]
    assert f"BGM+{'381' if credit_note else '380'}+INV/2026/00012+9" in segments
    assert ("RFF+IV:INV/2026/00011" in segments) is credit_note
    tags = [s.split("+")[0] for s in segments]
    assert tags[tags.index("BGM") :] == [
        "BGM", "DTM", "FTX", "RFF", *(["RFF"] if credit_note else []), "NAD", "NAD", "CUX",
        "PAT", "DTM", "PAT", "DTM", "PCD", "MOA",  # net 30; 2 % if paid within 10 days
        "ALC", "MOA",  # freight
        "LIN", "QTY", "MOA", "PRI", "RFF", "TAX",  # the GTIN is in LIN
        "LIN", "PIA", "QTY", "MOA", "PRI", "RFF", "TAX", "ALC", "PCD", "MOA",
        "UNS", "CNT", "MOA", "TAX", "MOA", "MOA", "UNT", "UNZ",
    ]  # fmt: skip
    assert "ALC+A++++DI" in segments and "PCD+3:10" in segments and "MOA+204:6.75" in segments
    assert "ALC+C++++FC:::Freight" in segments and "MOA+23:12.5" in segments
    assert "MOA+77:229.24" in segments and "MOA+124:28.24" in segments
    assert "PAT+22++5:3:D:10" in segments and "PAT+1++5:3:D:30" in segments
    _same(_read_back(written.data, "edifact", directory, "INVOIC"), doc)


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
