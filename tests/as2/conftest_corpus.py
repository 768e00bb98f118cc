"""The shared corpus's AS2 directory, through the project's ``require_corpus``."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import require_corpus


def require_as2_corpus() -> Path:
    """``tests/conftest.py``'s ``require_corpus("as2")`` (skips, or fails under CI)."""
    return require_corpus("as2")
