"""Configuration errors in one line, ``certs show`` on a non-certificate (findings 9, 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(tmp_path: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update(EDIGW_DATA_DIR=str(tmp_path / "var"), **env_extra)
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        (
            "EDIGW_DATABASE_URL",
            "postgresql+psycopg://gw:secret@127.0.0.1:1/edi",
            "edi-gateway: EDIGW_DATABASE_URL: cannot use the database at "
            "postgresql+psycopg://gw:***@127.0.0.1:1/edi: connection failed",
        ),
        (
            "EDIGW_DATABASE_URL",
            "not a url",
            "edi-gateway: EDIGW_DATABASE_URL: not a usable database URL",
        ),
        (
            "EDIGW_DATABASE_URL",
            "mysql+pymysql://gw:secret@127.0.0.1/edi",
            "edi-gateway: EDIGW_DATABASE_URL: the message store runs on SQLite (sqlite:///path) "
            "or PostgreSQL (postgresql+psycopg://user@host/db), not mysql "
            "(got 'mysql+pymysql://gw:***@127.0.0.1/edi')",
        ),
        ("EDIGW_HTTP_PORT", "eighty", "edi-gateway: EDIGW_HTTP_PORT: Input should be a valid"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    tmp_path: Path, setting: str, value: str, expected: str
) -> None:
    done = cli(tmp_path, "messages", "list", **{setting: value})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(expected), lines[0]
    assert "secret" not in done.stderr
    # --debug shows where it came from
    debug = cli(tmp_path, "--debug", "messages", "list", **{setting: value})
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_certs_show_on_a_non_certificate_says_so_plainly(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    done = cli(tmp_path, "certs", "show", str(text))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"{text}: not a certificate: expected PEM text with a CERTIFICATE block or binary "
        "DER X.509 data"
    )
    done = cli(tmp_path, "certs", "show", str(key))
    assert "it holds a PEM PRIVATE KEY block" in done.stderr
    assert "ParseError" not in done.stderr


def test_a_refused_url_is_not_repeated_by_the_settings_error() -> None:
    # a worker started outside the CLI prints the validation error as it is
    from pydantic import ValidationError

    from gateway.settings import Settings

    with pytest.raises(ValidationError) as caught:
        Settings(database_url="mysql+pymysql://gw:secret@127.0.0.1/edi")
    assert "not mysql" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_an_empty_database_url_is_the_sqlite_default(tmp_path: Path) -> None:
    # an env file's "EDIGW_DATABASE_URL=" leaves the default, as it always did
    from gateway.settings import Settings

    settings = Settings(data_dir=tmp_path, database_url="")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'gateway.db'}"
