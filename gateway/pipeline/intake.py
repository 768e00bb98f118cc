"""The store-backed :class:`gateway.intake.Intake`: every transport's way in.

Bytes are stored by SHA-256 and the message row committed *before* anything is queued,
so whatever happens next, nothing received is lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import select

from gateway.intake import Intake, Receipt, ReceivedPayload
from gateway.pipeline.dispatch import Next
from gateway.pipeline.runtime import Runtime
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import Message, MessageState


class PayloadTooLarge(ValueError):
    """A payload above the configured size limit (refused before storing)."""


class StoreIntake(Intake):
    """Receives payloads into the message store and starts the pipeline."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def store_raw(self, data: bytes) -> str:
        """Store bytes content-addressed (a whole AS2 request, say); return the SHA-256."""
        with session_scope(self.runtime.sessions) as session:
            return self.runtime.payloads.put(session, data)

    def receive(self, payload: ReceivedPayload) -> Receipt:
        """Store, record and queue one payload; duplicates by dedupe key are not queued."""
        limit = self.runtime.settings.max_payload_bytes
        if len(payload.data) > limit:
            raise PayloadTooLarge(f"payload of {len(payload.data)} bytes exceeds {limit}")
        correlation = str(uuid.uuid4())
        with session_scope(self.runtime.sessions) as session:
            sha = self.runtime.payloads.put(session, payload.data)
            duplicate_of = None
            if payload.dedupe_key:
                duplicate_of = session.execute(
                    select(Message.id)
                    .where(
                        Message.partner_id == payload.partner_id,
                        Message.transport == payload.transport,
                        Message.dedupe_key == payload.dedupe_key,
                        Message.duplicate_of.is_(None),
                    )
                    .limit(1)
                ).scalar()
            message = Message(
                direction="in",
                transport=payload.transport,
                partner_id=payload.partner_id,
                filename=payload.filename,
                payload_sha256=sha,
                raw_sha256=payload.raw_sha256,
                size=len(payload.data),
                dedupe_key=payload.dedupe_key,
                duplicate_of=duplicate_of,
                state=MessageState.DUPLICATE if duplicate_of else MessageState.RECEIVED,
                meta=dict(payload.metadata),
                correlation_id=correlation,
            )
            session.add(message)
            session.flush()
            add_event(
                session,
                "received",
                f"{len(payload.data)} bytes over {payload.transport}"
                + (f" as {payload.filename}" if payload.filename else ""),
                actor=payload.actor,
                partner_id=payload.partner_id,
                message_id=message.id,
                state_to=message.state,
                correlation_id=correlation,
                data={"sha256": sha, **dict(payload.metadata)},
            )
            if duplicate_of:
                add_event(
                    session,
                    "duplicate",
                    f"same {payload.transport} key {payload.dedupe_key!r} as message "
                    f"{duplicate_of}: not processed again",
                    partner_id=payload.partner_id,
                    message_id=message.id,
                    correlation_id=correlation,
                )
            message_id = message.id
        if not duplicate_of:
            self.runtime.dispatcher.dispatch([Next("split", (message_id,))])
        return Receipt(message_id=message_id, sha256=sha, duplicate_of=duplicate_of)

    def record_event(
        self,
        kind: str,
        detail: str,
        *,
        partner_id: str | None = None,
        actor: str = "system",
        message_id: int | None = None,
        data: Mapping[str, object] | None = None,
    ) -> None:
        """Record a transport event in the audit trail."""
        with session_scope(self.runtime.sessions) as session:
            add_event(
                session,
                kind,
                detail,
                actor=actor,
                partner_id=partner_id,
                message_id=message_id,
                data=dict(data or {}),
            )
