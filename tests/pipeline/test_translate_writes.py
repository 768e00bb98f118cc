"""translate writes its outcomes in bulk and in the order it decided them.

The state moves, their events, the documents and the rejected transactions' business
exceptions of one interchange come out as they did row by row: events in transaction
order with their texts, in intact hash chains, one document per translated transaction;
written in batches of any size, the same.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from gateway.documents import load_document
from gateway.intake import ReceivedPayload
from gateway.pipeline import translate as translate_stage
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.audit_trail import verify_chains
from gateway.store.models import BusinessException, Document, Event, Transaction
from tests.pipeline.conftest import fixture_bytes


def three_orders() -> bytes:
    """One interchange of three 850s; the second has a line without a quantity."""
    text = fixture_bytes("keystone-pharma", "850_purchase_order.edi").decode()
    head, rest = text.split("ST*850*0001", 1)
    body, tail = rest.split("GE*1*88120~", 1)
    sets = []
    for n in (1, 2, 3):
        one = ("ST*850*0001" + body).replace("0001", f"000{n}").replace("KPW-PO-88120", f"PO-{n}")
        if n == 2:
            one = one.replace("PO1*2*48*EA*", "PO1*2***")
        sets.append(one)
    return (head + "".join(sets) + "GE*3*88120~" + tail).encode()


def run(runtime: Runtime) -> list[tuple[str, str, str, str | None]]:
    """Ingest the interchange; the translate stage's events (control number, kind, detail,
    state before), in the order they were written."""
    StoreIntake(runtime).receive(ReceivedPayload(data=three_orders(), transport="cli"))
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        control = dict(s.execute(select(Transaction.id, Transaction.control_number)).all())
        events = s.execute(
            select(Event.transaction_id, Event.kind, Event.detail, Event.state_from)
            .where(Event.state_from == "parsed")
            .order_by(Event.id)
        ).all()
    return [(control[t], kind, detail, before) for t, kind, detail, before in events]


@pytest.mark.parametrize("batch", [translate_stage.FLUSH_EVERY, 1])
def test_outcomes_are_written_in_order_whatever_the_batch(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    # given the stage writing every `batch` transactions
    monkeypatch.setattr(translate_stage, "FLUSH_EVERY", batch)
    check_three_orders(make_runtime())


@pytest.mark.postgres
def test_outcomes_on_postgresql(make_runtime: Callable[..., Runtime], postgres_url: str) -> None:
    check_three_orders(make_runtime(postgres_url))


def check_three_orders(runtime: Runtime) -> None:
    # when the interchange goes through the pipeline
    events = run(runtime)
    # then its translate events are in transaction order, with their texts
    assert [e[:2] for e in events] == [
        ("0001", "translated"),
        ("0002", "rejected"),
        ("0003", "translated"),
    ]
    assert events[0][2] == "purchase_order PO-1" and events[2][2] == "purchase_order PO-3"
    assert events[1][2].startswith("document error: ") and "quantity" in events[1][2]
    with runtime.sessions() as s:
        rows = {t.control_number: t for t in s.scalars(select(Transaction))}
        # and the translated transactions carry their keys, one document each
        assert {c: (t.state, t.business_key, t.document_type) for c, t in rows.items()} == {
            "0001": ("delivered", "PO-1", "purchase_order"),
            "0002": ("rejected", "PO-2", "purchase_order"),  # split's key
            "0003": ("delivered", "PO-3", "purchase_order"),
        }
        assert "quantity" in (rows["0002"].error or "")
        documents = s.execute(
            select(Document.transaction_id, Document.business_key, Document.map_name)
        ).all()
        assert sorted((t, k) for t, k, _ in documents) == [
            (rows["0001"].id, "PO-1"),
            (rows["0003"].id, "PO-3"),
        ]
        assert all(name for _, _, name in documents)
        data = s.scalars(select(Document.data).where(Document.business_key == "PO-3")).one()
        assert data["po_number"] == "PO-3" and data["source"]["transaction_control_number"] == (
            "0003"
        )
        # (stored as its canonical JSON: read back, the same document)
        assert load_document(data).model_dump(mode="json") == data
        # and the rejected one has its business exception
        exception = s.scalars(select(BusinessException)).one()
        assert exception.transaction_id == rows["0002"].id and "PO1" in exception.message
    # and the whole trail verifies
    report = verify_chains(runtime.engine)
    assert report.intact, report.breaks
