"""The seam between transports (AS2, SFTP, REST upload, CLI ingest) and the pipeline.

A transport hands every payload it receives to an :class:`Intake`; the pipeline's
implementation stores the raw bytes by SHA-256 before anything else, records an
inbound message row and an event, and queues the first stage. Transports never touch
the store or the queue themselves, and their tests pass an in-memory intake.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

Transport = Literal["as2", "sftp", "sftp-poll", "api", "cli", "replay"]

#: why an empty file is refused, whichever transport brought it (a ``refused`` message)
EMPTY_FILE = "the uploaded file is empty"


@dataclass(frozen=True, slots=True)
class ReceivedPayload:
    """One payload as a transport received it."""

    data: bytes
    transport: Transport
    partner_id: str | None = None  # when the transport already knows (AS2, SFTP login)
    filename: str | None = None
    # transport details kept with the message: AS2 Message-ID and headers, SFTP path,
    # remote mtime and size, uploader ... (string values only)
    metadata: Mapping[str, str] = field(default_factory=dict)
    actor: str = "system"  # who did it, for the event trail
    # When set, a second payload with the same (partner, transport, dedupe_key) is not
    # processed again (AS2 Message-ID); the receipt names the first message instead.
    dedupe_key: str | None = None
    raw_sha256: str | None = None  # the raw request/file this payload was unpacked from
    # When set, the transport refused this payload before processing it (why): it is
    # recorded as a message in the ``refused`` state, never processed.
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the intake answers: the stored message and its content hash."""

    message_id: int
    sha256: str
    duplicate_of: int | None = None  # an earlier message with the same transport key and bytes
    # an earlier message with the same transport key but other bytes (processed anyway)
    key_reused_by: int | None = None
    queued: bool = True  # False when the broker was down (stall recovery queues it later)


class Intake(Protocol):
    """Takes payloads from transports. Safe to call from several threads."""

    def store_raw(self, data: bytes) -> str:
        """Store bytes content-addressed (e.g. a whole AS2 request) and return SHA-256."""
        ...

    def receive(self, payload: ReceivedPayload) -> Receipt:
        """Store the bytes, record the message, queue processing; return once stored."""
        ...

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
        """Record a transport event (login, refusal, download ...) in the audit trail."""
        ...


class OutboundSender(Protocol):
    """Sends a document or acknowledgement to a partner over one transport."""

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        """Deliver the bytes; return a transport reference (AS2 Message-ID, remote path).

        Raises :class:`TransientSendError` when a retry may succeed and
        :class:`PermanentSendError` when it cannot (negative MDN, refused, no config).
        """
        ...


class SendError(Exception):
    """Base of outbound transport failures."""


class TransientSendError(SendError):
    """Network down, timeout, 5xx: the pipeline retries with backoff."""


class PermanentSendError(SendError):
    """Refused, negative MDN, missing configuration: fails at once, visible to operators."""
