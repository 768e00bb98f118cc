"""Shared fixtures: the public sample corpus and service availability.

The corpus (real X12, EDIFACT and AS2 files written by others) lives outside the
repository in ``../shared/corpus``; ``EDIGW_CORPUS_DIR`` overrides the path. Without it
the tests that need it skip with a message, except under ``CI=true`` where its absence
is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(message: str) -> NoReturn:
    """Skip a test whose real peer or data is missing - or fail it under ``CI=true``,
    where nothing may be skipped for that reason."""
    if IN_CI:
        pytest.fail(message + " - required under CI=true")
    pytest.skip(message)


def corpus_path() -> Path:
    """Where the shared corpus is expected."""
    return Path(os.environ.get("EDIGW_CORPUS_DIR", REPO.parent / "shared" / "corpus"))


def require_corpus(sub: str = "") -> Path:
    """Return the corpus (sub)directory, or skip (fail under CI) when it is absent."""
    path = corpus_path() / sub
    if not path.is_dir():
        missing(f"sample corpus not found at {path} (set EDIGW_CORPUS_DIR)")
    return path


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The root of the shared sample corpus."""
    return require_corpus()


# ---------------------------------------------------------------------------------------
# real services: PostgreSQL and Redis
# ---------------------------------------------------------------------------------------
POSTGRES_URL = os.environ.get(
    "EDIGW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("EDIGW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _unavailable(what: str, start: str, exc: BaseException) -> NoReturn:
    missing(f"{what} is not reachable ({exc}); start it with: {start}")


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """URL of the test PostgreSQL server's ``test`` database (skip/fail when down)."""
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
        engine.dispose()
    except Exception as exc:
        _unavailable(
            "PostgreSQL",
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            exc,
        )
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server_url: str):  # type: ignore[no-untyped-def]
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    import uuid

    import sqlalchemy
    from sqlalchemy.engine import make_url

    name = f"edigw_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of a Redis database for tests (skip/fail when down).

    Tests using it take their own queue name (``queue_name`` fixture), so several test
    runs can share one Redis without taking each other's tasks.
    """
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:
        _unavailable(
            "Redis",
            'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save ""',
            exc,
        )
    return REDIS_URL


@pytest.fixture
def queue_name() -> str:
    """A Celery queue name of this test's own."""
    import uuid

    return f"gateway-test-{uuid.uuid4().hex[:10]}"
