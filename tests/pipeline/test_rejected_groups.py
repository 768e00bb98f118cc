"""A functional group the acknowledgement rejects is not processed either.

A 997/999 AK9 ``R`` or a CONTRL UCF that refuses a group tells the partner that nothing
in it was taken: the partner sends it again. Translating and delivering its sets anyway
would give Odoo the order twice. Each set of such a group is rejected at validation,
naming the group's fault, and never reaches translation.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from gateway import edifact, x12
from gateway.pipeline.runtime import Runtime
from gateway.store.models import Document
from tests.pipeline.conftest import acks_sent, fixture_bytes, ingest


def _only_ack(runtime: Runtime) -> bytes:
    (ack,) = acks_sent(runtime)
    return ack


def _documents(runtime: Runtime) -> list[Document]:
    with runtime.sessions() as s:
        return list(s.scalars(select(Document)))


def test_an_x12_group_with_a_wrong_set_count_is_rejected_whole(
    make_runtime: Callable[..., Runtime],
) -> None:
    # given summit's valid 855 in a group whose GE01 counts two sets
    runtime = make_runtime()
    good = fixture_bytes("summit-medical", "855_po_ack.edi")
    assert b"GE*1*5101~" in good
    # when it arrives with that count, and as sent
    (txn,) = ingest(runtime, good.replace(b"GE*1*5101~", b"GE*2*5101~"))
    # then the set is rejected for its group's fault and nothing is translated
    assert txn.state == "rejected", (txn.state, txn.error)
    assert "group rejected" in (txn.error or "") and "GE" in (txn.error or "")
    assert _documents(runtime) == []
    # and the 997 rejects the group (AK9 R with AK905 5: the set count does not match)
    segments = [
        list(seg.parts)
        for t in x12.parse_payload(_only_ack(runtime)).interchanges[0].transactions
        for seg in t.segments
    ]
    (ak9,) = [s for s in segments if s[0] == "AK9"]
    assert ak9[1] == "R" and "5" in ak9[5:], ak9


def test_the_same_set_in_a_sound_group_is_translated(
    make_runtime: Callable[..., Runtime],
) -> None:
    # the control for the test above: the set itself is fine
    runtime = make_runtime()
    (txn,) = ingest(runtime, fixture_bytes("summit-medical", "855_po_ack.edi"))
    assert txn.state != "rejected", txn.error
    assert len(_documents(runtime)) == 1


def _ordrsp_in_group(une_count: str) -> bytes:
    """Nordlicht's ORDRSP inside a UNG/UNE group whose UNE names ``une_count`` messages."""
    data = fixture_bytes("nordlicht-medtech", "ORDRSP_order_response.edi")
    head, _, rest = data.partition(b"UNH+")
    body, _, tail = rest.partition(b"UNZ+")
    group = (
        b"UNG+ORDRSP+4045678000002:14+5412345000006:14+261116:0930+77+UN+D:96A'\n"
        + b"UNH+"
        + body
        + b"UNE+"
        + une_count.encode()
        + b"+77'\n"
    )
    return head + group + b"UNZ+" + tail


def test_an_edifact_group_with_a_wrong_message_count_is_rejected_whole(
    make_runtime: Callable[..., Runtime],
) -> None:
    # given nordlicht's valid ORDRSP in a group whose UNE counts two messages
    runtime = make_runtime()
    # when it arrives
    (txn,) = ingest(runtime, _ordrsp_in_group("2"))
    # then the message is rejected for its group's fault and nothing is translated
    assert txn.state == "rejected", (txn.state, txn.error)
    assert "group rejected" in (txn.error or "")
    assert _documents(runtime) == []
    # and the CONTRL refuses the group (UCF ... 4)
    ack = _only_ack(runtime)
    (contrl,) = edifact.parse_payload(ack).interchanges[0].transactions
    (ucf,) = [seg for seg in contrl.segments if seg.tag == "UCF"]
    assert (ucf.value(1), ucf.value(4)) == ("77", "4"), ack


def test_the_same_message_in_a_sound_group_is_translated(
    make_runtime: Callable[..., Runtime],
) -> None:
    # the control for the test above: the message and its group are fine
    runtime = make_runtime()
    (txn,) = ingest(runtime, _ordrsp_in_group("1"))
    assert txn.state != "rejected", txn.error
    assert len(_documents(runtime)) == 1


def test_a_corrected_resend_under_the_same_number_is_taken(
    make_runtime: Callable[..., Runtime],
) -> None:
    # given summit's 855 rejected for its group's count: nothing of it was taken
    runtime = make_runtime()
    good = fixture_bytes("summit-medical", "855_po_ack.edi")
    (first,) = ingest(runtime, good.replace(b"GE*1*5101~", b"GE*2*5101~"))
    assert first.state == "rejected"
    # when the partner sends the corrected interchange again under the same ISA13
    (again,) = ingest(runtime, good)
    # then it is read as new, not dropped as a duplicate, and translated
    assert again.state != "rejected", again.error
    assert len(_documents(runtime)) == 1
    # while the same interchange sent a third time, now that it was taken, is a duplicate
    assert ingest(runtime, good) == []
