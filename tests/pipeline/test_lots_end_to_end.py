"""Lots and expiry dates from file to Odoo (the HTTP double): a lot is received with its
expiry or not at all, batches that do not add up are an exception, and a pack size is
never a purchase-order line number."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from gateway.odoo.client import OdooClient
from gateway.pipeline.runtime import Runtime
from tests.conftest import REPO
from tests.pipeline.conftest import fixture_bytes
from tests.pipeline.test_odoo_end_to_end import exceptions, ingest, m2o, seed_master_data
from tests.support.odoo_double import OdooDouble, start_odoo_double

KEYSTONE_850 = fixture_bytes("keystone-pharma", "850_purchase_order.edi")
KEYSTONE_856 = fixture_bytes("keystone-pharma", "856_ship_notice.edi")
NORDLICHT_DESADV = fixture_bytes("nordlicht-medtech", "DESADV_despatch_advice.edi")


@pytest.fixture
def odoo() -> Iterator[OdooDouble]:
    double = start_odoo_double(17)
    yield double
    double.stop()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], odoo: OdooDouble, tmp_path: Path) -> Runtime:
    site = tmp_path / "site"
    site.mkdir()
    profile = yaml.safe_load((REPO / "partner_profiles" / "keystone-pharma.yaml").read_text())
    profile["odoo"]["purchase_order_state"] = "confirmed"  # receipts can follow
    (site / "keystone-pharma.yaml").write_text(yaml.safe_dump(profile))
    rt = make_runtime(
        odoo_factory=lambda: OdooClient(odoo.url, odoo.db, odoo.user, password=odoo.password),
        profiles_dir=str(site),
        task_backoff_seconds=0.3,
        task_max_retries=6,
    )
    seed_master_data(odoo, rt)
    return rt


def _lots(odoo: OdooDouble) -> dict[str, object]:
    return {lot["name"]: lot.get("expiration_date") for lot in odoo.records("stock.lot")}


def test_keystone_856_lot_expiry_as_a_month_or_d8_reaches_odoo(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    # given lot expiries in DTM05/DTM06: CM (year and month only) and D8
    assert ingest(runtime, KEYSTONE_850, "850.edi").state == "delivered"
    data = KEYSTONE_856.replace(b"DTM*036*20280228", b"DTM*036****CM*202802").replace(
        b"DTM*036*20280430", b"DTM*036****D8*20280430"
    )
    asn = ingest(runtime, data, "856.edi")
    # then every lot is received with its expiry; a month is its last day
    assert asn.state == "delivered", (asn.error, exceptions(runtime, asn))
    lots = _lots(odoo)
    assert lots["P412087"] == "2028-02-29 00:00:00"
    assert lots["P412233"] == "2028-04-30 00:00:00"
    assert all(lots.values())


def test_keystone_856_29_february_of_a_common_year_is_rejected_not_dropped(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    ingest(runtime, KEYSTONE_850, "850.edi")
    asn = ingest(runtime, KEYSTONE_856.replace(b"DTM*036*20280228", b"DTM*036*20270229"), "856")
    # the validator refuses the date (AK4 code 8): nothing is received
    assert asn.state == "rejected" and "DTM02" in (asn.error or "")
    assert odoo.records("stock.lot") == []


def test_keystone_856_expiry_in_an_unreadable_format_refuses_the_transaction(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    ingest(runtime, KEYSTONE_850, "850.edi")
    data = KEYSTONE_856.replace(b"DTM*036*20280228", b"DTM*036****CM*202813")
    asn = ingest(runtime, data, "856.edi")
    assert asn.state == "rejected"
    [issue] = exceptions(runtime, asn)
    assert issue.kind == "invalid_value" and "'202813'" in issue.message
    assert "expiry_date" in issue.message
    assert odoo.records("stock.lot") == []


def test_keystone_856_lot_without_expiry_is_missing_expiry(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    # given the NDC is received with expiration dates in Odoo, and one lot has no DTM*036
    ingest(runtime, KEYSTONE_850, "850.edi")
    data = KEYSTONE_856.replace(b"DTM*036*20280228~\n", b"").replace(b"SE*24*", b"SE*23*")
    assert data != KEYSTONE_856
    asn = ingest(runtime, data, "856.edi")
    # then a business exception names the lot, and nothing of the notice is received
    assert asn.state == "business_exception", asn.error
    assert [(e.kind, "P412087" in e.message) for e in exceptions(runtime, asn)] == [
        ("missing_expiry", True)
    ]
    assert odoo.records("stock.lot") == []


def test_keystone_856_pack_size_does_not_pick_the_po_line(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    # given the same NDC ordered on line 1 (96) and line 2 (48)
    po850 = KEYSTONE_850.replace(
        b"PO1*2*48*EA*2.87**N4*00264780000*VP*KPW-264780",
        b"PO1*2*48*EA*2.41**N4*00338004904*VP*KPW-338049",
    )
    assert ingest(runtime, po850, "850.edi").state == "delivered"
    # when 40 ship as an item without LIN01 or REF*LI, with PO4*2 (2 per inner pack)
    asn = (
        KEYSTONE_856.replace(b"~\n", b"~")
        .replace(
            b"LIN*1*N4*00338004904*VP*KPW-338049*LT*P412087~SN1**60*EA~",
            b"LIN**N4*00338004904*VP*KPW-338049*LT*P412087~SN1**40*EA~PO4*2~",
        )
        .replace(
            b"HL*4*2*I~LIN*1*N4*00338004904*VP*KPW-338049*LT*P412233~SN1**36*EA~DTM*036*20280430~",
            b"",
        )
        .replace(b"CTT*5~SE*24*", b"CTT*4~SE*21*")
    )
    assert b"PO4*2~" in asn and b"SE*21*" in asn
    ingest(runtime, asn, "856.edi")
    # then nothing is received against line 2 (PO401 is not a line number)
    received = {
        line["sequence"]: line.get("qty_received") for line in odoo.records("purchase.order.line")
    }
    assert (received.get(1), received.get(2)) == (40.0, 0.0)


def _desadv_with_batches(second_qty: str) -> bytes:
    """Nordlicht's LIN of 150 IS24 sets in two PCI batches: 100, then ``second_qty``."""
    text = NORDLICHT_DESADV.decode().replace("\n", "")
    old = "PCI+36E'DTM+36:20280930:102'GIN+BX+IS24-880'"
    assert old in text
    new = (
        "PCI+36E'DTM+36:20280930:102'QTY+12:100:PCE'GIN+BX+IS24-880'"
        f"PCI+36E'DTM+36:20290131:102'{second_qty}GIN+BX+IS24-999'"
    )
    segments = text.replace(old, new).split("'")
    unh = next(i for i, s in enumerate(segments) if s.startswith("UNH"))
    unt = next(i for i, s in enumerate(segments) if s.startswith("UNT"))
    segments[unt] = f"UNT+{unt - unh + 1}+1"
    return "'".join(segments).encode()


