"""Tokenizing and envelope checks on hand-written interchanges."""

from __future__ import annotations

from gateway.edi import Level, TransactionStatus
from gateway.edifact import EdifactEnvelope, iter_transactions, parse_payload, read_payload
from gateway.edifact.service_chars import DEFAULT_CHARS, ServiceChars
from gateway.edifact.tokenizer import scan_segments, split_segment
from tests.edifact.helpers import VALID_ORDERS_BODY, interchange, message


def test_valid_interchange_is_accepted_with_envelope_fields() -> None:
    # given a clean ORDERS interchange
    data = interchange(message("M1", *VALID_ORDERS_BODY))
    # when parsed
    payload = parse_payload(data)
    # then everything is accepted and the envelope is exposed
    (ix,) = payload.interchanges
    assert (ix.sender_id, ix.sender_qualifier, ix.receiver_id) == ("SENDER", "14", "RECEIVER")
    assert ix.control_number == "REF1" and ix.version == "UNOC:3"
    assert not ix.issues
    (group,) = ix.groups
    assert group.functional_id is None and group.control_number == ""
    (tx,) = group.transactions
    assert (tx.set_id, tx.version, tx.association_code) == ("ORDERS", "D96A", "EAN008")
    assert tx.status is TransactionStatus.ACCEPTED
    assert data[tx.start : tx.end].startswith(b"UNH+M1") and data[tx.end - 1 :][:1] == b"'"
    assert isinstance(ix.envelope, EdifactEnvelope) and ix.envelope.codec == "iso-8859-1"


def test_unt_count_and_reference_mismatch() -> None:
    data = interchange(message("M1", *VALID_ORDERS_BODY, count=99, unt_ref="M2"))
    (tx,) = parse_payload(data).interchanges[0].transactions
    assert {(i.code, i.segment_tag, i.element_position) for i in tx.issues} == {
        ("29", "UNT", 1),
        ("28", "UNT", 2),
    }
    assert tx.status is TransactionStatus.REJECTED


def test_unz_count_and_reference_mismatch() -> None:
    data = interchange(message("M1", *VALID_ORDERS_BODY), count=3, unz_ref="OTHER")
    ix = parse_payload(data).interchanges[0]
    assert {(i.code, i.segment_tag) for i in ix.issues} == {("29", "UNZ"), ("28", "UNZ")}
    assert ix.rejected


def test_missing_unt_and_missing_unz() -> None:
    text = "UNB+UNOC:3+S+R+240115:1200+R1'UNH+1+ORDERS:D:96A:UN'BGM+220+X+9'"
    ix = parse_payload(text.encode()).interchanges[0]
    assert [(i.code, i.segment_tag) for i in ix.issues] == [("13", "UNZ")]
    (tx,) = ix.transactions
    assert ("13", "UNT") in {(i.code, i.segment_tag) for i in tx.issues}


def test_bom_tolerated_and_several_interchanges() -> None:
    one = interchange(message("M1", *VALID_ORDERS_BODY), unb_ref="A")
    two = interchange(message("M1", *VALID_ORDERS_BODY), unb_ref="B")
    payload = parse_payload(b"\xef\xbb\xbf" + one + b"\r\n" + two)
    assert [ix.control_number for ix in payload.interchanges] == ["A", "B"]
    assert all(not ix.issues for ix in payload.interchanges)


def test_interchange_without_unz_followed_by_another() -> None:
    first = b"UNB+UNOC:3+S+R+240115:1200+A'" + message("1", *VALID_ORDERS_BODY).encode()
    second = interchange(message("1", *VALID_ORDERS_BODY), unb_ref="B")
    payload = parse_payload(first + second)
    assert [ix.control_number for ix in payload.interchanges] == ["A", "B"]
    assert [(i.code, i.segment_tag) for i in payload.interchanges[0].issues] == [("13", "UNZ")]
    assert not payload.interchanges[1].issues


