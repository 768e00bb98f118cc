"""Message Disposition Notifications (RFC 4130 section 7, RFC 3798): build and read.

Pure: building returns HTTP headers and body bytes; reading takes headers, body and the
partner's valid certificates and returns an :class:`Mdn`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509

from gateway.as2 import cms
from gateway.as2.errors import As2Error, MdnError
from gateway.as2.inbound import entity_from_http
from gateway.as2.mime import (
    Entity,
    Headers,
    build_entity,
    decode_body,
    http_date,
    parse_content_type,
    parse_entity,
    parse_header_block,
    short_value_cache,
    signed_content_candidates,
    split_multipart,
)

REPORTING_UA = "edi-gateway AS2"
Status = Literal["processed", "warning", "error", "failed"]


@dataclass(frozen=True, slots=True)
class Disposition:
    """The disposition we report: processed, processed/warning or processed/error."""

    status: Status = "processed"
    modifier: str | None = None  # e.g. "authentication-failed", "duplicate-document"

    def field(self) -> str:
        """The Disposition field value."""
        prefix = "automatic-action/MDN-sent-automatically; "
        if self.status == "processed" or self.modifier is None:
            return prefix + "processed"
        if self.status == "failed":
            return prefix + f"failed/Failure: {self.modifier}"
        return prefix + f"processed/{self.status.capitalize()}: {self.modifier}"


@dataclass(frozen=True, slots=True)
class OutgoingMdn:
    """An MDN ready to send: HTTP headers (Content-Type included) and body."""

    message_id: str
    headers: list[tuple[str, str]]
    body: bytes
    signed: bool


def new_message_id(as2_id: str, token: str | None = None) -> str:
    """A unique ``<...>`` Message-ID naming our AS2 id (``token``: 16 random hex digits
    the caller already drew)."""
    token = token or secrets.token_hex(8)
    return f"<{datetime.now(UTC):%Y%m%d%H%M%S}.{token}@{_id_part(as2_id)}>"


def content_message_id(as2_from: str, as2_to: str, payload: bytes) -> str:
    """The ``<hex.hex@our-id>`` Message-ID of ``payload`` sent from ``as2_from`` to ``as2_to``.

    Derived, not drawn: a SHA-256 over both AS2 ids and the payload bytes. Every retry of
    the same bytes to the same partner carries the same Message-ID, so a partner that
    stored an attempt we saw fail (a proxy's 502, a read timeout after it took the
    message) recognises the retry as the message it already has instead of booking a
    second purchase order; different bytes (another interchange, another control number)
    give another id. An operator's deliberate resend of the identical interchange is the
    same message too, and the partner may answer it with a duplicate-document MDN.
    The ids are length-prefixed so no (from, to) pair can run into the payload.
    """
    digest = hashlib.sha256()
    for as2_id in (as2_from.encode(), as2_to.encode()):
        digest.update(len(as2_id).to_bytes(4, "big") + as2_id)
    digest.update(payload)
    hexed = digest.hexdigest()
    return f"<{hexed[:32]}.{hexed[32:48]}@{_id_part(as2_from)}>"


# our few AS2 ids; an unknown partner's AS2-To comes here too, so long ones are not kept
@short_value_cache(64)
def _id_part(as2_id: str) -> str:
    return "".join(ch for ch in as2_id if ch.isalnum() or ch in "-._") or "edi-gateway"


def quote_as2_id(as2_id: str) -> str:
    """AS2-From/To values with spaces or quotes must be quoted (RFC 4130 section 6.2)."""
    if any(ch in as2_id for ch in ' "\\'):
        return '"' + as2_id.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return as2_id


def build_mdn(
    *,
    original_message_id: str,
    original_recipient: str,
    our_as2_id: str,
    partner_as2_id: str,
    disposition: Disposition,
    received_mic: str | None,
    signer: cms.KeyPair | None = None,
    micalg: cms.DigestName = "sha256",
    text: str | None = None,
    now: datetime | None = None,
) -> OutgoingMdn:
    """Build an MDN (multipart/report), signed when ``signer`` is given."""
    now = now or datetime.now(UTC)
    # the two boundaries' and the Message-ID's random digits in one draw: each read of the
    # system's random source lets other threads take the interpreter (bench/README.md,
    # "AS2 endpoint: the pool's threads")
    tokens = secrets.token_hex(32)
    report_boundary = "----=_mdn_report_" + tokens[:24]
    if text is None:
        text = f"The AS2 message {original_message_id} was received." + (
            " It was processed."
            if disposition.status in ("processed", "warning")
            else f" It could not be processed: {disposition.modifier}."
        )
    fields = [
        f"Reporting-UA: {REPORTING_UA}",
        f"Original-Recipient: rfc822; {original_recipient}",
        f"Final-Recipient: rfc822; {original_recipient}",
        f"Original-Message-ID: {original_message_id}",
    ]
    if received_mic:
        fields.append(f"Received-Content-MIC: {received_mic}")
    fields.append(f"Disposition: {disposition.field()}")
    notification = ("\r\n".join(fields) + "\r\n").encode("utf-8")
    human = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8") + b"\r\n"
    report_body = (
        f"--{report_boundary}\r\n".encode()
        + build_entity(
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "7bit")],
            human,
        )
        + f"\r\n--{report_boundary}\r\n".encode()
        + build_entity(
            [
                ("Content-Type", "message/disposition-notification"),
                ("Content-Transfer-Encoding", "7bit"),
            ],
            notification,
        )
        + f"\r\n--{report_boundary}--\r\n".encode()
    )
    report_type = (
        f'multipart/report; report-type=disposition-notification; boundary="{report_boundary}"'
    )
    message_id = new_message_id(our_as2_id, tokens[48:])
    headers = [
        ("AS2-Version", "1.2"),
        ("AS2-From", quote_as2_id(our_as2_id)),
        ("AS2-To", quote_as2_id(partner_as2_id)),
        ("Message-ID", message_id),
        ("Date", http_date(now)),
        ("Subject", "Message Disposition Notification"),
        ("MIME-Version", "1.0"),
    ]
    if signer is None:
        return OutgoingMdn(
            message_id, [*headers, ("Content-Type", report_type)], report_body, False
        )
    report_entity = build_entity([("Content-Type", report_type)], report_body)
    signature = cms.sign_detached(report_entity, signer, micalg)
    sig_b64 = base64.encodebytes(signature).replace(b"\n", b"\r\n")
    outer = "----=_mdn_signed_" + tokens[24:48]
    body = (
        f"--{outer}\r\n".encode()
        + report_entity
        + f"\r\n--{outer}\r\n".encode()
        + build_entity(
            [
                ("Content-Type", "application/pkcs7-signature; name=smime.p7s"),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", "attachment; filename=smime.p7s"),
            ],
            sig_b64,
        )
        + f"\r\n--{outer}--\r\n".encode()
    )
    content_type = (
        'multipart/signed; protocol="application/pkcs7-signature"; '
        f'micalg={cms.micalg_name(micalg)}; boundary="{outer}"'
    )
    return OutgoingMdn(message_id, [*headers, ("Content-Type", content_type)], body, True)


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class Mdn:
    """An MDN as read from a partner."""

    original_message_id: str | None
    disposition: str  # the raw Disposition field
    status: Status
    modifier: str | None  # the text after "error:", "warning:" or "failure:"
    received_mic: str | None  # base64 digest
    mic_algorithm: str | None  # normalized (sha256) when known, else as written
    signed: bool
    signer: x509.Certificate | None
    text: str  # the human-readable part
    message_id: str | None  # the MDN's own Message-ID (from HTTP headers)
    as2_from: str | None
    as2_to: str | None

    @property
    def positive(self) -> bool:
        """Processed, with or without a warning."""
        return self.status in ("processed", "warning")


def is_mdn(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether a request to ``/as2`` carries an MDN rather than a message."""
    h = Headers.of(headers)
    media, params = parse_content_type(h.get("content-type", "text/plain"))
    if media == "multipart/report":
        return True
    if media != "multipart/signed":
        return False
    try:
        first = split_multipart(body, params.get("boundary", ""))[0]
        return parse_entity(first).content_type[0] == "multipart/report"
    except (As2Error, IndexError):
        return False


