"""The pipeline's events form intact hash chains, one per document, operator actions too."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from gateway.pipeline.operations import cancel_transaction, replay_transaction
from gateway.pipeline.runtime import Runtime
from gateway.store.audit_trail import verify_chains
from gateway.store.models import Event, Message, Transaction
from tests.pipeline.conftest import fixture_bytes
from tests.pipeline.test_ingest import ingest, mixed_file


def test_pipeline_events_chain_per_document(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    # given a file with three interchanges through the whole pipeline
    first = ingest(runtime, mixed_file(), "mixed.edi")
    # and an operator replaying one of its transactions and cancelling another file's
    with runtime.sessions() as s:
        txn_ids = s.scalars(select(Transaction.id).where(Transaction.message_id == first)).all()
    replay_transaction(runtime, txn_ids[0], actor="console:alice")
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    second = ingest(runtime, fixture_bytes("summit-medical", "856_ERROR_segment_count.edi"))
    with runtime.sessions() as s:
        other = s.scalars(select(Transaction).where(Transaction.message_id == second)).one()
    assert other.state == "rejected"
    cancel_transaction(runtime, other.id, actor="console:bob", reason="partner resends")
    # then every event of a message is in the chain of its correlation id
    with runtime.sessions() as s:
        for message in s.scalars(select(Message)):
            chains = set(s.scalars(select(Event.chain).where(Event.message_id == message.id)).all())
            assert chains == {f"doc:{message.correlation_id}"}, s.execute(
                select(Event.kind, Event.detail).where(Event.chain.like("msg:%"))
            ).all()
        replayed = s.scalars(
            select(Event).where(Event.actor == "console:alice", Event.transaction_id == txn_ids[0])
        ).one()
        assert replayed.kind == "parsed" and replayed.seq > 1
        cancelled = s.scalars(select(Event).where(Event.actor == "console:bob")).one()
        assert cancelled.chain == f"doc:{other.correlation_id}" and cancelled.seq > 1
    # and the whole trail verifies
    report = verify_chains(runtime.engine)
    assert report.intact, report.breaks
    assert report.chains >= 2 and report.events > 10
