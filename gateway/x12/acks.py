"""Write the acknowledgements we send: 997, 999 and TA1.

The writers only read the :class:`gateway.edi.Issue` objects the parser attached
(codes and positions); they never re-inspect the partner's data. The acknowledgement
interchange swaps sender and receiver (our identity comes from the caller), reuses
the received interchange's delimiters and test indicator, and takes its control
numbers from :class:`gateway.edi.AckControlNumbers`.

Statuses: a transaction set with a fatal issue is R, with only warnings E, else A.
A group is R when its envelope is broken or no set was accepted, P when some sets
were, E when any accepted set had warnings, else A.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from gateway.edi.model import (
    AckControlNumbers,
    BuiltAck,
    EdiGroup,
    EdiInterchange,
    EdiTransaction,
    Issue,
    Level,
    OwnIdentity,
    TransactionStatus,
)
from gateway.x12.codes import ak905_codes, code_for_997_element
from gateway.x12.dates import calendar_date, clock_time
from gateway.x12.envelope import envelope_of
from gateway.x12.isa import KNOWN_VERSIONS, Delimiters
from gateway.x12.segment import X12Segment
from gateway.x12.specs.sets import SETS, VERSIONS
from gateway.x12.writer import DocumentBuilder, write_interchange

ACK_997_VERSION = "004010"  # the oldest version we answer in (and the fallback)
ACK_999_VERSION = "005010X231A1"  # the 999 implementation guide (X12 005010X231A1)
MAX_SEGMENT_ERRORS = 99  # per transaction set, to bound the size of what we send

_STATUS_LETTER = {
    TransactionStatus.ACCEPTED: "A",
    TransactionStatus.ACCEPTED_WITH_ERRORS: "E",
    TransactionStatus.REJECTED: "R",
}
_LETTER_WORD = {
    "A": "accepted",
    "E": "accepted_with_errors",
    "R": "rejected",
    "P": "partially_accepted",
}


def ack_version(group_version: str) -> str:
    """The GS08 a 997 answering a group of this GS08 is written in.

    The 997 answers in the version of the group it acknowledges (X12.6: a functional
    acknowledgment uses the version/release of the group it reports on), within the
    versions we have specs for (``gateway.x12.specs.sets.VERSIONS``): an unknown
    version inside our range takes the nearest release below it, one below our oldest
    takes 004010, one above our newest takes the newest.
    """
    base = group_version[:6]
    if not (len(base) == 6 and base.isascii() and base.isdigit()) or base < VERSIONS[0]:
        return ACK_997_VERSION
    return max(v for v in VERSIONS if v <= base)


def ack_kind(wanted: Literal["997", "999"], group_version: str) -> Literal["997", "999"]:
    """997 or 999 for one group: the 999 exists from 005010 on, so a 4010-family group
    is answered by a 997 in its own version even when the profile asks for 999."""
    if wanted == "999" and ack_version(group_version) >= "005010":
        return "999"
    return "997"


def control_version(gs_version: str) -> str:
    """The ISA12 of an acknowledgement interchange carrying a group of this GS08.

    The interchange control structure is 00401 for the 4010 family and 00501 from 005010
    on (later releases kept the 00501 control segments' layout); the content version is
    GS08's. Keeping ISA12 to these two is also what partners' translators and common
    validators (pyx12 ships control maps for exactly these) read without a profile change.
    """
    return "00501" if gs_version[:6] >= "005010" else "00401"


def _usable(ch: str) -> bool:
    return bool(ch) and not ch.isalnum() and ch not in " \t"


def _ack_delimiters(received: Delimiters, version: str) -> Delimiters:
    """The partner's delimiters for the answer, unless they cannot carry one.

    A broken header (an alphanumeric separator, say) is answered with the common
    ``* > ~`` set rather than with delimiters that would corrupt our own values.
    """
    element, segment, suffix = received.element, received.segment, received.suffix
    component = received.component if received.component != received.segment else ">"
    if not (
        _usable(element) and _usable(component) and all(_usable(c) or c in "\r\n" for c in segment)
    ):
        element, component, segment, suffix = "*", ">", "~", "\n"
    repetition = received.repetition if version >= "00402" else None
    if version >= "00402" and not (repetition and _usable(repetition)):
        repetition = next(c for c in "^|!`{}" if c not in (element, component, segment))
    try:
        return Delimiters(
            element=element,
            component=component,
            segment=segment,
            repetition=repetition,
            suffix=suffix,
        )
    except ValueError:
        return Delimiters("*", ">", "~", "^" if version >= "00402" else None, "\n")


def _builder(
    interchange: EdiInterchange,
    ours: OwnIdentity,
    numbers: AckControlNumbers,
    version: str,
    now: datetime | None,
) -> DocumentBuilder:
    env = envelope_of(interchange)
    delimiters = _ack_delimiters(env.delimiters, version)
    # the partner's ids go back into our ISA: keep them to what an ISA field can carry
    qualifier = interchange.sender_qualifier.strip()
    if qualifier not in ISA_QUALIFIERS:
        qualifier = "ZZ"  # unreadable or not a code: "mutually defined" still routes it
    partner = _clean(interchange.sender_id, delimiters, 15) or "UNKNOWN"
    return DocumentBuilder(
        sender=(ours.qualifier, ours.id),
        receiver=(qualifier, partner),
        control_number=numbers.interchange,
        version=version,
        delimiters=delimiters,
        test=interchange.test,
        now=now or datetime.now(UTC),
    )


# The X12 basic and extended character sets (004010): what may travel in an AN value.
_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    "!\"&'()*+,-./:;?= %~@[]_{}\\|<>#$"
)


def _clean(value: str, d: Delimiters, limit: int) -> str:
    """Make a copy of partner data safe to send back inside an acknowledgement.

    Our delimiters and characters outside the X12 character sets become spaces, so the
    AK404/IK404 copy of bad data can never break the acknowledgement's own syntax.
    """
    banned = {d.element, d.segment, d.component, d.repetition or ""}
    cleaned = "".join(c if c in _SAFE and c not in banned else " " for c in value)
    # cut, then strip again: a cut inside a run of blanks would leave trailing spaces
    return cleaned.strip()[:limit].rstrip()


# X12 code list I05 (ISA05/ISA07 interchange id qualifiers)
ISA_QUALIFIERS = frozenset(
    "01 02 03 04 07 08 09 10 11 12 13 14 15 16 17 18 19 20 27 28 29 30 33 ZZ".split()  # noqa: SIM905
)
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _id(value: str, low: int, high: int) -> str | None:
    """``value`` when it is a valid X12 ID element of ``low``-``high`` characters."""
    value = value.strip()
    ok = low <= len(value) <= high and all(c in _ID_CHARS for c in value)
    return value if ok else None


ACKNOWLEDGEMENT_SETS = frozenset({"997", "999"})


def is_acknowledgement_group(group: EdiGroup) -> bool:
    """A group of functional acknowledgements (GS01 FA, or only 997/999 sets in it)."""
    if (group.functional_id or "").strip() == "FA":
        return True
    return bool(group.transactions) and all(
        tx.set_id in ACKNOWLEDGEMENT_SETS for tx in group.transactions
    )


def _functional_id(group: EdiGroup) -> str:
    """AK101: the group's GS01 when it can be a functional id (element 479: every code is
    two letters), else the one of its set ids (a damaged " 12 " is not echoed)."""
    echoed = _id(group.functional_id or "", 2, 2)
    if echoed is not None and echoed.isalpha():
        return echoed
    for tx in group.transactions:
        known = SETS.get(tx.set_id)
        if known is not None:
            return known[1]
    return "PO"


def _set_id(tx: EdiTransaction, functional_id: str) -> str:
    """AK201: ST01 when it can be a set id (element 143: every code is three digits); a
    damaged one ("ISA", "8 0") is replaced by the set id its group's functional id stands
    for (AK5 then says the set id was invalid)."""
    echoed = _id(tx.set_id, 3, 3)
    if echoed is not None and echoed.isdigit():
        return echoed
    for set_id, (_name, fid, _structure) in SETS.items():
        if fid == functional_id:
            return set_id
    return "850"


def _tag(value: str) -> str:
    """AK301/IK301: a segment tag as an ID of 2-3 letters or digits (damage removed)."""
    kept = "".join(c for c in value.upper() if c.isascii() and c.isalnum())[:3]
    return kept.ljust(2, "X")


def _number(value: str) -> str:
    """A control number as the N0 element of AK102 can carry it (digits, at most 9)."""
    digits = "".join(c for c in value if c in "0123456789")
    return str(int(digits[-9:])) if digits else "0"


def _group_letter(group: EdiGroup) -> str:
    if any(i.fatal for i in group.issues):
        return "R"
    letters = [_STATUS_LETTER[t.status] for t in group.transactions]
    accepted = [x for x in letters if x != "R"]
    if letters and not accepted:
        return "R"
    if len(accepted) < len(letters):
        return "P"
    if "E" in letters or group.issues:
        return "E"
    return "A"


def _set_segments(
    tx: EdiTransaction, kind: str, gs08: str, d: Delimiters, functional_id: str
) -> list[list[str]]:
    is999 = kind == "999"
    # element codes 12/13 came with 005010: a 4010-family 997 maps them to 6
    map_element = (lambda c: c) if gs08 >= "005010" else code_for_997_element
    out: list[list[str]] = []
    set_id = _set_id(tx, functional_id)
    control = _clean(tx.control_number, d, 9).replace(" ", "")
    # AK202 is AN 4-9: a short ST02 is padded on the left, so '12' stays 12 ('0012'); on
    # the right it would read '1200', another set's number
    ak2 = ["AK2", set_id, control.rjust(4, "0")]
    if is999 and tx.implementation_reference:
        ak2.append(tx.implementation_reference[:35])
    out.append(ak2)
    by_position: dict[int, list[Issue]] = {}
    for issue in tx.issues:
        if issue.level in (Level.SEGMENT, Level.ELEMENT) and issue.segment_position:
            by_position.setdefault(issue.segment_position, []).append(issue)
    for position in sorted(by_position)[:MAX_SEGMENT_ERRORS]:
        issues = by_position[position]
        seg_issues = [i for i in issues if i.level is Level.SEGMENT]
        el_issues = [i for i in issues if i.level is Level.ELEMENT]
        tag = _tag(issues[0].segment_tag or "")  # AK301 is ID 2-3
        code = seg_issues[0].code if seg_issues else "8"
        out.append([("IK3" if is999 else "AK3"), tag, str(position), "", code])
        if el_issues and code != "8" and not seg_issues[1:]:
            out.append([("IK3" if is999 else "AK3"), tag, str(position), "", "8"])
        if is999:
            # 005010X231A1 IK3 loop CTX (segment context): a syntax-note finding names
            # the element whose presence triggered the rule, CTX01 "SITUATIONAL TRIGGER"
            triggers = sorted({i.trigger_element for i in el_issues if i.trigger_element})
            for trigger in triggers[:9]:
                out.append(["CTX", "SITUATIONAL TRIGGER", tag, str(position), "", str(trigger)])
        for issue in el_issues[:99]:
            where = str(issue.element_position or 1)
            if issue.component_position:
                where += d.component + str(issue.component_position)
            if is999 and issue.repetition_position:
                where += (
                    d.component if issue.component_position else d.component + d.component
                ) + str(issue.repetition_position)
            code4 = issue.code if is999 else map_element(issue.code)
            row = ["IK4" if is999 else "AK4", where, issue.element_reference or "", code4]
            if issue.bad_value:
                bad = _clean(issue.bad_value, d, 99)
                if bad:
                    row.append(bad)
            out.append(row)
    letter = _STATUS_LETTER[tx.status]
    codes = [i.code for i in tx.issues if i.level is Level.TRANSACTION][:5]
    if (
        letter != "A"
        and not codes
        and any(i.level in (Level.SEGMENT, Level.ELEMENT) for i in tx.issues)
    ):
        codes = ["I5" if is999 and not any(i.fatal for i in tx.issues) else "5"]
    out.append(["IK5" if is999 else "AK5", letter, *codes])
    return out


def _strip_trailing(parts: list[str]) -> list[str]:
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


def build_acknowledgement(
    interchange: EdiInterchange,
    *,
    kind: Literal["997", "999"],
    ours: OwnIdentity,
    numbers: AckControlNumbers,
    now: datetime | None = None,
) -> BuiltAck | None:
    """One acknowledgement interchange with one 997/999 per received group.

    Returns None when there is nothing a functional acknowledgement can answer: no
    groups, or an interchange rejected at the envelope (answer it with a TA1).
    """
    if kind not in ("997", "999"):
        raise ValueError(f"kind must be '997' or '999', not {kind!r}")
    if not interchange.groups or interchange.rejected:
        return None
    # Acknowledgements are never acknowledged (X12.6: a 997/999 is not answered by
    # another; answering them would loop with a partner who does the same).
    answered = [
        (index, group)
        for index, group in enumerate(interchange.groups)
        if not is_acknowledgement_group(group)
    ]
    if not answered:
        return None
    received = envelope_of(interchange)
    # Each group is answered in its own version (997) or by a 999 (005010X231A1); the
    # ack interchange's ISA12 is 00501 when any group we answer is 005010 or later.
    plans = []
    for _index, group in answered:
        group_kind = ack_kind(kind, group.version)
        plans.append(
            (group_kind, ACK_999_VERSION if group_kind == "999" else ack_version(group.version))
        )
    version = max(control_version(v) for _k, v in plans)
    builder = _builder(interchange, ours, numbers, version, now)
    d = builder.delimiters
    letters: list[str] = []
    for index, (position, group) in enumerate(answered):
        group_kind, gs08 = plans[index]
        builder.group(
            "FA",
            ours.group_id or ours.id,
            (_clean(group.sender_id or interchange.sender_id, d, 15) or "UNKNOWN").ljust(2),
            numbers.group + index,
            gs08,
        )
        letter = _group_letter(group)
        letters.append(letter)
        functional_id = _functional_id(group)
        ak1 = ["AK1", functional_id, _number(group.control_number)]
        if group_kind == "999":
            ak1.append(group.version[:12] or "000000")
        body: list[list[str]] = [ak1]
        for tx in group.transactions:
            body.extend(_set_segments(tx, group_kind, gs08, d, functional_id))
        ge = received.ge[position] if position < len(received.ge) else None
        declared = str(len(group.transactions))
        if ge and ge[0].strip().isascii() and ge[0].strip().isdigit() and len(ge[0].strip()) < 7:
            declared = ge[0].strip()
        accepted = sum(1 for t in group.transactions if t.status is not TransactionStatus.REJECTED)
        if letter == "R":
            accepted = 0
        group_codes = ak905_codes(
            [i.code for i in group.issues if i.fatal or letter != "A"],
            "005010" if group_kind == "999" else gs08,
        )
        body.append(
            [
                "AK9",
                letter,
                str(int(declared)),
                str(len(group.transactions)),
                str(accepted),
                *group_codes,
            ]
        )
        builder.transaction(
            group_kind,
            f"{numbers.transaction + index:04d}",
            [
                _strip_trailing([_clean(v, d, 99) if n else v for n, v in enumerate(row)])
                for row in body
            ],
            implementation_reference=ACK_999_VERSION if group_kind == "999" else None,
        )
    if all(x == "A" for x in letters):
        status = "accepted"
    elif all(x == "R" for x in letters):
        status = "rejected"
    elif "R" in letters or "P" in letters:
        status = "partially_accepted"
    else:
        status = "accepted_with_errors"
    return BuiltAck(
        kind="999" if any(k == "999" for k, _v in plans) else "997",
        data=builder.to_bytes(),
        control_number=f"{numbers.interchange:09d}",
        acknowledges=interchange.control_number,
        status=status,
    )


def needs_ta1(
    interchange: EdiInterchange, policy: Literal["never", "on_error", "when_requested", "always"]
) -> bool:
    """Whether a TA1 goes back for this interchange under the partner's policy.

    ``on_error``: when the interchange envelope has any finding; ``when_requested``:
    when ISA14 asks for one, and always for a rejected interchange (no 997/999 can
    answer it); ``always``/``never`` as said.
    """
    if policy == "never":
        return False
    if policy == "always":
        return True
    if policy == "on_error":
        return bool(interchange.issues)
    if policy == "when_requested":
        return interchange.ack_requested or interchange.rejected
    raise ValueError(f"unknown TA1 policy {policy!r}")


def _ta1_date(value: str) -> str:
    """TA102: ISA09 when it is a calendar date YYMMDD, else 000101 (an invalid one echoed
    would make the TA1 itself invalid)."""
    return value if calendar_date(value, (6,)) else "000101"


def _ta1_time(value: str) -> str:
    """TA103: ISA10 when it is a time HHMM (00-23, 00-59), else 0000."""
    return value if clock_time(value, (4,)) else "0000"


def build_ta1(
    interchange: EdiInterchange,
    *,
    ours: OwnIdentity,
    numbers: AckControlNumbers,
    now: datetime | None = None,
) -> BuiltAck:
    """A TA1 interchange answering the envelope of ``interchange``.

    TA104 is R when an interchange issue is fatal, E for warnings only, else A; TA105
    is the note code of the first such issue ("000" when none).
    """
    version = (
        "00501"
        if interchange.version in KNOWN_VERSIONS and interchange.version >= "00501"
        else "00401"
    )
    builder = _builder(interchange, ours, numbers, version, now)
    d = builder.delimiters
    fatal = [i for i in interchange.issues if i.fatal]
    chosen = fatal or interchange.issues
    letter = "R" if fatal else "E" if interchange.issues else "A"
    first = chosen[0].code if chosen else "000"
    note = first if len(first) == 3 and first.isascii() and first.isdigit() else "024"
    control = interchange.control_number.strip()
    control = (
        f"{int(control):09d}"
        if (control.isascii() and control.isdigit()) and len(control) <= 9
        else "000000000"
    )
    date = _ta1_date(interchange.date.strip())
    time = _ta1_time(interchange.time.strip())
    built = builder.build()
    env = envelope_of(built)

    env.service.append(
        X12Segment.of(
            ["TA1", control, date, time, letter, note], 0, d.component, d.repetition, d.element
        )
    )
    env.iea = ("0", env.isa[12])

    return BuiltAck(
        kind="TA1",
        data=write_interchange(built),
        control_number=f"{numbers.interchange:09d}",
        acknowledges=interchange.control_number,
        status=_LETTER_WORD[letter],
    )
