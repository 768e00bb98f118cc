"""The shared corpus's AS2 directory, through the project's ``require_corpus``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_ROOT_CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"


def require_as2_corpus() -> Path:
    """``tests/conftest.py``'s ``require_corpus("as2")`` (skips or fails under CI)."""
    spec = importlib.util.spec_from_file_location("_root_conftest", _ROOT_CONFTEST)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.require_corpus("as2")  # type: ignore[no-any-return]
