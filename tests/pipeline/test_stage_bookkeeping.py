"""The stages' bookkeeping in fewer statements does what the longer form did (issue 21).

deliver takes the canonical document translate kept in this process only when the store
holds exactly the text it was kept with, and otherwise validates the stored text itself,
into the same document a ``json.loads`` and ``load_document`` give; several counters move
in one statement as each did alone; payloads and interchanges already stored are
skipped by the database without a savepoint, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Text, cast, select, update
from sqlalchemy.orm import Session

import gateway.pipeline.deliver as deliver_stage
from gateway.documents import load_document
from gateway.intake import ReceivedPayload
from gateway.odoo.delivery import DeliveryOutcome, DeliveryPlan, delivery_key
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.outbound import record_business_document
from gateway.pipeline.runtime import DocumentHandoff, Runtime
from gateway.pipeline.stages import _insert_interchange
from gateway.states import OrderCycle
from gateway.store.audit import next_counter, next_counters
from gateway.store.models import (
    Counter,
    Document,
    Interchange,
    Message,
    OutboundOrder,
    Payload,
    Transaction,
)
from gateway.store.payloads import DatabasePayloadStore, FilePayloadStore
from tests.conftest import REPO
from tests.pipeline.conftest import fixture_bytes

# what the sample partners send us (the ERROR_ files are rejected; the rest are what
# they receive from us, which their profiles do not take inbound)
RECEIVED_FROM_US = {
    "nordlicht-medtech/ORDCHG_order_change.edi",
    "nordlicht-medtech/ORDERS_purchase_order.edi",
    "summit-medical/850_purchase_order.edi",
    "summit-medical/860_po_change.edi",
}
INBOUND = [
    path
    for path in sorted((REPO / "tests" / "fixtures" / "partners").glob("*/*.edi"))
    if "ERROR" not in path.name and f"{path.parent.name}/{path.name}" not in RECEIVED_FROM_US
]


class Planned:
    """A no-op Odoo side of deliver that remembers the documents it was given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.documents: dict[str, Any] = {}

        def plan(document: Any, *, profile: Any, **_: Any) -> DeliveryPlan:
            self.documents[document.business_key] = document
            return DeliveryPlan(
                document_type=document.document_type, key=delivery_key(document, profile)
            )

        def apply(plan: DeliveryPlan, odoo: Any, **_: Any) -> DeliveryOutcome:
            return DeliveryOutcome(records=[], exceptions=[], already_existed=False, notes=[])

        monkeypatch.setattr(deliver_stage, "plan_delivery", plan)
        monkeypatch.setattr(deliver_stage, "apply_plan", apply)


def keep_spy(runtime: Runtime, change_text: bool = False) -> dict[int, Any]:
    """Record what translate keeps for deliver (``change_text``: keep it under other text,
    as if the store held another version of the document)."""
    kept: dict[int, Any] = {}
    keep = runtime.handoff.keep

    def spy(transaction_id: int, text: str, document: Any) -> None:
        kept[transaction_id] = document
        keep(transaction_id, text + " " if change_text else text, document)

    runtime.handoff.keep = spy  # type: ignore[method-assign]
    return kept


def ingest(runtime: Runtime, data: bytes, name: str = "in.edi") -> None:
    StoreIntake(runtime).receive(ReceivedPayload(data=data, transport="cli", filename=name))
    runtime.dispatcher.drain()  # type: ignore[attr-defined]


def stored_documents(runtime: Runtime) -> dict[int, tuple[str, str]]:
    """Each delivered transaction's document: (type, stored JSON text)."""
    with runtime.sessions() as s:
        rows = s.execute(
            select(Document.transaction_id, Document.document_type, Document.data)
            .join(Transaction, Transaction.id == Document.transaction_id)
            .where(Transaction.state == "delivered")
        ).all()
    return {t: (kind, json.dumps(data)) for t, kind, data in rows}


@pytest.mark.parametrize("change_text", [False, True], ids=["as-stored", "stored-otherwise"])
def test_deliver_takes_the_kept_document_only_as_stored(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch, change_text: bool
) -> None:
    # given translate keeping its documents (under the stored text, or under another)
    planned = Planned(monkeypatch)
    runtime = make_runtime()
    kept = keep_spy(runtime, change_text)
    # when an interchange of purchase orders and a ship notice go through
    ingest(runtime, fixture_bytes("keystone-pharma", "850_purchase_order.edi"), "850.edi")
    ingest(runtime, fixture_bytes("summit-medical", "856_ship_notice.edi"), "856.edi")
    stored = stored_documents(runtime)
    assert len(stored) >= 2 and set(stored) == set(kept)
    for transaction_id, document in kept.items():
        given = planned.documents[document.business_key]
        # then deliver was given the very object only when the text matched, and in
        # either case the document the store holds
        assert (given is document) is (not change_text)
        assert given == load_document(json.loads(stored[transaction_id][1]))
    # and nothing stays kept (each was taken once)
    assert not runtime.handoff._kept


