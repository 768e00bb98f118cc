"""A gateway on the dry-run Odoo (the embedded default) with shipped partner profiles,
its senders recorded instead of sent: for the outbound tests that play a cycle in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from tests.outbound.test_change_pipeline import Recorder

REPO = Path(__file__).resolve().parents[2]


def shipped_profile(partner: str) -> dict[str, Any]:
    """The shipped profile of ``partner`` (``partner_profiles/``), to adjust."""
    return dict(yaml.safe_load((REPO / "partner_profiles" / f"{partner}.yaml").read_text()))


def dry_run_runtime(
    tmp_path: Path, profiles: dict[str, dict[str, Any]], transport: str = "sftp"
) -> tuple[Runtime, Recorder]:
    """A runtime on the dry-run Odoo with only ``profiles`` (by partner id), and the
    recorder that stands in for ``transport``."""
    directory = tmp_path / "profiles"
    directory.mkdir()
    for partner, profile in profiles.items():
        (directory / f"{partner}.yaml").write_text(yaml.safe_dump(profile))
    settings = Settings(
        data_dir=tmp_path / "var", profiles_dir=str(directory), shipped_profiles=False
    )
    runtime = build_runtime(settings, dispatcher=InlineDispatcher())
    assert runtime.odoo_target(test=False) == "dry-run"
    recorder = Recorder()
    runtime.senders[transport] = recorder
    return runtime, recorder
