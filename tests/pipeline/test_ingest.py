"""Ingest through the whole pipeline on the embedded default (SQLite) and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from gateway.intake import ReceivedPayload
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.models import (
    Acknowledgement,
    Delivery,
    Document,
    Event,
    FunctionalGroup,
    Interchange,
    Message,
    Transaction,
)
from tests.pipeline.conftest import fixture_bytes

COUNTED = (Message, Interchange, FunctionalGroup, Transaction, Document, Delivery, Acknowledgement)


def mixed_file() -> bytes:
    """Two X12 interchanges (4010 and 5010 partners) and one EDIFACT interchange."""
    return b"".join(
        [
            fixture_bytes("summit-medical", "856_ship_notice.edi"),
            fixture_bytes("keystone-pharma", "850_purchase_order.edi"),
            fixture_bytes("nordlicht-medtech", "DESADV_despatch_advice.edi"),
        ]
    )


def ingest(runtime: Runtime, data: bytes, name: str = "file.edi") -> int:
    receipt = StoreIntake(runtime).receive(
        ReceivedPayload(data=data, transport="cli", filename=name, actor="test")
    )
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    return receipt.message_id


def counts(runtime: Runtime) -> dict[str, int]:
    with runtime.sessions() as s:
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED
        }


def check_mixed_file(runtime: Runtime) -> None:
    from gateway.demo import seed_our_orders

    # given the purchase orders the ship notices refer to are in (dry-run) Odoo
    seed_our_orders(runtime)
    # and a file with two X12 interchanges and one EDIFACT interchange
    message_id = ingest(runtime, mixed_file(), "mixed.edi")
    # then every level is recorded and every transaction went the whole way
    with runtime.sessions() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.state == "split"
        interchanges = s.scalars(select(Interchange).order_by(Interchange.id)).all()
        assert [(i.syntax, i.partner_id) for i in interchanges] == [
            ("x12", "summit-medical"),
            ("x12", "keystone-pharma"),
            ("edifact", "nordlicht-medtech"),
        ]
        txns = s.scalars(select(Transaction).order_by(Transaction.id)).all()
        assert [t.set_id for t in txns] == ["856", "850", "DESADV"]
        assert [t.state for t in txns] == ["delivered"] * 3, [t.error for t in txns]
        assert {t.business_key for t in txns} == {"SH-778812", *{t.business_key for t in txns[1:]}}
        assert all(t.ack_status == "accepted" for t in txns)
        docs = s.scalars(select(Document)).all()
        assert sorted(d.document_type for d in docs) == [
            "purchase_order",
            "ship_notice",
            "ship_notice",
        ]
        acks = s.scalars(select(Acknowledgement).order_by(Acknowledgement.id)).all()
        assert [(a.kind, a.status) for a in acks] == [
            ("997", "accepted"),
            ("999", "accepted"),
            ("CONTRL", "accepted"),
        ]
        # and each stage left an event on the transaction trail
        for txn in txns:
            kinds = s.scalars(select(Event.kind).where(Event.transaction_id == txn.id)).all()
            assert kinds == ["parsed", "translated", "delivered"], kinds
        message_kinds = set(s.scalars(select(Event.kind).where(Event.message_id == message_id)))
        assert {"received", "split", "interchange", "validated", "ack_built"} <= message_kinds
    before = counts(runtime)
    # when the same file comes again
    again = ingest(runtime, mixed_file(), "mixed-again.edi")
    # then it is a duplicate and no transaction, document or delivery is created again;
    # Summit's profile says "reject", so its duplicate is answered with a TA1 (code 025)
    with runtime.sessions() as s:
        assert s.get(Message, again).state == "duplicate"  # type: ignore[union-attr]
        dup_events = s.scalars(
            select(Event).where(Event.message_id == again, Event.kind == "duplicate")
        ).all()
        assert len(dup_events) == 3
        rejected = s.scalars(select(Interchange).where(Interchange.message_id == again)).one()
        assert (rejected.partner_id, rejected.state) == ("summit-medical", "duplicate_rejected")
        ta1 = s.scalars(
            select(Acknowledgement).where(Acknowledgement.interchange_id == rejected.id)
        ).one()
        assert (ta1.kind, ta1.status) == ("TA1", "rejected")
        ta1_bytes = runtime.payloads.get(s, ta1.payload_sha256 or "")
        assert b"*R*025" in ta1_bytes
    after = counts(runtime)
    assert after == {
        **before,
        "messages": before["messages"] + 1,
        "interchanges": before["interchanges"] + 1,
        "acknowledgements": before["acknowledgements"] + 1,
    }


def test_mixed_file_end_to_end_on_sqlite(make_runtime: Callable[..., Runtime]) -> None:
    check_mixed_file(make_runtime())


@pytest.mark.postgres
def test_mixed_file_end_to_end_on_postgresql(
    make_runtime: Callable[..., Runtime], postgres_url: str
) -> None:
    check_mixed_file(make_runtime(postgres_url))


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.edi", b"", "empty payload"),
        ("zero-byte upload", b"", "empty payload"),
        ("noise.bin", os.urandom(4096).replace(b"ISA", b"XSA").replace(b"UN", b"XN"), "not EDI"),
        ("whitespace.txt", b"\r\n  \r\n", "empty payload"),
    ],
)
def test_garbage_is_rejected_with_reason_and_bytes_kept(
    make_runtime: Callable[..., Runtime], name: str, data: bytes, reason: str
) -> None:
    runtime = make_runtime()
    message_id = ingest(runtime, data, name)
    with runtime.sessions() as s:
        message = s.get(Message, message_id)
        assert message is not None
        assert message.state == "rejected"
        assert reason in (message.error or "")
        assert runtime.payloads.get(s, message.payload_sha256) == data
        assert s.scalar(select(func.count()).select_from(Transaction)) == 0
        kinds = s.scalars(select(Event.kind).where(Event.message_id == message_id)).all()
        assert kinds == ["received", "rejected"]


def test_truncated_envelope_is_rejected_with_reason(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    whole = fixture_bytes("summit-medical", "856_ship_notice.edi")
    data = whole[: len(whole) // 2]
    message_id = ingest(runtime, data, "truncated.edi")
    with runtime.sessions() as s:
        message = s.get(Message, message_id)
        assert message is not None
        assert runtime.payloads.get(s, message.payload_sha256) == data
        interchanges = s.scalars(select(Interchange)).all()
        txns = s.scalars(select(Transaction)).all()
        # the half still starts with a whole ISA, so the file splits and the interchange
        # is what is rejected: its trailer is missing (X12 interchange note code 023)
        assert (message.state, message.error) == ("split", None)
        assert [i.state for i in interchanges] == ["rejected"]
        (issue,) = interchanges[0].issues
        assert (issue["level"], issue["code"], issue["segment_tag"]) == (
            "interchange",
            "023",
            "IEA",
        )
        assert (
            issue["text"]
            == f"segment IEA, byte {issue['byte_offset']}: file ends before the IEA trailer [023]"
        )
        assert [(t.state, t.error) for t in txns] == [("rejected", issue["text"])]


def test_unknown_partner_is_rejected_and_named(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    data = fixture_bytes("summit-medical", "856_ship_notice.edi").replace(
        b"SUMMITMED      ", b"STRANGER       ", 1
    )
    ingest(runtime, data)
    with runtime.sessions() as s:
        ic = s.scalars(select(Interchange)).one()
        assert ic.partner_id is None and ic.state == "rejected"
        assert any("unknown sender ZZ/STRANGER" in d["text"] for d in ic.issues)
        assert {t.state for t in s.scalars(select(Transaction))} == {"rejected"}


def test_replay_of_delivered_transaction_does_not_deliver_twice(
    make_runtime: Callable[..., Runtime],
) -> None:
    from gateway.pipeline.operations import replay_transaction

    runtime = make_runtime()
    ingest(runtime, fixture_bytes("keystone-pharma", "850_purchase_order.edi"))
    with runtime.sessions() as s:
        txn = s.scalars(select(Transaction)).one()
        assert txn.state == "delivered"
    replay_transaction(runtime, txn.id, actor="test")
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 1
        txn2 = s.get(Transaction, txn.id)
        assert txn2 is not None and txn2.state == "delivered"
        last = s.scalars(
            select(Event).where(Event.transaction_id == txn.id).order_by(Event.id.desc())
        ).first()
        assert last is not None and "already delivered" in last.detail
