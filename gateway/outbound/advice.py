"""Application advice: telling a partner which of its transactions we could not use.

A transaction can pass validation (the 997/999/CONTRL accepts it) and still carry data
that cannot become a document: a line without a quantity, a qualifier the canonical
model refuses. That is the partner's error, so, where the profile asks for it
(``acknowledgements.application_advice``), an X12 824 Application Advice or an EDIFACT
APERAK goes back naming the transaction, the segment and the element.

Pure: the rejected transactions (parsed segments, their group, the
:class:`~gateway.mapping.errors.DocumentError`) in, an :class:`ApplicationAdvice` out.
The outbound maps ``outbound/x12/<release>/824.yaml`` and
``outbound/edifact/<directory>/APERAK.yaml`` render it and
:func:`gateway.outbound.build.write` envelopes and validates it like any document we send.

Everything copied from the partner's data is cut to the element's size and keeps only
letters, digits, spaces and punctuation that is a delimiter in neither syntax, so an
advice can never break its own syntax (the rule the 997/999/CONTRL writers follow).
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from gateway.edi.model import EdiGroup, EdiTransaction
from gateway.mapping.errors import DocumentError, UnsupportedDocument

# Safe in values of both syntaxes: no X12 delimiter (* ~ > ^ and the usual ones) and no
# EDIFACT service character (+ : ' ?).
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !&(),-./;=%#@_[]")
_ID = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
TED02_MAX = 60  # X12 element 3 (free-form message)
NTE02_MAX = 80  # X12 element 352
FTX_PART_MAX = 70  # EDIFACT 4440 in D96A (D01B allows 512; 70 reads in both)
FTX_PARTS = 5  # C108 has five 4440 components

# Where a transaction set carries its own document number, and the X12 128 qualifier
# that names it in OTI02: the order, acknowledgement, ship notice and invoice numbers.
X12_REFERENCES: dict[str, tuple[str, int, str]] = {
    "850": ("BEG", 3, "PO"),
    "855": ("BAK", 3, "PO"),
    "856": ("BSN", 2, "SI"),
    "810": ("BIG", 2, "IV"),
    "860": ("BCH", 3, "PO"),
    "865": ("BCA", 3, "PO"),
}
# EDIFACT: the BGM document number, and the RFF 1153 qualifier it is quoted under.
EDIFACT_REFERENCES: dict[str, str] = {
    "ORDERS": "ON",  # order number
    "ORDRSP": "POR",  # purchase order response number
    "DESADV": "AAK",  # despatch advice number
    "INVOIC": "IV",  # invoice number
}


def clean(value: str, limit: int) -> str:
    """Partner text made safe for either syntax, whitespace collapsed, cut to ``limit``."""
    text = value.replace(": ", " - ")  # readable without the EDIFACT component separator
    text = "".join(c if c in _SAFE else " " for c in text)
    return re.sub(r" {2,}", " ", text).strip()[:limit].strip()


def _id(value: str, low: int, high: int) -> str:
    value = value.strip().upper()
    ok = low <= len(value) <= high and all(c in _ID for c in value)
    return value if ok else ""


def _digits(value: str, low: int, high: int) -> str:
    value = value.strip()
    return value if low <= len(value) <= high and value.isascii() and value.isdigit() else ""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdviceError(_Model):
    """One error in one transaction: a TED loop (X12) or an ERC-FTX group (EDIFACT)."""

    code: str  # X12 647 application error condition (TED01)
    edifact_code: str  # EDIFACT 9321 (ERC): the 0085 syntax code that says it best
    message: str  # TED02: where and what, at most 60 characters
    note: str | None = None  # NTE02: the longer text when TED02 had to cut it
    # FTX+AAO C108: the whole text in up to five 70-character parts
    text_1: str
    text_2: str | None = None
    text_3: str | None = None
    text_4: str | None = None
    text_5: str | None = None
    segment: str | None = None  # TED03: segment tag
    segment_position: int | None = None  # TED04: position in the transaction (ST = 1)
    element: int | None = None  # TED05: element position in the segment


class AdvisedTransaction(_Model):
    """One transaction we could not use: an OTI loop (X12) or one APERAK (EDIFACT)."""

    status: str = "TR"  # OTI01 (110): transaction set reject
    set_id: str  # OTI10 / the message type
    control_number: str  # ST02 (OTI09) / UNH 0062 (RFF+ACW)
    reference_qualifier: str  # OTI02 (128)
    reference: str  # OTI03: the document's own number, else its ST02
    document_qualifier: str | None = None  # EDIFACT RFF 1153 for the document number
    document_number: str | None = None  # the document's own number, when it has one
    group_sender: str | None = None  # OTI04 (GS02)
    group_receiver: str | None = None  # OTI05 (GS03)
    group_date: str | None = None  # OTI06 (GS04)
    group_time: str | None = None  # OTI07 (GS05)
    group_control_number: str | None = None  # OTI08 (GS06)
    transaction_control_number: str | None = None  # OTI09 (ST02; needs OTI08)
    version: str | None = None  # OTI11 (GS08)
    errors: list[AdviceError]


class ApplicationAdvice(_Model):
    """What the 824 / APERAK says: our number, when, and each transaction's errors."""

    number: str  # BGN02 / BGM 1004: our reference for this advice
    date: str  # CCYYMMDD
    time: str  # HHMM
    stamp: str  # CCYYMMDDHHMM (EDIFACT DTM 2379 = 203)
    transactions: list[AdvisedTransaction]


