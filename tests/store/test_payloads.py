"""Payload stores give byte ranges without copying a whole file (``open``)."""

from __future__ import annotations

import mmap
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from gateway.store.db import make_engine, make_session_factory
from gateway.store.models import Base
from gateway.store.payloads import DatabasePayloadStore, FilePayloadStore, PayloadMissing


@pytest.fixture
def session(tmp_path: Path) -> Session:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    Base.metadata.create_all(engine)
    return make_session_factory(engine)()


def test_a_file_payload_opens_as_a_read_only_map(tmp_path: Path, session: Session) -> None:
    store = FilePayloadStore(tmp_path / "payloads")
    data = b"ISA*00*" + bytes(range(256)) * 100
    sha = store.put(session, data)
    with store.open(session, sha) as mapped:
        assert isinstance(mapped, mmap.mmap)
        assert len(mapped) == len(data)
        assert mapped[7:300] == data[7:300]
        with pytest.raises(TypeError):
            mapped[0] = 1  # type: ignore[index]
    assert mapped.closed


def test_an_empty_file_payload_opens_as_empty_bytes(tmp_path: Path, session: Session) -> None:
    store = FilePayloadStore(tmp_path / "payloads")
    sha = store.put(session, b"")
    with store.open(session, sha) as data:
        assert data == b""


def test_a_missing_file_payload_is_reported(tmp_path: Path, session: Session) -> None:
    store = FilePayloadStore(tmp_path / "payloads")
    with pytest.raises(PayloadMissing), store.open(session, "ab" * 32):
        pass


def test_a_database_payload_opens_as_its_bytes(session: Session) -> None:
    store = DatabasePayloadStore()
    sha = store.put(session, b"UNA:+.? 'UNB+UNOC:3'")
    with store.open(session, sha) as data:
        assert data == b"UNA:+.? 'UNB+UNOC:3'"
