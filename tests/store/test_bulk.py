"""Many rows in one statement (gateway/store/bulk.py) on SQLite and PostgreSQL.

Given rows as the stages build them, the rows read back are what a Core ``executemany``
writes: values through each column's type (state enums, JSON, a JSON value given already
serialized, NULLs), Python-side defaults per row, ``onupdate`` on an update, the same row
twice in one update applied in order, and the stage's attempt row in the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Engine, Table, select

from gateway.store.attempts import AttemptRecord, attempt_scope
from gateway.store.bulk import _unless_present, insert_rows, insert_unless_present, update_rows
from gateway.store.db import make_engine, make_session_factory, migrate, session_scope
from gateway.store.models import (
    Document,
    FunctionalGroup,
    Interchange,
    Message,
    Payload,
    StageAttempt,
    Transaction,
    TransactionState,
    utcnow,
)

TXNS = cast(Table, Transaction.__table__)
PAYLOADS = cast(Table, Payload.__table__)
ICS = cast(Table, Interchange.__table__)
DOCS = cast(Table, Document.__table__)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'bulk.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    made = make_engine(url)
    migrate(made)
    yield made
    made.dispose()


def _group(engine: Engine) -> dict[str, int]:
    """A message, interchange and group for transactions to belong to: their ids."""
    with session_scope(make_session_factory(engine)) as session:
        session.add(Payload(sha256="0" * 64, size=1, storage="database", data=b"x"))
        session.flush()
        message = Message(
            transport="cli", partner_id="p", payload_sha256="0" * 64, correlation_id="c-1"
        )
        session.add(message)
        session.flush()
        interchange = Interchange(
            message_id=message.id,
            partner_id="p",
            syntax="x12",
            sender_id="S",
            receiver_id="R",
            control_number="1",
        )
        session.add(interchange)
        session.flush()
        group = FunctionalGroup(interchange_id=interchange.id, functional_id="PO")
        session.add(group)
        session.flush()
        return {"group_id": group.id, "interchange_id": interchange.id, "message_id": message.id}


def _txn_rows(group: dict[str, int], count: int) -> list[dict[str, object]]:
    return [
        {
            **group,
            "partner_id": "p",
            "set_id": "850",
            "document_type": None if n % 2 else "purchase_order",
            "control_number": f"{n:04d}",
            "state": TransactionState.RECEIVED,
            "issues": [{"code": "I", "n": n}] if n == 1 else [],
            "correlation_id": "c-1",
        }
        for n in range(count)
    ]


def test_inserted_rows_read_back_as_core_writes_them(engine: Engine) -> None:
    factory = make_session_factory(engine)
    group = _group(engine)
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with session_scope(factory) as session:
        insert_rows(session, TXNS, _txn_rows(group, 3))
    with session_scope(factory) as session:
        txns = session.scalars(select(Transaction).order_by(Transaction.control_number)).all()
        assert [t.control_number for t in txns] == ["0000", "0001", "0002"]
        assert [t.document_type for t in txns] == ["purchase_order", None, "purchase_order"]
        assert all(t.state is TransactionState.RECEIVED for t in txns)
        assert [t.issues for t in txns] == [[], [{"code": "I", "n": 1}], []]
        # Python-side defaults, per row: version "", retries 0, the timestamps now
        assert {(t.version, t.retries, t.direction) for t in txns} == {("", 0, "in")}
        # SQLite gives the stored timestamps back without their zone
        assert all(t.created_at.replace(tzinfo=None) >= before for t in txns)
        assert len({id(t.issues) for t in txns}) == 3


def test_a_json_value_given_serialized_is_stored_as_json(engine: Engine) -> None:
    factory = make_session_factory(engine)
    group = _group(engine)
    with session_scope(factory) as session:
        insert_rows(session, TXNS, _txn_rows(group, 2))
    with session_scope(factory) as session:
        ids = session.scalars(select(Transaction.id).order_by(Transaction.id)).all()
        rows = [
            {
                "transaction_id": ids[0],
                "document_type": "po",
                "business_key": "A",
                "data": '{"a": [1, 2]}',
            },
            {
                "transaction_id": ids[1],
                "document_type": "po",
                "business_key": "B",
                "data": '{"b": null}',
            },
        ]
        insert_rows(session, DOCS, rows, raw=("data",))
    with session_scope(factory) as session:
        docs = session.scalars(select(Document).order_by(Document.id)).all()
        assert [d.data for d in docs] == [{"a": [1, 2]}, {"b": None}]
        assert [d.map_name for d in docs] == ["", ""]


def test_updates_apply_per_row_with_onupdate(engine: Engine) -> None:
    factory = make_session_factory(engine)
    group = _group(engine)
    with session_scope(factory) as session:
        insert_rows(session, TXNS, _txn_rows(group, 3))
    with session_scope(factory) as session:
        txns = session.scalars(select(Transaction).order_by(Transaction.id)).all()
        stamps = [t.updated_at for t in txns]
        ids = [t.id for t in txns]
    with session_scope(factory) as session:
        update_rows(
            session,
            TXNS,
            [
                {"id": ids[0], "state": TransactionState.PARSED, "error": None},
                {"id": ids[2], "state": TransactionState.FAILED, "error": "boom"},
            ],
        )
        # the same row twice: applied in order, the last one wins
        update_rows(
            session,
            TXNS,
            [{"id": ids[1], "business_key": "K1"}, {"id": ids[1], "business_key": "K2"}],
        )
    with session_scope(factory) as session:
        txns = session.scalars(select(Transaction).order_by(Transaction.id)).all()
        assert [(t.state, t.error, t.business_key) for t in txns] == [
            (TransactionState.PARSED, None, None),
            (TransactionState.RECEIVED, None, "K2"),
            (TransactionState.FAILED, "boom", None),
        ]
        assert all(t.updated_at > old for t, old in zip(txns, stamps, strict=True))


def test_the_stages_attempt_row_goes_into_a_bulk_only_transaction(engine: Engine) -> None:
    factory = make_session_factory(engine)
    group = _group(engine)
    record = AttemptRecord(
        stage="split", subject_id=1, attempt=1, worker="test", started_at=utcnow()
    )
    with attempt_scope(record), session_scope(factory) as session:
        insert_rows(session, TXNS, _txn_rows(group, 1))
    with session_scope(factory) as session:
        assert session.scalars(select(StageAttempt.stage)).all() == ["split"]


def test_update_rows_needs_the_key(engine: Engine) -> None:
    with session_scope(make_session_factory(engine)) as session, pytest.raises(ValueError):
        update_rows(session, TXNS, [{"state": TransactionState.PARSED}])


def test_a_row_is_inserted_once_by_its_unique_key(engine: Engine) -> None:
    factory = make_session_factory(engine)
    row = {"sha256": "a" * 64, "size": 3, "storage": "database", "data": b"abc"}
    # when the same payload row is written twice, the second time with other values
    with session_scope(factory) as session:
        assert insert_unless_present(session, PAYLOADS, "sha256", row) is None
    with session_scope(factory) as session:
        again = {**row, "size": 4, "data": b"abcd"}
        assert insert_unless_present(session, PAYLOADS, "sha256", again) is None
    # then one row, the first one's
    with session_scope(factory) as session:
        stored = session.execute(select(PAYLOADS.c.size, PAYLOADS.c.data)).all()
    assert [(r.size, bytes(r.data)) for r in stored] == [(3, b"abc")]


def test_the_new_rows_id_comes_back_and_none_for_a_known_key(engine: Engine) -> None:
    group = _group(engine)
    factory = make_session_factory(engine)
    values = {
        "message_id": group["message_id"],
        "syntax": "x12",
        "sender_id": "S",
        "receiver_id": "R",
        "control_number": "000000999",
        "dedupe_key": "x12|S|R|000000999",
        "start": 0,
        "end": 10,
    }
    with session_scope(factory) as session:
        new_id = insert_unless_present(session, ICS, "dedupe_key", values, returning="id")
    with session_scope(factory) as session:
        twice = insert_unless_present(session, ICS, "dedupe_key", values, returning="id")
        ids = session.scalars(select(ICS.c.id).where(ICS.c.dedupe_key == values["dedupe_key"]))
        assert (twice, list(ids)) == (None, [new_id])
    assert isinstance(new_id, int)


def test_only_the_two_store_databases_are_known() -> None:
    with pytest.raises(ValueError, match="SQLite or PostgreSQL, not mysql"):
        _unless_present("mysql", PAYLOADS, "sha256", None)
