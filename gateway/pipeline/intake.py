"""The store-backed :class:`gateway.intake.Intake`: every transport's way in.

Bytes are stored by SHA-256 and the message row committed *before* anything is queued,
so whatever happens next, nothing received is lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import cast

from sqlalchemy import Table, insert, select

from gateway.intake import Intake, Receipt, ReceivedPayload, Transport
from gateway.pipeline.dispatch import Next
from gateway.pipeline.runtime import Runtime
from gateway.store.audit import add_event, add_events
from gateway.store.db import session_scope
from gateway.store.models import Message, MessageState

log = logging.getLogger(__name__)
_MESSAGES = cast(Table, Message.__table__)
_NEW_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)  # built once: one per payload


class PayloadTooLarge(ValueError):
    """A payload above the configured size limit (refused before storing)."""


class StoreIntake(Intake):
    """Receives payloads into the message store and starts the pipeline."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def refuse(
        self,
        *,
        transport: Transport,
        filename: str | None,
        partner_id: str | None,
        actor: str,
        reason: str,
        size: int,
        metadata: Mapping[str, str] | None = None,
    ) -> Receipt:
        """Record a file refused before its bytes were stored (size, empty, not a file):
        a ``refused`` message an operator sees; an unknown ``partner_id`` is not kept."""
        known = partner_id if partner_id and self.runtime.registry.get(partner_id) else None
        return self.receive(
            ReceivedPayload(
                data=b"",
                transport=transport,
                partner_id=known,
                filename=(filename or "upload")[:255],
                metadata={**(metadata or {}), "size": str(size)},
                actor=actor,
                refused=reason,
            )
        )

    def store_raw(self, data: bytes) -> str:
        """Store bytes content-addressed (a whole AS2 request, say); return the SHA-256."""
        with session_scope(self.runtime.sessions) as session:
            return self.runtime.payloads.put(session, data)

    def receive(self, payload: ReceivedPayload) -> Receipt:
        """Store, record and queue one payload; duplicates by dedupe key are not queued.

        A duplicate is the same dedupe key (AS2 Message-ID) *and* the same bytes; a key
        reused for other bytes is processed and flagged. A refused payload is recorded
        in the ``refused`` state and not queued.
        """
        limit = self.runtime.settings.max_payload_bytes
        if len(payload.data) > limit:
            raise PayloadTooLarge(f"payload of {len(payload.data)} bytes exceeds {limit}")
        correlation = str(uuid.uuid4())
        with session_scope(self.runtime.sessions) as session:
            sha = self.runtime.payloads.put(session, payload.data)
            duplicate_of = reused = None
            if payload.dedupe_key and payload.refused is None:
                for earlier_id, earlier_sha in session.execute(
                    select(Message.id, Message.payload_sha256)
                    .where(
                        Message.partner_id == payload.partner_id,
                        Message.transport == payload.transport,
                        Message.dedupe_key == payload.dedupe_key,
                        Message.duplicate_of.is_(None),
                        Message.state != MessageState.REFUSED,
                    )
                    .order_by(Message.id)
                    .limit(50)
                ):
                    if earlier_sha == sha:
                        duplicate_of = earlier_id
                        break
                    reused = reused or earlier_id
                if duplicate_of is not None:
                    reused = None
            state = (
                MessageState.REFUSED
                if payload.refused is not None
                else MessageState.DUPLICATE
                if duplicate_of
                else MessageState.RECEIVED
            )
            meta = dict(payload.metadata)
            if reused is not None:
                meta["dedupe_key_reused_by"] = str(reused)
            # one INSERT and the events in one more: no ORM objects (issue 21)
            message_id = session.execute(
                _NEW_MESSAGE,
                {
                    "direction": "in",
                    "transport": payload.transport,
                    "partner_id": payload.partner_id,
                    "filename": payload.filename,
                    "payload_sha256": sha,
                    "raw_sha256": payload.raw_sha256,
                    "size": len(payload.data),
                    "dedupe_key": payload.dedupe_key,
                    "duplicate_of": duplicate_of,
                    "state": state,
                    "error": payload.refused,
                    "meta": meta,
                    "correlation_id": correlation,
                },
            ).scalar_one()
            events = [
                {
                    "kind": "refused" if payload.refused is not None else "received",
                    "detail": f"{len(payload.data)} bytes over {payload.transport}"
                    + (f" as {payload.filename}" if payload.filename else "")
                    + (f" refused: {payload.refused}" if payload.refused is not None else ""),
                    "actor": payload.actor,
                    "partner_id": payload.partner_id,
                    "message_id": message_id,
                    "state_to": state,
                    "correlation_id": correlation,
                    "data": {"sha256": sha, **meta},
                }
            ]
            if duplicate_of:
                events.append(
                    {
                        "kind": "duplicate",
                        "detail": f"same {payload.transport} key {payload.dedupe_key!r} and "
                        f"same bytes as message {duplicate_of}: not processed again",
                        "partner_id": payload.partner_id,
                        "message_id": message_id,
                        "correlation_id": correlation,
                    }
                )
            if reused is not None:
                events.append(
                    {
                        "kind": "dedupe_key_reused",
                        "detail": f"{payload.transport} key {payload.dedupe_key!r} was used by "
                        f"message {reused} for other bytes: processed, flagged for the partner "
                        "to fix",
                        "partner_id": payload.partner_id,
                        "message_id": message_id,
                        "correlation_id": correlation,
                        "data": {"earlier_message_id": reused},
                    }
                )
            add_events(session, events, new_chain=True)  # its correlation id is new
        queued = False
        if not duplicate_of and payload.refused is None:
            queued = self._queue(message_id, payload)
        return Receipt(
            message_id=message_id,
            sha256=sha,
            duplicate_of=duplicate_of,
            key_reused_by=reused,
            queued=queued,
        )

    def _queue(self, message_id: int, payload: ReceivedPayload) -> bool:
        """Queue the first stage; a broker that is down is not the sender's problem.

        The bytes and the message row are committed: stall recovery queues the message
        once the broker is back, so the transport answers success all the same.
        """
        try:
            self.runtime.dispatcher.dispatch([Next("split", (message_id,))])
        except Exception as exc:
            log.warning("message %s stored but not queued: %s", message_id, exc)
            self.record_event(
                "queue_unavailable",
                f"stored, not queued ({type(exc).__name__}: {exc}); stall recovery queues it",
                partner_id=payload.partner_id,
                message_id=message_id,
            )
            return False
        return True

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
