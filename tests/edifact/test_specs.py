"""Message specs: directory choice, structure checks and element formats."""

from __future__ import annotations

import pytest

from gateway.edi import TransactionStatus
from gateway.edifact import parse_payload
from gateway.edifact.specs import find_message_spec, nearest_directory
from gateway.edifact.specs.messages import STRUCTURES
from tests.edifact.helpers import VALID_ORDERS_BODY, interchange, message


@pytest.mark.parametrize(
    ("release", "directory"),
    [
        ("96A", "D96A"),
        ("93A", "D96A"),
        ("97B", "D96A"),
        ("98B", "D96A"),
        ("99A", "D01B"),
        ("01B", "D01B"),
        ("03B", "D01B"),
        ("10A", "D01B"),
        ("1", None),
        ("XYZ", None),
    ],
)
def test_nearest_directory(release: str, directory: str | None) -> None:
    assert nearest_directory(release) == directory


def _tags(node: object) -> set[str]:
    children = getattr(node, "children", None)
    if children is None:
        return {node.tag}  # type: ignore[attr-defined]
    return set().union(*(_tags(c) for c in children))


def test_every_structure_compiles_for_both_directories() -> None:
    for mtype, directory in STRUCTURES:
        spec, exact = find_message_spec(mtype, directory[1:])
        assert spec is not None and exact, (mtype, directory)
        assert spec.root.children[0].trigger == "UNH"
        assert spec.root.children[-1].trigger == "UNT"
        # every segment the structure names has a layout in the directory
        tags = _tags(spec.root)
        missing = tags - set(spec.segments) - {"EQA", "CAV", "AJT", "SGP"}
        assert not missing, (mtype, directory, missing)


def _tx(*body: str, mtype: str = "ORDERS:D:96A:UN:EAN008"):  # type: ignore[no-untyped-def]
    return (
        parse_payload(interchange(message("1", *body, mtype=mtype))).interchanges[0].transactions[0]
    )


def test_missing_mandatory_segment() -> None:
    tx = _tx(*[s for s in VALID_ORDERS_BODY if not s.startswith("DTM")])
    assert {(i.code, i.segment_tag) for i in tx.issues} == {("13", "DTM")}


def test_segment_out_of_position() -> None:
    body = list(VALID_ORDERS_BODY)
    body.insert(7, "BGM+220+X+9")  # a second BGM inside the line group
    tx = _tx(*body)
    assert ("15", "BGM", 9) in {(i.code, i.segment_tag, i.segment_position) for i in tx.issues}
    assert tx.status is TransactionStatus.REJECTED


def test_group_repeats_and_nesting_are_followed() -> None:
    lines = []
    for n in range(1, 4):
        lines += [
            f"LIN+{n}++4000862141404:SRV",
            "PIA+1+ABC:SA",
            "QTY+21:1",
            "PRI+AAA:1.5",
            "RFF+LI:1",
            "DTM+171:20240101:102",
            "NAD+DP+5412345000013::9",
            "RFF+VA:1",
            "CTA+IC",
            "COM+123:TE",
        ]
    tx = _tx(
        "BGM+220+X+9",
        "DTM+137:20240115:102",
        "RFF+CT:1",
        "DTM+171:20240101:102",
        "NAD+BY+1::9",
        "RFF+VA:1",
        "CTA+PD",
        "COM+1:TE",
        "CUX+2:EUR:9",
        *lines,
        "UNS+S",
        "CNT+2:3",
    )
    assert tx.issues == []


def test_element_format_checks() -> None:
    tx = _tx(
        "BGM+220+X+9",
        "DTM+137:20240115:102",
        "LIN+1++4000862141404:SRV",
        "QTY+21:1234567890123456",
        "QTY+1.2.3:1",
        "QTY+21",
        "MOA+203:-12.50",
        "PRI+AAA:1,5",
        "UNS+S+EXTRA",
        "CNT+2:1:X:Y",
    )
    found = {
        (i.code, i.segment_position, i.element_position, i.component_position) for i in tx.issues
    }
    assert found == {
        ("39", 5, 1, 2),  # 16 digits in n..15
        ("39", 6, 1, 1),  # qualifier longer than an..3
        ("12", 6, 1, 1),  # ... and not a code the gateway knows (a warning)
        ("13", 7, 1, 2),  # QTY 6060 is mandatory
        ("16", 10, 2, None),  # UNS has one element
        ("16", 11, 1, 4),  # CNT C270 has three components
    }  # '-12.50' and '1,5' are valid numbers


def test_code_list_miss_is_a_warning() -> None:
    tx = _tx("BGM+999+X+9", *VALID_ORDERS_BODY[1:])
    assert [(i.code, i.fatal, i.bad_value) for i in tx.issues] == [("12", False, "999")]
    assert tx.status is TransactionStatus.ACCEPTED_WITH_ERRORS


def test_unknown_message_type_gets_envelope_checks_only() -> None:
    tx = _tx("ANY+THING:AT:ALL", "XYZ+1", mtype="IFTMIN:D:96A:UN")
    assert tx.issues == [] and tx.set_id == "IFTMIN"


def test_nearest_directory_downgrades_directory_dependent_findings() -> None:
    body = list(VALID_ORDERS_BODY)
    body.insert(3, "ZZZ+1")
    exact = _tx(*body)
    near = _tx(*body, mtype="ORDERS:D:97A:UN")
    assert [(i.code, i.fatal) for i in exact.issues] == [("15", True)]
    assert [(i.code, i.fatal) for i in near.issues] == [("15", False)]
