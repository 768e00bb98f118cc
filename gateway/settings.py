"""Runtime settings, read once from the environment (prefix ``EDIGW_``).

Defaults give a working single-machine gateway under ``./var``: SQLite, a file payload
store, kombu's filesystem broker and the dry-run Odoo outbox. Production sets
``EDIGW_DATABASE_URL`` (PostgreSQL), ``EDIGW_BROKER_URL`` (Redis) and ``EDIGW_ODOO_*``.

Only edges (CLI, API, tasks, transports) call :func:`get_settings`; everything below
them receives values as arguments.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _default_dirs(name: str) -> list[Path]:
    """The shipped directory (profiles or maps) next to the package, else ./name."""
    shipped = PROJECT_DIR / name
    return [shipped if shipped.is_dir() else Path(name)]


class Settings(BaseSettings):
    """All settings of the gateway. Each field is ``EDIGW_<FIELD NAME>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="EDIGW_",
        env_file=None,
        extra="ignore",
        validate_default=True,
        hide_input_in_errors=True,  # a URL may hold a password: the CLI shows it masked
    )

    data_dir: Path = Field(
        default=Path("var"), description="Where the database, payloads, broker and keys live."
    )
    database_url: str | None = Field(
        default=None,
        description="URL of the message store, SQLite or PostgreSQL; default SQLite in the "
        "data dir. PostgreSQL: postgresql+psycopg://user@host/db",
    )
    broker_url: str | None = Field(
        default=None,
        description="Celery broker URL, e.g. redis://127.0.0.1:6379/0; default kombu's "
        "filesystem transport in the data dir (no server needed).",
    )
    payload_store: Literal["file", "database"] = Field(
        default="file",
        description="Where raw payloads are kept: files under the data dir, or the database "
        "(for several machines without shared storage).",
    )
    profiles_dir: str = Field(
        default="",
        description="Colon-separated directories of partner profiles; later ones override "
        "earlier ones. The shipped partner_profiles/ always comes first.",
    )
    maps_dir: str = Field(
        default="",
        description="Colon-separated directories of maps, layered like profiles_dir.",
    )
    identities_file: Path = Field(
        default=PROJECT_DIR / "identities.yaml",
        description="YAML file with our own identities (ISA/GS/UNB/AS2 ids and keys).",
    )
    shipped_profiles: bool = Field(
        default=True, description="Load the sample partners shipped in partner_profiles/."
    )

    http_host: str = Field(default="127.0.0.1", description="Bind address of API and AS2.")
    http_port: int = Field(default=8080, description="Port of the API, pages and /as2.")
    as2_host: str = Field(
        default="",
        description="Bind address of the AS2 listener (`edi-gateway as2`); empty: EDIGW_HTTP_HOST.",
    )
    as2_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of the AS2 listener, which serves POST /as2 only, from several "
        "processes; `run` starts it when set. 0: AS2 only on the HTTP port.",
    )
    as2_processes: int = Field(
        default=0,
        ge=0,
        description="Processes of the AS2 listener (messages unpacked at once); 0: one per "
        "CPU this process may use (affinity mask, a container's CPU quota).",
    )
    http_access_log: bool = Field(
        default=True,
        description="One log line per request of `api` (and of `run`'s HTTP server).",
    )
    as2_access_log: bool = Field(
        default=False,
        description="One log line per request of the AS2 listener. Off: every AS2 message "
        "is recorded in the store with its outcome, and the line costs the listener about "
        "7 % CPU per message (bench/README.md).",
    )
    sftp_host: str = Field(default="127.0.0.1", description="Bind address of the SFTP server.")
    sftp_port: int = Field(default=2222, description="Port of the hosted SFTP server.")
    public_url: str = Field(
        default="http://127.0.0.1:8080",
        description="How partners reach us (async MDN URL, links in notifications).",
    )

    max_payload_bytes: int = Field(
        default=100 * 1024 * 1024, description="Largest payload accepted on any transport."
    )
    as2_memory_budget_bytes: int = Field(
        default=256 * 1024 * 1024,
        description="Memory all AS2 requests being unpacked may hold together (bodies and "
        "decompressed content); past it a request waits, then gets 503.",
    )
    sftp_auth_timeout_seconds: float = Field(
        default=10.0, description="Seconds an SFTP connection has to authenticate."
    )
    sftp_max_preauth: int = Field(
        default=32, description="Unauthenticated SFTP connections held at once, in total."
    )
    sftp_max_preauth_per_address: int = Field(
        default=4, description="Unauthenticated SFTP connections held at once per address."
    )
    sftp_max_sessions: int = Field(
        default=64, description="Authenticated SFTP sessions at once (separate from the above)."
    )
    sftp_lockout_failures: int = Field(
        default=5,
        description="Failed SFTP passwords per user or per address before a temporary "
        "lockout; each failure before it doubles the delay of the next answer.",
    )
    sftp_lockout_seconds: float = Field(
        default=900.0, description="How long an SFTP user or address stays locked out."
    )
    task_max_retries: int = Field(
        default=8, description="Retries of a stage on transient errors before dead letter."
    )
    task_backoff_seconds: float = Field(
        default=2.0, description="First retry delay; doubles each retry (capped at 10 min)."
    )
    queue_name: str = Field(
        default="gateway",
        description="Celery queue of the pipeline (gateways sharing one Redis use other names).",
    )
    broker_visibility_timeout: int = Field(
        default=300,
        description="Redis broker: seconds before a task whose worker died is delivered again.",
    )
    outbound_poll_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often the scheduler looks in Odoo for confirmed purchase orders to send "
        "(and checks overdue answers).",
    )
    reconcile_every_seconds: float = Field(
        default=86400.0,
        ge=0,
        description="How often the beat runs the reconciliation against Odoo (daily; 0 turns "
        "the job off: `edi-gateway reconcile` still runs it by hand).",
    )
    reconcile_days: int = Field(
        default=30,
        gt=0,
        description="How many days back the reconciliation looks when no --since is given.",
    )
    reconcile_grace_days: int = Field(
        default=7,
        ge=0,
        description="Days a receipt may wait for its bill before reconciliation raises an "
        "exception for it.",
    )
    stalled_after_seconds: int = Field(
        default=600,
        description="A transaction left in a non-final state this long is re-queued by the "
        "scheduler (recovers work lost with a broker or worker).",
    )
    shutdown_timeout_seconds: float = Field(
        default=20.0,
        description="`run`: how long the worker may take to stop on SIGTERM/SIGINT before "
        "it (and every process it started) is killed.",
    )
    reload_check_seconds: float = Field(
        default=1.0,
        description="How often each process looks in the store for a partner reload "
        "another process asked for (API, CLI, SIGHUP, file change).",
    )
    watch_config: bool = Field(
        default=True,
        description="Reload partner profiles and maps when a file in their directories "
        "changes (long-running processes).",
    )

    odoo_url: str | None = Field(default=None, description="Odoo base URL; unset = dry run.")
    odoo_db: str | None = Field(default=None, description="Odoo database name.")
    odoo_user: str | None = Field(default=None, description="Odoo login.")
    odoo_password: SecretStr | None = Field(default=None, description="Odoo password.")
    odoo_api_key: SecretStr | None = Field(
        default=None, description="Odoo API key (preferred; required for Odoo 19 JSON-2)."
    )
    odoo_timeout_seconds: float = Field(default=30.0, description="Per-request Odoo timeout.")
    odoo_test_url: str | None = Field(
        default=None,
        description="Odoo for test traffic (ISA15=T, UNB test indicator 1, partners in "
        "mode.usage test); unset = test traffic goes to the dry-run outbox.",
    )
    odoo_test_db: str | None = Field(default=None, description="Test Odoo database name.")
    odoo_test_user: str | None = Field(default=None, description="Test Odoo login.")
    odoo_test_password: SecretStr | None = Field(default=None, description="Test Odoo password.")
    odoo_test_api_key: SecretStr | None = Field(default=None, description="Test Odoo API key.")

    admin_api_key: SecretStr | None = Field(
        default=None,
        description="Bootstrap admin API key accepted by the console (create real keys with "
        "`edi-gateway keys create`).",
    )
    routing_file: Path = Field(
        default=PROJECT_DIR / "routing.yaml",
        description="YAML file naming the owner groups of business exceptions: their "
        "e-mail addresses, default assignee and Odoo user (docs/operations.md).",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for exception e-mails; unset = no e-mail."
    )
    smtp_port: int = Field(default=25, description="SMTP port (587 with STARTTLS, 465 TLS).")
    smtp_user: str | None = Field(default=None, description="SMTP login, if the server wants one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(
        default="edi-gateway@localhost", description="Sender address of exception e-mails."
    )
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none", description="none, starttls (port 587) or tls (port 465)."
    )
    webhook_url: str | None = Field(
        default=None,
        description="URL that receives each new business exception as a JSON POST, signed "
        "with HMAC-SHA256 (header X-EDIGW-Signature); unset = no webhook.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Shared secret of the webhook signature."
    )
    notify_timeout_seconds: float = Field(
        default=10.0, description="Timeout of one e-mail or webhook delivery attempt."
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("database_url")
    @classmethod
    def _store_database(cls, value: str | None) -> str | None:
        """The message store runs on SQLite or PostgreSQL (its exactly-once inserts use
        their ``ON CONFLICT``): any other database is refused at start. Empty is unset
        (the SQLite default), as an env file's ``EDIGW_DATABASE_URL=`` means."""
        if not value:
            return value
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError as exc:
            raise ValueError(f"not a usable database URL: {exc}") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(
                f"the message store runs on SQLite (sqlite:///path) or PostgreSQL "
                f"(postgresql+psycopg://user@host/db), not {backend}"
            )
        return value

    # ---- derived values ----------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        """The store URL, defaulting to SQLite in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'gateway.db'}"

    @property
    def resolved_broker_url(self) -> str:
        """The broker URL, defaulting to kombu's filesystem transport."""
        return self.broker_url or "filesystem://"

    @property
    def broker_dir(self) -> Path:
        """Folder of the filesystem broker (used only when no broker URL is set)."""
        return self.data_dir / "broker"

    @property
    def payload_dir(self) -> Path:
        """Folder of the file payload store."""
        return self.data_dir / "payloads"

    @property
    def sftp_root(self) -> Path:
        """Root of the hosted SFTP server; one folder per partner below it."""
        return self.data_dir / "sftp"

    @property
    def dry_run_dir(self) -> Path:
        """Where the dry-run Odoo outbox writes the calls it would make."""
        return self.data_dir / "odoo-outbox"

    @property
    def odoo_configured(self) -> bool:
        """True when a real Odoo is configured (otherwise deliveries are a dry run)."""
        return bool(self.odoo_url and self.odoo_db and self.odoo_user)

    @property
    def odoo_test_configured(self) -> bool:
        """True when a separate Odoo for test traffic is configured."""
        return bool(self.odoo_test_url and self.odoo_test_db and self.odoo_test_user)

    def test_odoo_settings(self) -> Settings:
        """These settings with the test Odoo in the place of the production one."""
        return self.model_copy(
            update={
                "odoo_url": self.odoo_test_url,
                "odoo_db": self.odoo_test_db,
                "odoo_user": self.odoo_test_user,
                "odoo_password": self.odoo_test_password,
                "odoo_api_key": self.odoo_test_api_key,
            }
        )

    def profile_dirs(self) -> list[Path]:
        """Profile directories in override order (later wins)."""
        shipped = _default_dirs("partner_profiles") if self.shipped_profiles else []
        return shipped + [Path(p) for p in self.profiles_dir.split(":") if p]

    def map_dirs(self) -> list[Path]:
        """Map directories in override order (later wins)."""
        return _default_dirs("maps") + [Path(p) for p in self.maps_dir.split(":") if p]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()


def settings_reference() -> str:
    """The configuration reference as a Markdown table (kept in the README by a test)."""
    rows = ["| variable | default | what it does |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, Path):
            default = "<project>/" + default.name if default.is_absolute() else str(default)
        shown = "" if default in (None, "") else f"`{default}`"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `EDIGW_{name.upper()}` | {shown} | {description} |")
    return "\n".join(rows)
