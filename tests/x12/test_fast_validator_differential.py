"""The bulk validator (gateway/x12/bulk.py) finds exactly what the detailed checker finds.

Every payload is read twice, with whole-set checking on and off, keeping segments and
not; the findings (every Issue of the file, interchanges, groups and sets, in order)
and the set statuses must be equal. Payloads: the public corpus, the benchmark's varied
generated files, and hypothesis mutants of valid documents (characters replaced,
segments dropped, repeated or swapped, elements emptied).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi.model import Issue
from gateway.x12.bulk import BulkSet
from gateway.x12.envelope import EnvelopeReader
from gateway.x12.specs.sets import HIERARCHIES
from gateway.x12.tokenizer import CHUNK_SIZE, Tokenizer
from gateway.x12.validate import (
    _ROOTS,
    _SET_TAGS,
    hierarchy_clean,
    hierarchy_fields_clean,
    structure_pattern,
    structure_text_pattern,
    validator_for,
)
from tests.conftest import REPO, require_corpus

sys.path.insert(0, str(REPO / "bench"))
from x12_generate import KINDS, generate


def _findings(data: bytes, *, bulk: bool, keep: bool) -> list[tuple[str, object]]:
    tokenizer = Tokenizer()
    reader = EnvelopeReader(keep_segments=keep, bulk=bulk)
    for start in range(0, len(data), CHUNK_SIZE):
        reader.feed(tokenizer.feed(data[start : start + CHUNK_SIZE]))
    reader.feed(tokenizer.close())
    reader.finish()
    out: list[tuple[str, object]] = [("file", issue) for issue in reader.file_issues]
    for ix in reader.interchanges:
        out += [("interchange", issue) for issue in ix.issues]
        for group in ix.groups:
            out += [("group", issue) for issue in group.issues]
            for tx in group.transactions:
                out.append(("set", (tx.set_id, tx.control_number, tx.status, len(tx.segments))))
                out += [("set", issue) for issue in tx.issues]
    return out


def assert_same(data: bytes) -> list[tuple[str, object]]:
    """Both paths agree (with and without kept segments); returns the findings."""
    detailed = _findings(data, bulk=False, keep=True)
    assert _findings(data, bulk=True, keep=True) == detailed
    assert _findings(data, bulk=True, keep=False) == _findings(data, bulk=False, keep=False)
    return detailed


def _issues(found: list[tuple[str, object]]) -> list[Issue]:
    return [item for _, item in found if isinstance(item, Issue)]


def _corpus_files() -> list[Path]:
    return sorted(p for p in require_corpus("x12").rglob("*") if p.is_file())


def test_corpus_files_give_identical_findings() -> None:
    files = _corpus_files()
    assert len(files) > 20
    with_findings = 0
    for path in files:
        found = assert_same(path.read_bytes())
        with_findings += bool(_issues(found))
    # the corpus exercises the fallback, not only the clean path
    assert with_findings > 5


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_generated_varied_files_give_identical_findings(kind: str) -> None:
    data = b"".join(generate(kind, 150_000, seed=11))
    found = assert_same(data)
    assert not _issues(found)  # valid documents: the clean path decided alone


def _small(kind: str) -> bytes:
    return b"".join(generate(kind, 6_000, seed=3))


_BASES = {kind: _small(kind) for kind in KINDS}
_CHARS = st.sampled_from(["*", "~", ">", "^", "X", "9", "0", " ", "", "\n", "-", ".", "ZZ"])


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(sorted(_BASES)))
    text = _BASES[kind].decode("latin-1")
    head, _, body = text.partition("~\n")  # the ISA stays intact: delimiters come from it
    segments = body.split("~\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(segments) - 1))
        action = draw(st.sampled_from(["char", "drop", "repeat", "swap", "empty", "tag"]))
        seg = segments[i]
        if action == "char" and seg:
            at = draw(st.integers(0, len(seg) - 1))
            segments[i] = seg[:at] + draw(_CHARS) + seg[at + 1 :]
        elif action == "drop":
            del segments[i]
        elif action == "repeat":
            segments.insert(i, seg)
        elif action == "swap" and i + 1 < len(segments):
            segments[i], segments[i + 1] = segments[i + 1], seg
        elif action == "empty" and "*" in seg:
            parts = seg.split("*")
            k = draw(st.integers(1, len(parts) - 1))
            parts[k] = draw(st.sampled_from(["", " ", "  "]))
            segments[i] = "*".join(parts)
        elif action == "tag":
            segments[i] = (
                # STC, SEX, GEN, ISX: not envelope segments, though they start like one
                draw(
                    st.sampled_from(
                        ["REF", "N9", "XX", "HL", "PID", "DTM", "STC", "SEX", "GEN", "ISX"]
                    )
                )
                + seg[seg.find("*") if "*" in seg else len(seg) :]
            )
        if not segments:
            segments = [""]
    return (head + "~\n" + "~\n".join(segments)).encode("latin-1")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutants())
def test_mutants_give_identical_findings(data: bytes) -> None:
    assert_same(data)


@pytest.mark.parametrize(
    ("date", "valid"),
    [
        ("20270229", False),  # a common year: 29 February does not exist
        ("20280229", True),
        ("20000229", True),  # divisible by 400
        ("21000229", False),  # a century not divisible by 400
        ("20270228", True),
        ("20280230", False),
        ("270229", False),  # YYMMDD: 2027
        ("280229", True),
        ("000229", True),  # 2000
    ],
)
def test_29_february_is_valid_only_in_a_leap_year_on_both_paths(date: str, valid: bool) -> None:
    # a lot expiry (DTM*036) as a partner sends it: both paths, the same finding
    text = _BASES["856"].decode("latin-1")
    start = text.index("DTM*036*") + len("DTM*036*")
    end = start + text[start:].index("~")
    found = assert_same((text[:start] + date + text[end:]).encode("latin-1"))
    bad = [i for i in _issues(found) if i.segment_tag == "DTM" and i.code == "8"]
    assert (not bad) == valid, bad


def test_a_set_longer_than_the_buffer_is_checked_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("gateway.x12.envelope.MAX_BUFFERED", 50)
    text = _BASES["850"].decode("latin-1")
    # an error late in a long set: found after the spill, at the same place
    bad = text.replace("CUR*BY*USD", "CUR*BY*USDX", 1).replace("CTT*", "CTT*X", 1)
    found = assert_same(bad.encode("latin-1"))
    assert {i.segment_tag for i in _issues(found)} >= {"CTT"}


def test_the_bulk_check_says_clean_only_when_the_checker_does() -> None:
    bulk = BulkSet("850", "004010", ("*", ">", None))
    for text in ("ST*850*0001", "BEG*00*SA*PO1**20240301", "PO1*1*2*EA*1.5**VP*X*UP", "SE*4*0001"):
        bulk.add(text, 0)
    # PO1 has UP (P0809) without its value: the note, not the element checks, fails
    assert not bulk.clean()


# -- the structure regex (gateway.x12.validate.structure_pattern) against the walk -----


def _walk_clean(set_id: str, tags: list[str]) -> bool:
    scratch: list[Issue] = []
    walker = validator_for(set_id, "004010", scratch)
    assert walker is not None
    walker.structure_only()
    walker.walk(tags, list(tags))
    if not scratch:
        walker.finish()
    return not scratch


def _set_tags(kind: str) -> list[list[str]]:
    """The tag sequences of the sets of a small generated file."""
    out: list[list[str]] = []
    for segment in _BASES[kind].decode("latin-1").split("~\n"):
        tag = segment.split("*")[0]
        if tag == "ST":
            out.append([])
        if out and (len(out[-1]) == 0 or out[-1][-1] != "SE"):
            out[-1].append(tag)
    return out


def test_the_structure_regex_accepts_valid_sets() -> None:
    for kind in KINDS:
        pattern = structure_pattern(kind)
        assert pattern is not None
        for tags in _set_tags(kind):
            assert _walk_clean(kind, tags)
            assert pattern.fullmatch("\n".join(tags) + "\n"), (kind, tags)
            over_text = structure_text_pattern(kind, "*", "~")
            assert over_text is not None
            assert over_text.fullmatch("~".join(tags) + "~"), (kind, tags)


@st.composite
def tag_mutants(draw: st.DrawFn) -> tuple[str, list[str]]:
    set_id = draw(st.sampled_from(sorted(_ROOTS)))
    known = sorted(_SET_TAGS[set_id])
    if set_id in _BASES and draw(st.booleans()):
        tags = list(draw(st.sampled_from(_set_tags(set_id))))
    else:
        tags = ["ST", *draw(st.lists(st.sampled_from(known), max_size=30)), "SE"]
    for _ in range(draw(st.integers(0, 5))):
        i = draw(st.integers(0, len(tags) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "swap", "insert", "run"]))
        if action == "drop":
            del tags[i]
        elif action == "repeat":
            tags.insert(i, tags[i])
        elif action == "swap" and i + 1 < len(tags):
            tags[i], tags[i + 1] = tags[i + 1], tags[i]
        elif action == "insert":
            tags.insert(i, draw(st.sampled_from(known)))
        elif action == "run":  # a repeat past a maximum, a loop run many times
            tags[i:i] = tags[i : i + draw(st.integers(1, 4))] * draw(st.integers(2, 30))
        if not tags:
            tags = ["ST"]
    return set_id, tags


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=tag_mutants())
def test_the_structure_regex_passes_only_what_the_walk_passes(
    case: tuple[str, list[str]],
) -> None:
    set_id, tags = case
    pattern = structure_pattern(set_id)
    assert pattern is not None
    over_tags = pattern.fullmatch("\n".join(tags) + "\n") is not None
    if over_tags:
        assert _walk_clean(set_id, tags), tags
    # the same regex over the set's text (what the bulk check runs) decides alike
    over_text = structure_text_pattern(set_id, "*", "~")
    assert over_text is not None
    text = "~".join(f"{tag}*X*1" if i % 2 else tag for i, tag in enumerate(tags)) + "~"
    assert (over_text.fullmatch(text) is not None) == over_tags, tags


# -- the HL hierarchy in C (validate.hierarchy_fields_clean) against the full rules -----


@st.composite
def hl_sequences(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    size = draw(st.integers(0, 12))
    numbers = [str(i) for i in range(1, size + 1)]
    if draw(st.booleans()):  # now and then numbered otherwise
        for _ in range(draw(st.integers(1, 3))):
            if numbers:
                numbers[draw(st.integers(0, size - 1))] = draw(
                    st.sampled_from(["01", "", "7", "1"])
                )
    out = []
    for i, number in enumerate(numbers):
        parent = draw(
            st.one_of(
                st.just(""),
                st.sampled_from(numbers[: i + 2] or [""]),
                st.sampled_from(["0", "99", "x"]),
            )
        )
        out.append((number, parent, draw(st.sampled_from(["S", "O", "P", "T", "I", "", "Z"]))))
    return out


@settings(max_examples=2000, deadline=None)
@given(fields=hl_sequences())
def test_the_hierarchy_in_c_decides_as_the_full_rules(fields: list[tuple[str, str, str]]) -> None:
    rules = HIERARCHIES["856"]
    texts = ["*".join(("HL", *f)) for f in fields]
    fast = hierarchy_fields_clean(fields, rules)
    if fast is not None:
        assert fast == hierarchy_clean(texts, rules, "*"), fields
    else:
        assert [n for n, _, _ in fields] != [str(i) for i in range(1, len(fields) + 1)]


def test_the_hierarchy_in_c_decides_valid_shipments() -> None:
    rules = HIERARCHIES["856"]
    assert hierarchy_fields_clean([("1", "", "S"), ("2", "1", "O"), ("3", "2", "I")], rules)
    assert not hierarchy_fields_clean([("1", "", "S"), ("2", "3", "O"), ("3", "1", "I")], rules)
