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
from hypothesis import settings as hypothesis_settings

# No per-example deadline anywhere: on a loaded 2-core CI host one slow example is
# Hypothesis's DeadlineExceeded, a failure that says nothing about the code under test.
# Property tests still run every example; a slow codec is caught by bench/, not here.
hypothesis_settings.register_profile("gateway", deadline=None)
hypothesis_settings.load_profile("gateway")

REPO = Path(__file__).resolve().parent.parent
# The CLI's rich consoles are made when their module is imported and take their width
# from COLUMNS then (80 without a terminal, as in pytest-xdist's workers): wide enough
# that the paths and table cells tests look for are not wrapped, whatever the order.
os.environ.setdefault("COLUMNS", "200")
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


# Fixtures that bring up a real service or peer, and the markers their tests carry. The
# fast lane (``-m "not slow"``) needs PostgreSQL and Redis at most: never Odoo, chromium
# or sshd, which take seconds to minutes to start.
FIXTURE_MARKERS: dict[str, tuple[str, ...]] = {
    "postgres_server_url": ("postgres",),
    "postgres_url": ("postgres",),
    "redis_url": ("redis",),
    "real_odoo": ("real_odoo", "slow"),
    "real_odoo_servers": ("real_odoo", "slow"),
    "browser": ("slow",),  # chromium (tests/browser)
    "sshd": ("slow",),  # a real OpenSSH sshd (tests/sftp)
    "clean_sshd": ("slow",),
}


