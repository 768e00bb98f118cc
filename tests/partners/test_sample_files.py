"""The sample partners' EDI files: reproducible, valid, and broken where meant to be."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from gateway.engines import parse_payload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "partners"


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_fixtures", FIXTURES / "build_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_files_are_what_the_builder_writes() -> None:
    builder = _builder()
    for partner, files in (
        ("summit-medical", builder.summit()),
        ("keystone-pharma", builder.keystone()),
        ("nordlicht-medtech", builder.nordlicht()),
        ("lakeside-hospital", builder.lakeside()),
    ):
        for name, text in files.items():
            assert (FIXTURES / partner / name).read_bytes() == text.encode("ascii"), name


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/*.edi")), ids=lambda p: p.name)
def test_valid_files_pass_the_engines_and_error_files_fail_as_intended(path: Path) -> None:
    payload = parse_payload(path.read_bytes())
    assert payload.issues == []
    [interchange] = payload.interchanges
    issues = [*interchange.issues, *(i for t in interchange.transactions for i in t.issues)]
    if "ERROR" not in path.name:
        assert issues == [], [i.describe() for i in issues]
        return
    codes = {(i.segment_tag, i.code) for i in issues}
    # X12: SE01 wrong -> AK5 code 4; EDIFACT: UNT count wrong -> CONTRL 0085 code 29
    expected = {("SE", "4")} if path.name.startswith("856") else {("UNT", "29")}
    assert codes == expected
