"""An interchange's documents are delivered in one run, still exactly once each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.intake import ReceivedPayload
from gateway.odoo.delivery import DeliveryOutcome, DeliveryPlan, delivery_key
from gateway.odoo.errors import OdooTransientError
from gateway.pipeline import deliver as deliver_stage
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Delivery, Event, StageAttempt, Transaction

LINE = "PO1*1*10*EA*2.41**N4*00338004904*VP*KPW-338049~"


def orders(*po_numbers: str) -> bytes:
    """A Keystone 005010 interchange with one 850 per PO number."""
    sets = []
    for n, po in enumerate(po_numbers, start=1):
        segs = [f"ST*850*{n:04d}*005010~", f"BEG*00*SA*{po}**20261116~", LINE, "CTT*1~"]
        sets.append("\n".join([*segs, f"SE*{len(segs) + 1}*{n:04d}~"]))
    return (
        "ISA*00*          *00*          *ZZ*KEYSTONERX     *ZZ*MERIDIANHEALTH "
        "*261116*0930*^*00501*000000777*0*P*>~\n"
        "GS*PO*KEYSTONERX*MERIDIANHEALTH*20261116*0930*777*X*005010~\n"
        + "\n".join(sets)
        + f"\nGE*{len(sets)}*777~\nIEA*1*000000777~\n"
    ).encode()


class Planner:
    """Stands in for Odoo: plans nothing to write, fails chosen PO numbers once."""

    def __init__(self, fail_once: set[str] | None = None) -> None:
        self.fail_once = set(fail_once or ())
        self.planned: list[str] = []

    def plan(self, document: Any, *, profile: Any, **_: Any) -> DeliveryPlan:
        if document.po_number in self.fail_once:
            self.fail_once.discard(document.po_number)
            raise OdooTransientError("cannot reach Odoo")
        self.planned.append(document.po_number)
        return DeliveryPlan(
            document_type=document.document_type, key=delivery_key(document, profile)
        )

    @staticmethod
    def apply(plan: DeliveryPlan, odoo: Any, **_: Any) -> DeliveryOutcome:
        return DeliveryOutcome(records=[], exceptions=[], already_existed=False, notes=[])


@pytest.fixture
def run(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[Runtime, Planner]]:
    def go(data: bytes, planner: Planner) -> tuple[Runtime, Planner]:
        monkeypatch.setattr(deliver_stage, "plan_delivery", planner.plan)
        monkeypatch.setattr(deliver_stage, "apply_plan", planner.apply)
        runtime = make_runtime(odoo_factory=lambda: None)
        StoreIntake(runtime).receive(ReceivedPayload(data=data, transport="cli"))
        runtime.dispatcher.drain(max_wait=0.05)  # type: ignore[attr-defined]
        return runtime, planner

    return go


def states(runtime: Runtime) -> list[tuple[str, int]]:
    with runtime.sessions() as s:
        return [
            (t.state, t.retries) for t in s.scalars(select(Transaction).order_by(Transaction.id))
        ]


def test_one_deliver_run_delivers_every_document_of_the_interchange(
    run: Callable[..., tuple[Runtime, Planner]],
) -> None:
    # when an interchange with four orders goes through the pipeline
    runtime, planner = run(orders("PO-1", "PO-2", "PO-3", "PO-4"), Planner())
    # then one deliver run delivered all four, one ledger row each
    assert states(runtime) == [("delivered", 0)] * 4
    assert planner.planned == ["PO-1", "PO-2", "PO-3", "PO-4"]
    with runtime.sessions() as s:
        runs = s.scalars(select(StageAttempt.outcome).where(StageAttempt.stage == "deliver"))
        assert list(runs) == ["ok"]
        assert s.scalar(select(func.count()).select_from(Delivery)) == 4
        delivered = s.scalars(select(Event.transaction_id).where(Event.kind == "delivered"))
        assert sorted(delivered) == [1, 2, 3, 4]


def test_a_repeated_business_key_in_the_batch_is_delivered_once(
    run: Callable[..., tuple[Runtime, Planner]],
) -> None:
    # when an interchange carries the same order twice
    runtime, planner = run(orders("PO-1", "PO-2", "PO-1"), Planner())
    # then Odoo is asked for it once and the copy finds the first delivery in the ledger
    assert planner.planned == ["PO-1", "PO-2"]
    assert states(runtime) == [("delivered", 0)] * 3
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 2
        copy = s.scalars(
            select(Event.detail).where(Event.transaction_id == 3, Event.kind == "delivered")
        ).one()
    assert "already delivered by transaction 1" in copy


def test_odoo_away_mid_batch_keeps_what_was_done_and_retries_the_rest(
    run: Callable[..., tuple[Runtime, Planner]],
) -> None:
    # when Odoo cannot be reached for the second of three orders (once)
    runtime, planner = run(orders("PO-1", "PO-2", "PO-3"), Planner(fail_once={"PO-2"}))
    # then the first was recorded before the retry, the other two were given back and
    # delivered by the retry: each planned once, one ledger row each
    assert planner.planned == ["PO-1", "PO-2", "PO-3"]
    assert states(runtime) == [("delivered", 0), ("delivered", 1), ("delivered", 1)]
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 3
        runs = s.scalars(
            select(StageAttempt.outcome)
            .where(StageAttempt.stage == "deliver")
            .order_by(StageAttempt.id)
        )
        assert list(runs) == ["retry", "ok"]