@dataclass(frozen=True)
class Rejection:
    """A transaction that passed validation and failed translation, and why."""

    transaction: EdiTransaction
    group: EdiGroup
    error: DocumentError


def error_codes(error: DocumentError) -> tuple[str, str]:
    """(X12 647, EDIFACT 9321) for a document error.

    647: ``007`` missing data, ``009`` invalid date, ``024`` other (an invalid value, a
    set or version not set up). 9321 reuses the CONTRL codes (0085): ``13`` missing,
    ``12`` invalid value, ``17`` no agreement.
    """
    if isinstance(error, UnsupportedDocument):
        return "024", "17"
    if error.code == "1":
        return "007", "13"
    if error.code in ("8", "9"):
        return "009", "12"
    return "024", "12"


def describe(error: DocumentError) -> tuple[str, str]:
    """(where, what): ``("N104 (segment 3)", "field ...: reason")`` for the texts."""
    tag = error.segment_tag or ""
    where = tag
    if tag and error.element is not None:
        where = f"{tag}{error.element:02d}"
    if where and error.segment_position is not None:
        where += f" (segment {error.segment_position})"
    what = error.reason
    if error.field:
        what = f"field {error.field}: {what}"
    return where, what


def advice_error(error: DocumentError) -> AdviceError:
    """One :class:`AdviceError` from a document error."""
    code, edifact_code = error_codes(error)
    where, what = describe(error)
    full = clean(f"{where}: {what}" if where else what, FTX_PART_MAX * FTX_PARTS)
    message = clean(full, TED02_MAX)
    note = clean(full, NTE02_MAX) if len(full) > len(message) else None
    parts = textwrap.wrap(full, FTX_PART_MAX)[:FTX_PARTS] or ["transaction could not be used"]
    parts += [""] * (FTX_PARTS - len(parts))
    tag = _id(error.segment_tag or "", 2, 3) or None
    position = error.segment_position
    element = error.element
    return AdviceError(
        code=code,
        edifact_code=edifact_code,
        message=message or "transaction could not be used",
        note=note,
        text_1=parts[0],
        text_2=parts[1] or None,
        text_3=parts[2] or None,
        text_4=parts[3] or None,
        text_5=parts[4] or None,
        segment=tag,
        segment_position=position if position is not None and 0 < position < 10**6 else None,
        element=element if element is not None and 0 < element < 100 else None,
    )


def _x12_reference(txn: EdiTransaction) -> tuple[str, str, str | None]:
    """(OTI02, OTI03, document number) for an X12 transaction."""
    where = X12_REFERENCES.get(txn.set_id)
    if where is not None:
        tag, element, qualifier = where
        for segment in txn.segments:
            if segment.tag == tag:
                number = clean(segment.value(element), 30)
                if number:
                    return qualifier, number, number
                break
    # no document number: the transaction's own control number (TN: transaction reference)
    return "TN", clean(txn.control_number, 30) or "0", None


def _edifact_reference(txn: EdiTransaction) -> tuple[str | None, str | None]:
    """(RFF 1153, document number) for an EDIFACT message, from BGM 1004."""
    for segment in txn.segments:
        if segment.tag == "BGM":
            number = clean(segment.value(2, 1), 35)
            if number:
                return EDIFACT_REFERENCES.get(txn.set_id, "ZZZ"), number
            break
    return None, None


def advised_transaction(rejection: Rejection, *, edifact: bool) -> AdvisedTransaction:
    """The OTI loop / APERAK content for one rejected transaction."""
    txn, group = rejection.transaction, rejection.group
    control = clean(txn.control_number, 14)
    errors = [advice_error(rejection.error)]
    if edifact:
        qualifier, number = _edifact_reference(txn)
        return AdvisedTransaction(
            set_id=_id(txn.set_id, 1, 6) or "UNKNOWN",
            control_number=control or "0",
            reference_qualifier="ACW",
            reference=control or "0",
            document_qualifier=qualifier,
            document_number=number,
            errors=errors,
        )
    oti02, oti03, number = _x12_reference(txn)
    group_control = _digits(group.control_number, 1, 9)
    date = _digits(group.date, 8, 8)
    return AdvisedTransaction(
        set_id=_id(txn.set_id, 3, 3) or "850",
        control_number=control or "0",
        reference_qualifier=oti02,
        reference=oti03,
        document_number=number,
        group_sender=clean(group.sender_id, 15) if len(clean(group.sender_id, 15)) >= 2 else None,
        group_receiver=(
            clean(group.receiver_id, 15) if len(clean(group.receiver_id, 15)) >= 2 else None
        ),
        group_date=date or None,
        group_time=(_digits(group.time, 4, 8) or None) if date else None,
        group_control_number=group_control or None,
        transaction_control_number=(
            (_id(txn.control_number, 4, 9) or None) if group_control else None
        ),
        version=clean(group.version, 12) or None,
        errors=errors,
    )


def build_advice(
    rejections: Sequence[Rejection], *, number: str, when: dt.datetime, edifact: bool
) -> ApplicationAdvice:
    """The application advice for these rejected transactions (one 824 carries several,
    one APERAK is written per message)."""
    if not rejections:
        raise ValueError("an application advice needs at least one rejected transaction")
    return ApplicationAdvice(
        number=clean(number, 30) or "1",
        date=when.strftime("%Y%m%d"),
        time=when.strftime("%H%M"),
        stamp=when.strftime("%Y%m%d%H%M"),
        transactions=[advised_transaction(r, edifact=edifact) for r in rejections],
    )
