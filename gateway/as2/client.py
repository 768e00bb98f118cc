"""Sending to partners over AS2 (the pipeline's :class:`~gateway.intake.OutboundSender`).

Builds the message per the partner's profile, POSTs it with httpx, and checks the MDN:
signature (against the partner's valid certificates), Original-Message-ID, disposition
and the returned MIC against the one we computed. Asynchronous MDNs arrive later on
``/as2``; :meth:`As2Sender.settle_async_mdn` checks them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import httpx

from gateway.as2 import certs, mdn
from gateway.as2.async_mdn import ResponseTooLarge, post_bounded
from gateway.as2.deadline import deadline_client
from gateway.as2.errors import As2Error, MdnError
from gateway.as2.outbound import EncryptOptions, OutboundMessage, SignOptions, build_message
from gateway.as2.receiver import ReceivedMdn
from gateway.identity import OurIdentity
from gateway.intake import PermanentSendError, TransientSendError
from gateway.partners.profile import PartnerProfile

Outcome = Literal["delivered", "pending-mdn", "transient-error", "permanent-error"]
# what an asynchronous MDN did to the message it names ("ignored": nothing, see
# As2Sender.settle_async_mdn)
Settlement = Literal["delivered", "failed", "ignored"]


@dataclass(frozen=True, slots=True)
class SendAttempt:
    """One try at sending, for the attempt log."""

    partner_id: str
    message_id: str
    outcome: Outcome
    detail: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PendingMdn:
    """A sent message waiting for its asynchronous MDN."""

    partner_id: str
    message_id: str
    mic: str
    mic_algorithm: str
    mdn_signed: bool
    sent_at: datetime


def check_mdn(received: mdn.Mdn, *, message_id: str, mic: str, require_signature: bool) -> None:
    """Raise PermanentSendError unless the MDN positively acknowledges our message."""
    if require_signature and not received.signed:
        raise PermanentSendError(f"MDN for {message_id} is not signed (signed receipt requested)")
    # The ABNF (RFC 3798 section 3.1, reused by RFC 4130 section 7.4.3) marks
    # Original-Message-ID optional, but RFC 3798 section 3.2.5 makes it a MUST whenever
    # the original carried a Message-ID, which every AS2 message does: a receipt without
    # it cannot be tied to our message, so it proves nothing.
    if not received.original_message_id:
        raise PermanentSendError(f"MDN for {message_id} names no Original-Message-ID")
    if received.original_message_id.strip().strip("<>") != message_id.strip("<>"):
        raise PermanentSendError(
            f"MDN names message {received.original_message_id}, expected {message_id}"
        )
    if not received.positive:
        raise PermanentSendError(
            f"negative MDN for {message_id}: {received.modifier or received.disposition}"
        )
    if received.received_mic is None or received.received_mic != mic:
        raise PermanentSendError(
            f"MDN for {message_id} returns MIC {received.received_mic!r}, we sent {mic!r}"
        )


class As2Sender:
    """AS2 implementation of ``OutboundSender``."""

    def __init__(
        self,
        *,
        get_partner: Callable[[str], tuple[PartnerProfile, OurIdentity]],
        keys: certs.KeyCache,
        record_attempt: Callable[[SendAttempt], None],
        on_pending_mdn: Callable[[PendingMdn], None] | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.get_partner = get_partner
        self.keys = keys
        self.record_attempt = record_attempt
        self.on_pending_mdn = on_pending_mdn
        self.http = http or deadline_client()
        self.clock = clock

    def _record(self, partner_id: str, message_id: str, outcome: Outcome, detail: str) -> None:
        self.record_attempt(SendAttempt(partner_id, message_id, outcome, detail, self.clock()))

    def build(
        self, partner_id: str, filename: str, data: bytes
    ) -> tuple[OutboundMessage, PartnerProfile]:
        """The message as it would be sent (no I/O besides loading keys)."""
        try:
            profile, identity = self.get_partner(partner_id)
        except KeyError as exc:
            raise PermanentSendError(f"unknown partner {partner_id!r}") from exc
        settings = profile.as2
        if settings is None or settings.url is None:
            raise PermanentSendError(f"partner {partner_id} has no AS2 URL to send to")
        now = self.clock()
        try:
            sign = None
            if settings.sign:
                key = certs.signing_key(self.keys.ours(identity), now)
                if key is None:
                    raise PermanentSendError(
                        f"identity {identity.name} has no valid AS2 key to sign with"
                    )
                sign = SignOptions(key, settings.sign, settings.signature_scheme)
            encrypt = None
            if settings.encrypt:
                cert = certs.encryption_certificate(self.keys.partner(profile), now)
                if cert is None:
                    raise PermanentSendError(
                        f"partner {partner_id} has no valid encryption certificate"
                    )
                encrypt = EncryptOptions(cert, settings.encrypt, settings.key_encryption)
        except As2Error as exc:
            raise PermanentSendError(f"AS2 keys for {partner_id}: {exc}") from exc
        message = build_message(
            data,
            filename=filename,
            as2_from=identity.as2_id,
            as2_to=settings.as2_id,
            sign=sign,
            encrypt=encrypt,
            compress=settings.compress,
            mdn=settings.mdn,
            mdn_signed=settings.mdn_signed,
            mdn_url=str(settings.mdn_url) if settings.mdn_url else None,
            message_id=mdn.content_message_id(identity.as2_id, settings.as2_id, data),
            now=now,
        )
        return message, profile

    def send(self, partner_id: str, filename: str, data: bytes, *, kind: str) -> str:
        """Send and check the MDN; return the AS2 Message-ID.

        The whole exchange is held to the profile's ``timeout_seconds`` as a total
        deadline and the answer to :data:`~gateway.as2.async_mdn.MAX_RESPONSE_BYTES`.
        The Message-ID is derived from what is sent (:func:`mdn.content_message_id`),
        so a retry of the same bytes carries the same id. Only a 2xx answer is success.

        Raises TransientSendError (network, timeout or deadline, 5xx, missing sync MDN) or
        PermanentSendError (refused or redirected, an oversized answer, a negative or
        mismatching MDN, configuration).
        """
        message, profile = self.build(partner_id, filename, data)
        settings = profile.as2
        if settings is None or settings.url is None:  # build() refused these already
            raise PermanentSendError(f"partner {partner_id} has no AS2 URL to send to")
        mid = message.message_id
        if settings.mdn == "async" and self.on_pending_mdn is not None:
            # stored before the POST: a partner may post its MDN before our POST returns.
            # A failed attempt leaves it; the retry carries the same Message-ID, so it is
            # the same row, and an MDN for an attempt we saw fail still tells the truth.
            self.on_pending_mdn(
                PendingMdn(partner_id, mid, message.mic, message.mic_algorithm,
                           settings.mdn_signed, self.clock())
            )  # fmt: skip
        try:
            response = post_bounded(
                self.http,
                str(settings.url),
                headers={**message.headers, "Subject": f"{kind}: {filename}"},
                content=message.body,
                total_seconds=settings.timeout_seconds,
            )
        except httpx.HTTPError as exc:
            self._record(partner_id, mid, "transient-error", f"{type(exc).__name__}: {exc}")
            raise TransientSendError(f"AS2 POST to {settings.url} failed: {exc}") from exc
        except ResponseTooLarge as exc:
            # a partner answering a POST with more than an MDN's worth is broken: retrying
            # would only read the same flood again
            self._record(partner_id, mid, "permanent-error", f"answer too large: {exc}")
            raise PermanentSendError(f"partner {partner_id} answered too much: {exc}") from exc
        status = response.status_code
        if status >= 500 or status in (408, 429):
            detail = f"HTTP {status}"
            self._record(partner_id, mid, "transient-error", detail)
            raise TransientSendError(f"partner {partner_id} answered {detail}")
        if status >= 400:
            detail = f"HTTP {status}: {response.text[:200]}"
            self._record(partner_id, mid, "permanent-error", detail)
            raise PermanentSendError(f"partner {partner_id} refused the message: {detail}")
        if not 200 <= status < 300:
            # a redirect is not a delivery, and is not followed (it could point anywhere)
            location = response.headers.get("location", "?")
            detail = f"HTTP {status} redirect to {location!r} (not followed)"
            self._record(partner_id, mid, "permanent-error", detail)
            raise PermanentSendError(f"partner {partner_id} answered {detail}")
        if settings.mdn == "none":
            self._record(partner_id, mid, "delivered", f"HTTP {status}, no MDN requested")
            return mid
        if settings.mdn == "async":
            self._record(partner_id, mid, "pending-mdn", f"HTTP {status}")
            return mid
        if not response.content:
            self._record(partner_id, mid, "transient-error", "no MDN in the response")
            raise TransientSendError(f"partner {partner_id} returned no MDN for {mid}")
        try:
            verify_with = certs.valid_certificates(
                self.keys.partner(profile), "signature", self.clock()
            )
            received = mdn.parse_mdn(
                dict(response.headers), response.content, verify_with,
                require_signature=settings.mdn_signed,
            )  # fmt: skip
            check_mdn(
                received, message_id=mid, mic=message.mic, require_signature=settings.mdn_signed
            )
        except (MdnError, As2Error) as exc:
            self._record(partner_id, mid, "permanent-error", f"MDN: {exc}")
            raise PermanentSendError(f"MDN for {mid} from {partner_id}: {exc}") from exc
        except PermanentSendError as exc:
            self._record(partner_id, mid, "permanent-error", str(exc))
            raise
        detail = received.disposition + (f" ({received.modifier})" if received.modifier else "")
        self._record(partner_id, mid, "delivered", detail)
        return mid

    def settle_async_mdn(self, event: ReceivedMdn, pending: PendingMdn | None) -> Settlement:
        """Check an asynchronous MDN against the message it answers; record the outcome.

        ``pending`` is what ``on_pending_mdn`` stored for its Original-Message-ID (None
        when we sent no such message). Only an authentic MDN settles the message: from
        the partner it was sent to, and verified when we asked for a signed receipt.
        Anything else is ``"ignored"`` (recorded, the message stays pending), so nobody
        who merely knows a Message-ID can cancel a delivery. Otherwise ``"delivered"``
        or ``"failed"`` (negative, mismatching MIC, unsigned when signing was asked).
        """
        mid = event.mdn.original_message_id or "?"
        said = event.mdn.disposition
        if pending is None:
            self._record(
                event.partner_id, mid, "permanent-error", "MDN for a message we did not send"
            )
            return "ignored"
        if event.partner_id != pending.partner_id:
            detail = (
                f"MDN ({said}) from partner {event.partner_id} ignored: the message went to "
                f"{pending.partner_id}; still waiting for its MDN"
            )
            self._record(pending.partner_id, pending.message_id, "pending-mdn", detail)
            return "ignored"
        if event.error or (pending.mdn_signed and not event.verified):
            why = event.error or "not signed"
            detail = f"unverified MDN ({said}) ignored: {why}; still waiting for a verified one"
            self._record(pending.partner_id, pending.message_id, "pending-mdn", detail)
            return "ignored"
        try:
            check_mdn(event.mdn, message_id=pending.message_id, mic=pending.mic,
                      require_signature=pending.mdn_signed)  # fmt: skip
        except PermanentSendError as exc:
            self._record(pending.partner_id, pending.message_id, "permanent-error", str(exc))
            return "failed"
        self._record(pending.partner_id, pending.message_id, "delivered", said)
        return "delivered"


def async_mdn_handler(
    sender: As2Sender, find_pending: Callable[[str], PendingMdn | None]
) -> Callable[[ReceivedMdn], None]:
    """An ``on_mdn_received`` callback for :class:`~gateway.as2.receiver.As2Receiver`:
    matches the MDN to the sent message by Original-Message-ID and settles it."""

    def handle(event: ReceivedMdn) -> None:
        original = (event.mdn.original_message_id or "").strip()
        pending = find_pending(original) or find_pending(original.strip("<>"))
        sender.settle_async_mdn(event, pending)

    return handle
