"""Raw payload storage, content-addressed by SHA-256 and written once.

Two backends: files under the data directory (default; a payload at
``payloads/ab/cd/<sha256>``, written to a temporary name, fsynced and renamed so a crash
never leaves half a file under its final name), or the ``payloads.data`` column (when
several machines share the work without shared storage). Either way a ``payloads`` row
records the hash and size, so the store knows every payload it holds.

``open`` gives the stages a payload to read byte ranges from: the file store maps the
file read-only (a 100 MB interchange is never copied into memory whole), the database
store has no such thing and hands over the whole bytes.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Literal, Protocol, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from gateway.store.bulk import insert_unless_present
from gateway.store.models import Payload


class PayloadMissing(LookupError):
    """A payload row or its bytes are gone (a storage fault, never partner data)."""


PayloadData = bytes | mmap.mmap  # what ``open`` gives: sliced, searched, never copied whole


class PayloadStore(Protocol):
    """Put and get raw bytes by SHA-256."""

    def put(self, session: Session, data: bytes) -> str: ...

    def get(self, session: Session, sha256: str) -> bytes: ...

    def open(self, session: Session, sha256: str) -> AbstractContextManager[PayloadData]:
        """The payload for reading byte ranges (``data[start:end]``) without holding all
        of it: a read-only map of its file, or the bytes where they live in a row."""
        ...

    def open_row(self, sha256: str, data: bytes | None) -> AbstractContextManager[PayloadData]:
        """:meth:`open` for a caller that read the payload's row with a query of its own
        (``data``: the ``payloads.data`` column, None when no bytes are kept in a row):
        a stage reads it with its subject, one statement less (issue 21)."""
        ...


def sha256_hex(data: bytes) -> str:
    """The content address of some bytes."""
    return hashlib.sha256(data).hexdigest()


# built once, no ORM objects: two payloads per received file (issue 21)
_PAYLOADS = cast(Table, Payload.__table__)
_KNOWN = select(_PAYLOADS.c.size).where(_PAYLOADS.c.sha256 == bindparam("sha"))
_DATA = select(_PAYLOADS.c.data).where(_PAYLOADS.c.sha256 == bindparam("sha"))


def _record(session: Session, sha: str, size: int, storage: str, data: bytes | None) -> None:
    """The payload's row, once: a row there already (the same bytes, stored earlier or
    concurrently by another worker) is left as it is."""
    # bytes kept in the row are not sent again when the row is there
    if data is not None and session.execute(_KNOWN, {"sha": sha}).first() is not None:
        return
    values = {"sha256": sha, "size": size, "storage": storage, "data": data}
    insert_unless_present(session, _PAYLOADS, "sha256", values)


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
        row = session.execute(_DATA, {"sha": sha256}).first()
        if row is not None and row.data is not None:
            return bytes(row.data)
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise PayloadMissing(f"payload {sha256} is not in {self.root}") from exc

    def open(self, session: Session, sha256: str) -> AbstractContextManager[PayloadData]:
        """A read-only memory map of the payload's file (its pages are the page cache's,
        read as they are touched); the bytes themselves for a payload kept in its row."""
        row = session.execute(_DATA, {"sha": sha256}).first()
        return self.open_row(sha256, None if row is None else row.data)

    @contextmanager
    def open_row(self, sha256: str, data: bytes | None) -> Iterator[PayloadData]:
        """:meth:`open` with the row's ``data`` column already read."""
        if data is not None:
            yield data
            return
        try:
            handle = self.path_for(sha256).open("rb")
        except FileNotFoundError as exc:
            raise PayloadMissing(f"payload {sha256} is not in {self.root}") from exc
        with handle:
            if os.fstat(handle.fileno()).st_size == 0:
                yield b""  # an empty file cannot be mapped
                return
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                yield mapped


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

    @contextmanager
    def open(self, session: Session, sha256: str) -> Iterator[PayloadData]:
        """The whole bytes: a payload kept in the database is read in one piece."""
        yield self.get(session, sha256)

    @contextmanager
    def open_row(self, sha256: str, data: bytes | None) -> Iterator[PayloadData]:
        """:meth:`open` with the row's ``data`` column already read."""
        if data is None:
            raise PayloadMissing(f"payload {sha256} is not in the database")
        yield data


def make_payload_store(kind: Literal["file", "database"], root: Path) -> PayloadStore:
    """The configured payload store."""
    return FilePayloadStore(root) if kind == "file" else DatabasePayloadStore()