# Tests that took 10 s or more (all their parameters together) in one full run with
# ``--durations=0`` on a loaded 2-core machine (2026-12-05): the slow lane, by measure.
# Refresh from a new run's durations; a name that no longer exists marks nothing.
SLOW_TESTS = frozenset(
    {
        "tests/as2/test_hostile_as2.py::test_1_compression_bomb_is_refused_before_inflating_and_memory_stays_bounded",
        "tests/as2/test_hostile_as2.py::test_2_anonymous_receipt_delivery_option_is_never_posted_and_starts_no_thread",
        "tests/as2/test_openssl_inbound.py::test_openssl_signed_and_encrypted_messages_get_a_signed_processed_mdn",
        "tests/as2/test_rejections.py::test_compression_bomb_is_stopped_by_the_decompression_cap",
        "tests/browser/test_console.py::test_find_open_and_replay_a_document",
        "tests/browser/test_live_and_layout.py::test_document_timeline_and_tracker_update_live",
        "tests/deploy/test_compose.py::test_stack_has_every_service",
        "tests/deploy/test_topology.py::test_separate_processes_deliver_and_acknowledge_everything_once",
        "tests/edifact/test_hostile_contrl.py::test_10_every_contrl_we_write_passes_our_validator",
        "tests/edifact/test_patterns.py::test_fast_path_implies_checker_finds_nothing",
        "tests/edifact/test_stream.py::test_reading_a_file_keeps_memory_bounded",
        "tests/ops/test_cli_errors.py::test_a_bad_setting_is_one_line_naming_it",
        "tests/ops/test_duplicates.py::test_replay_of_a_message_that_is_a_duplicate_says_so",
        "tests/ops/test_profile_editor.py::test_a_shipped_profile_is_saved_as_the_sites_copy",
        "tests/ops/test_reload_api.py::test_broken_profile_without_a_good_version_disables_that_partner",
        "tests/ops/test_reload_api.py::test_new_partner_trades_after_reload_and_a_bad_reload_keeps_the_good_set",
        "tests/ops/test_reload_running.py::test_a_changed_file_is_picked_up_by_the_running_worker",
        "tests/ops/test_reload_running.py::test_cli_reload_and_sighup_reach_the_running_worker",
        "tests/ops/test_run_process.py::test_run_binds_configured_ports_and_term_leaves_no_child",
        "tests/ops/test_run_process.py::test_run_command_line_ports_win",
        "tests/outbound/test_change_pipeline.py::test_a_crash_after_writing_the_860_sends_that_860_once",
        "tests/outbound/test_change_pipeline.py::test_edifact_ordchg",
        "tests/outbound/test_change_pipeline.py::test_x12_change_cancel_and_their_997",
        "tests/outbound/test_list_orders.py::test_search_takes_like_wildcards_literally",
        "tests/outbound/test_purchase_order_roundtrip.py::test_written_order_reads_back_the_same",
        "tests/partners/test_cli.py::test_translate_unknown_partner_and_rejected_file",
        "tests/partners/test_cli.py::test_validate_a_map_file_names_its_line",
        "tests/pipeline/test_application_advice.py::test_a_good_document_from_a_partner_with_the_option_gets_no_advice",
        "tests/pipeline/test_application_advice.py::test_an_850_that_cannot_be_translated_gets_an_824_naming_segment_and_element",
        "tests/pipeline/test_as2_acknowledgements.py::test_997_goes_back_over_as2_and_the_async_mdn_settles_it",
        "tests/pipeline/test_async_mdn_stage.py::test_private_address_is_refused_at_send_time_unless_the_profile_allows_it",
        "tests/pipeline/test_audit_trail.py::test_pipeline_events_chain_per_document",
        "tests/pipeline/test_celery_workers.py::test_in_process_celery_worker_on_redis",
        "tests/pipeline/test_celery_workers.py::test_worker_killed_mid_delivery_finishes_every_transaction_exactly_once",
        "tests/pipeline/test_corpus_through_pipeline.py::test_every_corpus_file_ends_in_a_final_state",
        "tests/pipeline/test_exception_routing.py::test_a_refused_webhook_is_not_retried_and_an_unreachable_one_dead_letters",
        "tests/pipeline/test_odoo_end_to_end.py::test_odoo_unreachable_for_a_while_then_delivered_once",
        "tests/pipeline/test_odoo_end_to_end.py::test_x12_4010_supplier_chain_ack_receipt_with_lots_and_bill",
        "tests/pipeline/test_odoo_end_to_end.py::test_x12_5010_order_to_bill_with_ndc_items",
        "tests/pipeline/test_partner_versions.py::test_one_partner_sends_4010_855s_and_5010_856s",
        "tests/pipeline/test_translation_errors.py::test_map_pointing_at_a_missing_segment_holds_the_partner_with_file_and_line",
        "tests/store/test_audit_chain.py::test_profile_edits_are_recorded_when_a_process_starts",
        "tests/store/test_audit_chain.py::test_the_database_refuses_to_change_events",
        "tests/test_demo.py::test_demo_fails_when_a_document_goes_wrong",
        "tests/test_demo.py::test_demo_plays_every_sample_partner_and_exits_zero",
        "tests/x12/test_acks.py::test_pyx12_accepts_our_acknowledgements",
        "tests/x12/test_corpus.py::test_pyx12_accepts_every_ack_we_write_for_the_corpus",
        "tests/x12/test_fast_validator_differential.py::test_mutants_give_identical_findings",
        "tests/x12/test_hostile_acks.py::test_10_every_acknowledgement_we_write_passes_our_validator_and_pyx12",
        "tests/x12/test_hostile_acks.py::test_10_the_damage_seen_in_the_fuzzing_is_sanitized",
        "tests/x12/test_hostile_engines.py::test_9_cpu_is_linear_in_input_size",
        "tests/x12/test_hostile_engines.py::test_9_sixteen_megabyte_element_and_fifty_thousand_deep_hl_chain",
        "tests/x12/test_stream.py::test_validate_stream_memory_stays_bounded",
    }
)


#: pytest-timeout for tests on a real Odoo: their set-up may build a template database
#: (2-5 minutes per version and module set on a busy machine) before the test starts
REAL_ODOO_TIMEOUT = 900


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by the services their fixtures start (:data:`FIXTURE_MARKERS`) and the
    long ones slow (:data:`SLOW_TESTS`); real-Odoo tests get :data:`REAL_ODOO_TIMEOUT`."""
    for item in items:
        if item.nodeid.split("[", 1)[0] in SLOW_TESTS and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)
        names = set(getattr(item, "fixturenames", ()))
        for fixture in sorted(names & FIXTURE_MARKERS.keys()):
            for marker in FIXTURE_MARKERS[fixture]:
                if item.get_closest_marker(marker) is None:
                    item.add_marker(getattr(pytest.mark, marker))
        if item.get_closest_marker("real_odoo") and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(REAL_ODOO_TIMEOUT))
