"""The EDIFACT fast path (compiled segment patterns, memoized structure moves) finds
exactly what the detailed checker finds.

Every payload is read twice: as the reader does it, and with every segment sent
through the detailed element checker (``MessageValidator.segment`` replaced by the
structure step plus "not known to be fine"). The findings of the file, interchanges,
groups and messages, in order, and the message statuses must be equal. Payloads: the
public corpus, the benchmark's varied generated files and hypothesis mutants of them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi.model import EdiInterchange, EdiTransaction, Issue
from gateway.edifact import read_payload
from gateway.edifact.validate import MessageValidator
from tests.conftest import REPO
from tests.edifact.helpers import VALID_ORDERS_BODY, interchange, message

sys.path.insert(0, str(REPO / "bench"))
from edifact_generate import KINDS, generate


def _findings(data: bytes) -> list[object]:
    out: list[object] = []
    for item in read_payload(data, keep_segments=False):
        if isinstance(item, Issue):
            out.append(item)
        elif isinstance(item, EdiTransaction):
            out.append((item.set_id, item.control_number, item.status, list(item.issues)))
        elif isinstance(item, EdiInterchange):
            out.append(list(item.issues))
            out += [list(group.issues) for group in item.groups]
    return out


def _detailed(self: MessageValidator, tag: str, text: str, position: int, offset: int) -> bool:
    self.structure(tag, position, offset)
    return False  # the reader then splits the segment and runs check_elements on it


def assert_same(data: bytes, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    fast = _findings(data)
    with monkeypatch.context() as patched:
        patched.setattr(MessageValidator, "segment", _detailed)
        detailed = _findings(data)
    assert fast == detailed
    return fast


def _has_issues(found: list[object]) -> bool:
    return any(
        isinstance(x, Issue) or (isinstance(x, tuple) and x[3]) or (isinstance(x, list) and x)
        for x in found
    )


def test_corpus_files_give_identical_findings(
    edifact_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(p for p in edifact_corpus.iterdir() if p.is_file())
    assert len(files) > 20
    with_findings = sum(_has_issues(assert_same(p.read_bytes(), monkeypatch)) for p in files)
    assert with_findings > 5  # the corpus exercises error reporting, not only clean data


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_generated_varied_files_give_identical_findings(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = assert_same(generate(kind, 150_000, seed=11), monkeypatch)
    assert not _has_issues(found)


@pytest.mark.parametrize(
    ("quantity", "found"),
    [
        ("0.5", []),
        ("-1,5", []),
        # ISO 9735: a decimal mark needs a digit in front of it (0085 38)
        (".5", ["38"]),
        ("-.5", ["38"]),
        (",5", ["38"]),
        ("5.", ["19"]),
        ("1.000,5", ["19"]),
    ],
)
def test_decimal_marks_are_checked_alike_on_both_paths(
    quantity: str, found: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = [f"QTY+21:{quantity}:PCE" if s.startswith("QTY+") else s for s in VALID_ORDERS_BODY]
    findings = assert_same(interchange(message("M1", *body)), monkeypatch)
    (tx,) = [x for x in findings if isinstance(x, tuple)]
    assert [i.code for i in tx[3]] == found
    assert all(i.element_position == 1 and i.component_position == 2 for i in tx[3])


_BASES = {kind: generate(kind, 3_000, seed=5) for kind in KINDS}
_CHARS = st.sampled_from(["+", ":", "'", "?", "X", "9", "0", " ", "", ".", ",", "ZZZ", "-1"])


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    text = _BASES[draw(st.sampled_from(sorted(_BASES)))].decode("latin-1")
    head, _, body = text.partition("'\r\n")  # UNA + UNB stay: the service characters
    segments = body.split("'\r\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(segments) - 1))
        seg = segments[i]
        action = draw(st.sampled_from(["char", "drop", "repeat", "swap", "empty"]))
        if action == "char" and seg:
            at = draw(st.integers(0, len(seg) - 1))
            segments[i] = seg[:at] + draw(_CHARS) + seg[at + 1 :]
        elif action == "drop" and len(segments) > 1:
            del segments[i]
        elif action == "repeat":
            segments.insert(i, seg)
        elif action == "swap" and i + 1 < len(segments):
            segments[i], segments[i + 1] = segments[i + 1], seg
        elif action == "empty" and "+" in seg:
            parts = seg.split("+")
            parts[draw(st.integers(1, len(parts) - 1))] = draw(st.sampled_from(["", " ", ":"]))
            segments[i] = "+".join(parts)
    return (head + "'\r\n" + "'\r\n".join(segments)).encode("latin-1")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutants())
def test_mutants_give_identical_findings(data: bytes) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_same(data, monkeypatch)
