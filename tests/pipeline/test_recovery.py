"""Work whose queue message was lost is found in the store and finished.

Simulates a broker that loses every message (or workers that die after their commit and
before sending the next stage): the scheduler's ``recover_stalled`` must bring every
transaction to its final state, and running it again once all is done must do nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import select

from gateway.intake import ReceivedPayload
from gateway.pipeline.dispatch import Next
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.operations import recover_stalled
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Acknowledgement, Event, Interchange, Transaction
from tests.pipeline.conftest import fixture_bytes


class LosingDispatcher:
    """A broker that accepts messages and loses them."""

    def __init__(self) -> None:
        self.lost: list[Next] = []

    def dispatch(self, items: Sequence[Next]) -> None:
        self.lost.extend(items)


def test_recover_stalled_finishes_work_whose_messages_were_lost(
    make_runtime: Callable[..., Runtime],
) -> None:
    from gateway.pipeline.runner import run_stage

    runtime = make_runtime()
    losing = LosingDispatcher()
    runtime.dispatcher = losing
    for partner, name in [
        ("keystone-pharma", "850_purchase_order.edi"),
        ("nordlicht-medtech", "DESADV_ERROR_segment_count.edi"),
    ]:
        StoreIntake(runtime).receive(
            ReceivedPayload(data=fixture_bytes(partner, name), transport="cli")
        )
    assert [n.stage for n in losing.lost] == ["split", "split"]
    # each sweep finds what is stalled; the stages it runs lose their follow-ups again,
    # so recovery alone has to carry every document through every stage
    sweeps = 0
    while True:
        losing.lost.clear()
        if recover_stalled(runtime, older_than=dt.timedelta(seconds=-1)) == 0:
            break
        sweeps += 1
        assert sweeps < 10, losing.lost
        for item in list(losing.lost):
            run_stage(runtime, item.stage, item.args)
    with runtime.sessions() as s:
        states = sorted(t.state for t in s.scalars(select(Transaction)))
        acks = sorted(a.kind for a in s.scalars(select(Acknowledgement)))
        ack_states = {a.state for a in s.scalars(select(Acknowledgement))}
        statuses = {i.ack_status for i in s.scalars(select(Interchange))}
        kinds = set(s.scalars(select(Event.kind)))
    assert states == ["delivered", "rejected"], states
    assert acks == ["999", "CONTRL"] and ack_states == {"stored"}
    assert statuses == {"accepted", "rejected"}
    assert {"split", "validated", "ack_built", "translated", "delivered"} <= kinds
    assert sweeps >= 4  # split, validate, acknowledge/translate, deliver/send_ack
