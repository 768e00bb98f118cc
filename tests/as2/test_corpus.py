"""Messages and MDNs written by other AS2 products (mendelson, IBM Sterling B2Bi, OpenAS2)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms as acms
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key

from gateway.as2 import cms, mdn
from gateway.as2.errors import MdnError
from gateway.as2.inbound import UnpackPolicy, unpack_message

from .as2_helpers import split_http_file
from .conftest_corpus import require_as2_corpus


@pytest.fixture(scope="module")
def corpus() -> Path:
    return require_as2_corpus()


def key_pair(path: Path, passphrase: bytes) -> cms.KeyPair:
    pem = path.read_bytes()
    key = load_pem_private_key(pem, passphrase)
    return cms.KeyPair(x509.load_pem_x509_certificate(pem), key)  # type: ignore[arg-type]


def cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


MENDELSON = [
    ("mecas2_signed.as2", ("signed",)),
    ("mecas2_encrypted.as2", ("encrypted",)),
    ("mecas2_compressed.as2", ("signed", "compressed")),
    ("mecas2_signed_encrypted.as2", ("encrypted", "signed")),
    ("mecas2_compressed_signed_encrypted.as2", ("encrypted", "signed", "compressed")),
]


@pytest.mark.parametrize(("name", "layers"), MENDELSON, ids=[m[0] for m in MENDELSON])
def test_mendelson_messages_decrypt_verify_and_decompress_to_the_payload(
    corpus: Path, name: str, layers: tuple[str, ...]
) -> None:
    headers, body = split_http_file((corpus / name).read_bytes())
    message = unpack_message(
        headers, body,
        our_keys=[key_pair(corpus / "cert_test.pem", b"test")],
        partner_certs=[cert(corpus / "cert_mecas2_public.pem")],
        policy=UnpackPolicy(require_signature="signed" in layers,
                            require_encryption="encrypted" in layers),
    )  # fmt: skip
    assert message.payload == (corpus / "payload_ORDERS_D96A_EAN008.txt").read_bytes()
    assert message.layers == layers


def test_mendelson_message_is_refused_with_the_wrong_partner_certificate(corpus: Path) -> None:
    headers, body = split_http_file((corpus / "mecas2_signed.as2").read_bytes())
    from gateway.as2.errors import AuthenticationFailed

    with pytest.raises(AuthenticationFailed):
        unpack_message(headers, body, our_keys=[],
                       partner_certs=[cert(corpus / "cert_sb2bi_public.pem")],
                       policy=UnpackPolicy(False, False))  # fmt: skip


def test_sterling_signature_over_non_canonical_content_verifies(corpus: Path) -> None:
    headers, body = split_http_file((corpus / "sb2bi_signed_compressed.msg").read_bytes())
    message = unpack_message(
        headers, body,
        our_keys=[key_pair(corpus / "cert_oldpyas2_private.pem", b"password")],
        partner_certs=[cert(corpus / "cert_sb2bi_public.pem")],
        policy=UnpackPolicy(require_signature=True, require_encryption=False),
    )  # fmt: skip
    assert message.layers == ("signed", "compressed")
    assert message.signed and message.compressed
    assert message.payload.startswith(b"ISA*")
    assert b"ST*850*" in message.payload
    assert message.filename == "Mclane_850_494457167"
    assert message.mic_algorithm == "sha1"  # micalg=SHA1 of the signature


def test_openas2_signed_x12_request_verifies_with_the_embedded_signer(corpus: Path) -> None:
    # no certificate file ships with this request: the test takes the signer from the
    # CMS itself (the gateway never does that) to show the message verifies as sent
    headers, body = split_http_file(
        (corpus / "openas2_http_request_signed_X12_850.txt").read_bytes()
    )
    signer = _embedded_signer_from_request(headers, body)
    message = unpack_message(headers, body, our_keys=[], partner_certs=[signer],
                             policy=UnpackPolicy(True, False))  # fmt: skip
    assert b"ST*850" in message.payload
    assert message.signed


def _embedded_signer_from_request(headers: dict[str, str], body: bytes) -> x509.Certificate:
    from gateway.as2.inbound import entity_from_http
    from gateway.as2.mime import decode_body, parse_entity, split_multipart

    entity = entity_from_http(headers, body)
    parts = split_multipart(entity.body, entity.content_type[1]["boundary"])
    return _embedded(decode_body(parse_entity(parts[1])))


def _embedded(der: bytes) -> x509.Certificate:
    signed = acms.ContentInfo.load(der)["content"]
    sid = signed["signer_infos"][0]["sid"].chosen["serial_number"].native
    for c in signed["certificates"]:
        if c.chosen.serial_number == sid:
            return x509.load_der_x509_certificate(c.chosen.dump())
    raise AssertionError("no embedded signer")


def test_sterling_mdn_verifies_and_reports_processed(corpus: Path) -> None:
    headers, body = split_http_file((corpus / "sb2bi_signed.mdn").read_bytes())
    result = mdn.parse_mdn(headers, body, [cert(corpus / "cert_sb2bi_public.pem")],
                           require_signature=True)  # fmt: skip
    assert result.signed and result.positive and result.status == "processed"
    assert result.original_message_id == (
        "<151694007918.24690.7052273208458909245@ip-172-31-14-209.ec2.internal>"
    )
    assert (result.received_mic, result.mic_algorithm) == ("wNh76aEicfBurg/et2wio4zk/2I=", "sha1")


def test_mendelson_unsigned_negative_mdn_is_read(corpus: Path) -> None:
    headers, body = split_http_file((corpus / "mecas2_unsigned.mdn").read_bytes())
    assert mdn.is_mdn(headers, body)
    result = mdn.parse_mdn(headers, body, [])
    assert (result.status, result.modifier) == ("error", "authentication-failed")
    assert not result.positive and not result.signed
    with pytest.raises(MdnError, match="not signed"):
        mdn.parse_mdn(headers, body, [], require_signature=True)


def test_mendelson_signed_mdn_verifies_only_with_its_actual_signer(corpus: Path) -> None:
    # the shipped cert_mecas2_public.pem is a later mecas2 certificate than the one that
    # signed this MDN (serials differ), so it must not verify with it ...
    headers, body = split_http_file((corpus / "mecas2_signed.mdn").read_bytes())
    with pytest.raises(MdnError, match="signature"):
        mdn.parse_mdn(headers, body, [cert(corpus / "cert_mecas2_public.pem")])
    # ... and does verify with the certificate that did sign it
    from gateway.as2.inbound import entity_from_http
    from gateway.as2.mime import decode_body, parse_entity, split_multipart

    entity = entity_from_http(headers, body)
    parts = split_multipart(entity.body, entity.content_type[1]["boundary"])
    signer = _embedded(decode_body(parse_entity(parts[1])))
    result = mdn.parse_mdn(headers, body, [signer], require_signature=True)
    assert result.signed and result.status == "processed"
    assert result.received_mic and result.mic_algorithm == "sha256"


def test_openas2_mdn_with_expired_signer_and_lf_endings(corpus: Path) -> None:
    headers, _ = split_http_file(
        (corpus / "openas2_20190925-david.mdn.header").read_bytes() + b"\n\n"
    )
    body = (corpus / "openas2_20190925-david.mdn.payload").read_bytes()
    signer = cert(corpus / "openas2_20190925-david.mdn.signer.pem")
    # the signer certificate expired in 2021: rollover filtering leaves nothing to verify with
    from gateway.as2.certs import is_valid

    assert not is_valid(signer, datetime.now(UTC))
    with pytest.raises(MdnError, match="no valid partner certificate"):
        mdn.parse_mdn(headers, body, [])
    # its stored bytes were altered upstream (see PROVENANCE): the digest check says so
    with pytest.raises(MdnError, match="digest"):
        mdn.parse_mdn(headers, body, [signer])
    unverified = mdn.parse_mdn(headers, body, [], verify=False)
    assert (unverified.status, unverified.modifier) == ("error", "unexpected-processing-error")
    assert unverified.mic_algorithm == "sha1"
    assert unverified.received_mic == "rjNsE2kpJPol7lf4jVDSkxbqT40="


def test_sterling_mdn_with_mangled_signature_is_refused_cleanly(corpus: Path) -> None:
    headers, _ = split_http_file((corpus / "sterling_4af6f84c.mdn.header").read_bytes() + b"\n\n")
    body = (corpus / "sterling_4af6f84c.mdn.payload").read_bytes()
    with pytest.raises(MdnError):
        mdn.parse_mdn(headers, body, [cert(corpus / "sterling_4af6f84c.mdn.signer.pem")])
    assert mdn.parse_mdn(headers, body, [], verify=False).status == "processed"


def test_openas2_mdn_with_quoted_header_values(corpus: Path) -> None:
    headers, _ = split_http_file(
        (corpus / "openas2_issue97_quoted_headers.mdn.header").read_bytes() + b"\n\n"
    )
    body = (corpus / "openas2_issue97_quoted_headers.mdn.payload").read_bytes()
    assert mdn.is_mdn(headers, body)
    result = mdn.parse_mdn(headers, body, [], verify=False)
    assert result.status == "processed" and result.mic_algorithm == "sha1"
    assert result.message_id == "<ph-OpenAS2-07102019213832+0300-9309@ctm_mft_ctm_mft>"
    assert Encoding.PEM  # keep the import honest for type checkers
