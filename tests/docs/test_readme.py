"""The README's generated parts and promises stay true."""

from __future__ import annotations

import re

from gateway.settings import settings_reference
from gateway.settings_doc import END, START
from tests.conftest import REPO


def test_configuration_reference_matches_settings_model() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert section == settings_reference(), (
        "README configuration reference is stale: run `python -m gateway.settings_doc`"
    )


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["./run demo", "./run test"]
    assert "./run test" in (REPO / ".ci" / "run").read_text()
