"""The outbound 846/832 (004010, 005010) and INVRPT/PRICAT (D96A, D01B) maps: what we
write for a customer passes our own validator, carries the codes the maps document, and
our own inbound maps read it back to the same canonical document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.canonical import (
    CatalogPrice,
    InventoryAdvice,
    InventoryLine,
    ItemIds,
    Party,
    PriceCatalog,
    PriceCatalogLine,
)
from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, translate
from gateway.outbound import OutboundEnvelope, OutboundInvalid, OutboundLibrary, render, write
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.outbound_kinds import INVENTORY_ADVICES, outbound_map_name

REPO = Path(__file__).resolve().parents[2]
OUTBOUND = OutboundLibrary.load([REPO / "maps"])
INBOUND = MapLibrary.load([REPO / "maps"])
WHEN = dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 5)
MAPS = [
    ("x12", "004010", "846", "832"),
    ("x12", "005010", "846", "832"),
    ("edifact", "D96A", "INVRPT", "PRICAT"),
    ("edifact", "D01B", "INVRPT", "PRICAT"),
]


def advice() -> InventoryAdvice:
    return InventoryAdvice(
        report_number="846-MERCY-7",
        report_date=TODAY,
        seller=Party(name="MERIDIAN HEALTH SUPPLY", gln="0614141000005"),
        buyer=Party(name="MERCY HOSPITAL"),
        lines=[
            InventoryLine(
                line_number="1",
                item=ItemIds(
                    vendor_part="GLV-100",
                    buyer_part="MH-GLOVE-M",
                    gtin="00614141000128",
                    description="Nitrile gloves M",
                ),
                on_hand=Decimal("120"),
                forecast=Decimal("95.5"),
                uom="EA",
                as_of=TODAY,
            ),
            # more promised than held: the forecast is negative
            InventoryLine(
                line_number="2",
                item=ItemIds(vendor_part="SYR-10", ndc="12345-678-90"),
                on_hand=Decimal("0"),
                forecast=Decimal("-12"),
                uom="EA",
                as_of=TODAY,
            ),
        ],
    )


def catalog() -> PriceCatalog:
    return PriceCatalog(
        catalog_number="PL7-3",
        catalog_date=TODAY,
        currency="USD",
        seller=Party(name="MERIDIAN HEALTH SUPPLY", gln="0614141000005"),
        buyer=Party(name="MERCY HOSPITAL"),
        lines=[
            PriceCatalogLine(
                line_number="1",
                item=ItemIds(vendor_part="GLV-100", buyer_part="MH-GLOVE-M", gtin="00614141000128"),
                uom="EA",
                pack_size=Decimal("100"),
                prices=[
                    CatalogPrice(unit_price=Decimal("8.5")),
                    CatalogPrice(
                        unit_price=Decimal("7.9"),
                        min_quantity=Decimal("50"),
                        effective_from=dt.date(2026, 12, 1),
                        effective_to=dt.date(2026, 12, 31),
                    ),
                ],
            ),
            PriceCatalogLine(
                line_number="2",
                item=ItemIds(vendor_part="SYR-10", hibcc="+H123SYR101"),
                uom="BX",
                prices=[CatalogPrice(unit_price=Decimal("13.25"))],
            ),
        ],
    )


def _profile(syntax: str, version: str) -> PartnerProfile:
    ids = (
        {"x12": {"isa_qualifier": "ZZ", "isa_id": "MERCY", "version": version}}
        if syntax == "x12"
        else {"edifact": {"unb_id": "MERCY", "directory": version}}
    )
    return PartnerProfile.model_validate({"id": "mercy", "name": "Mercy", **ids})


def _round_trip(syntax: str, version: str, set_id: str, doc: object) -> tuple[str, object]:
    map_ = OUTBOUND.get(f"{syntax}/{version}/{set_id}")
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=7,
                           when=WHEN)  # fmt: skip
    written = write(map_, render(map_, doc), env)  # type: ignore[arg-type]
    payload = parse_payload(written.data)
    (interchange,) = payload.interchanges
    (group,) = interchange.groups
    (transaction,) = group.transactions
    assert not [i for i in transaction.issues if i.fatal]
    profile = _profile(syntax, version)
    inbound = INBOUND.map_for(profile, syntax, version, set_id)
    back = translate(
        transaction, interchange=interchange, group=group, map=inbound, profile=profile
    ).document
    return written.data.decode().replace("\n", "").replace("\r", ""), back


@pytest.mark.parametrize(("syntax", "version", "advice_set", "_c"), MAPS)
def test_an_inventory_advice_we_write_reads_back_the_same(
    syntax: str, version: str, advice_set: str, _c: str
) -> None:
    doc = advice()
    text, back = _round_trip(syntax, version, advice_set, doc)
    if syntax == "x12":
        assert "BIA*00*SI*846-MERCY-7*20261205~" in text
        assert "LIN*1*VP*GLV-100*BP*MH-GLOVE-M*UK*00614141000128~" in text
        assert "QTY*17*120*EA~QTY*33*95.5*EA~" in text and "QTY*33*-12*EA~" in text
        assert "DTM*007*20261205~" in text and "CTT*2~" in text
    else:
        assert "BGM+35+846-MERCY-7+9'" in text
        order = "INV++++1'QTY+145:120:EA'" if version == "D01B" else "QTY+145:120:EA'INV++++1'"
        assert order in text and "QTY+99:-12:EA'" in text and "DTM+7:20261205:102'" in text
    assert isinstance(back, InventoryAdvice)
    theirs = back.model_dump(exclude={"source"}, exclude_none=True)
    assert theirs == doc.model_dump(exclude={"source"}, exclude_none=True)


@pytest.mark.parametrize(("syntax", "version", "_a", "catalog_set"), MAPS)
def test_a_price_catalog_we_write_reads_back_the_same(
    syntax: str, version: str, _a: str, catalog_set: str
) -> None:
    doc = catalog()
    text, back = _round_trip(syntax, version, catalog_set, doc)
    if syntax == "x12":
        assert "BCT*PC*PL7-3~DTM*097*20261205~CUR*SE*USD~" in text
        assert "PO4*100*1*EA~CTP**CON*8.5~CTP**CON*7.9*50*EA~DTM*007*20261201~" in text
        assert "DTM*036*20261231~" in text and "PO4***BX~CTP**CON*13.25~" in text
    else:
        assert "BGM+9+PL7-3+9'" in text and "CUX+2:USD:8'PGI+1'" in text
        assert "QTY+52:100:EA'PRI+AAA:8.5::::EA'PRI+AAA:7.9::::EA'RNG+4+EA:50'" in text
        assert "DTM+157:20261201:102'DTM+36:20261231:102'" in text
    assert isinstance(back, PriceCatalog)
    theirs = back.model_dump(exclude={"source"}, exclude_none=True)
    assert theirs == doc.model_dump(exclude={"source"}, exclude_none=True)


def test_a_product_without_any_identifier_fails_our_own_validation() -> None:
    # given a product with neither our code nor a barcode (LIN02/03 are mandatory)
    doc = advice()
    doc.lines[1].item = ItemIds(description="Unnamed")
    map_ = OUTBOUND.get("x12/004010/846")
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=8)
    # then it is not written, and the finding names the segment and the canonical field
    with pytest.raises(OutboundInvalid, match=r"LIN.*lines\[1\]"):
        write(map_, render(map_, doc), env)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_fractional_pack_size_is_refused_by_the_832_not_cut(version: str) -> None:
    # given a catalog line sold in packs of 2.5 (PO401 is a whole number, N0)
    doc = catalog()
    doc.lines[0].pack_size = Decimal("2.5")
    map_ = OUTBOUND.get(f"x12/{version}/832")
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=8)
    # when it is rendered, then it is refused naming the element and the canonical field
    with pytest.raises(OutboundInvalid) as caught:
        write(map_, render(map_, doc), env)
    (finding,) = caught.value.findings
    assert "(PO4), element 1: 2.5 is not a whole number [int]" in finding
    assert "from lines[0].pack_size" in finding


@pytest.mark.parametrize(("syntax", "version", "_a", "catalog_set"), MAPS)
def test_a_whole_pack_size_with_trailing_zeros_is_written_as_a_whole_number(
    syntax: str, version: str, _a: str, catalog_set: str
) -> None:
    # given a pack size Odoo keeps with decimals (100.000000)
    doc = catalog()
    doc.lines[0].pack_size = Decimal("100.000000")
    # when it is written, then it is the whole number, and the EDIFACT QTY keeps fractions
    text, _ = _round_trip(syntax, version, catalog_set, doc)
    assert ("PO4*100*1*EA~" if syntax == "x12" else "QTY+52:100:EA'") in text
    if syntax == "edifact":
        doc.lines[0].pack_size = Decimal("2.5")
        assert "QTY+52:2.5:EA'" in _round_trip(syntax, version, catalog_set, doc)[0]


def test_a_partner_override_map_replaces_the_codes(tmp_path: Path) -> None:
    # given a partner whose guide wants QTY 33 only (no on-hand figure) as their override
    override = tmp_path / "outbound" / "overrides" / "mercy"
    override.mkdir(parents=True)
    (override / "846.yaml").write_text(
        "extends: x12/004010/846\n"
        "description: Mercy's 846\n"
        "segments:\n"
        '  - {tag: BIA, elements: ["00", MM, "{report_number}", "{report_date|date}"]}\n'
        "  - each: lines\n"
        "    as: line\n"
        "    segments:\n"
        "      - tag: LIN\n"
        '        elements: ["{line.line_number}", {pairs: [[VP, "{line.item.vendor_part}"]]}]\n'
        '      - {tag: QTY, elements: ["33", "{line.forecast|decimal}", "{line.uom}"]}\n'
    )
    library = OutboundLibrary.load([REPO / "maps", tmp_path])
    profile = PartnerProfile.model_validate(
        {"id": "mercy", "name": "Mercy", "role": "customer",
         "x12": {"isa_qualifier": "ZZ", "isa_id": "MERCY"},
         "odoo": {"customer_ref": "MERCY"},
         "outbound": {"inventory_advice": {"map": "overrides/mercy/846"}}}
    )  # fmt: skip
    # then the publishing pipeline picks it, and it writes (and validates) the partner's way
    assert outbound_map_name(profile, kind=INVENTORY_ADVICES) == (
        "x12", "846", "overrides/mercy/846",
    )  # fmt: skip
    map_ = library.get("overrides/mercy/846")
    env = OutboundEnvelope(sender_id="MERIDIAN", receiver_id="MERCY", interchange_control=9)
    text = write(map_, render(map_, advice()), env).data.decode()
    assert "BIA*00*MM*846-MERCY-7*20261205~" in text and "QTY*33*95.5*EA~" in text
    assert "QTY*17" not in text
