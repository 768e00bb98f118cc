"""Every file of the public corpus through the whole pipeline: nothing crashes.

The corpus senders are not our partners, so most interchanges end rejected as unknown
senders; the point is that every file, however broken, ends in a final state with a
reason, its bytes kept, and no stage failing with an unexpected exception.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from gateway.intake import ReceivedPayload
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.runtime import Runtime
from gateway.store.models import (
    FINAL_TRANSACTION_STATES,
    Interchange,
    Message,
    StageAttempt,
    Transaction,
)
from tests.conftest import require_corpus


def test_every_corpus_file_ends_in_a_final_state(make_runtime: Callable[..., Runtime]) -> None:
    corpus = require_corpus()
    files = sorted(p for sub in ("x12", "edifact") for p in (corpus / sub).iterdir())
    runtime = make_runtime()
    intake = StoreIntake(runtime)
    for path in files:
        intake.receive(
            ReceivedPayload(
                data=path.read_bytes(),
                transport="cli",
                filename=path.name,
                metadata={"path": str(path)},
            )
        )
        runtime.dispatcher.drain()  # type: ignore[attr-defined]
    with runtime.sessions() as s:
        messages = s.scalars(select(Message)).all()
        assert len(messages) == len(files)
        for message in messages:
            assert message.state in ("split", "rejected", "duplicate"), message.filename
            if message.state == "rejected":
                assert message.error, message.filename
            stored = runtime.payloads.get(s, message.payload_sha256)
            assert stored == Path(message.meta["path"]).read_bytes()  # every byte kept
        for ic in s.scalars(select(Interchange)):
            assert ic.state in ("validated", "rejected", "duplicate_rejected"), (ic.id, ic.state)
            if ic.state == "rejected":
                assert ic.issues, ic.id
        for txn in s.scalars(select(Transaction)):
            assert txn.state in FINAL_TRANSACTION_STATES, (txn.id, txn.state)
            if txn.state == "rejected":
                assert txn.error
        failures = s.scalars(select(StageAttempt).where(StageAttempt.outcome != "ok")).all()
        assert failures == [], [(f.stage, f.subject_id, f.error) for f in failures]
