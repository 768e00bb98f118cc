"""Building an AS2 message to send: compress, sign, encrypt (pure: bytes in, bytes out)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509

from gateway.as2 import cms
from gateway.as2.mdn import new_message_id, quote_as2_id
from gateway.as2.mime import build_entity, http_date


@dataclass(frozen=True, slots=True)
class SignOptions:
    """How we sign."""

    key: cms.KeyPair
    digest: cms.DigestName = "sha256"
    scheme: cms.SignatureScheme = "pkcs1v15"


@dataclass(frozen=True, slots=True)
class EncryptOptions:
    """How we encrypt, and for which partner certificate."""

    certificate: x509.Certificate
    cipher: cms.CipherName = "aes256-cbc"
    key_encryption: cms.KeyEncryption = "rsaes-pkcs1-v1_5"


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message ready to POST: HTTP headers (with Content-Type) and body."""

    message_id: str
    headers: dict[str, str]
    body: bytes
    mic: str  # base64 digest we expect back in the MDN
    mic_algorithm: cms.DigestName


def payload_content_type(data: bytes, filename: str) -> str:
    """The AS2 media type for an EDI payload (RFC 1767), sniffed from its first bytes."""
    head = data.lstrip(b"\xef\xbb\xbf \r\n\t")[:3]
    if head == b"ISA":
        return "application/EDI-X12"
    if head in (b"UNA", b"UNB"):
        return "application/EDIFACT"
    if filename.lower().endswith(".xml") or head.startswith(b"<"):
        return "application/xml"
    return "application/octet-stream"


def build_message(
    payload: bytes,
    *,
    filename: str,
    as2_from: str,
    as2_to: str,
    sign: SignOptions | None = None,
    encrypt: EncryptOptions | None = None,
    compress: bool = False,
    mdn: str = "sync",
    mdn_signed: bool = True,
    mdn_url: str | None = None,
    mic_algorithm: cms.DigestName | None = None,
    subject: str = "AS2 message",
    content_type: str | None = None,
    message_id: str | None = None,
    now: datetime | None = None,
) -> OutboundMessage:
    """Wrap a payload as RFC 4130 asks: payload entity → compressed → signed → encrypted.

    The MIC we expect in the MDN follows the receiver's rule (RFC 4130 section 7.3.1).
    """
    now = now or datetime.now(UTC)
    message_id = message_id or new_message_id(as2_from)
    safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "") or "payload"
    entity = build_entity(
        [
            ("Content-Type", content_type or payload_content_type(payload, filename)),
            ("Content-Transfer-Encoding", "binary"),
            ("Content-Disposition", f'attachment; filename="{safe_name}"'),
        ],
        payload,
    )
    mic_alg: cms.DigestName = mic_algorithm or (sign.digest if sign else "sha256")
    mic_source = entity if encrypt else payload
    if compress:
        entity = build_entity(
            [
                (
                    "Content-Type",
                    'application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"',
                ),
                ("Content-Transfer-Encoding", "binary"),
                ("Content-Disposition", 'attachment; filename="smime.p7z"'),
            ],
            cms.compress(entity),
        )
    if sign:
        mic_source = entity
        signature = cms.sign_detached(entity, sign.key, sign.digest, scheme=sign.scheme)
        boundary = "----=_as2_signed_" + secrets.token_hex(12)
        body = (
            f"--{boundary}\r\n".encode()
            + entity
            + f"\r\n--{boundary}\r\n".encode()
            + build_entity(
                [
                    ("Content-Type", 'application/pkcs7-signature; name="smime.p7s"'),
                    ("Content-Transfer-Encoding", "base64"),
                    ("Content-Disposition", 'attachment; filename="smime.p7s"'),
                ],
                base64.encodebytes(signature).replace(b"\n", b"\r\n"),
            )
            + f"\r\n--{boundary}--\r\n".encode()
        )
        content_type_value = (
            'multipart/signed; protocol="application/pkcs7-signature"; '
            f'micalg={cms.micalg_name(sign.digest)}; boundary="{boundary}"'
        )
        entity = build_entity([("Content-Type", content_type_value)], body)
    mic = base64.b64encode(cms.digest(mic_alg, mic_source)).decode("ascii")
    if encrypt:
        body = cms.encrypt(
            entity, encrypt.certificate, encrypt.cipher, key_encryption=encrypt.key_encryption
        )
        top_type = 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'
    else:
        # the outermost entity's headers travel as HTTP headers
        head_end = entity.index(b"\r\n\r\n")
        top_type = entity[:head_end].decode("latin-1").split(":", 1)[1].strip()
        body = entity[head_end + 4 :]
        if not sign and not compress:
            top_type = content_type or payload_content_type(payload, filename)
            body = payload
    headers = {
        "AS2-Version": "1.2",
        "AS2-From": quote_as2_id(as2_from),
        "AS2-To": quote_as2_id(as2_to),
        "Message-ID": message_id,
        "Subject": subject,
        "Date": http_date(now),
        "MIME-Version": "1.0",
        "Content-Type": top_type,
        "Content-Disposition": 'attachment; filename="smime.p7m"'
        if encrypt
        else f'attachment; filename="{safe_name}"',
        "EDIINT-Features": "multiple-attachments, CEM",
    }
    if encrypt or not (sign or compress):
        headers["Content-Transfer-Encoding"] = "binary"
    if mdn != "none":
        headers["Disposition-Notification-To"] = as2_from
        if mdn_signed:
            headers["Disposition-Notification-Options"] = (
                "signed-receipt-protocol=optional, pkcs7-signature; "
                f"signed-receipt-micalg=optional, {cms.micalg_name(mic_alg)}"
            )
        if mdn == "async" and mdn_url:
            headers["Receipt-Delivery-Option"] = mdn_url
    return OutboundMessage(message_id, headers, body, mic, mic_alg)
