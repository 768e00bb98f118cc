"""Bad bytes never crash the reader: random mutations of valid files (property test)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi import AckControlNumbers, OwnIdentity
from gateway.edifact import build_contrl, parse_payload
from tests.conftest import require_corpus

_SAMPLES = (
    "ORDERS_D96A_EAN008_oca_amazon_retail.edi",
    "DESADV_D96A_EAN005_bots_batch_expiry_SSCC_multi_msg.edi",
    "INVOIC_D97B_staedi_UNA_custom_delims_release_char.edi",
    "ORDERS_INVOIC_D96A_edifabric_UNG_groups_mixed.edi",
    "INVOIC_D03B_smooks_UNA_syntax4_repetition_sep.edi",
)
_INTERESTING = b"'+:?*\r\n UNHTZBGA\x00\xff\x1c\x1d\x1f"


def _samples() -> list[bytes]:
    corpus = require_corpus("edifact")
    return [(corpus / name).read_bytes() for name in _SAMPLES]


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_samples())))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.sampled_from([*_INTERESTING, draw(st.integers(0, 255))]))
        elif op == "insert":
            data[pos:pos] = draw(
                st.sampled_from(
                    [
                        b"'",
                        b"?",
                        b"+",
                        b":",
                        b"UNH+1+ORDERS:D:96A:UN'",
                        b"UNZ+1+X'",
                        b"UNA:+.? '",
                        b"\r\n",
                        b"UNT+2+1'",
                        b"UNG+X'",
                        b"UNE+1+1'",
                    ]
                )
            )
        elif op == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 20))]
        elif op == "truncate":
            del data[pos:]
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_mutated())
def test_mutations_never_crash_and_stay_answerable(data: bytes) -> None:
    payload = parse_payload(data)
    for ix in payload.interchanges:
        assert ix.start <= ix.end <= len(data)
        for tx in ix.transactions:
            assert 0 <= tx.start <= tx.end <= len(data)
        ack = build_contrl(ix, ours=OwnIdentity("14", "US"), numbers=AckControlNumbers(1, 1, 1))
        assert parse_payload(ack.data).interchanges[0].transactions[0].set_id == "CONTRL"


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    for prefix in (b"", b"UNB+UNOC:3+A+B+1:1+R'", b"UNA:+.? 'UNB+"):
        parse_payload(prefix + data)


def test_pathological_inputs_are_bounded(tmp_path: Path) -> None:
    # a megabyte of release characters, a segment without terminator, deep garbage
    for data in (
        b"UNB+UNOC:3+A+B+1:1+R'UNH+1+ORDERS:D:96A:UN'" + b"?" * 1_000_001,
        b"UNB+UNOC:3+A+B+1:1+R'UNH+1+ORDERS:D:96A:UN'FTX+" + b"x" * 2_000_000,
        b"UNB+UNOC:3+A+B+1:1+R'UNH+1+ORDERS:D:96A:UN'" + b"ZZZ+1'" * 50_000 + b"UNZ+1+R'",
    ):
        payload = parse_payload(data)
        (ix,) = payload.interchanges
        for tx in ix.transactions:
            assert len(tx.issues) <= 250


def test_overlong_message_stops_keeping_segments(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gateway.edifact import reader

    monkeypatch.setattr(reader, "MAX_MESSAGE_SEGMENTS", 50)
    data = (
        b"UNB+UNOC:3+A+B+1:1+R'UNH+1+IFTMIN:D:96A:UN'"
        + b"FTX+AAI+++x'" * 200
        + b"UNT+202+1'UNZ+1+R'"
    )
    (tx,) = parse_payload(data).interchanges[0].transactions
    assert len(tx.segments) <= 52
    assert [(i.code, i.fatal) for i in tx.issues] == [("18", True)]
