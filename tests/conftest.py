"""Shared fixtures: the public sample corpus and service availability.

The corpus (real X12, EDIFACT and AS2 files written by others) lives outside the
repository in ``../shared/corpus``; ``EDIGW_CORPUS_DIR`` overrides the path. Without it
the tests that need it skip with a message, except under ``CI=true`` where its absence
is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def corpus_path() -> Path:
    """Where the shared corpus is expected."""
    return Path(os.environ.get("EDIGW_CORPUS_DIR", REPO.parent / "shared" / "corpus"))


def require_corpus(sub: str = "") -> Path:
    """Return the corpus (sub)directory, or skip (fail under CI) when it is absent."""
    path = corpus_path() / sub
    if not path.is_dir():
        message = f"sample corpus not found at {path} (set EDIGW_CORPUS_DIR)"
        if IN_CI:
            pytest.fail(message + " - required under CI=true")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The root of the shared sample corpus."""
    return require_corpus()
