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


def _ftx(value: str, syntax_id: str, syntax_version: str = "3") -> bytes:
    m = MessageBuilder("ZZZZZZ", "M1")
    m.add("FTX", "AAI", "", "", ("X", value))
    return write_interchange(
        [m],
        sender="A",
        recipient="B",
        control_reference="1",
        syntax_id=syntax_id,
        syntax_version=syntax_version,
        when=WHEN,
    )


_LEVEL_A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.,-()/=!\"%&*;<>'+:?"


@pytest.mark.parametrize(
    ("syntax_id", "version", "value", "refused"),
    [
        # ISO 9735 level A: upper case, digits, space and . , - ( ) / = ! " % & * ; < >
        # (and ' + : ?, released); level B adds lower case
        ("UNOA", "3", _LEVEL_A, None),
        ("UNOA", "3", "ACME gmbh", "g"),
        ("UNOA", "3", "A@B", "@"),
        ("UNOA", "3", "KÖLN", "Ö"),
        ("UNOB", "3", _LEVEL_A + "abcdefghijklmnopqrstuvwxyz", None),
        ("UNOB", "3", "price {net}", "{"),
        ("UNOB", "3", "5 $", "$"),
        ("UNOB", "3", "a_b", "_"),
        # syntax 4: the ISO 646 invariant set, which has the low line too
        ("UNOB", "4", "a_b", None),
        ("UNOA", "4", "A_B", None),
        ("UNOA", "4", "A~B", "~"),
        ("UNOC", "3", "Müller {x} ~ @ # $", None),
    ],
)
def test_writer_refuses_characters_outside_the_syntax_level_repertoire(
    syntax_id: str, version: str, value: str, refused: str | None
) -> None:
    if refused is None:
        data = _ftx(value, syntax_id, version)
        tx = parse_payload(data).interchanges[0].transactions[0]
        assert tx.segments[1].value(4, 2) == value
        return
    with pytest.raises(EdifactWriteError) as err:
        _ftx(value, syntax_id, version)
    assert str(err.value) == (
        f"FTX element 4 component 2: {refused!r} is not in the {syntax_id} character repertoire"
    )


@pytest.mark.parametrize("syntax_id", ["UNOA", "UNOB", "UNOC", "UNOE", "UNOW", "UNOY"])
@pytest.mark.parametrize("control", ["\n", "\r", "\t", "\x00", "\x1c", "\x7f", "\x85"])
def test_writer_refuses_control_characters_under_every_syntax_identifier(
    syntax_id: str, control: str
) -> None:
    # a line break written raw is dropped by the reader as formatting: the value would
    # come back changed, so it is refused like any other control character
    with pytest.raises(EdifactWriteError, match="FTX element 4 component 2"):
        _ftx(f"LINE 1{control}LINE 2", syntax_id, "4" if syntax_id == "UNOY" else "3")


def test_writer_refuses_repertoire_errors_in_the_envelope_too() -> None:
    m = MessageBuilder("ZZZZZZ", "M1")
    with pytest.raises(EdifactWriteError, match="UNB element 2 component 1: 'c'"):
        write_interchange(
            [m], sender=("Acme", "ZZ"), recipient="B", control_reference="1", syntax_id="UNOA"
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
    # Latin-1 without control characters (C0, DEL, C1), which the writer refuses
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_categories=["Cc"]),
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
