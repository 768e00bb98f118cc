"""One line for a configuration mistake instead of a traceback.

A wrong ``EDIGW_DATABASE_URL`` used to end the CLI with 17-50 frames and the cause at
the bottom. :func:`describe` turns the errors a bad setting causes into
``EDIGW_DATABASE_URL: cannot connect to postgresql+psycopg://gw@db/edi: connection
refused``; ``--debug`` (any command) shows the full traceback instead.
"""

from __future__ import annotations

from typing import Any

from gateway.settings import get_settings


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _safe_url(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe(exc: BaseException) -> str | None:
    """``SETTING: cause`` for an error a setting caused, else None (a real bug)."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

    for error in _chain(exc):
        if isinstance(error, ValidationError) and error.title == "Settings":
            first: Any = error.errors()[0]
            name = "EDIGW_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
            message = str(first["msg"]).removeprefix("Value error, ")  # our validators' own
            shown = first.get("input")
            if name.endswith("_URL") and isinstance(shown, str):
                shown = _safe_url(shown)  # never a password on the terminal
            return f"{name}: {message} (got {shown!r})"
        if isinstance(error, SettingsError):
            return f"settings: {error}"
        if isinstance(error, ArgumentError | NoSuchModuleError):
            return f"EDIGW_DATABASE_URL: not a usable database URL: {_first_line(error)}"
        if isinstance(error, OperationalError | DBAPIError) and _during_connect(error):
            return (
                f"EDIGW_DATABASE_URL: cannot use the database at {_database_url()}: "
                f"{_first_line(error)}"
            )
        module = type(error).__module__
        if module.startswith(("kombu", "redis", "amqp")) and "connect" in str(error).lower():
            return f"EDIGW_BROKER_URL: cannot reach the broker at {_broker_url()}: {error}"
        if type(error).__name__ == "IdentityError":
            return f"EDIGW_IDENTITIES_FILE: {error}"
    return None


def _during_connect(error: BaseException) -> bool:
    text = str(error).lower()
    return any(
        word in text
        for word in (
            "connect",
            "could not translate host",
            "does not exist",
            "password authentication",
            "unable to open database",
            "no such host",
            "name or service not known",
            "permission denied",
        )
    )


def _database_url() -> str:
    return _safe_url(get_settings().resolved_database_url)


def _broker_url() -> str:
    return _safe_url(get_settings().resolved_broker_url)
