"""Fixtures for pipeline tests: a runtime on a temporary data directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.intake import ReceivedPayload
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.models import Acknowledgement, Transaction
from tests.conftest import REPO
from tests.support.notify_receivers import Mailbox, Receiver, smtp_server, webhook_receiver

FIXTURES = REPO / "tests" / "fixtures" / "partners"


def fixture_bytes(partner: str, name: str) -> bytes:
    """A sample partner's EDI file."""
    return (FIXTURES / partner / name).read_bytes()


def ingest(runtime: Runtime, data: bytes) -> list[Transaction]:
    """Receive ``data`` as a CLI file, run the inline pipeline to its end, and return
    the transactions of that message in order."""
    receipt = StoreIntake(runtime).receive(
        ReceivedPayload(data=data, transport="cli", filename="in.edi", actor="test")
    )
    runtime.dispatcher.drain()  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        return list(
            s.scalars(
                select(Transaction)
                .where(Transaction.message_id == receipt.message_id)
                .order_by(Transaction.id)
            )
        )


def acks_sent(runtime: Runtime) -> list[bytes]:
    """The bytes of every acknowledgement we wrote, oldest first."""
    with runtime.sessions() as s:
        rows = s.scalars(
            select(Acknowledgement)
            .where(Acknowledgement.direction == "out")
            .order_by(Acknowledgement.id)
        ).all()
        return [runtime.payloads.get(s, r.payload_sha256 or "") for r in rows]


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    """Build runtimes on a temp data dir (SQLite unless a database URL is given)."""
    made: list[Runtime] = []

    def make(
        database_url: str | None = None,
        *,
        dispatcher: Any = None,
        odoo_factory: Callable[[], Any] | None = None,
        **overrides: Any,
    ) -> Runtime:
        values: dict[str, Any] = {"task_backoff_seconds": 0.01, "task_max_retries": 3, **overrides}
        settings = Settings(data_dir=tmp_path / "var", database_url=database_url, **values)
        runtime = build_runtime(
            settings, dispatcher=dispatcher or InlineDispatcher(), odoo_factory=odoo_factory
        )
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.engine.dispose()


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    """A local SMTP server (aiosmtpd): its port and what it received."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def webhook() -> Iterator[tuple[str, Receiver]]:
    """A local webhook receiver: its URL and what it received."""
    with webhook_receiver() as receiver:
        yield receiver