def test_not_edifact_is_a_file_issue() -> None:
    payload = parse_payload(b"hello world")
    assert not payload.interchanges
    assert payload.issues and payload.issues[0].level is Level.FILE


def test_segment_outside_message_and_empty_interchange() -> None:
    ix = parse_payload(b"UNB+UNOC:3+S+R+240115:1200+A'BGM+220'UNZ+0+A'").interchanges[0]
    assert {i.code for i in ix.issues} == {"33", "32"}


def test_groups_and_messages_mixed() -> None:
    text = (
        "UNB+UNOC:3+S+R+240115:1200+A'"
        "UNG+ORDERS+S+R+240115:1200+G1+UN+D:96A'"
        + message("1", *VALID_ORDERS_BODY)
        + "UNE+1+G1'"
        + message("2", *VALID_ORDERS_BODY)
        + "UNZ+2+A'"
    )
    ix = parse_payload(text.encode()).interchanges[0]
    assert "30" in {i.code for i in ix.issues}
    assert ix.groups[0].functional_id == "ORDERS" and ix.groups[1].functional_id is None


def test_une_count_mismatch() -> None:
    text = (
        "UNB+UNOC:3+S+R+240115:1200+A'UNG+ORDERS+S+R+240115:1200+G1+UN+D:96A'"
        + message("1", *VALID_ORDERS_BODY)
        + "UNE+2+G9'UNZ+1+A'"
    )
    ix = parse_payload(text.encode()).interchanges[0]
    assert {(i.code, i.level) for i in ix.groups[0].issues} == {
        ("29", Level.GROUP),
        ("28", Level.GROUP),
    }
    assert not ix.issues


def test_custom_una_and_release_characters() -> None:
    chars = ServiceChars(component="=", element="*", decimal=",", release="!", terminator="~")
    text = (
        "UNA=*,! ~UNB*UNOC=3*S*R*240115=1200*A~UNH*1*ORDERS=D=96A=UN~"
        "FTX*AAI***price 3!*4 !=!~ done!!~UNT*3*1~UNZ*1*A~"
    )
    (tx,) = parse_payload(text.encode()).interchanges[0].transactions
    assert tx.segments[1].value(4) == "price 3*4 =~ done!"
    env = parse_payload(text.encode()).interchanges[0].envelope
    assert isinstance(env, EdifactEnvelope) and env.chars == chars


def test_syntax_3_una_fifth_position_is_not_a_separator() -> None:
    text = "UNA:+.?*'UNB+UNOC:3+S+R+240115:1200+A'UNH+1+X:D:96A:UN'FTX+A+++a*b'UNT+3+1'UNZ+1+A'"
    (tx,) = parse_payload(text.encode()).interchanges[0].transactions
    assert tx.segments[1].value(4) == "a*b"
    text4 = text.replace("UNOC:3", "UNOC:4")
    (tx4,) = parse_payload(text4.encode()).interchanges[0].transactions
    assert tx4.segments[1].components(4, 2) == ("b",)


def test_bad_una_is_a_precise_file_issue() -> None:
    payload = parse_payload(b"UNA+++? 'UNB+UNOC:3+S+R+240115:1200+A'UNZ+0+A'")
    assert [i.code for i in payload.issues] == ["20"]


