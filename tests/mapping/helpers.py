"""Small builders for mapping tests: transactions from segment text, without an engine.

The unit tests exercise the mapping engine alone, so they build segments with
:func:`gateway.edi.seg` rather than depend on the X12/EDIFACT engines (golden tests
use the engines through :func:`gateway.engines.parse_payload`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gateway.edi import EdiGroup, EdiInterchange, EdiTransaction, Syntax, seg
from gateway.partners.profile import PartnerProfile

REPO = Path(__file__).resolve().parents[2]
MAPS = REPO / "maps"
PROFILES = REPO / "partner_profiles"


def x12_tx(lines: Sequence[str], *, version: str = "004010") -> EdiTransaction:
    """A transaction from X12 segment texts (``*`` elements, ``>`` components), ST..SE."""
    texts = list(lines)
    set_id = texts[0].split("*")[1]
    segments = [seg(text, position=i + 1) for i, text in enumerate(texts)]
    return EdiTransaction(
        set_id=set_id,
        control_number=texts[0].split("*")[2],
        version=version,
        segments=segments,
        start=0,
        end=0,
    )


def edifact_tx(lines: Sequence[str], *, version: str = "D96A") -> EdiTransaction:
    """A transaction from EDIFACT segment texts (``+`` elements, ``:`` components), UNH..UNT."""
    segments = [
        seg(text, element="+", component=":", repetition="*", position=i + 1)
        for i, text in enumerate(lines)
    ]
    head = segments[0]
    return EdiTransaction(
        set_id=head.value(2, 1),
        control_number=head.value(1),
        version=version,
        segments=segments,
        start=0,
        end=0,
    )


def envelope(syntax: Syntax = Syntax.X12) -> tuple[EdiInterchange, EdiGroup]:
    """A plain interchange and group to hang a test transaction on."""
    interchange = EdiInterchange(
        syntax=syntax,
        sender_qualifier="ZZ",
        sender_id="SENDER",
        receiver_qualifier="ZZ",
        receiver_id="MERIDIANHEALTH",
        control_number="000000001",
        version="00401",
        test=False,
        start=0,
        end=0,
    )
    group = EdiGroup(
        functional_id="PO",
        sender_id="SENDER",
        receiver_id="MERIDIANHEALTH",
        control_number="1",
        version="004010",
    )
    return interchange, group


def make_profile(**overrides: object) -> PartnerProfile:
    """A partner profile that takes X12 004010 and EDIFACT D96A with the default maps."""
    data: dict[str, object] = {
        "id": "test-partner",
        "name": "Test Partner",
        "x12": {"isa_qualifier": "ZZ", "isa_id": "SENDER"},
        "edifact": {"unb_id": "5400000000001", "unb_qualifier": "14"},
    }
    data.update(overrides)
    return PartnerProfile.model_validate(data)