def parse_disposition(value: str) -> tuple[Status, str | None]:
    """``automatic-action/...; processed/error: authentication-failed`` → (error, text)."""
    _, _, rest = value.partition(";")
    rest = rest.strip() or value.strip()
    kind, _, modifier = rest.partition("/")
    kind = kind.strip().lower()
    if kind == "failed":
        _, _, text = modifier.partition(":")
        return "failed", (text or modifier).strip() or None
    if kind != "processed":
        return "failed", rest
    if not modifier.strip():
        return "processed", None
    severity, _, text = modifier.partition(":")
    severity = severity.strip().lower()
    if severity == "warning":
        return "warning", text.strip() or None
    if severity in ("error", "failure"):
        return "error", text.strip() or None
    return "error", modifier.strip()


def _unquote(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"')
    return value


def parse_mdn(
    headers: Mapping[str, str],
    body: bytes,
    certificates: Sequence[x509.Certificate],
    *,
    require_signature: bool = False,
    verify: bool = True,
) -> Mdn:
    """Read an MDN, verifying its signature against ``certificates`` when signed.

    Raises :class:`MdnError` when it is not an MDN, when a signature does not verify,
    or when ``require_signature`` is set and it is unsigned. ``verify=False`` reads a
    signed MDN without checking it (for diagnostics; ``signed`` is then False).
    """
    headers = Headers(headers.items())
    try:
        entity = entity_from_http(headers, body)
        media, params = entity.content_type
        signed = False
        signer: x509.Certificate | None = None
        if media == "multipart/signed":
            parts = split_multipart(entity.body, params.get("boundary", ""))
            if len(parts) < 2:
                raise MdnError("signed MDN without a signature part")
            if verify:
                signature = decode_body(parse_entity(parts[1]))
                verified = cms.verify_detached(
                    signature, signed_content_candidates(parts[0]), certificates
                )
                signed, signer = True, verified.certificate
                entity = parse_entity(verified.content)
            else:
                entity = parse_entity(parts[0])
            media, params = entity.content_type
        if media != "multipart/report":
            raise MdnError(f"not an MDN: content type {media!r}")
        if require_signature and not signed:
            raise MdnError("MDN is not signed although a signed receipt was requested")
        report = _read_report(entity)
    except MdnError:
        raise
    except As2Error as exc:
        raise MdnError(f"MDN cannot be verified or read: {exc}") from exc
    mic = report.get("received-content-mic")
    received_mic: str | None = None
    mic_alg: str | None = None
    if mic:
        digest_text, _, alg = mic.partition(",")
        received_mic = digest_text.strip()
        try:
            mic_alg = cms.digest_name(alg) if alg.strip() else None
        except ValueError:
            mic_alg = alg.strip()
    disposition = report.get("disposition", "")
    status, modifier = parse_disposition(disposition)
    return Mdn(
        original_message_id=_unquote(report.get("original-message-id")),
        disposition=disposition,
        status=status,
        modifier=modifier,
        received_mic=received_mic,
        mic_algorithm=mic_alg,
        signed=signed,
        signer=signer,
        text=report.get("_text", ""),
        message_id=_unquote(headers.get("message-id")),
        as2_from=_unquote(headers.get("as2-from")),
        as2_to=_unquote(headers.get("as2-to")),
    )


def _read_report(entity: Entity) -> dict[str, str]:
    """Fields of the message/disposition-notification part (lower-case names)."""
    _, params = entity.content_type
    fields: dict[str, str] = {}
    text_parts: list[str] = []
    for raw in split_multipart(entity.body, params.get("boundary", "")):
        part = parse_entity(raw)
        media, _ = part.content_type if "content-type" in part.headers else ("text/plain", {})
        content = decode_body(part)
        if media == "message/disposition-notification":
            for name, value in parse_header_block(content.strip() + b"\n").items():
                fields[name] = value
        elif media.startswith("text/"):
            text_parts.append(content.decode("utf-8", "replace").strip())
    if "disposition" not in fields:
        raise MdnError("MDN report has no Disposition field")
    fields["_text"] = "\n".join(text_parts)
    return fields
