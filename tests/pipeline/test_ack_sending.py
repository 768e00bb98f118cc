"""Sending acknowledgements: attempts recorded, transient failures retried, permanent
ones visible at once (the transport is swapped for an in-memory one: the retry policy,
not the network, is what is tested here; the real transports have their own tests)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from gateway.intake import PermanentSendError, ReceivedPayload, TransientSendError
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Acknowledgement, Event
from tests.pipeline.conftest import fixture_bytes


class FlakySender:
    """Fails ``transient`` times, then (optionally) permanently, else succeeds."""

    def __init__(self, transient: int, permanent: bool = False) -> None:
        self.transient, self.permanent, self.calls = transient, permanent, 0

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        self.calls += 1
        if self.calls <= self.transient:
            raise TransientSendError("connection refused")
        if self.permanent:
            raise PermanentSendError("partner refused the file")
        return f"/outbox/{filename}"


def send_one(runtime: Runtime, sender: FlakySender) -> tuple[Acknowledgement, list[str]]:
    runtime.senders["sftp"] = sender
    StoreIntake(runtime).receive(
        ReceivedPayload(
            data=fixture_bytes("keystone-pharma", "850_purchase_order.edi"),
            transport="sftp",
            partner_id="keystone-pharma",
        )
    )
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        ack = s.scalars(select(Acknowledgement)).one()
        kinds = list(
            s.scalars(select(Event.kind).where(Event.kind.like("ack_%")).order_by(Event.id))
        )
    return ack, kinds


def test_transient_failures_are_retried_and_every_attempt_counted(
    make_runtime: Callable[..., Runtime],
) -> None:
    ack, kinds = send_one(make_runtime(), FlakySender(transient=2))
    assert (ack.state, ack.attempts, ack.transport_ref) == (
        "sent",
        3,
        f"/outbox/{ack.kind}_{ack.control_number}_000088120.edi",
    )
    assert kinds == ["ack_built", "ack_retry", "ack_retry", "ack_sent"]


def test_a_permanent_refusal_fails_at_once(make_runtime: Callable[..., Runtime]) -> None:
    ack, kinds = send_one(make_runtime(), FlakySender(transient=0, permanent=True))
    assert (ack.state, ack.attempts) == ("failed", 1) and "refused" in (ack.error or "")
    assert kinds == ["ack_built", "ack_failed"]


def test_giving_up_after_the_last_retry_is_a_visible_failure(
    make_runtime: Callable[..., Runtime],
) -> None:
    ack, kinds = send_one(make_runtime(task_max_retries=2), FlakySender(transient=99))
    assert (ack.state, ack.attempts) == ("failed", 3)
    assert kinds[-1] == "ack_failed" and kinds.count("ack_retry") == 3
