"""Test helpers for the AS2 tests: keys, an in-memory intake, openssl as the partner."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from gateway.intake import Receipt, ReceivedPayload


@dataclass
class KeyFiles:
    """A key pair on disk."""

    key: Path
    cert: Path
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey


def make_keys(
    directory: Path, name: str, *, start: datetime | None = None, days: int = 365
) -> KeyFiles:
    """A self-signed RSA key pair written as PEM files (independent of gateway code)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = start or datetime.now(UTC) - timedelta(days=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return KeyFiles(key_path, cert_path, cert, key)


@dataclass
class MemoryIntake:
    """An in-memory Intake with the dedupe behaviour the real one promises."""

    raw: dict[str, bytes] = field(default_factory=dict)
    payloads: list[ReceivedPayload] = field(default_factory=list)
    refused: list[ReceivedPayload] = field(default_factory=list)  # "refused" messages
    events: list[tuple[str, str, str | None]] = field(default_factory=list)
    _keys: dict[tuple[str | None, str, str, str], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    fail: bool = False

    def store_raw(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        with self._lock:
            self.raw[sha] = data
        return sha

    def receive(self, payload: ReceivedPayload) -> Receipt:
        if self.fail:
            raise OSError("disk full")
        sha = hashlib.sha256(payload.data).hexdigest()
        with self._lock:
            if payload.refused is not None:
                self.refused.append(payload)
                return Receipt(len(self.refused) + 5000, sha)
            key = (payload.partner_id, payload.transport, payload.dedupe_key or "", sha)
            if payload.dedupe_key and key in self._keys:
                return Receipt(len(self.payloads) + 1000, sha, duplicate_of=self._keys[key])
            self.payloads.append(payload)
            self._keys[key] = len(self.payloads)
            return Receipt(len(self.payloads), sha)

    def record_event(
        self, kind: str, detail: str, *, partner_id: str | None = None, actor: str = "system",
        message_id: int | None = None, data: Any = None,
    ) -> None:  # fmt: skip
        with self._lock:
            self.events.append((kind, detail, partner_id))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """uvicorn serving an ASGI app on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
            limit_concurrency=64,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def openssl(*args: str, data: bytes | None = None) -> bytes:
    """Run ``openssl`` and return stdout; fail the test with stderr on error."""
    proc = subprocess.run(
        ["openssl", *args], check=False, input=data, capture_output=True, timeout=60
    )
    if proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc.stdout


def split_smime(data: bytes) -> tuple[dict[str, str], bytes]:
    """openssl's S/MIME output as (headers, body), the headers becoming HTTP headers."""
    lf, crlf = data.find(b"\n\n"), data.find(b"\r\n\r\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        head, body = data[:crlf], data[crlf + 4 :]
    else:
        head, body = data[:lf], data[lf + 2 :]
    headers: dict[str, str] = {}
    last = None
    for line in head.decode().replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and last:
            headers[last] += " " + line.strip()
            continue
        name, _, value = line.partition(":")
        last = name.strip()
        headers[last] = value.strip()
    headers.pop("MIME-Version", None)
    return headers, body


def split_http_file(raw: bytes) -> tuple[dict[str, str], bytes]:
    """A stored 'headers + blank line + body' file (the corpus format)."""
    if raw.startswith(b"HTTP ") or raw.startswith(b"POST "):
        raw = raw.split(b"\n", 1)[1]
    best: tuple[int, bytes] | None = None
    for sep in (b"\r\n\r\n", b"\n\r\n", b"\n\n"):
        pos = raw.find(sep)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, sep)
    assert best is not None
    pos, sep = best
    headers: dict[str, str] = {}
    last = ""
    for line in raw[:pos].decode("latin-1").replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and last:
            headers[last] += " " + line.strip()  # folded header line
            continue
        name, _, value = line.partition(":")
        last = name.strip()
        headers[last] = value.strip()
    return headers, raw[pos + len(sep) :]
