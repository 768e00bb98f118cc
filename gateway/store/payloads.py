"""Raw payload storage, content-addressed by SHA-256 and written once.

Two backends: files under the data directory (default; a payload at
``payloads/ab/cd/<sha256>``, written to a temporary name, fsynced and renamed so a crash
never leaves half a file under its final name), or the ``payloads.data`` column (when
several machines share the work without shared storage). Either way a ``payloads`` row
records the hash and size, so the store knows every payload it holds.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Literal, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.store.models import Payload


class PayloadMissing(LookupError):
    """A payload row or its bytes are gone (a storage fault, never partner data)."""


class PayloadStore(Protocol):
    """Put and get raw bytes by SHA-256."""

    def put(self, session: Session, data: bytes) -> str: ...

    def get(self, session: Session, sha256: str) -> bytes: ...


def sha256_hex(data: bytes) -> str:
    """The content address of some bytes."""
    return hashlib.sha256(data).hexdigest()


def _record(session: Session, sha: str, size: int, storage: str, data: bytes | None) -> None:
    if session.get(Payload, sha) is not None:
        return
    try:
        with session.begin_nested():
            session.add(Payload(sha256=sha, size=size, storage=storage, data=data))
    except IntegrityError:
        pass  # stored concurrently by another worker: same bytes, nothing to do


class FilePayloadStore:
    """Payload bytes in files under a directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha: str) -> Path:
        """Where the bytes of a payload live."""
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, session: Session, data: bytes) -> str:
        """Write the bytes (once) and record the payload row; return the SHA-256."""
        sha = sha256_hex(data)
        path = self.path_for(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        _record(session, sha, len(data), "file", None)
        return sha

    def get(self, session: Session, sha256: str) -> bytes:
        """Read the bytes of a payload."""
        row = session.get(Payload, sha256)
        if row is not None and row.data is not None:
            return row.data
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise PayloadMissing(f"payload {sha256} is not in {self.root}") from exc


class DatabasePayloadStore:
    """Payload bytes in the database itself."""

    def put(self, session: Session, data: bytes) -> str:
        """Record the payload with its bytes; return the SHA-256."""
        sha = sha256_hex(data)
        _record(session, sha, len(data), "database", data)
        return sha

    def get(self, session: Session, sha256: str) -> bytes:
        """Read the bytes of a payload."""
        data = session.execute(select(Payload.data).where(Payload.sha256 == sha256)).scalar()
        if data is None:
            raise PayloadMissing(f"payload {sha256} is not in the database")
        return data


def make_payload_store(kind: Literal["file", "database"], root: Path) -> PayloadStore:
    """The configured payload store."""
    return FilePayloadStore(root) if kind == "file" else DatabasePayloadStore()
