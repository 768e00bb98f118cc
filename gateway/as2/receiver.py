"""The receiving side of AS2: one request in, one response (with its MDN) out.

:class:`As2Receiver` is pure except for the callbacks it is given: it stores the raw
request through the intake first, finds the partner, unpacks the message, hands the
payload to the intake, and answers with a synchronous MDN or schedules an asynchronous
one. Requests that carry an MDN for a message we sent go to ``on_mdn_received``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509

from gateway.as2 import certs, mdn
from gateway.as2.errors import As2Error, As2LocalError, As2RemoteError, MdnError, PartnerNotFound
from gateway.as2.inbound import (
    InboundMessage,
    UnpackPolicy,
    requested_mic_algorithm,
    signed_receipt_requested,
    unpack_message,
)
from gateway.as2.limits import BODY_FACTOR, Busy, MemoryBudget, async_mdn_url_refusal
from gateway.as2.mime import Headers, header_block
from gateway.identity import Identities, OurIdentity
from gateway.intake import Intake, Receipt, ReceivedPayload
from gateway.partners.profile import PartnerProfile

log = logging.getLogger(__name__)
DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024  # EDIGW_AS2_MEMORY_BUDGET_BYTES

FindPartner = Callable[[str, str], "tuple[PartnerProfile, OurIdentity] | None"]
_KEPT_HEADERS = (  # lower case, as Headers.pick wants them
    "message-id", "as2-from", "as2-to", "as2-version", "subject", "date", "content-type",
    "disposition-notification-to", "disposition-notification-options",
    "receipt-delivery-option", "user-agent", "ediint-features",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class As2Response:
    """What the HTTP layer sends back."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class AsyncMdnJob:
    """An MDN to POST to the partner's Receipt-Delivery-Option URL."""

    url: str
    headers: dict[str, str]
    body: bytes
    partner_id: str | None
    original_message_id: str
    message_id: int | None = None  # the stored message the MDN answers


@dataclass(frozen=True, slots=True)
class ReceivedMdn:
    """An asynchronous MDN that arrived on ``/as2`` for a message we sent."""

    partner_id: str
    mdn: mdn.Mdn
    verified: bool  # signature checked against the partner's valid certificates
    error: str | None = None  # why verification failed, when it did
    raw_sha256: str | None = None


def unquote_id(value: str | None) -> str:
    """AS2-From/To and Message-ID values without surrounding quotes."""
    value = (value or "").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def serialize_request(headers: Mapping[str, str], body: bytes) -> bytes:
    """Headers and body as one blob for the raw store (what we received, in order)."""
    return b"".join((header_block(headers.items()), b"\r\n", body))


