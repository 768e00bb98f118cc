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


# ---------------------------------------------------------------------------------------
# real Odoo servers (17, 18, 19) from ../shared/odooNN - see tests/support/real_odoo.py
# ---------------------------------------------------------------------------------------
REAL_ODOO_HOWTO = (
    "a real Odoo needs ../shared/odoo{v}/ (archive + up.sh) beside the checkout "
    "(EDIGW_ODOO_SHARED overrides), PostgreSQL on 127.0.0.1:5432 and Python 3.10-3.12; "
    "the first start builds a template database under /tmp/edigw-odoo (about 2-3 minutes)"
)


class RealOdooServers:
    """Starts one real Odoo per version on first use and keeps it for the session."""

    def __init__(self) -> None:
        self._servers: dict[int, object] = {}
        self._failed: dict[int, str] = {}

    def get(self, version: int):  # type: ignore[no-untyped-def]
        """The running server of ``version`` (started now if needed), or skip/fail."""
        from tests.support.real_odoo import OdooServer, OdooUnavailable

        if version in self._failed:
            missing(self._failed[version])
        if version not in self._servers:
            try:
                self._servers[version] = OdooServer.start(version)
            except OdooUnavailable as exc:
                self._failed[version] = f"{exc}\n{REAL_ODOO_HOWTO.format(v=version)}"
                missing(self._failed[version])
        return self._servers[version]

    def stop_all(self) -> None:
        for server in self._servers.values():
            server.stop()  # type: ignore[attr-defined]
        self._servers.clear()


@pytest.fixture(scope="session")
def real_odoo_servers():  # type: ignore[no-untyped-def]
    """Session-wide real Odoo servers, one per version, started lazily."""
    servers = RealOdooServers()
    try:
        yield servers
    finally:
        servers.stop_all()


def _real_odoo_param(request: pytest.FixtureRequest) -> tuple[int, tuple[str, ...]]:
    """``real_odoo``'s parameter: a version (17), or ``{"version": 18, "extra": [...]}``."""
    param = getattr(request, "param", None)
    if param is None:
        marker = request.node.get_closest_marker("real_odoo")
        param = dict(marker.kwargs) if marker and marker.kwargs else 17
    if isinstance(param, int):
        return param, ()
    return int(param.get("version", 17)), tuple(param.get("extra", ()))


@pytest.fixture(scope="module")
def real_odoo(request: pytest.FixtureRequest, real_odoo_servers):  # type: ignore[no-untyped-def]
    """A fresh database on a real Odoo for one test module (dropped afterwards).

    Version 17 with the five documented modules by default. Choose another with
    ``pytest.mark.parametrize("real_odoo", [17, 18, 19], indirect=True)`` or
    ``{"version": 17, "extra": ["stock_delivery"]}`` as the parameter, or
    ``pytestmark = pytest.mark.real_odoo(version=18, extra=["stock_delivery"])``.
    Under ``CI=true`` a server that cannot start is a failure; elsewhere a skip that
    says how to get it.
    """
    version, extra = _real_odoo_param(request)
    server = real_odoo_servers.get(version)
    database = server.new_database(request.module.__name__.rsplit(".", 1)[-1], extra)
    try:
        yield database
    finally:
        server.drop(database)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use a real Odoo carry the ``real_odoo`` and ``slow`` markers."""
    for item in items:
        if "real_odoo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_odoo)
            item.add_marker(pytest.mark.slow)
