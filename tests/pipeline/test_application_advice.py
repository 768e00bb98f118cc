"""#17: partner data that fails translation is rejected with a business exception naming
the segment and element, and, where the profile sets
``acknowledgements.application_advice``, an 824 (X12) or APERAK (EDIFACT) goes back over
the partner's acknowledgement transport (here the real hosted SFTP outbox writer)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.edi.model import EdiPayload
from gateway.engines import parse_payload
from gateway.intake import ReceivedPayload
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.queries import transaction_detail
from gateway.store.models import Acknowledgement, BusinessException, Event, Transaction
from gateway.transports import attach_senders
from tests.conftest import REPO
from tests.pipeline.conftest import fixture_bytes

# a line without a quantity: valid X12 (PO102 is optional), but no order line
X12_NO_QUANTITY = (b"PO1*2*48*EA*", b"PO1*2***")


def _site(tmp_path: Path, partner: str) -> Path:
    """The shipped profile of ``partner`` with application advice switched on."""
    site = tmp_path / "site-profiles"
    site.mkdir(exist_ok=True)
    text = (REPO / "partner_profiles" / f"{partner}.yaml").read_text()
    assert "acknowledgements:\n" in text
    text = text.replace("acknowledgements:\n", "acknowledgements:\n  application_advice: true\n")
    (site / f"{partner}.yaml").write_text(text)
    return site


def _receive(runtime: Runtime, data: bytes, partner: str) -> Transaction:
    attach_senders(runtime)  # the production senders: hosted SFTP writes the outbox
    receipt = StoreIntake(runtime).receive(
        ReceivedPayload(data=data, transport="sftp", partner_id=partner)
    )
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        return s.scalars(
            select(Transaction).where(Transaction.message_id == receipt.message_id)
        ).one()


def _fatal(payload: EdiPayload) -> list[str]:
    found = [i.describe() for i in payload.issues if i.fatal]
    for ic in payload.interchanges:
        found += [i.describe() for i in ic.issues if i.fatal]
        for group in ic.groups:
            found += [i.describe() for i in group.issues if i.fatal]
            for tx in group.transactions:
                found += [i.describe() for i in tx.issues if i.fatal]
    return found


def _advice(runtime: Runtime, kind: str) -> tuple[Acknowledgement, bytes]:
    with runtime.sessions() as s:
        (row,) = s.scalars(select(Acknowledgement).where(Acknowledgement.kind == kind)).all()
        return row, runtime.payloads.get(s, row.payload_sha256 or "")


def _outbox_file(runtime: Runtime, partner: str, ack: Acknowledgement) -> bytes:
    assert ack.state == "sent", (ack.state, ack.error)
    name = f"{ack.kind}_{ack.control_number}_{ack.acknowledged_control_number}.edi"
    assert ack.transport == "sftp" and ack.transport_ref == f"/outbox/{name}"
    return (runtime.settings.sftp_root / partner / "outbox" / name).read_bytes()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_an_850_that_cannot_be_translated_gets_an_824_naming_segment_and_element(
    make_runtime: Callable[..., Runtime],
    tmp_path: Path,
    database: str,
    request: pytest.FixtureRequest,
) -> None:
    url = request.getfixturevalue("postgres_url") if database == "postgresql" else None
    # given Keystone (X12 005010, hosted SFTP, 999) with application advice on
    runtime = make_runtime(url, profiles_dir=str(_site(tmp_path, "keystone-pharma")))
    data = fixture_bytes("keystone-pharma", "850_purchase_order.edi").replace(*X12_NO_QUANTITY)
    # when its 850 arrives with a line the canonical order cannot hold
    txn = _receive(runtime, data, "keystone-pharma")
    # then the transaction is the partner's error: rejected, with a business exception
    assert txn.state == "rejected" and "PO1" in (txn.error or ""), txn.error
    with runtime.sessions() as s:
        (exc,) = s.scalars(
            select(BusinessException).where(BusinessException.transaction_id == txn.id)
        ).all()
        assert "PO1 (segment 12)" in exc.message and "quantity" in exc.message
        # the 999 still accepted the set: the syntax was right
        (ack999,) = s.scalars(select(Acknowledgement).where(Acknowledgement.kind == "999"))
        assert ack999.status == "accepted"
        events = list(
            s.scalars(select(Event).where(Event.transaction_id == txn.id).order_by(Event.id))
        )
    advice, written = _advice(runtime, "824")
    assert (advice.direction, advice.status) == ("out", "rejected")
    assert advice.acknowledged_control_number == "000088120"
    assert exc.detail["application_advice"] == {"kind": "824", "acknowledgement_id": advice.id}
    built = [e for e in events if e.kind == "advice_built"]
    assert built and built[0].data["acknowledgement_id"] == advice.id
    assert "PO1" in built[0].detail
    # and the 824 passes our own validator and reads back as what it says
    payload = parse_payload(written)
    assert _fatal(payload) == []
    (ic,) = payload.interchanges
    assert (ic.sender_id, ic.receiver_id, ic.version) == ("MERIDIANHEALTH", "KEYSTONERX", "00501")
    (group,) = ic.groups
    assert (group.functional_id, group.version) == ("AG", "005010")
    (tx,) = group.transactions
    assert tx.set_id == "824"
    segments = {seg.tag: seg for seg in tx.segments}
    assert segments["BGN"].value(1) == "00"
    assert segments["BGN"].value(2) == ic.control_number.lstrip("0")  # our number: its ISA13
    oti = segments["OTI"]
    # OTI01 TR, OTI02/03 the purchase order number, OTI04-08 the GS, 09 ST02, 10 ST01
    assert [oti.value(n) for n in range(1, 12)] == [
        "TR",
        "PO",
        "KPW-PO-88120",
        "KEYSTONERX",
        "MERIDIANHEALTH",
        "20261116",
        "0930",
        "88120",
        "0001",
        "850",
        "005010",
    ]
    ted = segments["TED"]
    assert (ted.value(1), ted.value(3), ted.value(4)) == ("007", "PO1", "12")
    assert ted.value(2).startswith("PO1 (segment 12)")
    assert "PO102" in segments["NTE"].value(2)  # the longer text names the element
    # and it was delivered over the partner's transport, byte for byte
    assert _outbox_file(runtime, "keystone-pharma", advice) == written
    # and the console's document view lists it with the 999, and the event says so
    with runtime.sessions() as s:
        detail = transaction_detail(s, txn.id)
    assert detail is not None
    shown = {(a["kind"], a["status"], a["state"]) for a in detail["acknowledgements"]}
    assert shown == {("999", "accepted", "sent"), ("824", "rejected", "sent")}
    assert "advice_built" in [e["kind"] for e in detail["events"]]


def test_a_refused_qualifier_names_segment_and_element_in_the_824(
    make_runtime: Callable[..., Runtime], tmp_path: Path
) -> None:
    # Summit (X12 004010 over AS2) sends an 855 with N104 '.', refused by the model
    runtime = make_runtime(profiles_dir=str(_site(tmp_path, "summit-medical")))
    data = fixture_bytes("summit-medical", "855_po_ack.edi").replace(
        b"N1*SE*SUMMIT MEDICAL SUPPLY*1*045678912~", b"N1*SE*SUMMIT MEDICAL SUPPLY*.*045678912~"
    )
    txn = _receive(runtime, data, "summit-medical")
    assert txn.state == "rejected", txn.error
    _, written = _advice(runtime, "824")
    payload = parse_payload(written)
    assert _fatal(payload) == []
    (tx,) = payload.interchanges[0].groups[0].transactions
    assert payload.interchanges[0].groups[0].version == "004010"
    segments = {seg.tag: seg for seg in tx.segments}
    assert segments["OTI"].value(2) == "PO" and segments["OTI"].value(10) == "855"
    ted = segments["TED"]
    assert [ted.value(n) for n in (3, 4, 5)] == ["N1", "3", "4"]
    assert ted.value(2).startswith("N104 (segment 3)")


def test_an_orders_that_cannot_be_translated_gets_an_aperak(
    make_runtime: Callable[..., Runtime], tmp_path: Path
) -> None:
    # given Nordlicht (EDIFACT D96A, hosted SFTP, CONTRL) with application advice on, and
    # an ORDERS from them whose second line has no quantity (valid syntax: QTY is
    # conditional in the line group)
    runtime = make_runtime(profiles_dir=str(_site(tmp_path, "nordlicht-medtech")))
    data = (
        fixture_bytes("nordlicht-medtech", "ORDERS_purchase_order.edi")
        .replace(b"+5412345000006:14+4045678000002:14+", b"+4045678000002:14+5412345000006:14+")
        .replace(b"QTY+21:150:PCE'\n", b"")
        .replace(b"UNT+27+1'", b"UNT+26+1'")
    )
    txn = _receive(runtime, data, "nordlicht-medtech")
    # then it is rejected with an exception naming the segment (and the element in words)
    assert txn.state == "rejected", txn.error
    with runtime.sessions() as s:
        (exc,) = s.scalars(
            select(BusinessException).where(BusinessException.transaction_id == txn.id)
        ).all()
        assert "LIN (segment 15)" in exc.message and "QTY01" in exc.message
        (contrl,) = s.scalars(select(Acknowledgement).where(Acknowledgement.kind == "CONTRL"))
        assert contrl.status == "accepted"
    advice, written = _advice(runtime, "APERAK")
    assert advice.acknowledged_control_number == "MH0422" and advice.status == "rejected"
    # and the APERAK passes our validator, reads back and references the message
    payload = parse_payload(written)
    assert _fatal(payload) == []
    (ic,) = payload.interchanges
    assert (ic.sender_id, ic.receiver_id) == ("5412345000006", "4045678000002")
    (tx,) = ic.transactions
    assert (tx.set_id, tx.version) == ("APERAK", "D96A")
    values = [(seg.tag, seg.value(1), seg.value(1, 2)) for seg in tx.segments]
    assert ("BGM", "313", "") in values
    assert ("RFF", "ACW", "1") in values  # UNH 0062 of the rejected ORDERS
    assert ("RFF", "ON", "MH-2026-0422") in values  # its order number
    assert ("ERC", "13", "") in values  # missing
    (ftx,) = [seg for seg in tx.segments if seg.tag == "FTX"]
    assert ftx.value(1) == "AAO"
    text = " ".join(ftx.components(4))
    assert "LIN (segment 15)" in text and "QTY01" in text
    # delivered to the partner's outbox
    assert _outbox_file(runtime, "nordlicht-medtech", advice) == written


def test_without_the_option_no_advice_is_sent(make_runtime: Callable[..., Runtime]) -> None:
    # the shipped Keystone profile does not ask for application advice
    runtime = make_runtime()
    data = fixture_bytes("keystone-pharma", "850_purchase_order.edi").replace(*X12_NO_QUANTITY)
    txn = _receive(runtime, data, "keystone-pharma")
    assert txn.state == "rejected"
    with runtime.sessions() as s:
        kinds = [a.kind for a in s.scalars(select(Acknowledgement))]
        assert kinds == ["999"]
        assert not s.scalars(select(Event).where(Event.kind.like("advice_%"))).all()
        assert s.scalars(
            select(BusinessException).where(BusinessException.transaction_id == txn.id)
        ).one()
    assert not list((runtime.settings.sftp_root / "keystone-pharma" / "outbox").glob("824_*"))


def test_a_good_document_from_a_partner_with_the_option_gets_no_advice(
    make_runtime: Callable[..., Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime(profiles_dir=str(_site(tmp_path, "keystone-pharma")))
    txn = _receive(
        runtime, fixture_bytes("keystone-pharma", "850_purchase_order.edi"), "keystone-pharma"
    )
    assert txn.state != "rejected", txn.error
    with runtime.sessions() as s:
        assert [a.kind for a in s.scalars(select(Acknowledgement))] == ["999"]


def test_the_onboarding_sample_test_shows_the_advice_without_storing_it(
    make_runtime: Callable[..., Runtime], tmp_path: Path
) -> None:
    from gateway.api.onboarding import test_sample
    from gateway.store.models import Counter

    runtime = make_runtime(profiles_dir=str(_site(tmp_path, "keystone-pharma")))
    profile = runtime.registry.get("keystone-pharma")
    assert profile is not None and profile.acknowledgements.application_advice
    data = fixture_bytes("keystone-pharma", "850_purchase_order.edi").replace(*X12_NO_QUANTITY)
    # when onboarding staff test the bad sample against the profile
    result = test_sample(runtime, profile, data)
    # then the page shows the 999 and the 824 the partner would get
    assert [(a["kind"], a["status"]) for a in result["acknowledgements"]] == [
        ("999", "accepted"),
        ("824", "rejected"),
    ]
    text = result["acknowledgements"][1]["text"]
    assert "OTI*TR*PO*KPW-PO-88120*" in text and "TED*007*PO1 (segment 12)" in text
    # and nothing was stored, no control number used
    with runtime.sessions() as s:
        assert not s.scalars(select(Acknowledgement)).all()
        assert not s.scalars(select(Counter)).all()


def test_an_advice_our_validator_refuses_is_an_operator_event_and_is_not_sent(
    make_runtime: Callable[..., Runtime], tmp_path: Path
) -> None:
    # given a site map directory whose 824 override forgets BGN02 (mandatory)
    maps = tmp_path / "site-maps"
    (maps / "outbound" / "x12" / "005010").mkdir(parents=True)
    (maps / "outbound" / "x12" / "005010" / "824.yaml").write_text(
        "document: application_advice\nsyntax: x12\nversion: '005010'\nset: '824'\n"
        "segments:\n  - {tag: BGN, elements: ['00']}\n"
    )
    runtime = make_runtime(profiles_dir=str(_site(tmp_path, "keystone-pharma")), maps_dir=str(maps))
    data = fixture_bytes("keystone-pharma", "850_purchase_order.edi").replace(*X12_NO_QUANTITY)
    txn = _receive(runtime, data, "keystone-pharma")
    # then the transaction is still the partner's error (rejected, exception) ...
    assert txn.state == "rejected"
    with runtime.sessions() as s:
        assert [a.kind for a in s.scalars(select(Acknowledgement))] == ["999"]
        (failed,) = s.scalars(select(Event).where(Event.kind == "advice_failed")).all()
        assert failed.transaction_id == txn.id and "BGN02" in failed.detail
    # ... and nothing half-built reached the partner
    assert not list((runtime.settings.sftp_root / "keystone-pharma" / "outbox").glob("824_*"))