class As2Receiver:
    """Handles ``POST /as2``: messages from partners and asynchronous MDNs for ours."""

    def __init__(
        self,
        *,
        intake: Intake,
        find_partner: FindPartner,
        identities: Identities | certs.KeyCache,
        max_body_bytes: int,
        schedule_async_mdn: Callable[[AsyncMdnJob], object],
        on_mdn_received: Callable[[ReceivedMdn], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        memory: MemoryBudget | None = None,
    ) -> None:
        self.intake = intake
        self.find_partner = find_partner
        self.keys = (
            identities if isinstance(identities, certs.KeyCache) else certs.KeyCache(identities)
        )
        self.max_body_bytes = max_body_bytes
        self.schedule_async_mdn = schedule_async_mdn
        self.on_mdn_received = on_mdn_received
        self.clock = clock
        # bounds what concurrent requests hold while unpacking (decompression above all)
        self.memory = memory or MemoryBudget(DEFAULT_MEMORY_BUDGET)

    # ------------------------------------------------------------------ size limits

    def body_limit(self, headers: Mapping[str, str]) -> int:
        """The body size allowed for this request (partner's limit, capped globally).

        Called by the HTTP layer before it reads the body, so an oversized request is
        refused without being read.
        """
        h = Headers.of(headers)
        found = self._find(h)
        if found and found[0].as2 is not None:
            return min(self.max_body_bytes, found[0].as2.max_body_bytes)
        return self.max_body_bytes

    def _find(self, h: Headers) -> tuple[PartnerProfile, OurIdentity] | None:
        as2_from, as2_to = unquote_id(h.get("as2-from")), unquote_id(h.get("as2-to"))
        if not as2_from or not as2_to:
            return None
        try:
            return self.find_partner(as2_from, as2_to)
        except Exception:  # a lookup failure must not crash the endpoint
            log.exception("partner lookup failed for %s -> %s", as2_from, as2_to)
            return None

    # ---------------------------------------------------------------------- handling

    def refuse_oversized(self, headers: Mapping[str, str], size: int, limit: int) -> None:
        """Record a request refused for its size before it was read (HTTP 413)."""
        h = Headers.of(headers)
        found = self._find(h)
        self._too_large(
            h,
            found[0] if found else None,
            None,
            f"request body of {size} or more bytes exceeds the limit of {limit}",
            size=size,
            limit=limit,
        )

    def _too_large(
        self,
        h: Headers,
        profile: PartnerProfile | None,
        raw_sha256: str | None,
        reason: str,
        *,
        size: int,
        limit: int,
    ) -> As2Response:
        """A body over the limit (ours or the partner's): an ``as2.refused`` event the
        security metric counts, a ``refused`` message without its bytes, and the 413."""
        self.intake.record_event(
            "as2.refused",
            f"{unquote_id(h.get('message-id'))[:200]}: {reason}; answered 413",
            partner_id=profile.id if profile else None,
            data={"reason": "body_too_large", "body_bytes": size, "limit": limit},
        )
        self._refused(h, profile, b"", raw_sha256, reason, size=size)
        return _text(413, f"request body exceeds {limit} bytes")

    def refuse_oversized_headers(self, headers: Mapping[str, str], size: int, limit: int) -> None:
        """Record a request refused for the size of its headers (HTTP 431), body unread.

        ``headers`` are what the HTTP layer kept of them (each cut short); no partner is
        looked up with values that may have been megabytes long.
        """
        h = Headers.of(headers)
        reason = f"request headers of {size} bytes exceed the limit of {limit}"
        self.intake.record_event(
            "as2.refused",
            f"{unquote_id(h.get('message-id'))[:200]}: {reason}; answered 431",
            data={"reason": "headers_too_large", "header_bytes": size, "limit": limit},
        )
        self._refused(h, None, b"", None, reason)

    def _refused(
        self,
        h: Headers,
        profile: PartnerProfile | None,
        body: bytes,
        raw_sha256: str | None,
        reason: str,
        *,
        size: int | None = None,
    ) -> None:
        """A request refused before a payload came out of it: a ``refused`` message."""
        metadata = {name: value[:512] for name, value in h.pick(_KEPT_HEADERS).items()}
        metadata["size"] = str(len(body) if size is None else size)
        try:
            self.intake.receive(
                ReceivedPayload(
                    data=body,
                    transport="as2",
                    partner_id=profile.id if profile else None,
                    metadata=metadata,
                    actor=f"as2:{unquote_id(h.get('as2-from'))[:128]}",
                    raw_sha256=raw_sha256,
                    refused=reason,
                )
            )
        except Exception:  # the event below still tells; never fail the answer for it
            log.exception("could not record the refused AS2 request")

    def handle(self, headers: Mapping[str, str], body: bytes) -> As2Response:
        """Process one request; never raises for anything the partner sent."""
        h = Headers.of(headers)
        if len(body) > self.max_body_bytes:
            return self._too_large(h, None, None, f"body exceeds {self.max_body_bytes} bytes",
                                   size=len(body), limit=self.max_body_bytes)  # fmt: skip
        try:
            with self.memory.request() as reservation:
                reservation.take(BODY_FACTOR * len(body))
                return self._handle(h, body, reservation.take)
        except Busy as exc:
            log.warning("AS2 request deferred: %s", exc)
            self.intake.record_event(
                "as2.busy", f"{unquote_id(h.get('message-id'))}: {exc}; answered 503"
            )
            response = _text(503, "busy: retry later")
            response.headers["Retry-After"] = "30"
            return response

    def _handle(self, h: Headers, body: bytes, reserve: Callable[[int], None]) -> As2Response:
        raw_sha256 = self.intake.store_raw(serialize_request(h, body))
        as2_from, as2_to = unquote_id(h.get("as2-from")), unquote_id(h.get("as2-to"))
        message_id = unquote_id(h.get("message-id"))
        if not as2_from or not as2_to:
            self.intake.record_event(
                "as2.refused", "request without AS2-From/AS2-To", data={"reason": "no_as2_ids"}
            )
            self._refused(h, None, body, raw_sha256, "request without AS2-From/AS2-To")
            return _text(400, "AS2-From and AS2-To headers are required")
        if mdn.is_mdn(h, body):
            return self._handle_mdn(h, body, raw_sha256)
        if not message_id:
            self.intake.record_event(
                "as2.refused",
                f"message from {as2_from} without Message-ID",
                data={"reason": "no_message_id"},
            )
            self._refused(h, None, body, raw_sha256, "message without Message-ID")
            return _text(400, "Message-ID header is required")

        found = self._find(h)
        if found is None:
            self.intake.record_event(
                "as2.unknown_partner",
                f"no partner for AS2-From {as2_from!r} / AS2-To {as2_to!r}",
                data={"raw_sha256": raw_sha256, "message_id": message_id},
            )
            self._refused(h, None, body, raw_sha256,
                          f"{PartnerNotFound.disposition_modifier}: AS2-From {as2_from!r} "
                          f"/ AS2-To {as2_to!r}")  # fmt: skip
            return self._answer(
                h, None, None, None, "processed/error", PartnerNotFound.disposition_modifier, None
            )
        profile, identity = found
        if profile.as2 is None or not profile.enabled:
            self.intake.record_event(
                "as2.unknown_partner", f"partner {profile.id} has no enabled AS2 settings",
                partner_id=profile.id, data={"raw_sha256": raw_sha256},
            )  # fmt: skip
            self._refused(h, profile, body, raw_sha256, "partner has no enabled AS2 settings")
            return self._answer(h, None, None, None, "processed/error",
                                PartnerNotFound.disposition_modifier, None)  # fmt: skip
        if len(body) > profile.as2.max_body_bytes:
            limit = profile.as2.max_body_bytes
            return self._too_large(h, profile, raw_sha256,
                                   f"body exceeds the partner's {limit} bytes",
                                   size=len(body), limit=limit)  # fmt: skip
        now = self.clock()
        message: InboundMessage | None = None
        try:
            ours = self.keys.ours(identity)
            partner_certs = self.keys.partner(profile)
            verify_with = self.keys.valid_certificates(partner_certs, "signature", now)
            policy = UnpackPolicy(
                require_signature=profile.as2.require_signature,
                require_encryption=profile.as2.require_encryption,
                # never more than the payload cap: more could not be taken in anyway
                max_content_bytes=min(profile.as2.max_decompressed_bytes, self.max_body_bytes),
                reserve=reserve,
            )
            message = unpack_message(
                h, body,
                our_keys=[k.pair for k in ours],
                partner_certs=verify_with,
                policy=policy,
                mic_algorithm=requested_mic_algorithm(h.get("disposition-notification-options")),
            )  # fmt: skip
        except Busy:
            raise
        except Exception as exc:
            if not isinstance(exc, As2Error):
                # a bug on our side: the partner still gets an MDN, operators an alert
                log.exception("unexpected error unpacking AS2 message %s", message_id)
                exc = As2LocalError(f"internal error: {type(exc).__name__}: {exc}")
            detail = str(exc)
            if isinstance(exc, As2RemoteError) and partner_certs and not verify_with:
                detail += " (no partner certificate is valid now: expired or not yet valid)"
            kind = "as2.rejected" if isinstance(exc, As2RemoteError) else "as2.local_error"
            if isinstance(exc, As2LocalError):
                log.error("AS2 configuration error for partner %s: %s", profile.id, exc)
            self.intake.record_event(
                kind,
                f"{message_id}: {exc.disposition_modifier}: {detail}",
                partner_id=profile.id,
                data={"raw_sha256": raw_sha256, "message_id": message_id},
            )
            self._refused(h, profile, body, raw_sha256,
                          f"{exc.disposition_modifier}: {detail}"[:2000])  # fmt: skip
            return self._answer(
                h, profile, identity, None, "processed/error", exc.disposition_modifier, None
            )
        try:
            receipt = self.intake.receive(self._payload(h, profile, message, raw_sha256))
        except Exception as exc:  # storage down: ours to fix, the partner should resend
            log.exception("intake failed for AS2 message %s", message_id)
            self.intake.record_event(
                "as2.local_error", f"{message_id}: intake failed: {exc}", partner_id=profile.id
            )
            return self._answer(
                h,
                profile,
                identity,
                message,
                "processed/error",
                "unexpected-processing-error",
                None,
            )
        if receipt.duplicate_of is not None:
            return self._answer(
                h, profile, identity, message, "processed/warning", "duplicate-document", receipt
            )
        return self._answer(h, profile, identity, message, "processed", None, receipt)

    def _payload(
        self, h: Headers, profile: PartnerProfile, message: InboundMessage, raw_sha256: str
    ) -> ReceivedPayload:
        metadata = h.pick(_KEPT_HEADERS)
        metadata.update(
            {
                "as2.layers": ",".join(message.layers),
                "as2.mic": message.received_content_mic,
                "as2.payload_content_type": message.content_type,
            }
        )
        if message.signer is not None:
            metadata["as2.signer"] = _subject(message.signer)
        return ReceivedPayload(
            data=message.payload,
            transport="as2",
            partner_id=profile.id,
            filename=message.filename,
            metadata=metadata,
            actor=f"as2:{unquote_id(h.get('as2-from'))}",
            dedupe_key=unquote_id(h.get("message-id")),
            raw_sha256=raw_sha256,
        )

    def _answer(
        self,
        h: Headers,
        profile: PartnerProfile | None,
        identity: OurIdentity | None,
        message: InboundMessage | None,
        status: str,
        modifier: str | None,
        receipt: Receipt | None,
    ) -> As2Response:
        """Build the MDN the sender asked for and return it, or schedule it."""
        if "disposition-notification-to" not in h:
            code = 200 if status == "processed" or modifier == "duplicate-document" else 400
            return _text(code, f"{status}: {modifier}" if modifier else "processed")
        options = h.get("disposition-notification-options")
        signer = None
        micalg = requested_mic_algorithm(options) or (
            message.mic_algorithm if message else "sha256"
        )
        now = self.clock()
        if identity is not None and signed_receipt_requested(options):
            try:
                signer = self.keys.signing_key(identity, now)
            except As2Error as exc:
                log.error("cannot sign MDN for %s: %s", identity.name, exc)
            if signer is None:
                # RFC 4130 7.3: the receipt is still returned (the sender must learn the
                # outcome), unsigned; never silently - operators get an event and a metric
                self.intake.record_event(
                    "as2.mdn_unsigned",
                    f"MDN for {h.get('message-id', '').strip()} sent UNSIGNED although a "
                    f"signed receipt was asked for: identity {identity.name} has no valid "
                    "signing key (expired or not yet valid)",
                    partner_id=profile.id if profile else None,
                    data={"identity": identity.name},
                )
        disposition_status = {"processed": "processed", "processed/warning": "warning"}.get(
            status, "error"
        )
        our_id = identity.as2_id if identity else unquote_id(h.get("as2-to"))
        outgoing = mdn.build_mdn(
            original_message_id=h.get("message-id", "").strip(),
            original_recipient=unquote_id(h.get("as2-to")),
            our_as2_id=our_id,
            partner_as2_id=unquote_id(h.get("as2-from")),
            disposition=mdn.Disposition(disposition_status, modifier),  # type: ignore[arg-type]
            received_mic=message.received_content_mic if message else None,
            signer=signer,
            micalg=micalg,
            now=now,
        )
        headers = dict(outgoing.headers)
        delivery = h.get("receipt-delivery-option", "").strip()
        if delivery:
            refusal = self._async_refusal(delivery, profile, message)
            if refusal is None and profile is not None:
                self.schedule_async_mdn(
                    AsyncMdnJob(
                        url=delivery,
                        headers=headers,
                        body=outgoing.body,
                        partner_id=profile.id,
                        original_message_id=h.get("message-id", "").strip(),
                        message_id=receipt.message_id if receipt else None,
                    )
                )
                return _text(200, "message received; the MDN will be sent asynchronously")
            # never posted anywhere: the MDN goes back on this connection instead
            self.intake.record_event(
                "as2.async_mdn_refused",
                f"Receipt-Delivery-Option {delivery[:300]!r} not used: {refusal}; "
                "the MDN is returned synchronously",
                partner_id=profile.id if profile else None,
                data={"url": delivery[:1000], "reason": refusal},
            )
        return As2Response(200, headers, outgoing.body)

    @staticmethod
    def _async_refusal(
        url: str, profile: PartnerProfile | None, message: InboundMessage | None
    ) -> str | None:
        """Why an asynchronous MDN must not be posted to ``url`` (None: it may be)."""
        if profile is None or profile.as2 is None:
            return "unknown partner"
        if message is None or not message.signed:
            return "only messages whose signature verified get an asynchronous MDN"
        return async_mdn_url_refusal(
            url,
            profile.as2.allowed_async_mdn_hosts(),
            allow_private=profile.as2.async_mdn_allow_private,
        )

    def _handle_mdn(self, h: Headers, body: bytes, raw_sha256: str) -> As2Response:
        """An asynchronous MDN for a message we sent: verify and pass it on."""
        found = self._find(h)
        if found is None:
            self.intake.record_event(
                "as2.unknown_partner",
                f"MDN from unknown AS2-From {unquote_id(h.get('as2-from'))!r}",
                data={"raw_sha256": raw_sha256},
            )
            return _text(403, "unknown trading partner")
        profile, _identity = found
        try:
            partner_certs = certs.valid_certificates(
                self.keys.partner(profile), "signature", self.clock()
            )
            try:
                parsed = mdn.parse_mdn(h, body, partner_certs)
                event = ReceivedMdn(profile.id, parsed, parsed.signed, None, raw_sha256)
            except MdnError as exc:
                parsed = mdn.parse_mdn(h, body, [], verify=False)
                event = ReceivedMdn(profile.id, parsed, False, str(exc), raw_sha256)
        except As2Error as exc:
            self.intake.record_event(
                "as2.mdn_unreadable", str(exc), partner_id=profile.id,
                data={"raw_sha256": raw_sha256},
            )  # fmt: skip
            return _text(400, f"MDN cannot be read: {exc}")
        self.intake.record_event(
            "as2.mdn_received",
            f"MDN for {parsed.original_message_id}: {parsed.disposition}",
            partner_id=profile.id,
            data={"raw_sha256": raw_sha256, "verified": event.verified},
        )
        if self.on_mdn_received is not None:
            self.on_mdn_received(event)
        return _text(200, "MDN received")


@functools.lru_cache(maxsize=64)  # the few partner certificates, each formatted once
def _subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


def _text(status: int, text: str) -> As2Response:
    return As2Response(status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())