@pytest.mark.parametrize(
    ("second_qty", "why"),
    [("QTY+12:40:PCE'", "they add up to 140"), ("", "(lot IS24-999) has no quantity")],
)
def test_desadv_batches_that_do_not_add_up_are_lot_quantity_mismatch(
    runtime: Runtime, odoo: OdooDouble, second_qty: str, why: str
) -> None:
    from gateway.demo import seed_our_orders

    seed_our_orders(runtime)
    desadv = ingest(runtime, _desadv_with_batches(second_qty), "desadv.edi")
    assert desadv.state == "business_exception", desadv.error
    [issue] = exceptions(runtime, desadv)
    assert issue.kind == "lot_quantity_mismatch" and why in issue.message
    # nothing of the notice reaches Odoo: no lot, no move line with a lot
    assert odoo.records("stock.lot") == []
    assert not [ml for ml in odoo.records("stock.move.line") if ml.get("lot_id")]


def test_desadv_batches_that_add_up_are_received_lot_by_lot(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    from gateway.demo import seed_our_orders

    seed_our_orders(runtime)
    desadv = ingest(runtime, _desadv_with_batches("QTY+12:50:PCE'"), "desadv.edi")
    assert desadv.state == "delivered", (desadv.error, exceptions(runtime, desadv))
    lots = {lot["id"]: lot["name"] for lot in odoo.records("stock.lot")}
    by_lot = {
        lots[m2o(ml["lot_id"])]: ml.get("quantity")
        for ml in odoo.records("stock.move.line")
        if ml.get("lot_id")
    }
    assert (by_lot["IS24-880"], by_lot["IS24-999"]) == (100.0, 50.0)
    assert _lots(odoo)["IS24-999"] == "2029-01-31 00:00:00"


@pytest.mark.parametrize(
    ("dtm", "expected"),
    [(b"DTM+36:202903:610", "2029-03-31 00:00:00"), (b"DTM+36:20290230:102", None)],
)
def test_desadv_610_expiry_is_received_and_a_bad_one_refused(
    runtime: Runtime, odoo: OdooDouble, dtm: bytes, expected: str | None
) -> None:
    from gateway.demo import seed_our_orders

    seed_our_orders(runtime)
    data = NORDLICHT_DESADV.replace(b"DTM+36:20290331:102", dtm)
    assert data != NORDLICHT_DESADV
    desadv = ingest(runtime, data, "desadv.edi")
    if expected is None:
        assert desadv.state == "rejected"
        assert [e.kind for e in exceptions(runtime, desadv)] == ["invalid_value"]
        assert odoo.records("stock.lot") == []
    else:
        assert desadv.state == "delivered", (desadv.error, exceptions(runtime, desadv))
        assert _lots(odoo)["WV24-117"] == expected


PLAIN_LIN = "LIN*1*N4*00338004904*VP*KPW-338049"  # the first item's LIN without its lot


def _keystone_856_first_item(lin: str, *segments: str) -> bytes:
    """Keystone's 856 with its first item (60 of the NDC) as ``lin`` and ``segments``
    after its SN1, SE01 recounted."""
    old = "LIN*1*N4*00338004904*VP*KPW-338049*LT*P412087~\nSN1**60*EA~\nDTM*036*20280228~\n"
    text = KEYSTONE_856.decode()
    assert old in text
    new = f"{lin}~\nSN1**60*EA~\n" + "".join(f"{s}~\n" for s in segments)
    parts = text.replace(old, new).split("~\n")
    st = next(i for i, s in enumerate(parts) if s.startswith("ST*"))
    se = next(i for i, s in enumerate(parts) if s.startswith("SE*"))
    parts[se] = f"SE*{se - st + 1}*0001"
    return "~\n".join(parts).encode()


def _received_by_lot(odoo: OdooDouble) -> dict[str, object]:
    lots = {lot["id"]: lot["name"] for lot in odoo.records("stock.lot")}
    return {
        lots[m2o(ml["lot_id"])]: ml.get("quantity")
        for ml in odoo.records("stock.move.line")
        if ml.get("lot_id")
    }


def test_keystone_856_item_with_two_lots_in_cld_loops_is_received_lot_by_lot(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    # given an item of 60 shipped as 1 x 40 of lot P412087 and 2 x 10 of lot P412999
    assert ingest(runtime, KEYSTONE_850, "850.edi").state == "delivered"
    data = _keystone_856_first_item(
        PLAIN_LIN,
        "CLD*1*40",
        "REF*LT*P412087",
        "DTP*036*D8*20280228",
        "CLD*2*10",
        "REF*LT*P412999",
        "DTP*036*D8*20290131",
    )
    # when the 856 goes through the pipeline
    asn = ingest(runtime, data, "856.edi")
    # then both lots reach Odoo, each with its quantity and its own expiry
    assert asn.state == "delivered", (asn.error, exceptions(runtime, asn))
    received = _received_by_lot(odoo)
    assert (received["P412087"], received["P412999"]) == (40.0, 20.0)
    lots = _lots(odoo)
    assert (lots["P412087"], lots["P412999"]) == ("2028-02-28 00:00:00", "2029-01-31 00:00:00")


def test_keystone_856_item_listing_two_lots_without_quantities_is_an_exception(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    # given an item of 60 naming two lots (each with its expiry) and no per-lot quantity
    ingest(runtime, KEYSTONE_850, "850.edi")
    data = _keystone_856_first_item(
        PLAIN_LIN, "REF*LT*P412087", "DTM*036*20280228", "REF*LT*P412999", "DTM*036*20290131"
    )
    asn = ingest(runtime, data, "856.edi")
    # then lot_quantity_mismatch names both lots, and nothing of the notice is received
    assert asn.state == "business_exception", asn.error
    [issue] = exceptions(runtime, asn)
    assert issue.kind == "lot_quantity_mismatch"
    assert "(lot P412087) has no quantity" in issue.message
    assert "(lot P412999) has no quantity" in issue.message
    assert odoo.records("stock.lot") == []


# -- every lot an item names: LIN LT pairs, GIN+BX batch numbers --------------------------


@pytest.mark.parametrize(
    ("lin", "segments"),
    [
        ("LIN*1*N4*00338004904*VP*KPW-338049*LT*P412087*LT*P412999", ["DTM*036*20280228"]),
        (
            "LIN*1*N4*00338004904*VP*KPW-338049*LT*P412087",
            ["REF*LT*P412999", "DTM*036*20280228"],
        ),
    ],
    ids=["two LT pairs in LIN", "LIN lot and another REF*LT lot"],
)
def test_keystone_856_lin_lots_without_quantities_are_an_exception_not_the_first_lot(
    runtime: Runtime, odoo: OdooDouble, lin: str, segments: list[str]
) -> None:
    # given an item of 60 naming two lots, at least one in a LIN LT pair, no quantities
    assert ingest(runtime, KEYSTONE_850, "850.edi").state == "delivered"
    asn = ingest(runtime, _keystone_856_first_item(lin, *segments), "856.edi")
    # then lot_quantity_mismatch names both lots, and nothing of the notice is received
    assert asn.state == "business_exception", asn.error
    [issue] = exceptions(runtime, asn)
    assert issue.kind == "lot_quantity_mismatch"
    assert "(lot P412087) has no quantity" in issue.message
    assert "(lot P412999) has no quantity" in issue.message
    assert odoo.records("stock.lot") == []


def test_keystone_856_lot_in_lin_and_cld_loops_is_received_once_lot_by_lot(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    # given the LIN naming lot P412087 that a CLD loop also names (40), beside P412999 (20)
    assert ingest(runtime, KEYSTONE_850, "850.edi").state == "delivered"
    data = _keystone_856_first_item(
        "LIN*1*N4*00338004904*VP*KPW-338049*LT*P412087",
        "CLD*1*40",
        "REF*LT*P412087",
        "DTP*036*D8*20280228",
        "CLD*2*10",
        "REF*LT*P412999",
        "DTP*036*D8*20290131",
    )
    asn = ingest(runtime, data, "856.edi")
    # then P412087 counts once: both lots are received with their CLD quantities
    assert asn.state == "delivered", (asn.error, exceptions(runtime, asn))
    received = _received_by_lot(odoo)
    assert (received["P412087"], received["P412999"]) == (40.0, 20.0)


def _nordlicht_gin(gin: str) -> bytes:
    """Nordlicht's DESADV with the first LIN's PCI group (120 of WV24-117, with its
    QTY) naming its batches as ``gin``."""
    old = b"PCI+36E'\nDTM+36:20290331:102'\nGIN+BX+WV24-117'"
    assert old in NORDLICHT_DESADV
    new = b"PCI+36E'\nDTM+36:20290331:102'\nQTY+12:120:PCE'\n" + gin.encode() + b"'"
    data = NORDLICHT_DESADV.replace(old, new)
    return data


def _recount(data: bytes) -> bytes:
    text = data.decode().replace("\n", "")
    segments = text.split("'")
    unh = next(i for i, s in enumerate(segments) if s.startswith("UNH"))
    unt = next(i for i, s in enumerate(segments) if s.startswith("UNT"))
    segments[unt] = f"UNT+{unt - unh + 1}+1"
    return "'".join(segments).encode()


def test_desadv_gin_naming_three_batches_is_a_mismatch_not_the_first_batch(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    from gateway.demo import seed_our_orders

    # given a PCI group of 120 whose GIN+BX names three batch numbers
    seed_our_orders(runtime)
    data = _recount(_nordlicht_gin("GIN+BX+WV24-117+WV24-118+WV24-119"))
    desadv = ingest(runtime, data, "desadv.edi")
    # then the group's 120 is not received under WV24-117: every batch is named
    assert desadv.state == "business_exception", desadv.error
    [issue] = exceptions(runtime, desadv)
    assert issue.kind == "lot_quantity_mismatch"
    assert all(
        f"(lot {n}) has no quantity" in issue.message for n in ("WV24-117", "WV24-118", "WV24-119")
    )
    assert odoo.records("stock.lot") == []


def test_desadv_batch_number_range_is_rejected_naming_the_range(
    runtime: Runtime, odoo: OdooDouble
) -> None:
    from gateway.demo import seed_our_orders

    # given a PCI group naming its batches as a range first:last
    seed_our_orders(runtime)
    desadv = ingest(runtime, _recount(_nordlicht_gin("GIN+BX+WV24-117:WV24-119")), "desadv.edi")
    # then the message is refused, naming the GIN and the range; nothing is received
    assert desadv.state == "rejected"
    [issue] = exceptions(runtime, desadv)
    assert issue.kind == "invalid_value"
    assert "GIN02 is 'WV24-117:WV24-119'" in issue.message and "range" in issue.message
    assert odoo.records("stock.lot") == []
