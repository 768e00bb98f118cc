"""Writer and builder: layouts, ST/SE counts, and refusing what X12 cannot carry."""

from __future__ import annotations

import pytest

from gateway import x12
from tests.x12.helpers import NOW, build, only_interchange


def test_builder_counts_segments_and_pads_the_isa() -> None:
    data = build()
    isa = data.split(b"~")[0]
    assert len(isa) == 105  # 106 with the terminator
    ix = only_interchange(data)
    assert ix.issues == [] and ix.transactions[0].segments[-1].parts == ["SE", "12", "0001"]


def test_write_reproduces_a_parsed_file_byte_for_byte() -> None:
    data = build(sets=2).replace(b"~\n", b"~\r\n")
    assert x12.write_payload(x12.parse_payload(data)) == data


def test_856_with_hl_hierarchy_is_built_and_valid() -> None:
    builder = x12.DocumentBuilder(
        sender=("ZZ", "DISTRIB"), receiver=("ZZ", "HOSPITAL"), control_number=42, now=NOW
    )
    builder.group("SH", "DISTRIB", "HOSPITAL", 42).transaction(
        "856",
        "0001",
        [
            ["BSN", "00", "SHIP-1", "20240301", "1200"],
            ["HL", "1", "", "S"],
            ["HL", "2", "1", "O"],
            ["PRF", "PO-1001"],
            ["HL", "3", "2", "I"],
            ["LIN", "", "VP", "GLV-100"],
            ["SN1", "", "10", "EA"],
            ["CTT", "3"],
        ],
    )
    ix = only_interchange(builder.to_bytes())
    assert ix.issues == [] and ix.transactions[0].issues == []
    assert ix.transactions[0].segments[3].value(3) == "O"


def test_value_containing_a_delimiter_is_our_error() -> None:
    builder = x12.DocumentBuilder(
        sender=("ZZ", "A"), receiver=("ZZ", "B"), control_number=1, now=NOW
    )
    builder.group("PO", "A", "B", 1)
    with pytest.raises(x12.X12BuildError) as err:
        builder.transaction("850", "0001", [["BEG", "00", "SA", "P*1"]])
    assert err.value.segment == "BEG" and err.value.element == 3


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(sender=("ZZ", "X" * 16), receiver=("ZZ", "B"), control_number=1),
        dict(sender=("ZZ", "A"), receiver=("ZZ", "B"), control_number=10**9),
        dict(
            sender=("ZZ", "A"),
            receiver=("ZZ", "B"),
            control_number=1,
            version="00501",
            delimiters=x12.Delimiters("*", ">", "~", None),
        ),
    ],
)
def test_builder_refuses_bad_envelopes(kwargs: dict) -> None:
    with pytest.raises(x12.X12BuildError):
        x12.DocumentBuilder(now=NOW, **kwargs)


def test_delimiters_must_differ() -> None:
    with pytest.raises(ValueError):
        x12.Delimiters("*", "*", "~")


def test_transaction_before_group_is_refused() -> None:
    builder = x12.DocumentBuilder(sender=("ZZ", "A"), receiver=("ZZ", "B"), control_number=1)
    with pytest.raises(x12.X12BuildError):
        builder.transaction("850", "0001", ["BEG*00"])


@pytest.mark.parametrize("bad", ["\r\n", "\n", "\r", "\t", "\x00", "\x1c", "\x7f"])
def test_value_containing_a_control_character_is_our_error(bad: str) -> None:
    # CR, LF and the other C0 controls and DEL are outside the X12 character sets: a CR LF
    # in a note broke the segment in two for a translator that reads line by line
    builder = x12.DocumentBuilder(
        sender=("ZZ", "A"), receiver=("ZZ", "B"), control_number=1, now=NOW
    )
    builder.group("PO", "A", "B", 1)
    with pytest.raises(x12.X12BuildError, match="control character") as err:
        builder.transaction("850", "0001", [["N1", "BY", f"ACME{bad}HOSPITAL"]])
    assert err.value.segment == "N1" and err.value.element == 2


def test_isa_value_containing_a_control_character_is_our_error() -> None:
    with pytest.raises(x12.X12BuildError) as err:
        x12.DocumentBuilder(sender=("ZZ", "A\nB"), receiver=("ZZ", "B"), control_number=1)
    assert err.value.segment == "ISA" and err.value.element == 6


def test_control_characters_as_separators_are_still_written() -> None:
    # FS / GS / US (0x1C / 0x1D / 0x1F) and a bare line feed are usable delimiters; only
    # the values between them are checked, and the component separator inside a
    # composite is structure
    for delimiters in (
        x12.Delimiters("\x1c", "\x1f", "\x1d", None, ""),
        x12.Delimiters("*", "\x1f", "\n", None, ""),
    ):
        builder = x12.DocumentBuilder(
            sender=("ZZ", "A"),
            receiver=("ZZ", "B"),
            control_number=1,
            delimiters=delimiters,
            now=NOW,
        )
        builder.group("PO", "A", "B", 1).transaction(
            "850",
            "0001",
            [
                ["BEG", "00", "SA", "PO-1", "", "20240301"],
                ["PO1", "1", "1", "EA", "1", "", "VP", "V1"],
                ["PID", "F", "", "", "", "Gloves"],
                ["MEA", "PD", "WT", "10", f"LB{delimiters.component}1"],
                ["CTT", "1"],
            ],
        )
        ix = only_interchange(builder.to_bytes())
        assert ix.issues == [] and ix.envelope is not None
        assert ix.transactions[0].segments[4].parts[4] == f"LB{delimiters.component}1"


def test_a_received_interchange_is_written_back_as_read() -> None:
    # the control-character check is the builder's: write_interchange reproduces what a
    # partner sent, a line break inside a value included (parse(write(x)) == x)
    data = build().replace(b"REF*DP*038", b"REF*DP*0\n38")
    assert x12.write_payload(x12.parse_payload(data)) == data
