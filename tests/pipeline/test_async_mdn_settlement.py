"""Asynchronous MDNs for messages we sent, through gateway.pipeline.as2_mdns (what /as2
calls): who may settle a pending message, and what settling does to what was sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from gateway.as2 import mdn as mdnmod
from gateway.as2.certs import KeyCache
from gateway.as2.client import As2Sender
from gateway.as2.client import PendingMdn as ClientPending
from gateway.as2.receiver import ReceivedMdn
from gateway.pipeline import as2_mdns
from gateway.pipeline.runtime import Runtime
from gateway.states import AckState, OrderCycle
from gateway.store.models import (
    Acknowledgement,
    BusinessException,
    Event,
    OutboundChange,
    OutboundOrder,
    PendingMdn,
)

MID = "20260101000000.0123456789abcdef@GATEWAY"
MIC = "q1w2e3="


def the_mdn(*, positive: bool = True, signed: bool = True) -> mdnmod.Mdn:
    disposition = "automatic-action/MDN-sent-automatically; " + (
        "processed" if positive else "failed/Failure: unexpected-processing-error"
    )
    status, modifier = mdnmod.parse_disposition(disposition)
    return mdnmod.Mdn(
        f"<{MID}>", disposition, status, modifier, MIC, "sha256", signed, None, "", "<m@x>",
        "SUMMITMED", "GATEWAY",
    )  # fmt: skip


def sender(runtime: Runtime) -> As2Sender:
    def no_partner(partner_id: str) -> Any:
        raise KeyError(partner_id)

    return As2Sender(
        get_partner=no_partner,
        keys=KeyCache(runtime.identities),
        record_attempt=lambda attempt: as2_mdns.record_send_attempt(runtime, attempt),
    )


def sent_ack(runtime: Runtime) -> None:
    as2_mdns.store_pending_mdn(
        runtime, ClientPending("summit", f"<{MID}>", MIC, "sha256", True, datetime.now(UTC))
    )
    with runtime.sessions.begin() as session:
        session.add(
            Acknowledgement(
                direction="out", kind="997", partner_id="summit", status="accepted",
                state=AckState.SENT, transport="as2", transport_ref=f"<{MID}>",
            )
        )  # fmt: skip


def state(runtime: Runtime) -> tuple[str | None, AckState, list[str]]:
    with runtime.sessions() as session:
        pending = session.get(PendingMdn, MID)
        assert pending is not None
        ack = session.scalars(select(Acknowledgement)).one()
        details = [
            e.detail
            for e in session.scalars(select(Event).order_by(Event.id))
            if e.kind == "as2_send"
        ]
        return pending.outcome, ack.state, details


def test_another_partners_mdn_leaves_the_message_pending(
    make_runtime: Callable[..., Runtime],
) -> None:
    # given: a 997 sent to summit, waiting for its MDN
    runtime = make_runtime()
    sent_ack(runtime)
    # when: acme (known, verified) posts a negative MDN naming summit's Message-ID
    as2_mdns.settle_async_mdn(
        runtime, ReceivedMdn("acme", the_mdn(positive=False), True), sender(runtime)
    )
    # then: nothing is settled, and the event says who sent what
    outcome, ack_state, details = state(runtime)
    assert (outcome, ack_state) == (None, AckState.SENT)
    assert "from partner acme ignored" in details[-1] and "went to summit" in details[-1]
    # and summit's genuine positive MDN still settles it
    as2_mdns.settle_async_mdn(runtime, ReceivedMdn("summit", the_mdn(), True), sender(runtime))
    outcome, ack_state, _ = state(runtime)
    assert (outcome, ack_state) == ("delivered", AckState.SENT)


def test_an_unverified_mdn_leaves_the_message_pending(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime()
    sent_ack(runtime)
    # when: anyone posts to /as2 as summit; the signature does not verify
    forged = ReceivedMdn(
        "summit", the_mdn(positive=False, signed=False), False, "signature does not verify"
    )
    as2_mdns.settle_async_mdn(runtime, forged, sender(runtime))
    # or an unsigned one where a signed receipt was asked
    unsigned = ReceivedMdn("summit", the_mdn(positive=False, signed=False), False)
    as2_mdns.settle_async_mdn(runtime, unsigned, sender(runtime))
    outcome, ack_state, details = state(runtime)
    assert (outcome, ack_state) == (None, AckState.SENT)
    assert "signature does not verify" in details[-2] and "not signed" in details[-1]
    # then the genuine MDN settles it
    as2_mdns.settle_async_mdn(runtime, ReceivedMdn("summit", the_mdn(), True), sender(runtime))
    assert state(runtime)[0] == "delivered"


def test_summits_verified_negative_mdn_fails_the_acknowledgement(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime()
    sent_ack(runtime)
    as2_mdns.settle_async_mdn(
        runtime, ReceivedMdn("summit", the_mdn(positive=False), True), sender(runtime)
    )
    outcome, ack_state, _ = state(runtime)
    assert (outcome, ack_state) == ("failed", AckState.FAILED)


def sent_order(runtime: Runtime, state: OrderCycle = OrderCycle.SENT) -> int:
    as2_mdns.store_pending_mdn(
        runtime, ClientPending("summit", f"<{MID}>", MIC, "sha256", True, datetime.now(UTC))
    )
    with runtime.sessions.begin() as session:
        order = OutboundOrder(
            partner_id="summit", odoo_id=1, business_key="PO1", state=state, syntax="x12",
            set_id="850", map_name="m", transport="as2", correlation_id="c",
            transport_ref=f"<{MID}>",
        )  # fmt: skip
        session.add(order)
        session.flush()
        return order.id


def order_state(runtime: Runtime, order_id: int) -> tuple[OrderCycle, str | None]:
    with runtime.sessions() as session:
        order = session.get(OutboundOrder, order_id)
        assert order is not None
        return OrderCycle(order.state), order.error


def test_a_negative_async_mdn_fails_the_purchase_order(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime()
    order_id = sent_order(runtime)
    as2_mdns.settle_async_mdn(
        runtime, ReceivedMdn("summit", the_mdn(positive=False), True), sender(runtime)
    )
    reached, error = order_state(runtime, order_id)
    assert reached is OrderCycle.FAILED and error and "unexpected-processing-error" in error


def test_a_positive_async_mdn_makes_the_order_delivered(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime()
    order_id = sent_order(runtime)
    as2_mdns.settle_async_mdn(runtime, ReceivedMdn("summit", the_mdn(), True), sender(runtime))
    assert order_state(runtime, order_id)[0] is OrderCycle.DELIVERED


def test_an_order_acknowledged_before_its_mdn_stays_acknowledged(
    make_runtime: Callable[..., Runtime],
) -> None:
    later = make_runtime()
    acked = sent_order(later, OrderCycle.ACKNOWLEDGED)
    as2_mdns.settle_async_mdn(
        later, ReceivedMdn("summit", the_mdn(positive=False), True), sender(later)
    )
    assert order_state(later, acked) == (OrderCycle.ACKNOWLEDGED, None)


def test_a_negative_async_mdn_fails_a_sent_change_order_with_an_exception(
    make_runtime: Callable[..., Runtime],
) -> None:
    # given an 860 sent for an acknowledged order, its MDN pending
    runtime = make_runtime()
    order_id = sent_order(runtime, OrderCycle.ACKNOWLEDGED)
    with runtime.sessions.begin() as session:
        session.query(OutboundOrder).filter_by(id=order_id).update({"transport_ref": "<other@x>"})
        change = OutboundChange(
            outbound_order_id=order_id, partner_id="summit", revision=1, purpose="change",
            state=OrderCycle.SENT, syntax="x12", set_id="860", map_name="m",
            interchange_control="42", transport_ref=f"<{MID}>", summary=["line 1: 5 -> 3"],
        )  # fmt: skip
        session.add(change)
        session.flush()
        change_id = change.id
    # when the partner's verified MDN says it was not processed
    as2_mdns.settle_async_mdn(
        runtime, ReceivedMdn("summit", the_mdn(positive=False), True), sender(runtime)
    )
    # then the change failed, the buyer has an exception saying the supplier was not
    # told, and the order itself is untouched
    with runtime.sessions() as session:
        failed = session.get(OutboundChange, change_id)
        assert failed is not None and failed.state is OrderCycle.FAILED
        assert failed.error and "unexpected-processing-error" in failed.error
        (exception,) = session.scalars(select(BusinessException)).all()
        assert exception.kind == "order_change_not_sent"
        assert "NOT told of: line 1: 5 -> 3" in exception.message
    assert order_state(runtime, order_id)[0] is OrderCycle.ACKNOWLEDGED