def test_character_sets() -> None:
    def nad(syntax: str, raw: bytes) -> tuple[str, list[str]]:
        data = (
            f"UNB+{syntax}+S+R+240115:1200+A'UNH+1+X:D:96A:UN'NAD+BY+++".encode()
            + raw
            + b"'UNT+3+1'UNZ+1+A'"
        )
        ix = parse_payload(data).interchanges[0]
        return ix.transactions[0].segments[1].value(4), [i.code for i in ix.issues]

    assert nad("UNOC:3", "Müller".encode("latin-1")) == ("Müller", [])
    assert nad("UNOD:3", "Łódź".encode("iso-8859-2")) == ("Łódź", [])
    assert nad("UNOE:3", "Москва".encode("iso-8859-5")) == ("Москва", [])
    assert nad("UNOF:3", "Αθήνα".encode("iso-8859-7")) == ("Αθήνα", [])
    assert nad("UNOY:3", "東京".encode()) == ("東京", [])
    assert nad("UNOW:3", "Zürich".encode()) == ("Zürich", [])
    # UNOA with Latin-1 bytes: accepted leniently, with a warning
    assert nad("UNOA:3", "Müller".encode("latin-1")) == ("Müller", ["21"])
    # UNOY bytes that are not UTF-8: read as Latin-1, with a warning
    assert nad("UNOY:3", b"M\xfcller") == ("Müller", ["21"])


def test_streaming_reader_yields_messages_without_segments() -> None:
    data = interchange(*[message(str(i), *VALID_ORDERS_BODY) for i in range(1, 6)])
    txs = list(iter_transactions(data))
    assert [t.control_number for t in txs] == ["1", "2", "3", "4", "5"]
    assert all(t.segments == () and t.status is TransactionStatus.ACCEPTED for t in txs)
    kinds = [type(item).__name__ for item in read_payload(data)]
    assert kinds == ["EdiTransaction"] * 5 + ["EdiInterchange"]


def test_scanner_handles_chunk_boundaries_and_released_terminators() -> None:
    text = "UNB+UNOC:3+S'FTX+A+++it?'s'\r\nQTY+1:2'"
    data = text.encode()
    for chunk in (1, 2, 3, 5, 64):
        got = [t for _, _, t, _ in scan_segments(data, 0, DEFAULT_CHARS, chunk=chunk)]
        assert got == ["UNB+UNOC:3+S", "FTX+A+++it?'s", "QTY+1:2"], chunk
    assert split_segment("FTX+A+++it?'s", DEFAULT_CHARS) == (
        "FTX",
        ((("A",),), (("",),), (("",),), (("it's",),)),
    )


def test_unob_default_information_separators() -> None:
    # UNOB without UNA: IS4 ends segments, IS3 separates elements, IS1 components
    text = (
        "UNB\x1dUNOB\x1f3\x1dS\x1dR\x1d240115\x1f1200\x1dA\x1c"
        "UNH\x1d1\x1dORDERS\x1fD\x1f96A\x1fUN\x1c"
        "FTX\x1dAAI\x1d\x1d\x1dplain 'text' + more: fine?\x1c"
        "UNT\x1d3\x1d1\x1cUNZ\x1d1\x1dA\x1c"
    )
    ix = parse_payload(text.encode()).interchanges[0]
    assert not ix.issues
    (tx,) = ix.transactions
    assert tx.segments[1].value(4) == "plain 'text' + more: fine?"


def test_release_before_a_line_break_releases_the_next_data_character() -> None:
    # the break is formatting, so '?' + CRLF + "'" is a released apostrophe
    data = b"UNB+UNOC:3+S'FTX+A+++it?\r\n's fine'\r\nQTY+1:2'"
    got = [t for _, _, t, _ in scan_segments(data, 0, DEFAULT_CHARS)]
    assert got == ["UNB+UNOC:3+S", "FTX+A+++it?'s fine", "QTY+1:2"]


def test_newline_terminated_with_crlf_and_blank_lines() -> None:
    text = (
        "UNB+UNOA:3+S+R+240115:1200+A\r\n\r\nUNH+1+ORDERS:D:96A:UN:EAN008\r\n"
        + "\r\n".join(VALID_ORDERS_BODY)
        + f"\r\nUNT+{len(VALID_ORDERS_BODY) + 2}+1\r\nUNZ+1+A\r\n"
    )
    ix = parse_payload(text.encode()).interchanges[0]
    assert not ix.issues
    (tx,) = ix.transactions
    assert tx.status is TransactionStatus.ACCEPTED
    assert tx.segments[1].value(2) == "PO4711"
