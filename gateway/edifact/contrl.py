"""CONTRL: write the syntax and service report for an interchange, read a partner's.

:func:`build_contrl` only reads the ``Issue.code``/positions the reader produced; it
never re-validates. Actions (0083), as the CONTRL message and code list define them:

* ``4`` "this level and all lower levels rejected": UCI when the interchange itself is
  refused (nothing below is reported), UCF for a refused group, UCM for a refused
  message; an error code is given at that level or below (UCS/UCD).
* ``7`` "this level acknowledged, next lower level acknowledged if not explicitly
  rejected": every other UCI/UCF/UCM, including an interchange some of whose messages
  are rejected by their own UCM 4.
* ``8`` "interchange received" acknowledges only UNA/UNB/UNZ and promises a later
  CONTRL for the rest; it cannot carry UCF/UCM, so a report with any lower-level detail
  never uses it. We do not send receipt-only reports.

:func:`rule_violations` checks those combinations on any CONTRL (ours in the tests, a
partner's when read). docs/acknowledgements.md lists every code we send and when.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from gateway.edi.model import (
    AckControlNumbers,
    BuiltAck,
    EdiInterchange,
    EdiTransaction,
    InboundAck,
    Issue,
    Level,
    OwnIdentity,
    SegmentLike,
    TransactionStatus,
)
from gateway.edifact import codes
from gateway.edifact.envelope import EdifactEnvelope
from gateway.edifact.errors import EdifactWriteError
from gateway.edifact.segment import EdifactSegment, ElementInput, make_segment
from gateway.edifact.service_chars import CONTROLS, DEFAULT_CHARS, codec_for
from gateway.edifact.writer import write_interchange

_MAX_UCS = 999


def _s011(issue: Issue) -> tuple[str, ...]:
    """S011 for an issue: 0098 and, when known, 0104; empty without an element position.

    ``Issue.element_position`` counts the data elements after the tag from 1 (as
    messages and the console show them); 0098 gives the segment tag position 1, so the
    first data element is 2 (ISO 9735, EANCOM's ``UCD+12+4:4``).
    """
    if issue.element_position is None:
        return ()
    s011: tuple[str, ...] = (str(issue.element_position + 1),)
    if issue.component_position is not None:
        s011 = (*s011, str(issue.component_position))
    return s011


def _error_elements(issue: Issue | None) -> list[ElementInput]:
    """0085, 0013 (segment tag) and S011 (element position) for UCI/UCM."""
    if issue is None:
        return []
    s011 = _s011(issue)
    return [issue.code, _an(issue.segment_tag, 3), *((s011,) if s011 else ())]


def _first_fatal(issues: Sequence[Issue]) -> Issue | None:
    return next((i for i in issues if i.fatal), None) or next(iter(issues), None)


#: S009 component limits: 0065, 0052, 0054, 0051, 0057 (syntax 3; 0051 is an..2), and
#: in syntax 4 0051 an..3 followed by 0110 and 0113.
_S009_LIMITS = (6, 3, 3, 2, 6)
_S009_LIMITS_4 = (6, 3, 3, 3, 6, 6, 6)


def _message_id(tx: EdiTransaction, syntax_version: str) -> tuple[str, ...]:
    """The message's S009 for its UCM, cut to what each component can carry."""
    if tx.segments and tx.segments[0].tag == "UNH":
        ident = tuple(tx.segments[0].components(2))
    else:
        version, release = (tx.version[:1], tx.version[1:]) if tx.version else ("", "")
        ident = (tx.set_id, version, release, "UN")
        ident = (*ident, tx.association_code) if tx.association_code else ident
    limits = _S009_LIMITS_4 if syntax_version >= "4" else _S009_LIMITS
    return tuple(_an(c, n) for c, n in zip(ident, limits, strict=False))


def _ucm(tx: EdiTransaction, syntax_version: str) -> list[EdifactSegment]:
    envelope_issues = [i for i in tx.issues if i.level is Level.TRANSACTION]
    rejected = tx.status is TransactionStatus.REJECTED
    action = codes.ACTION_REJECTED if rejected else codes.ACTION_ACKNOWLEDGED
    head = _first_fatal(envelope_issues)
    detailed = any(i.level in (Level.SEGMENT, Level.ELEMENT) for i in tx.issues)
    if rejected and head is None and not detailed:
        # action 4 needs an error at this level or below: name it as unspecified (18)
        head = Issue(
            level=Level.TRANSACTION,
            code=codes.UNSPECIFIED_ERROR,
            message="message rejected",
            segment_tag="UNH",
        )
    ucm_elements: list[ElementInput] = [
        _an(tx.control_number, 14) or "0",
        _message_id(tx, syntax_version),
        action,
        *_error_elements(head),
    ]
    out = [make_segment("UCM", *ucm_elements)]
    by_segment: dict[int, list[Issue]] = defaultdict(list)
    for issue in tx.issues:
        if issue.level in (Level.SEGMENT, Level.ELEMENT) and issue.segment_position:
            by_segment[issue.segment_position].append(issue)
    for position in sorted(by_segment)[:_MAX_UCS]:
        found = by_segment[position]
        seg_issue = next((i for i in found if i.level is Level.SEGMENT), None)
        ucs: list[ElementInput] = [str(position)]
        if seg_issue is not None:
            ucs.append(seg_issue.code)
        out.append(make_segment("UCS", *ucs))
        for issue in found:
            if issue.level is Level.ELEMENT and issue.element_position is not None:
                out.append(make_segment("UCD", issue.code, _s011(issue)))
    return out


def _an(value: str | None, limit: int) -> str:
    """A value the partner sent, cut to what its CONTRL element can carry; control
    characters (which no character set allows in data) are left out."""
    return CONTROLS.sub("", value or "").strip()[:limit]


def _party(party: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A UNB/UCI party (id, qualifier ...) we can write back: an id is mandatory."""
    values = [_an(v, 35) for v in party]
    ident = values[0] if values else ""
    qualifier = values[1][:4] if len(values) > 1 else ""
    return (ident or "UNKNOWN", qualifier) if qualifier else (ident or "UNKNOWN",)


def build_contrl(
    interchange: EdiInterchange, *, ours: OwnIdentity, numbers: AckControlNumbers
) -> BuiltAck:
    """Write a CONTRL interchange answering ``interchange`` (sender and receiver swapped).

    Uses the partner's service characters and character set when we know them.
    """
    env = interchange.envelope if isinstance(interchange.envelope, EdifactEnvelope) else None
    chars = env.chars if env is not None else DEFAULT_CHARS
    syntax_id = env.syntax_id if env is not None and codec_for(env.syntax_id) else "UNOC"
    version = env.syntax_version if env is not None else "3"
    if version not in ("1", "2", "3", "4"):
        version = "3"
    their_sender = _party(
        env.sender
        if env is not None and env.sender
        else (interchange.sender_id, interchange.sender_qualifier)
    )
    their_recipient = _party(
        env.recipient
        if env is not None and env.recipient
        else (interchange.receiver_id, interchange.receiver_qualifier)
    )

    rejected = interchange.rejected
    # 4 refuses the interchange; otherwise 7, with refused groups/messages named below
    # (8, "received, details later", cannot be combined with UCF/UCM reports)
    action = codes.ACTION_REJECTED if rejected else codes.ACTION_ACKNOWLEDGED
    uci: list[ElementInput] = [
        _an(interchange.control_number, 14) or "0",
        their_sender,
        their_recipient,
        action,
    ]
    uci += _error_elements(_first_fatal(interchange.issues))
    body = [make_segment("UCI", *uci)]
    if not rejected:
        body += _group_reports(interchange, version)

    ref = str(numbers.transaction)
    msg_version = ("4", "1") if version == "4" else ("D", "3")
    unh = make_segment("UNH", ref, ("CONTRL", *msg_version, "UN"))
    unt = make_segment("UNT", str(len(body) + 2), ref)
    data = b""
    # The partner's character set first; what it cannot carry (lower case or a byte
    # outside UNOA that the partner sent and we echo back in UCI) falls back to UNOB
    # (from UNOA), UNOC, then UTF-8.
    fallback = ("UNOB",) if syntax_id == "UNOA" else ()
    for charset in dict.fromkeys((syntax_id, *fallback, "UNOC", "UNOW")):
        try:
            data = write_interchange(
                [[unh, *body, unt]],
                sender=(ours.id, ours.qualifier) if ours.qualifier else ours.id,
                recipient=_party((interchange.sender_id, interchange.sender_qualifier)),
                control_reference=str(numbers.interchange),
                chars=chars,
                syntax_id=charset,
                syntax_version=version,
                una=env.una if env is not None else True,
                test=interchange.test,
            )
            break
        except EdifactWriteError:
            if charset == "UNOW":
                raise
    return BuiltAck(
        kind="CONTRL",
        data=data,
        control_number=str(numbers.interchange),
        acknowledges=interchange.control_number,
        status=_built_status(interchange),
    )


def _group_reports(interchange: EdiInterchange, syntax_version: str) -> list[EdifactSegment]:
    """A UCF per group (when the interchange has groups) and a UCM per message; the
    messages of a refused group are not reported one by one."""
    body: list[EdifactSegment] = []
    for group in interchange.groups:
        if group.functional_id is not None:
            g_rejected = any(i.fatal for i in group.issues)
            ucf: list[ElementInput] = [
                _an(group.control_number, 14) or "0",
                _an(group.sender_id, 35),
                _an(group.receiver_id, 35),
                codes.ACTION_REJECTED if g_rejected else codes.ACTION_ACKNOWLEDGED,
            ]
            # 0085, 0013 and S011 as in UCI: which UNG/UNE element is wrong
            ucf += _error_elements(_first_fatal(group.issues))
            body.append(make_segment("UCF", *ucf))
            if g_rejected:
                continue
        for tx in group.transactions:
            body.extend(_ucm(tx, syntax_version))
    return body


def _built_status(interchange: EdiInterchange) -> str:
    """How the CONTRL we wrote answers: rejected, partially accepted, accepted with
    errors, or accepted."""
    transactions = interchange.transactions
    refused = [t.status is TransactionStatus.REJECTED for t in transactions]
    if interchange.rejected or (transactions and all(refused)):
        return "rejected"
    if any(refused):
        return "partially_accepted"
    group_issues = any(g.issues for g in interchange.groups)
    if interchange.issues or group_issues or any(t.issues for t in transactions):
        return "accepted_with_errors"
    return "accepted"


def rule_violations(transaction: EdiTransaction) -> list[str]:
    """The CONTRL action-code rules a CONTRL message breaks (empty when it keeps them).

    * 0083 is 4, 7 or 8 in UCI, and 4 or 7 in UCF/UCM (8 is interchange receipt only);
    * UCI 8 reports receipt only: no UCF/UCM may follow;
    * UCI 4 refuses everything below: no UCF/UCM 7 may follow;
    * UCF 4 refuses its messages: no UCM follows it in that group;
    * an action 4 carries an error (0085) at its level or a UCS/UCD below it;
    * UCS/UCD follow a UCM; a UCS position (0096) is at least 1 (UNH is 1).
    """
    out: list[str] = []
    segments = list(transaction.segments)
    uci = next((s for s in segments if s.tag == "UCI"), None)
    if uci is None:
        return ["no UCI"]
    out += _uci_violations(uci, [s for s in segments if s.tag in ("UCF", "UCM")])
    group_refused = False
    current: SegmentLike | None = None
    has_detail = False

    def close() -> None:
        if (
            current is not None
            and current.value(3) == "4"
            and not current.value(4)
            and not has_detail
        ):
            out.append(f"UCM {current.value(1)} action 4 without an error at or below it")

    for seg in segments:
        if seg.tag == "UCF":
            close()
            current, has_detail = None, False
            group_refused = seg.value(4) == "4"
            if seg.value(4) not in ("4", "7"):
                out.append(f"UCF action {seg.value(4)!r} is not 4 or 7")
            if seg.value(4) == "4" and not seg.value(5):
                out.append(f"UCF {seg.value(1)} action 4 without an error code")
        elif seg.tag == "UCM":
            close()
            current, has_detail = seg, False
            if group_refused:
                out.append(f"UCM {seg.value(1)} under a refused group")
            if seg.value(3) not in ("4", "7"):
                out.append(f"UCM action {seg.value(3)!r} is not 4 or 7")
        elif seg.tag in ("UCS", "UCD"):
            if current is None:
                out.append(f"{seg.tag} outside a UCM")
            has_detail = True
            if seg.tag == "UCS" and not _is_position(seg.value(1)):
                out.append(f"UCS position {seg.value(1)!r} is not a count from UNH = 1")
    close()
    return out


def _uci_violations(uci: SegmentLike, lower: list[SegmentLike]) -> list[str]:
    """The rules the UCI's action breaks, given the UCF/UCM segments below it."""
    out: list[str] = []
    uci_action = uci.value(4)
    if uci_action not in ("4", "7", "8"):
        out.append(f"UCI action {uci_action!r} is not 4, 7 or 8")
    if uci_action == "8" and lower:
        out.append("UCI action 8 (receipt only) followed by UCF/UCM")
    if uci_action == "4" and any(s.value(4) == "7" for s in lower):
        out.append("UCI action 4 followed by an acknowledged UCF/UCM")
    if uci_action == "4" and not uci.value(5) and not lower:
        out.append("UCI action 4 without an error code")
    return out


def _is_position(text: str) -> bool:
    """A UCS position (0096): a count from UNH = 1."""
    return text.isascii() and text.isdigit() and int(text) >= 1


def _status(action: str, has_errors: bool) -> str:
    if action == codes.ACTION_REJECTED:
        return "rejected"
    if has_errors:
        return "accepted_with_errors"
    return "accepted"


def read_contrl(transaction: EdiTransaction) -> InboundAck | None:
    """Read a partner's CONTRL message: what it acknowledges and how.

    Returns None when the transaction is not a CONTRL or has no UCI.
    """
    if transaction.set_id != "CONTRL":
        return None
    segments: Sequence[SegmentLike] = transaction.segments
    uci = next((s for s in segments if s.tag == "UCI"), None)
    if uci is None:
        return None
    found_codes: list[str] = []
    if uci.value(5):
        found_codes.append(uci.value(5))
    group_number: str | None = None
    messages: dict[str, str] = {}
    statuses: list[str] = []  # in order; refs may repeat (a duplicate is what was rejected)
    current: str | None = None
    current_action = ""
    for seg in segments:
        if seg.tag == "UCF":
            group_number = seg.value(1) or group_number
            if seg.value(5):
                found_codes.append(seg.value(5))
        elif seg.tag == "UCM":
            current = seg.value(1)
            current_action = seg.value(3)
            messages[current] = _status(current_action, bool(seg.value(4)))
            statuses.append(messages[current])
            if seg.value(4):
                found_codes.append(seg.value(4))
        elif seg.tag in ("UCS", "UCD"):
            code = seg.value(2) if seg.tag == "UCS" else seg.value(1)
            if code:
                found_codes.append(code)
            if current is not None and current_action != codes.ACTION_REJECTED and code:
                messages[current] = statuses[-1] = "accepted_with_errors"
    action = uci.value(4)
    seen = set(statuses)
    if action == codes.ACTION_REJECTED:
        status = "rejected"
    elif "rejected" in seen:
        status = "rejected" if seen == {"rejected"} else "partially_accepted"
    elif found_codes or "accepted_with_errors" in seen:
        status = "accepted_with_errors"
    else:
        status = "accepted"
    return InboundAck(
        kind="CONTRL",
        interchange_control_number=uci.value(1) or None,
        group_control_number=group_number,
        status=status,
        transactions=messages,
        codes=tuple(found_codes),
    )
