"""Fixtures for the X12 engine tests."""

from __future__ import annotations

import pytest

from tests.x12.helpers import Pyx12Validator


@pytest.fixture(scope="session")
def pyx12_validator() -> Pyx12Validator:
    """pyx12 with its maps copied once per session (see Pyx12Validator)."""
    return Pyx12Validator()
