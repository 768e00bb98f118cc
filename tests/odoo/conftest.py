"""Fixtures for the Odoo tests: a running Odoo double, a client logged in to it, profiles.

``start_odoo_double`` is a factory fixture (other test packages can copy this file's two
fixtures or import :func:`tests.support.odoo_double.start_odoo_double` directly).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.odoo.client import OdooClient
from tests.support.odoo_double import OdooDouble
from tests.support.odoo_double import start_odoo_double as _start

TRANSCRIPT_ENV = "EDIGW_ODOO17_TRANSCRIPT"


def transcript_path() -> Path:
    """The recorded Odoo 17 session (outside the repository, next to the corpus)."""
    default = Path(__file__).resolve().parents[3] / "shared" / "odoo17" / "transcript.jsonl"
    return Path(os.environ.get(TRANSCRIPT_ENV, default))


@pytest.fixture
def start_odoo_double() -> Iterator[Callable[..., OdooDouble]]:
    """Factory: ``start_odoo_double(major=17, **options)``; every double stops at teardown."""
    started: list[OdooDouble] = []

    def start(major: int = 17, **kwargs: Any) -> OdooDouble:
        double = _start(major, **kwargs)
        started.append(double)
        return double

    yield start
    for double in started:
        double.stop()


@pytest.fixture
def odoo_double(start_odoo_double: Callable[..., OdooDouble]) -> OdooDouble:
    """A fresh Odoo 17 double."""
    return start_odoo_double(17)


@pytest.fixture
def odoo_client(odoo_double: OdooDouble) -> Iterator[OdooClient]:
    """The real client, logged in to the Odoo 17 double with its password."""
    client = OdooClient(
        odoo_double.url,
        odoo_double.db,
        odoo_double.user,
        password=odoo_double.password,
        timeout=1.0,
    )
    yield client
    client.close()
