"""What goes wrong in translation ends as a clear error and an event on the transaction.

Partner data faults (a mandatory canonical field absent, a version the profile does not
trade) reject the transaction; our faults (a map pointing at a segment the set does not
have) dead-letter it for an operator, naming the map file and line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from gateway.intake import ReceivedPayload
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Event, Transaction
from tests.pipeline.conftest import fixture_bytes


def run(runtime: Runtime, data: bytes) -> tuple[Transaction, list[Event]]:
    receipt = StoreIntake(runtime).receive(ReceivedPayload(data=data, transport="cli"))
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        txn = s.scalars(
            select(Transaction).where(Transaction.message_id == receipt.message_id)
        ).one()
        events = list(
            s.scalars(select(Event).where(Event.transaction_id == txn.id).order_by(Event.id))
        )
    return txn, events


def test_missing_mandatory_canonical_field_rejects_with_the_field_named(
    make_runtime: Callable[..., Runtime],
) -> None:
    # a line without a quantity: PO102 is optional in X12 syntax, mandatory for an order
    # (the unit goes too: PO103 without PO102 breaks syntax note C0302, a validation reject)
    data = fixture_bytes("keystone-pharma", "850_purchase_order.edi").replace(
        b"PO1*2*48*EA*", b"PO1*2***"
    )
    txn, events = run(make_runtime(), data)
    assert txn.state == "rejected"
    assert "quantity" in (txn.error or "") and "PO1" in (txn.error or ""), txn.error
    assert events[-1].state_to == "rejected" and "quantity" in events[-1].detail

    # and an X12-mandatory element missing is refused earlier, by validation, with its code
    data = (
        fixture_bytes("keystone-pharma", "850_purchase_order.edi")
        .replace(b"BEG*00*SA*KPW-PO-88120**", b"BEG*00*SA***")
        .replace(b"000088120", b"000088121")  # another interchange, not a duplicate
    )
    txn, _ = run(make_runtime(), data)
    assert txn.state == "rejected" and "BEG03 is mandatory" in (txn.error or "")


def test_interchange_in_a_version_the_profile_does_not_trade_is_rejected(
    make_runtime: Callable[..., Runtime],
) -> None:
    # Summit trades 004010; a 005010 ship notice from them is not translated as if it were
    data = (
        fixture_bytes("summit-medical", "856_ship_notice.edi")
        .replace(b"*U*00401*", b"*^*00501*")
        .replace(b"*X*004010~", b"*X*005010~")
    )
    txn, events = run(make_runtime(), data)
    assert txn.state == "rejected", txn.error
    assert "005010" in (txn.error or "")
    assert events[-1].state_to == "rejected"


def test_map_pointing_at_a_missing_segment_holds_the_partner_with_file_and_line(
    make_runtime: Callable[..., Runtime], tmp_path: Path
) -> None:
    # a site override map for Summit's 856 that reads a segment no 856 has
    maps = tmp_path / "site-maps"
    (maps / "overrides" / "summit-medical").mkdir(parents=True)
    (maps / "overrides" / "summit-medical" / "856.yaml").write_text(
        "extends: x12/004010/856\n"
        "items:\n"
        "  fields:\n"
        "    lot_number:\n"
        "      - {segment: ZZQ, element: 2, scope: [item]}\n"
    )
    txn, events = run(
        make_runtime(maps_dir=str(maps)), fixture_bytes("summit-medical", "856_ship_notice.edi")
    )
    # the partner's own map does not load: the partner is disabled (issue 18), its
    # documents wait as business exceptions naming the file and line, nothing is rejected
    assert txn.state == "business_exception"
    assert "ZZQ" in (txn.error or "") and "856.yaml:5" in (txn.error or "")
    assert events[-1].state_to == "business_exception"


def test_partner_value_refused_by_the_canonical_model_is_rejected_not_dead_lettered(
    make_runtime: Callable[..., Runtime],
) -> None:
    """#17 finding 11: an 855 whose N1*SE qualifier is '.' passes X12 validation but
    cannot become a document; that is the partner's error, named where it is."""
    from gateway.store.models import BusinessException

    data = fixture_bytes("summit-medical", "855_po_ack.edi").replace(
        b"N1*SE*SUMMIT MEDICAL SUPPLY*1*045678912~", b"N1*SE*SUMMIT MEDICAL SUPPLY*.*045678912~"
    )
    runtime = make_runtime()
    txn, events = run(runtime, data)
    # then: rejected (not failed, which would be a dead letter for IT) ...
    assert txn.state == "rejected", txn.error
    assert "N1" in (txn.error or "") and "element 4" in (txn.error or "")
    assert events[-1].state_to == "rejected"
    # ... with a business exception procurement can act on, naming segment and element
    with runtime.sessions() as s:
        (exc,) = s.scalars(
            select(BusinessException).where(BusinessException.transaction_id == txn.id)
        ).all()
        assert exc.kind == "invalid_value" and "N104 (segment 3)" in exc.message
        assert exc.detail["segment"] == "N1" and exc.state == "open"


def test_giant_control_number_gets_a_ta1_not_a_python_error(
    make_runtime: Callable[..., Runtime],
) -> None:
    """#17 finding 9: a 10,000-digit IEA02 used to end the message 'rejected' with a
    Python ValueError and no TA1; now it is an envelope finding answered with a TA1."""
    from gateway.store.models import Acknowledgement, Interchange

    data = fixture_bytes("summit-medical", "856_ship_notice.edi")
    data = data.replace(b"IEA*1*000005", b"IEA*1*" + b"9" * 10_000 + b"000005")
    runtime = make_runtime()
    StoreIntake(runtime).receive(ReceivedPayload(data=data, transport="cli"))
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        (ic,) = s.scalars(select(Interchange)).all()
        assert any(i["code"] == "001" for i in ic.issues), ic.issues
        kinds = {a.kind for a in s.scalars(select(Acknowledgement))}
        assert "TA1" in kinds, kinds
        assert "Exceeds the limit" not in str([m for m in s.scalars(select(Event.detail))])