@pytest.mark.parametrize("path", INBOUND, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stored_text_validates_into_the_kept_document(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch, path: Any
) -> None:
    # given every sample partner's inbound document through the pipeline
    Planned(monkeypatch)
    runtime = make_runtime()
    kept = keep_spy(runtime)
    ingest(runtime, path.read_bytes(), path.name)
    with runtime.sessions() as s:
        rows = s.execute(
            select(
                Document.transaction_id,
                Document.document_type,
                Document.business_key,
                cast(Document.data, Text),  # as stored
            )
        ).all()
    assert rows, f"{path.name}: nothing translated"
    for transaction_id, kind, key, text in rows:
        doc_row = deliver_stage._Doc(kind, key, text)
        # then the text validates (pydantic's JSON parser) into what json.loads and
        # load_document give, and into the object translate kept
        validated = deliver_stage._validate(doc_row)
        assert validated == load_document(json.loads(text))
        assert validated == kept[transaction_id]
        assert validated.model_dump_json() == text


def test_the_handoff_is_bounded_and_gives_each_document_once() -> None:
    handoff = DocumentHandoff()
    handoff.MAX_DOCUMENTS = 3
    for n in range(5):
        handoff.keep(n, f"text {n}", {"n": n})
    # the oldest went first
    assert handoff.take(0, "text 0") is None and handoff.take(1, "text 1") is None
    assert handoff.take(4, "text 4") == {"n": 4}
    assert handoff.take(4, "text 4") is None  # once
    assert handoff.take(3, "other text") is None  # only as kept
    assert handoff.take(3, "text 3") is None  # and gone all the same
    handoff.MAX_CHARS = 10
    handoff.keep(7, "x" * 11, {"n": 7})  # bigger than all it may keep: not kept
    handoff.keep(8, "x" * 6, {"n": 8})
    handoff.keep(9, "x" * 6, {"n": 9})  # together over the limit: 8 goes
    assert handoff.take(7, "x" * 11) is None and handoff.take(8, "x" * 6) is None
    assert handoff.take(2, "text 2") is None  # (gone for 8)
    assert handoff.take(9, "x" * 6) == {"n": 9} and handoff._chars == 0


def check_counters(session: Session) -> None:
    names = [("x12-interchange", 999_999_999), ("x12-group", 999_999_999), ("x12-tx", 9999)]
    # given no counters yet: each is created and starts at 1
    assert next_counters(session, "acme", names) == [1, 1, 1]
    assert next_counters(session, "acme", names) == [2, 2, 2]
    # and each wraps at its own modulo
    session.execute(update(Counter).where(Counter.name == "x12-tx").values(value=9999))
    assert next_counters(session, "acme", names) == [3, 3, 1]
    # and another partner's counters and a counter taken alone are their own
    assert next_counters(session, "other", names[:2]) == [1, 1]
    assert next_counter(session, "acme", "x12-group") == 4
    assert next_counters(session, "acme", names) == [4, 5, 2]


def check_skipped_rows(session: Session, tmp_path: Any) -> None:
    # given a payload stored twice, in a file and in the database
    files = FilePayloadStore(tmp_path / "payloads")
    assert files.put(session, b"ISA*1") == files.put(session, b"ISA*1")
    database = DatabasePayloadStore()
    assert database.put(session, b"UNB+2") == database.put(session, b"UNB+2")
    sizes = session.execute(select(Payload.storage, Payload.size)).all()
    assert sorted(sizes) == [("database", 5), ("file", 5)]
    # and an interchange whose dedupe key is there already
    session.add(
        Message(transport="cli", payload_sha256=files.put(session, b"ISA*1"), correlation_id="c")
    )
    session.flush()
    message_id = session.scalars(select(Message.id)).one()
    values: dict[str, Any] = {
        "message_id": message_id,
        "direction": "in",
        "syntax": "x12",
        "sender_qualifier": "ZZ",
        "sender_id": "A",
        "receiver_qualifier": "ZZ",
        "receiver_id": "B",
        "control_number": "1",
        "state": "received",
        "issues": [],
        "dedupe_key": "x12|ZZ|A|B|1",
    }
    first = _insert_interchange(session, values)
    # then the second is skipped (None), and the transaction goes on
    assert first is not None and _insert_interchange(session, values) is None
    assert _insert_interchange(session, {**values, "dedupe_key": None}) is not None
    assert session.scalar(select(Interchange.id).where(Interchange.id == first)) == first


def check_store(runtime: Runtime, tmp_path: Any) -> None:
    with runtime.sessions() as session, session.begin():
        check_counters(session)
        check_skipped_rows(session, tmp_path)


def test_counters_payloads_and_interchanges(
    make_runtime: Callable[..., Runtime], tmp_path: Any
) -> None:
    check_store(make_runtime(), tmp_path)


@pytest.mark.postgres
def test_counters_payloads_and_interchanges_on_postgresql(
    make_runtime: Callable[..., Runtime], postgres_url: str, tmp_path: Any
) -> None:
    check_store(make_runtime(postgres_url), tmp_path)


@pytest.mark.postgres
def test_deliver_takes_the_kept_document_on_postgresql(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    # given PostgreSQL: the stored JSON comes back as the text translate wrote
    planned = Planned(monkeypatch)
    runtime = make_runtime(postgres_url)
    kept = keep_spy(runtime)
    ingest(runtime, fixture_bytes("summit-medical", "856_ship_notice.edi"))
    # then deliver was given the document translate kept
    (document,) = kept.values()
    assert planned.documents[document.business_key] is document


def test_a_ship_notice_moves_every_order_it_answers_in_one_read(
    make_runtime: Callable[..., Runtime],
) -> None:
    # given three orders sent to a partner (one of them twice over: a resend), and one
    # order of another partner with the same number
    runtime = make_runtime()
    with runtime.sessions() as session, session.begin():
        for odoo_id, (partner, key) in enumerate(
            [
                ("summit-medical", "PO-2"),
                ("summit-medical", "PO-1"),
                ("summit-medical", "PO-3"),
                ("summit-medical", "PO-1"),
                ("keystone-pharma", "PO-1"),
            ]
        ):
            session.add(
                OutboundOrder(
                    partner_id=partner,
                    odoo_id=odoo_id,
                    business_key=key,
                    state=OrderCycle.SENT,
                    syntax="x12",
                    set_id="850",
                    map_name="x12/004010/850",
                    transport="as2",
                    correlation_id=str(uuid.uuid4()),
                )
            )
        ids = {
            (o.partner_id, o.business_key, o.id)
            for o in session.scalars(select(OutboundOrder).order_by(OutboundOrder.id))
        }
    # when a ship notice names PO-1 and PO-2 (PO-1 twice)
    notice = SimpleNamespace(
        document_type="ship_notice",
        po_number="PO-1",
        orders=[SimpleNamespace(po_number="PO-2"), SimpleNamespace(po_number="PO-1")],
    )
    with runtime.sessions() as session, session.begin():
        moved = record_business_document(session, "summit-medical", notice)
    # then the partner's orders of those numbers moved, number by number, each once
    by_key = sorted((k, i) for p, k, i in ids if p == "summit-medical" and k != "PO-3")
    assert moved == [i for _, i in by_key]
    with runtime.sessions() as session:
        states = {o.id: o.state for o in session.scalars(select(OutboundOrder))}
    assert {i for i, s in states.items() if s == OrderCycle.SHIPPED} == set(moved)


@pytest.mark.parametrize("store", ["file", "database"])
def test_split_and_translate_read_the_payload_with_their_subject(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch, store: str
) -> None:
    # given payloads kept in files or in the database
    Planned(monkeypatch)
    runtime = make_runtime(payload_store=store)
    # when the same ship notice comes twice (the second payload is the first's bytes)
    data = fixture_bytes("summit-medical", "856_ship_notice.edi")
    ingest(runtime, data, "one.edi")
    ingest(runtime, data, "two.edi")
    # then the first is delivered and the second found a duplicate, each read back whole
    with runtime.sessions() as s:
        states = s.execute(select(Message.state).order_by(Message.id)).scalars().all()
        payloads = s.execute(select(Payload.storage, Payload.data.is_not(None))).all()
        delivered = s.scalars(select(Transaction.state)).all()
    assert [str(state) for state in states] == ["split", "duplicate"]
    assert delivered == ["delivered"]
    # (the file's and the acknowledgements' payload rows: bytes in the row only in the
    # database)
    assert len(payloads) >= 2 and set(payloads) == {(store, store == "database")}


def test_the_stages_run_only_core_statements(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given every statement a session executes, with whether SQLAlchemy compiles it
    # through the ORM (a statement naming mapped classes: about twice the client CPU)
    Planned(monkeypatch)
    runtime = make_runtime()
    orm: list[str] = []
    execute = Session.execute

    def spy(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if statement._propagate_attrs.get("compile_state_plugin") == "orm":
            orm.append(" ".join(str(statement).split())[:120])
        return execute(self, statement, *args, **kwargs)

    # when purchase orders and a ship notice go through after a first file (the lookups
    # of the first run, configuration and chains, are done once per process)
    ingest(runtime, fixture_bytes("keystone-pharma", "850_purchase_order.edi"), "first.edi")
    monkeypatch.setattr(Session, "execute", spy)
    data = fixture_bytes("summit-medical", "856_ship_notice.edi")
    ingest(runtime, data, "856.edi")
    # then the ship notice was delivered by statements of tables alone, stage by stage
    monkeypatch.undo()
    with runtime.sessions() as s:
        assert s.scalars(select(Transaction.state)).all().count("delivered") >= 2
    assert orm == []
