"""The partner's functional-acknowledgement codes in words, for exceptions on our orders.

A supplier that rejects our 850 says why in codes: X12 AK5/IK5 transaction codes
(718), AK9 group codes (716), AK3/IK3 segment codes (720), AK4/IK4 element codes (723),
and EDIFACT CONTRL syntax error codes (0085). Procurement staff need the words.
"""

from __future__ import annotations

from gateway.x12.codes import ELEMENT_CODES, GROUP_CODES, SEGMENT_CODES, SET_CODES

# The codes our own acknowledgement builders use, plus the ones a partner's translator
# may send that we never do (security, implementation-guide and 999-only codes).
X12_TRANSACTION = {  # 718 (AK5 / IK5)
    **SET_CODES,
    "8": "authentication key name unknown",
    "9": "encryption key name unknown",
    "10": "requested service not available",
    "11": "unknown security recipient",
    "15": "unknown security originator",
    "16": "syntax error in decrypted text",
    "17": "security not supported",
    "18": "transaction set not in functional group",
    "19": "invalid transaction set implementation convention reference",
    "I5": "implementation one or more segments in error",
    "I6": "implementation convention not supported",
}
X12_GROUP = {  # 716 (AK9)
    **GROUP_CODES,
    "10": "authentication key name unknown",
    "11": "encryption key name unknown",
    "12": "requested service not available",
    "13": "unknown security recipient",
    "14": "unknown security originator",
    "15": "syntax error in decrypted text",
    "16": "security not supported",
}
X12_SEGMENT = {  # 720 (AK3 / IK3)
    **SEGMENT_CODES,
    "I4": "implementation 'not used' segment present",
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": "implementation dependent 'not used' segment present",
}
X12_ELEMENT = {  # 723 (AK4 / IK4)
    **ELEMENT_CODES,
    "I10": "implementation 'not used' data element present",
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": "implementation dependent 'not used' data element present",
    "I6": "code value not used in implementation",
    "I9": "implementation dependent data element missing",
}
EDIFACT_0085 = {  # CONTRL syntax error codes
    "2": "syntax version or level not supported",
    "7": "interchange recipient not actual recipient",
    "12": "invalid value",
    "13": "missing",
    "14": "value not supported in this position",
    "15": "not supported in this position",
    "16": "too many constituents",
    "17": "no agreement",
    "18": "unspecified error",
    "19": "invalid decimal notation",
    "20": "character invalid as service character",
    "21": "invalid character(s)",
    "22": "invalid service character(s)",
    "23": "unknown interchange sender",
    "24": "too old",
    "25": "test indicator not supported",
    "26": "duplicate detected",
    "28": "references do not match",
    "29": "control count does not match number of instances received",
    "30": "functional groups and messages mixed",
    "31": "more than one message type in group",
    "32": "lower level empty",
    "33": "invalid occurrence outside message, package or group",
    "35": "too many repetitions",
    "36": "too many segment group repetitions",
    "37": "invalid type of character(s)",
    "38": "missing digit in front of decimal sign",
    "39": "data element too long",
    "40": "data element too short",
}


def describe(kind: str, code: str) -> str:
    """``"5: one or more segments in error"``; unknown codes are kept as they are."""
    code = code.strip()
    if kind == "CONTRL":
        tables: tuple[dict[str, str], ...] = (EDIFACT_0085,)
    else:
        tables = (X12_TRANSACTION, X12_GROUP, X12_ELEMENT, X12_SEGMENT)
    for table in tables:
        if code in table:
            return f"{code}: {table[code]}"
    return code
