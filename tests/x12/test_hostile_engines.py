"""Issue #17 finding 9: the engines against hostile numbers, sizes and shapes.

Giant numbers are findings, not exceptions; no entry point raises on any input
(hypothesis, with 10k-digit numbers, a 16 MB element and a 50k-deep HL chain); CPU
grows linearly with input size on generated pathological inputs.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway import edifact, x12
from gateway.edi import EdiPayload
from tests.edifact.helpers import VALID_ORDERS_BODY, interchange, message
from tests.x12.helpers import NOW, NUMBERS, OURS, build

BIG = "9" * 10_000


def _x12_cases() -> dict[str, bytes]:
    base = build(sets=1).decode()
    return {
        "IEA02": base.replace("IEA*1*000000001", f"IEA*1*{BIG}").encode(),
        "IEA01": base.replace("IEA*1*", f"IEA*{BIG}*").encode(),
        "GE02": base.replace("GE*1*1~", f"GE*1*{BIG}~").encode(),
        "GE01": base.replace("GE*1*1~", f"GE*{BIG}*1~").encode(),
        "SE01": base.replace("SE*12*0001", f"SE*{BIG}*0001").encode(),
        "HL01": build("856", ["BSN*00*S1*20240301*1200", f"HL*{BIG}**S", "TD1*CTN*1"]),
    }


def _edifact_cases() -> dict[str, bytes]:
    good = interchange(message("M1", *VALID_ORDERS_BODY)).decode("latin-1")
    return {
        "UNT01": good.replace("UNT+11+M1", f"UNT+{BIG}+M1").encode("latin-1"),
        "UNZ01": good.replace("UNZ+1+", f"UNZ+{BIG}+").encode("latin-1"),
    }


@pytest.mark.parametrize("name", list(_x12_cases()))
def test_9_giant_x12_numbers_are_findings_and_get_acknowledged(name: str) -> None:
    data = _x12_cases()[name]
    payload = x12.parse_payload(data)  # raised ValueError (4300 digits) before the fix
    (ix,) = payload.interchanges
    findings = [*ix.issues, *(i for g in ix.groups for i in g.issues),
                *(i for t in ix.transactions for i in t.issues)]  # fmt: skip
    assert findings, f"{name}: a wrong count or control number must be a finding"
    # the partner gets an answer: TA1 for the envelope, 997/999 for the groups
    ta1 = x12.build_ta1(ix, ours=OURS, numbers=NUMBERS, now=NOW)
    assert x12.parse_payload(ta1.data).interchanges[0].issues == []
    for kind in ("997", "999"):
        ack = x12.build_acknowledgement(ix, kind=kind, ours=OURS, numbers=NUMBERS, now=NOW)  # type: ignore[arg-type]
        if ack is not None:
            (parsed,) = x12.parse_payload(ack.data).interchanges
            assert parsed.issues == [] and all(t.issues == [] for t in parsed.transactions)


@pytest.mark.parametrize("name", list(_edifact_cases()))
def test_9_giant_edifact_counts_are_findings_and_get_a_contrl(name: str) -> None:
    payload = edifact.parse_payload(_edifact_cases()[name])
    (ix,) = payload.interchanges
    findings = [*ix.issues, *(i for t in ix.transactions for i in t.issues)]
    assert any(i.code in ("29", "39") for i in findings), findings  # count/reference mismatch
    contrl = edifact.build_contrl(ix, ours=OURS, numbers=NUMBERS)
    assert contrl is not None
    (parsed,) = edifact.parse_payload(contrl.data).interchanges
    assert parsed.issues == [] and all(t.issues == [] for t in parsed.transactions)


# ---- every entry point, any input ----------------------------------------------------------
_NUMBERS = st.sampled_from(["0", "1", "-1", "00000000000000000001", BIG, "1" * 4301, "1e9999", ""])
_X12_TEMPLATE = build(sets=2).decode()
_EDI_TEMPLATE = interchange(message("M1", *VALID_ORDERS_BODY), message("M2", *VALID_ORDERS_BODY))


def _mutate(text: str, data: st.DataObject, element: str, terminator: str) -> str:
    """Replace a few elements with hostile numbers, or cut the text anywhere."""
    parts = text.split(terminator)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(parts) - 1))
        fields = parts[i].split(element)
        j = data.draw(st.integers(0, len(fields) - 1))
        fields[j] = data.draw(_NUMBERS)
        parts[i] = element.join(fields)
    out = terminator.join(parts)
    if data.draw(st.booleans()):
        out = out[: data.draw(st.integers(0, len(out)))]
    return out


def _everything_x12(data: bytes) -> None:
    payload = x12.parse_payload(data)
    list(x12.iter_segments(io.BytesIO(data)))
    x12.validate_stream(io.BytesIO(data))
    for ix in payload.interchanges:
        x12.build_ta1(ix, ours=OURS, numbers=NUMBERS, now=NOW)
        for kind in ("997", "999"):
            x12.build_acknowledgement(ix, kind=kind, ours=OURS, numbers=NUMBERS, now=NOW)  # type: ignore[arg-type]


def _everything_edifact(data: bytes) -> EdiPayload:
    payload = edifact.parse_payload(data)
    list(edifact.iter_transactions(data))
    for ix in payload.interchanges:
        edifact.build_contrl(ix, ours=OURS, numbers=NUMBERS)
    return payload


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_9_x12_entry_points_never_raise_on_hostile_numbers(data: st.DataObject) -> None:
    _everything_x12(_mutate(_X12_TEMPLATE, data, "*", "~").encode())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_9_edifact_entry_points_never_raise_on_hostile_numbers(data: st.DataObject) -> None:
    _everything_edifact(_mutate(_EDI_TEMPLATE.decode("latin-1"), data, "+", "'").encode("latin-1"))


def test_9_sixteen_megabyte_element_and_fifty_thousand_deep_hl_chain() -> None:
    huge = "A" * (16 * 1024 * 1024)
    _everything_x12(build(segments=["BEG*00*SA*PO-1**20240301", f"REF*DP*{huge}", "CTT*0"]))
    _everything_edifact(interchange(message("M1", f"BGM+220+{huge}")))
    chain = ["BSN*00*S1*20240301*1200", "HL*1**S"]
    chain += [f"HL*{i}*{i - 1}*O" for i in range(2, 50_001)]
    payload = x12.parse_payload(build("856", chain))
    assert payload.interchanges[0].transactions[0].set_id == "856"


# ---- CPU linear in input size ----------------------------------------------------------------
def _x12_doc(segments: list[str], set_id: str = "850") -> bytes:
    return build(set_id, segments)


GENERATORS: dict[str, tuple[Callable[[int], bytes], Callable[[bytes], object], int]] = {
    "x12 HL chain": (lambda n: _x12_doc(
        ["BSN*00*S1*20240301*1200", "HL*1**S", *(f"HL*{i}*{i - 1}*O" for i in range(2, n))],
        "856"), x12.parse_payload, 2000),
    "x12 repeated segment": (lambda n: _x12_doc(
        ["BEG*00*SA*PO-1**20240301", *["ZZZ*1"] * n, "CTT*0"]), x12.parse_payload, 3000),
    "x12 repeated line": (lambda n: _x12_doc(
        ["BEG*00*SA*PO-1**20240301", *["PO1*1*10*EA*12.5**VP*X"] * n, "CTT*0"]),
        x12.parse_payload, 3000),
    "x12 many elements": (lambda n: _x12_doc(
        ["BEG*00*SA*PO-1**20240301", "REF*DP*" + "*".join(["X"] * n * 10), "CTT*0"]),
        x12.parse_payload, 3000),
    "edifact repeated segment": (lambda n: interchange(message(
        "M1", *VALID_ORDERS_BODY[:3], *["FTX+AAI+++X"] * n, *VALID_ORDERS_BODY[3:])),
        edifact.parse_payload, 3000),
    "edifact many elements": (lambda n: interchange(message(
        "M1", "BGM+220+" + "+".join(["X"] * n * 10))), edifact.parse_payload, 3000),
    "edifact release characters": (lambda n: interchange(message(
        "M1", "BGM+220+" + "?+" * n * 10)), edifact.parse_payload, 3000),
    "edifact many messages": (lambda n: interchange(
        *[message(f"M{i}", *VALID_ORDERS_BODY) for i in range(n)]), edifact.parse_payload, 300),
}  # fmt: skip


def _cpu(parse: Callable[[bytes], object], data: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        gc.collect()
        gc.disable()  # the collector's pauses are noise here, not the engine's algorithm
        try:
            started = time.process_time()
            parse(data)
            best = min(best, time.process_time() - started)
        finally:
            gc.enable()
    return best


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GENERATORS))
def test_9_cpu_is_linear_in_input_size(name: str) -> None:
    make, parse, n = GENERATORS[name]
    small, large = make(n), make(10 * n)
    assert 8 * len(small) <= len(large) <= 12 * len(small)
    small_cpu, large_cpu = _cpu(parse, small), _cpu(parse, large)
    # 10x the input may cost at most 20x the CPU (floor against timer granularity): a
    # quadratic step costs 100x; a small input that fits the CPU caches runs faster per
    # byte (measured 11-19x on a loaded 2-core box for "edifact many elements", linear
    # from there on: 2x, 4x, 10x -> 2.4x, 4.5x, 11x)
    assert large_cpu <= 20 * max(small_cpu, 0.005), (name, small_cpu, large_cpu)


def test_12_missing_last_terminator_is_a_finding_and_the_end_is_the_file_end() -> None:
    data = build().rstrip(b"\n")
    assert data.endswith(b"~")
    cut = data[:-1]
    payload = x12.parse_payload(cut)
    (ix,) = payload.interchanges
    assert ix.end == len(cut)  # was one byte past the file
    # a layout partners send: no interchange finding (acks unchanged), a file-level note
    assert ix.issues == []
    (note,) = payload.issues
    assert note.code == "no-final-terminator" and not note.fatal
    # a complete file has neither
    whole = x12.parse_payload(data)
    assert whole.issues == [] and whole.interchanges[0].end <= len(data)
