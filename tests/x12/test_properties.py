"""Property tests: generated documents round-trip; mutated files never crash the parser."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway import x12
from gateway.edi import EdiPayload, Level
from tests.conftest import require_corpus
from tests.x12.helpers import NOW, NUMBERS, OURS

_TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./", min_size=0, max_size=12)
_TAGS = st.sampled_from(
    ["BEG", "REF", "DTM", "N1", "N3", "N4", "PO1", "PID", "CTT", "ZZZ", "MSG", "LIN", "SN1", "HL"]
)
_SEGMENT = st.builds(
    lambda tag, values: [tag, *values], _TAGS, st.lists(_TEXT, min_size=1, max_size=8)
)
_DELIMS = st.sampled_from(
    [
        x12.Delimiters("*", ">", "~", None, "\n"),
        x12.Delimiters("|", ":", "!", None, ""),
        x12.Delimiters("\x7f", ">", "\x15", None, ""),
        x12.Delimiters("*", ":", "'", "^", "\r\n"),
        x12.Delimiters("+", ">", "\n", None, ""),
    ]
)


def _shape(payload: EdiPayload) -> list:
    out = []
    for ix in payload.interchanges:
        env = x12.envelope_of(ix)
        out.append(
            (
                env.isa,
                env.iea,
                env.gs,
                env.ge,
                env.delimiters,
                [
                    [
                        (
                            t.set_id,
                            t.control_number,
                            [(s.parts, s.position) for s in t.segments],
                            [(i.code, i.segment_position, i.element_position) for i in t.issues],
                        )
                        for t in g.transactions
                    ]
                    for g in ix.groups
                ],
                [i.code for i in ix.issues],
            )
        )
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    delims=_DELIMS,
    sets=st.lists(st.lists(_SEGMENT, min_size=0, max_size=12), min_size=1, max_size=3),
    set_id=st.sampled_from(["850", "855", "856", "810", "204"]),
)
def test_generated_documents_round_trip(delims: x12.Delimiters, sets: list, set_id: str) -> None:
    version = "00501" if delims.repetition else "00401"
    builder = x12.DocumentBuilder(
        sender=("ZZ", "A"),
        receiver=("ZZ", "B"),
        control_number=7,
        version=version,
        delimiters=delims,
        now=NOW,
    )
    builder.group("PO", "A", "B", 9, "005010" if delims.repetition else "004010")
    for n, segments in enumerate(sets, 1):
        builder.transaction(set_id, f"{n:04d}", segments)
    first = x12.parse_payload(builder.to_bytes())
    # what the builder wrote parses to exactly what it built (envelope-wise) ...
    assert [i for ix in first.interchanges for i in ix.issues] == []
    assert [[s.parts for s in t.segments] for t in first.interchanges[0].transactions] == [
        [s.parts for s in t.segments] for t in builder.build().transactions
    ]
    # ... and parse(write(parse(x))) == parse(x): the whole result, offsets and
    # findings included (the builder's layout is the one the writer reproduces)
    again = x12.parse_payload(x12.write_payload(first))
    assert _shape(again) == _shape(first)
    assert again == first


def _corpus_samples() -> list[bytes]:
    corpus = require_corpus("x12")
    names = [
        "850_4010VICS_nodex12_sample.edi",
        "856_4010_bots_retailer_SOPI_crlf.edi",
        "mixed_4010_4030_bots_mailbag_multi_interchange.edi",
        "999_5010X231_staedi_simple.edi",
        "850_4010_bots_EBCDIC_encoded.edi",
        "214_4010_staedi_unicode_ellipsis_terminator.edi",
    ]
    return [(corpus / n).read_bytes() for n in names]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, 5), count=st.integers(1, 12))
def test_mutated_files_give_issues_never_exceptions(seed: int, which: int, count: int) -> None:
    data = bytearray(_corpus_samples()[which])
    rng = random.Random(seed)
    for _ in range(count):
        if not data:
            break
        pos = rng.randrange(len(data))
        op = rng.randrange(4)
        if op == 0:
            data[pos] = rng.randrange(256)
        elif op == 1:
            del data[pos]
        elif op == 2:
            data.insert(pos, rng.choice(b"*~>^\n\r:|!ISAGEST0123"))
        else:
            del data[pos:]  # truncation
    payload = x12.parse_payload(bytes(data))
    # then: structured findings only, and acknowledgements can still be written
    for ix in payload.interchanges:
        assert all(i.level in (Level.INTERCHANGE,) for i in ix.issues)
        for kind in ("997", "999"):
            x12.build_acknowledgement(ix, kind=kind, ours=OURS, numbers=NUMBERS, now=NOW)  # type: ignore[arg-type]
        x12.build_ta1(ix, ours=OURS, numbers=NUMBERS, now=NOW)
    assert all(i.level is Level.FILE for i in payload.issues)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data: bytes) -> None:
    payload = x12.parse_payload(b"ISA" + data)
    assert payload.interchanges or payload.issues
