"""The X12 code values that acknowledgements carry, with their meaning in plain words.

Every :class:`gateway.edi.Issue` the engine produces uses one of these codes, so the
997/999/TA1 writers only copy them. The lists follow the X12 code sources for data
elements I18 (TA1 note code), 716 (AK905 functional group syntax error), 718 (AK502 /
IK502 transaction set syntax error), 720 (AK304 / IK304 segment syntax error) and 723
(AK403 / IK403 element syntax error).
"""

from __future__ import annotations

# TA1 note codes (I18), interchange level.
TA1_NOTES: dict[str, str] = {
    "000": "no error",
    "001": "interchange control number in header and trailer do not match",
    "002": "standard in ISA11 not supported",
    "003": "version of the controls not supported",
    "004": "segment terminator is invalid",
    "005": "invalid interchange ID qualifier for sender",
    "006": "invalid interchange sender ID",
    "007": "invalid interchange ID qualifier for receiver",
    "008": "invalid interchange receiver ID",
    "009": "unknown interchange receiver ID",
    "010": "invalid authorization information qualifier value",
    "011": "invalid authorization information value",
    "012": "invalid security information qualifier value",
    "013": "invalid security information value",
    "014": "invalid interchange date value",
    "015": "invalid interchange time value",
    "016": "invalid interchange standards identifier value",
    "017": "invalid interchange version ID value",
    "018": "invalid interchange control number value",
    "019": "invalid acknowledgment requested value",
    "020": "invalid test indicator value",
    "021": "invalid number of included groups value",
    "022": "invalid control structure",
    "023": "improper (premature) end of file",
    "024": "invalid interchange content",
    "025": "duplicate interchange control number",
    "026": "invalid data element separator",
    "027": "invalid component element separator",
}

# AK905 / AK9 functional group syntax error codes (716).
GROUP_CODES: dict[str, str] = {
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "group control number in GS and GE do not agree",
    "5": "number of included transaction sets does not match actual count",
    "6": "group control number violates syntax",
    "19": "functional group control number not unique within interchange",
    "23": "transaction set control number not unique within the functional group",
    # 30 and 31 came to code list 716 after 005010 (006050 lists them). They name a GS04
    # / GS05 that is no date or time; the 997/999 we write (004010-005010) cannot carry
    # them, so there the group says only E (see ak905_codes).
    "30": "invalid group date",
    "31": "invalid group time",
}
# the codes the 716 list of 005010 does not have
GROUP_CODES_AFTER_5010 = frozenset({"30", "31"})

# AK502 / IK502 transaction set syntax error codes (718).
SET_CODES: dict[str, str] = {
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "transaction set control number in header and trailer do not match",
    "4": "number of included segments does not match actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "23": "transaction set control number not unique within the functional group",
}

# AK304 / IK304 segment syntax error codes (720).
SEGMENT_CODES: dict[str, str] = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "mandatory segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
}

# AK403 / IK403 element syntax error codes (723).
ELEMENT_CODES: dict[str, str] = {
    "1": "mandatory data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
}

# Codes that the 004010 997 cannot carry are mapped to the nearest one it can.
GROUP_CODES_997 = frozenset(
    {
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "10",
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
        "23",
        "24",
        "25",
        "26",
    }
)
ELEMENT_CODES_997 = frozenset({str(n) for n in range(1, 11)})


def code_for_997_group(code: str) -> str:
    """Map a group code to one valid in a 004010 997 (19 did not exist before 005010)."""
    return code if code in GROUP_CODES_997 else "6"


def ak905_codes(codes: list[str], release: str) -> list[str]:
    """AK905-AK909 (IK905-IK909) for group findings, in an acknowledgement of ``release``.

    A code the release's list 716 does not have is left out rather than replaced by
    another one that would tell the partner something false: 30/31 (invalid group date
    or time, after 005010) are dropped, and 19 is 6 before 005010. At most five.
    """
    kept = [c for c in codes if c not in GROUP_CODES_AFTER_5010]
    if release < "005010":
        kept = [code_for_997_group(c) for c in kept]
    return kept[:5]


def code_for_997_element(code: str) -> str:
    """Map an element code to one valid in a 004010 997 (12/13 came with 005010)."""
    return code if code in ELEMENT_CODES_997 else "6"
