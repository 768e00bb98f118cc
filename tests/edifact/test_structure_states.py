"""Structure checks through the shared state cache: the same findings however warm."""

from __future__ import annotations

from gateway.edi import EdiTransaction, Issue
from gateway.edifact import read_payload
from gateway.edifact import validate as validate_module
from tests.edifact.helpers import interchange, message

INVOIC = "INVOIC:D:96A:UN:EAN008"
HEAD = (
    "BGM+380+IN1+9",
    "DTM+137:20240115:102",
    "NAD+BY+5412345000013::9",
    "NAD+SU+4012345500004::9",
    "CUX+2:EUR:4",
)
LINE = ("LIN+1++5412345000020:SRV", "QTY+47:2:PCE", "MOA+203:20.00", "PRI+AAA:10.00:CT")
TAIL = ("UNS+S", "MOA+86:20.00")

CLEAN = message("1", *HEAD, *LINE, "TAX+7+VAT+++:::21+S", *TAIL, mtype=INVOIC)


def _broken(ref: str) -> str:
    """No DTM, BGM twice, UNS twice, a line after the summary section, no summary MOA."""
    return message(
        ref,
        "BGM+380+IN2+9",
        "BGM+380+IN2+9",
        "NAD+BY+5412345000013::9",
        *LINE,
        "PRI+AAA:10.00:CT",
        "UNS+S",
        "UNS+S",
        "LIN+2++5412345000020:SRV",
        "CNT+2:1",
        mtype=INVOIC,
    )


def _findings(data: bytes) -> list[list[Issue]]:
    return [
        item.issues
        for item in read_payload(data, keep_segments=False)
        if isinstance(item, EdiTransaction)
    ]


def test_findings_do_not_depend_on_what_was_read_before() -> None:
    # given a broken message read first with an empty cache of structure states
    validate_module._STATES.clear()
    alone = _findings(interchange(_broken("2")))[0]
    assert {i.code for i in alone} >= {"13", "15", "35"}
    # when it is read again, after a clean message and after itself
    after_clean = _findings(interchange(CLEAN, _broken("3")))
    again = _findings(interchange(_broken("2")))[0]
    # then the clean message has no structure finding and the broken one the same ones
    assert not [i for i in after_clean[0] if i.fatal]
    assert again == alone
    assert [(i.code, i.segment_tag, i.segment_position, i.message) for i in after_clean[1]] == [
        (i.code, i.segment_tag, i.segment_position, i.message) for i in alone
    ]
    assert [i.byte_offset for i in after_clean[1]] == [
        i.byte_offset + len(CLEAN) if i.byte_offset is not None else None for i in alone
    ]
