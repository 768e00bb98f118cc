"""``edi-gateway keys`` and its ``users`` alias."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from gateway.api import keys_cli
from gateway.api.auth import KEY_PREFIX, authenticate_key
from gateway.settings import get_settings
from gateway.store.db import make_engine, make_session_factory, session_scope
from gateway.store.models import ApiKey, Event


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    """A CLI with the key groups, on a temp data dir."""
    monkeypatch.setenv("EDIGW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EDIGW_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    app = typer.Typer()
    keys_cli.register(app)
    yield app
    get_settings.cache_clear()


def _sessions(tmp_path: Path) -> sessionmaker[Session]:
    return make_session_factory(make_engine(f"sqlite:///{tmp_path / 'gateway.db'}"))


def test_create_list_revoke(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    # when creating a key
    created = runner.invoke(cli, ["keys", "create", "jane", "--role", "operator"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    # then the printed key works, and only its hash is stored
    with session_scope(_sessions(tmp_path)) as session:
        principal = authenticate_key(session, key, None)
        assert (principal.name, principal.role) == ("jane", "operator")
        row = session.scalar(select(ApiKey).where(ApiKey.name == "jane"))
        # the secret is all after the prefix's "_" (it may hold "_" itself: the last
        # piece alone, a character or two at times, was found inside the hex hash)
        secret = key.removeprefix(KEY_PREFIX).partition("_")[2]
        assert row is not None and len(secret) >= 40 and secret not in row.key_hash
        assert session.scalar(select(Event.actor).where(Event.kind == "key_created"))
    listed = runner.invoke(cli, ["keys", "list"])
    assert "jane" in listed.stdout and "operator" in listed.stdout and key not in listed.stdout
    # the users alias reaches the same keys
    revoked = runner.invoke(cli, ["users", "revoke", "jane"])
    assert revoked.exit_code == 0
    assert "revoked" in runner.invoke(cli, ["users", "list"]).stdout


def test_errors_exit_non_zero(cli: typer.Typer) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["keys", "create", "x", "--role", "root"]).exit_code == 1
    assert runner.invoke(cli, ["keys", "create", "x"]).exit_code == 0
    duplicate = runner.invoke(cli, ["keys", "create", "x"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    assert runner.invoke(cli, ["keys", "revoke", "nobody"]).exit_code == 1
