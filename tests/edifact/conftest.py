"""Fixtures for the EDIFACT engine tests: the corpus directory and parsing helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.edi import EdiPayload, EdiTransaction
from gateway.edifact import parse_payload
from tests.conftest import require_corpus


@pytest.fixture(scope="session")
def edifact_corpus() -> Path:
    """The EDIFACT part of the shared sample corpus."""
    return require_corpus("edifact")


@pytest.fixture(scope="session")
def parsed(edifact_corpus: Path) -> dict[str, EdiPayload]:
    """Every corpus file parsed once, by file name."""
    return {p.name: parse_payload(p.read_bytes()) for p in sorted(edifact_corpus.iterdir())}


def codes_of(tx: EdiTransaction) -> set[str]:
    """The CONTRL codes of a transaction's findings."""
    return {i.code for i in tx.issues}


def fatal_codes(issues: list) -> set[str]:  # type: ignore[type-arg]
    """The CONTRL codes of the fatal findings in a list of issues."""
    return {i.code for i in issues if i.fatal}
