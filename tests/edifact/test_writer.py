"""The writer, and round trips through write/parse (property tests)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edifact import (
    EdifactSegment,
    EdifactWriteError,
    MessageBuilder,
    ServiceChars,
    make_segment,
    parse_payload,
    write_interchange,
)

WHEN = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.UTC)


def test_builder_writes_a_valid_orders() -> None:
    m = MessageBuilder("ORDERS", "PO1", release="96A", association="EAN008")
    m.add("BGM", "220", "PO1", "9")
    m.add("DTM", ("137", "20240115", "102"))
    m.add("NAD", "BY", ("5412345000013", "", "9"))
    m.add("LIN", "1", "", ("4000862141404", "SRV"))
    m.add("QTY", ("21", "48", "PCE"))
    m.add("FTX", "AAI", "", "", "it's 50% + 2: fine?")
    m.add("UNS", "S")
    data = write_interchange(
        [m], sender=("SELF", "14"), recipient="THEM", control_reference="9", when=WHEN
    )
    assert b"FTX+AAI+++it?'s 50% ?+ 2?: fine??'" in data
    ix = parse_payload(data).interchanges[0]
    assert not ix.issues
    (tx,) = ix.transactions
    assert tx.status.value == "accepted", tx.issues
    assert tx.segments[6].value(4) == "it's 50% + 2: fine?"
    assert list(tx.segments) == m.segments()


def test_writer_refuses_what_the_charset_cannot_carry() -> None:
    m = MessageBuilder("ORDERS", "1")
    m.add("FTX", "AAI", "", "", "Москва")
    with pytest.raises(EdifactWriteError):
        write_interchange([m], sender="A", recipient="B", control_reference="1", syntax_id="UNOA")
    data = write_interchange(
        [m], sender="A", recipient="B", control_reference="1", syntax_id="UNOE", when=WHEN
    )
    assert parse_payload(data).interchanges[0].transactions[0].segments[1].value(4) == "Москва"


def test_writer_refuses_bad_tags_and_repeats_before_syntax_4() -> None:
    with pytest.raises(EdifactWriteError):
        write_interchange(
            [[make_segment("TOOLONG", "x")]], sender="A", recipient="B", control_reference="1"
        )
    with pytest.raises(EdifactWriteError):
        write_interchange(
            [[make_segment("CUX", [("1",), ("2",)])]],
            sender="A",
            recipient="B",
            control_reference="1",
        )


def test_syntax_4_without_una_releases_the_default_repetition_separator() -> None:
    # without UNA a syntax 4 reader splits on '*' (the default repetition separator)
    m = MessageBuilder("ZZZZZZ", "M1")
    m.add("FTX", "AAI", "", "", "x*y")
    m.add("RFF", [("ON", "1"), ("VN", "2")])
    data = write_interchange(
        [m],
        sender="A",
        recipient="B",
        control_reference="1",
        syntax_version="4",
        una=False,
        when=WHEN,
    )
    assert not data.startswith(b"UNA") and b"FTX+AAI+++x?*y'" in data
    assert b"RFF+ON:1*VN:2'" in data
    (ix,) = parse_payload(data).interchanges
    assert not ix.issues and list(ix.transactions[0].segments) == m.segments()
    # with UNA and no repetition separator in it, '*' is data and stays as it is
    m.body.pop()
    data = write_interchange(
        [m],
        sender="A",
        recipient="B",
        control_reference="1",
        syntax_version="4",
        when=WHEN,
    )
    assert data.startswith(b"UNA:+.? '") and b"FTX+AAI+++x*y'" in data
    assert parse_payload(data).interchanges[0].transactions[0].segments[1].value(4) == "x*y"


# -- property: parse(write(x)) == x ----------------------------------------------------

_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
    min_size=1,
    max_size=12,
)
_component = st.one_of(st.just(""), _text)
_components = st.lists(_component, min_size=1, max_size=4).filter(lambda c: c[-1] != "")
_tag = st.sampled_from(["FTX", "NAD", "RFF", "IMD", "ZZZ", "ABC"])


@st.composite
def _segment(draw: st.DrawFn, repeats: bool) -> EdifactSegment:
    n = draw(st.integers(min_value=1, max_value=5))
    elements = []
    for i in range(n):
        reps = draw(st.integers(min_value=1, max_value=2 if repeats else 1))
        comps = [tuple(draw(_components)) for _ in range(reps)]
        if i == n - 1 and comps == [("",)]:
            comps = [("x",)]
        elements.append(tuple(comps))
    return EdifactSegment(draw(_tag), tuple(elements))


_chars = st.sampled_from(
    [
        ServiceChars(),
        ServiceChars(component="^", element="*", release="?", terminator="$"),
        ServiceChars(component="=", element="*", decimal=",", release="!", terminator="~"),
        ServiceChars(repetition="*"),
        ServiceChars(terminator="\n"),
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chars=_chars, data=st.data())
def test_round_trip(chars: ServiceChars, data: st.DataObject) -> None:
    version = "4" if chars.repetition else "3"
    body = data.draw(st.lists(_segment(repeats=version == "4"), min_size=1, max_size=6))
    if chars.newline_terminated:
        # a line break is the terminator and cannot appear in data at all
        assert all("\n" not in c for s in body for el in s.elements for r in el for c in r)
    messages = []
    for i in range(data.draw(st.integers(min_value=1, max_value=3))):
        m = MessageBuilder("ZZZZZZ", f"M{i}")
        m.extend(body)
        messages.append(m)
    written = write_interchange(
        messages,
        sender="A",
        recipient="B",
        control_reference="R",
        chars=chars,
        syntax_version=version,
        when=WHEN,
        line_breaks=data.draw(st.booleans()),
    )
    payload = parse_payload(written)
    (ix,) = payload.interchanges
    assert not ix.issues
    for m, tx in zip(messages, ix.transactions, strict=True):
        assert not tx.issues
        assert list(tx.segments) == m.segments()


def test_lazily_split_segments_behave_like_eager_ones() -> None:
    chars = ServiceChars()
    lazy = EdifactSegment("FTX", None, 3, 10, raw="FTX+AAI+++a?+b:c", chars=chars)
    eager = EdifactSegment("FTX", ((("AAI",),), (("",),), (("",),), (("a+b", "c"),)), 3, 10)
    assert lazy == eager and hash(lazy) == hash(eager)
    assert (lazy.value(4, 1), lazy.value(4, 2), lazy.element_count()) == ("a+b", "c", 4)
    assert lazy.components(9) == () and lazy.value(1, 5) == ""
    with pytest.raises(TypeError):
        EdifactSegment("FTX", None)
