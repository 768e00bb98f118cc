"""Bad messages get the right negative MDN or HTTP error, and nothing reaches the intake."""

from __future__ import annotations

import re
import select
import socket
import tracemalloc
import zlib
from pathlib import Path

import httpx

from gateway.as2 import cms

from .as2_helpers import openssl, split_smime
from .conftest import Endpoint, World
from .test_openssl_inbound import (
    as2_headers,
    openssl_encrypt,
    openssl_sign,
    payload_entity,
    post,
    verify_mdn_with_openssl,
)


def disposition(report: str) -> str:
    match = re.search(r"Disposition: (.+)", report)
    assert match, report
    return match.group(1).strip()


def assert_rejected(tmp: Path, world: World, endpoint: Endpoint, response: httpx.Response,
                    modifier: str) -> None:  # fmt: skip
    assert response.status_code == 200, response.text
    report = verify_mdn_with_openssl(tmp, response, world)
    assert disposition(report) == (
        f"automatic-action/MDN-sent-automatically; processed/Error: {modifier}"
    )
    assert endpoint.intake.payloads == []
    assert endpoint.intake.raw, "the raw request is stored even when it is rejected"
    assert any(kind == "as2.rejected" for kind, _, _ in endpoint.intake.events)


def test_tampered_signed_content_is_an_integrity_failure(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    signed = openssl_sign(tmp_path, payload_entity(), world.partner, "sha256")
    headers, body = split_smime(signed)
    tampered = body.replace(b"PO-1", b"PO-9", 1)
    assert tampered != body
    response = post(endpoint, {**as2_headers("LENIENT"), **headers}, tampered)
    assert_rejected(tmp_path, world, endpoint, response, "integrity-check-failed")


def test_signature_by_an_unknown_certificate_fails_authentication(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    signed = openssl_sign(tmp_path, payload_entity(), world.stranger, "sha256")
    headers, body = split_smime(openssl_encrypt(tmp_path, signed, world.ours, "aes256"))
    response = post(endpoint, {**as2_headers("ACME"), **headers}, body)
    assert_rejected(tmp_path, world, endpoint, response, "authentication-failed")


def test_signature_by_an_expired_certificate_fails_authentication(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    signed = openssl_sign(tmp_path, payload_entity(), world.expired, "sha256")
    headers, body = split_smime(openssl_encrypt(tmp_path, signed, world.ours, "aes256"))
    response = post(endpoint, {**as2_headers("EXPIREDCO"), **headers}, body)
    assert_rejected(tmp_path, world, endpoint, response, "authentication-failed")
    assert any("expired" in detail for _, detail, _ in endpoint.intake.events)


def test_unsigned_message_to_a_partner_requiring_signatures(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    headers, body = split_smime(openssl_encrypt(tmp_path, payload_entity(), world.ours, "aes256"))
    response = post(endpoint, {**as2_headers("ACME"), **headers}, body)
    assert_rejected(tmp_path, world, endpoint, response, "insufficient-message-security")


def test_unencrypted_message_to_a_partner_requiring_encryption(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    headers, body = split_smime(openssl_sign(tmp_path, payload_entity(), world.partner, "sha256"))
    response = post(endpoint, {**as2_headers("ACME"), **headers}, body)
    assert_rejected(tmp_path, world, endpoint, response, "insufficient-message-security")


def test_message_encrypted_for_someone_else_fails_decryption(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    signed = openssl_sign(tmp_path, payload_entity(), world.partner, "sha256")
    headers, body = split_smime(openssl_encrypt(tmp_path, signed, world.stranger, "aes256"))
    response = post(endpoint, {**as2_headers("ACME"), **headers}, body)
    assert_rejected(tmp_path, world, endpoint, response, "decryption-failed")


def test_truncated_bodies_are_rejected_not_crashed(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    signed = openssl_sign(tmp_path, payload_entity(), world.partner, "sha256")
    enc_headers, enc_body = split_smime(openssl_encrypt(tmp_path, signed, world.ours, "aes256"))
    sig_headers, sig_body = split_smime(signed)
    # encrypted body cut in half: the CMS structure is incomplete
    r1 = post(endpoint, {**as2_headers("ACME"), **enc_headers}, enc_body[: len(enc_body) // 2])
    assert_rejected(tmp_path, world, endpoint, r1, "decryption-failed")
    # signed body cut before its closing boundary
    r2 = post(endpoint, {**as2_headers("LENIENT"), **sig_headers}, sig_body[: len(sig_body) - 300])
    report = verify_mdn_with_openssl(tmp_path, r2, world)
    assert disposition(report).endswith("processed/Error: integrity-check-failed")
    assert endpoint.intake.payloads == []


def test_unknown_partner_gets_unknown_trading_partner(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    headers, body = split_smime(openssl_sign(tmp_path, payload_entity(), world.partner, "sha256"))
    response = post(endpoint, {**as2_headers("NOBODY"), **headers}, body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "multipart/report"
    )  # we cannot know which key
    assert b"processed/Error: unknown-trading-partner" in response.content
    assert endpoint.intake.payloads == []


def test_duplicate_message_id_is_acknowledged_with_a_warning_and_not_processed_twice(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    signed = openssl_sign(tmp_path, payload_entity(), world.partner, "sha256")
    headers, body = split_smime(openssl_encrypt(tmp_path, signed, world.ours, "aes256"))
    h = {**as2_headers("ACME"), **headers}
    first = post(endpoint, h, body)
    second = post(endpoint, h, body)
    assert disposition(verify_mdn_with_openssl(tmp_path, first, world)).endswith("; processed")
    assert disposition(verify_mdn_with_openssl(tmp_path, second, world)) == (
        "automatic-action/MDN-sent-automatically; processed/Warning: duplicate-document"
    )
    assert len(endpoint.intake.payloads) == 1


def test_intake_failure_answers_unexpected_processing_error(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    endpoint.intake.fail = True
    signed = openssl_sign(tmp_path, payload_entity(), world.partner, "sha256")
    headers, body = split_smime(openssl_encrypt(tmp_path, signed, world.ours, "aes256"))
    response = post(endpoint, {**as2_headers("ACME"), **headers}, body)
    report = verify_mdn_with_openssl(tmp_path, response, world)
    assert disposition(report).endswith("processed/Error: unexpected-processing-error")


def test_compression_bomb_is_stopped_by_the_decompression_cap(
    world: World, endpoint: Endpoint
) -> None:
    # given: 1 GB of zeros compressed to about 1 MB, built lazily
    packer = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    packed = b"".join(packer.compress(chunk) for _ in range(1024)) + packer.flush()
    assert len(packed) < 2 * 1024 * 1024
    from asn1crypto import cms as acms

    der = acms.ContentInfo(
        {"content_type": "compressed_data", "content": acms.CompressedData({
            "version": "v0", "compression_algorithm": {"algorithm": "zlib"},
            "encap_content_info": {"content_type": "data", "content": packed}})}
    ).dump()  # fmt: skip
    headers = {
        **as2_headers("LENIENT"),
        "Content-Type": "application/pkcs7-mime; smime-type=compressed-data",
    }
    del headers["Disposition-Notification-Options"]
    tracemalloc.start()
    try:
        response = post(endpoint, headers, der)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # then: decompression-failed, nothing stored as valid, memory stays near the partner's 32 MB cap
    assert b"processed/Error: decompression-failed" in response.content
    assert endpoint.intake.payloads == []
    assert peak < 100 * 1024 * 1024


def _raw_post(port: int, head: bytes, body_chunks: int, chunked: bool) -> tuple[bytes, int]:
    """Send a request over a raw socket, lazily; stop as soon as the server answers."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sent = 0
    answer = b""
    try:
        sock.sendall(head)
        chunk = b"A" * 65536
        frame = (b"%x\r\n" % len(chunk)) + chunk + b"\r\n" if chunked else chunk
        for _ in range(body_chunks):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.settimeout(10)
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    finally:
        sock.close()
    return answer, sent


def test_200_mb_body_gets_413_without_being_read(world: World, endpoint: Endpoint) -> None:
    port = int(endpoint.url.split(":")[2].split("/")[0])
    total = 200 * 1024 * 1024
    blocks = total // 65536
    tracemalloc.start()
    try:
        # given Content-Length: refused before reading, the client never sends the body
        head = (
            b"POST /as2 HTTP/1.1\r\nHost: x\r\nAS2-From: LENIENT\r\nAS2-To: GATEWAY\r\n"
            b"Message-ID: <big@x>\r\nContent-Type: application/EDI-X12\r\n"
            b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % total
        )
        answer, sent = _raw_post(port, head, 0, chunked=False)
        assert answer.startswith(b"HTTP/1.1 413")
        # given chunked transfer (no length known): refused once the cap is passed
        head = (
            b"POST /as2 HTTP/1.1\r\nHost: x\r\nAS2-From: LENIENT\r\nAS2-To: GATEWAY\r\n"
            b"Message-ID: <big2@x>\r\nContent-Type: application/EDI-X12\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        answer, sent = _raw_post(port, head, blocks, chunked=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert sent < 64 * 1024 * 1024, f"server kept reading: {sent} bytes sent"
    assert peak < 40 * 1024 * 1024
    assert endpoint.intake.payloads == [] and endpoint.intake.raw == {}


def test_partner_body_limit_is_enforced_below_the_global_cap(endpoint: Endpoint) -> None:
    headers = {**as2_headers("SMALL"), "Content-Type": "application/EDI-X12"}
    response = httpx.post(endpoint.url, headers=headers, content=b"X" * 5000)
    assert response.status_code == 413
    ok = httpx.post(endpoint.url, headers=headers, content=b"X" * 100)
    assert ok.status_code == 200
    assert [p.data for p in endpoint.intake.payloads] == [b"X" * 100]


def test_garbage_requests_never_crash_the_endpoint(endpoint: Endpoint) -> None:
    bad = [
        ({"Content-Type": "multipart/signed; boundary=zz"}, b"--zz\r\nnot mime"),
        ({"Content-Type": "application/pkcs7-mime; smime-type=enveloped-data"}, b"\x30\x80\x01"),
        ({"Content-Type": "application/pkcs7-mime"}, b"plain text"),
        ({"Content-Type": "multipart/signed"}, b""),
        (
            {"Content-Type": "application/pkcs7-mime; smime-type=compressed-data"},
            b"\x30\x03\x02\x01",
        ),
    ]
    for extra, body in bad:
        response = post(endpoint, {**as2_headers("LENIENT"), **extra}, body)
        assert response.status_code == 200
        assert b"processed/Error:" in response.content
    assert endpoint.intake.payloads == []
    missing = httpx.post(endpoint.url, headers={"Content-Type": "text/plain"}, content=b"x")
    assert missing.status_code == 400


def test_openssl_pkcs7_helpers_are_available() -> None:
    assert b"OpenSSL" in openssl("version")
    assert cms.micalg_name("sha256") == "sha-256"


def test_disabled_partner_is_treated_as_unknown(
    tmp_path: Path, world: World, endpoint: Endpoint
) -> None:
    from .conftest import make_profile

    world.profiles["disabled"] = make_profile("disabled", {"as2_id": "OFF"}).model_copy(
        update={"enabled": False}
    )
    try:
        headers, body = split_smime(
            openssl_sign(tmp_path, payload_entity(), world.partner, "sha256")
        )
        response = post(endpoint, {**as2_headers("OFF"), **headers}, body)
    finally:
        del world.profiles["disabled"]
    assert b"processed/Error: unknown-trading-partner" in response.content
    assert endpoint.intake.payloads == []


def test_async_mdn_without_a_url_is_refused_when_the_profile_loads() -> None:
    import pytest
    from pydantic import ValidationError

    from .conftest import make_profile

    with pytest.raises(ValidationError, match="mdn_url"):
        make_profile("p", {"as2_id": "P", "mdn": "async"})
    assert make_profile("p", {"as2_id": "P", "mdn": "async", "mdn_url": "http://x/as2"})
