"""Every EDIFACT file of the shared corpus: parsed, or rejected with a precise code.

Expectations are per file (see the corpus PROVENANCE.md for what each file is).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.edi import AckControlNumbers, EdiPayload, Level, OwnIdentity, TransactionStatus
from gateway.edifact import EdifactEnvelope, build_contrl, parse_payload, read_contrl
from gateway.edifact.contrl import rule_violations
from tests.edifact.conftest import codes_of, fatal_codes

OURS = OwnIdentity(qualifier="14", id="5499999999999")
NUMBERS = AckControlNumbers(interchange=900, group=1, transaction=1)


def test_every_corpus_file_parses_without_exception_and_answers_with_contrl(
    edifact_corpus: Path,
) -> None:
    # given every file in the corpus
    files = sorted(edifact_corpus.iterdir())
    assert len(files) >= 30
    for path in files:
        # when it is parsed
        payload = parse_payload(path.read_bytes())
        # then it is either EDI with interchanges, each answerable by a CONTRL that
        # our own parser reads back, or it carries a file-level finding
        assert payload.interchanges or payload.issues, path.name
        for ix in payload.interchanges:
            ack = build_contrl(ix, ours=OURS, numbers=NUMBERS)
            back = parse_payload(ack.data)
            assert back.interchanges[0].transactions[0].set_id == "CONTRL", path.name
            inbound = read_contrl(back.interchanges[0].transactions[0])
            assert inbound is not None
            assert inbound.interchange_control_number == ix.control_number
            # and whose action codes keep the CONTRL combination rules (0083/0096)
            assert rule_violations(back.interchanges[0].transactions[0]) == [], path.name


def _only_tx(payload: EdiPayload):  # type: ignore[no-untyped-def]
    assert len(payload.interchanges) == 1
    (tx,) = payload.interchanges[0].transactions
    return tx


def test_unoe_cyrillic_is_decoded_as_iso_8859_5(parsed: dict[str, EdiPayload]) -> None:
    payload = parsed["INVOIC_D97B_berryworks_UNOE_cyrillic.edi"]
    tx = _only_tx(payload)
    nad = next(s for s in tx.segments if s.tag == "NAD")
    assert nad.value(4, 1) == "Рыба текст"
    assert payload.encoding == "iso-8859-5"
    # the message lacks DTM and the UNS/MOA summary the INVOIC structure requires
    assert {i.segment_tag for i in tx.issues if i.code == "13"} >= {"DTM", "UNS"}


def test_unoe_long_elements_decode_to_cyrillic(parsed: dict[str, EdiPayload]) -> None:
    tx = _only_tx(parsed["ORDERS_D01B_EAN008_berryworks_UNOE_cyrillic_long_elements.edi"])
    bgm = tx.segments[1]
    assert bgm.tag == "BGM"
    assert bgm.value(1, 4) == "Лорем ипсу"
    assert tx.version == "D01B"
    assert tx.association_code == "EAN008"


def test_unoa_with_utf8_bytes_is_read_as_utf8_with_a_warning(
    parsed: dict[str, EdiPayload],
) -> None:
    payload = parsed["INVOIC_D93A_staedi_UNA_comma_decimal_umlaut_in_UNOA.edi"]
    ix = payload.interchanges[0]
    warning = [i for i in ix.issues if i.code == "21"]
    assert warning and not warning[0].fatal
    nad = next(s for s in ix.transactions[0].segments if s.tag == "NAD")
    assert nad.value(6) == "München"
    assert not ix.rejected

    recadv = parsed["RECADV_D01B_EAN007_smooks_batch_expiry.edi"].interchanges[0]
    names = [s.value(4) for s in recadv.transactions[0].segments if s.tag == "NAD"]
    assert "报文测试天津有限公司" in names
    # a released apostrophe inside the name
    assert "CSP test d'This is also a test section" in names
    assert any(s.tag == "DTM" and s.value(1, 1) == "36" for s in recadv.transactions[0].segments)


def test_wrapped_file_reads_exactly_like_the_unwrapped_one(
    parsed: dict[str, EdiPayload],
) -> None:
    # CR/LF are formatting when the terminator is a printable character
    wrapped = _only_tx(parsed["INVOIC_D97B_staedi_UNA_custom_delims_wrapped_16cols.edi"])
    plain = _only_tx(parsed["INVOIC_D97B_staedi_UNA_custom_delims_release_char.edi"])
    assert list(wrapped.segments) == list(plain.segments)
    assert len(wrapped.segments) == 24
    assert wrapped.status is TransactionStatus.ACCEPTED
    ix = parsed["INVOIC_D97B_staedi_UNA_custom_delims_release_char.edi"].interchanges[0]
    assert ix.receiver_id == "006415160"  # '006?415160' with the '4' released
    env = ix.envelope
    assert isinstance(env, EdifactEnvelope)
    assert (env.chars.component, env.chars.element, env.chars.terminator) == ("=", "*", "~")


def test_hard_wrapped_and_mixed_line_endings(parsed: dict[str, EdiPayload]) -> None:
    tx = _only_tx(parsed["ORDERS_D96A_EAN008_bots_hard_wrapped_mid_element.edi"])
    dtm = next(s for s in tx.segments if s.tag == "DTM")
    assert dtm.value(1, 2) == "20050819"  # the line break fell inside this value
    assert tx.status is TransactionStatus.ACCEPTED

    mixed = parsed["ORDERS_D96A_EAN008_bots_mixed_CRLF_LF.edi"]
    assert [ix.control_number for ix in mixed.interchanges] == ["T0000000004-1", "T0000000004-2"]
    assert [t.control_number for ix in mixed.interchanges for t in ix.transactions] == [
        "T0000000004-1",
        "T0000000004-2",
        "T0000000004-3",
    ]
    assert all(not ix.issues for ix in mixed.interchanges)
    assert all(
        t.status is TransactionStatus.ACCEPTED for ix in mixed.interchanges for t in ix.transactions
    )


def test_newline_terminated_file(parsed: dict[str, EdiPayload]) -> None:
    payload = parsed["IFCSUM_D01B_edinet_newline_terminator_no_apostrophe.edi"]
    ix = payload.interchanges[0]
    assert isinstance(ix.envelope, EdifactEnvelope)
    assert ix.envelope.chars.newline_terminated
    tx = _only_tx(payload)
    assert len(tx.segments) == 27
    assert tx.segments[-1].tag == "UNT"
    # the file's UNT claims 787 segments
    assert codes_of(tx) == {"29"}
    assert not ix.issues


def test_line_break_inside_segment_is_formatting(parsed: dict[str, EdiPayload]) -> None:
    tx = _only_tx(parsed["IFTMBC_D00B_phpedifact_line_break_inside_segment.edi"])
    ftx = [s for s in tx.segments if s.tag == "FTX"][-1]
    assert ftx.components(4) == (
        "THE SHIPPER SHALL NOT BE RESPONSIBLE FOR ANY COSTS/DELAYS OCCUR",
        "DUE TO INTERVENTION OF CUSTOMS.",
    )
    assert codes_of(tx) == {"29"}  # UNT says 10, the message has 7
    # its UNB stamp 999818:999 (a placeholder in phpedifact's sample) is no date and no
    # time: warnings, the interchange is still acknowledged
    ix = parsed["IFTMBC_D00B_phpedifact_line_break_inside_segment.edi"].interchanges[0]
    assert [(i.code, i.component_position, i.fatal) for i in ix.issues] == [
        ("12", 1, False),
        ("12", 2, False),
    ]


def test_release_character_rules(parsed: dict[str, EdiPayload]) -> None:
    tx = _only_tx(parsed["PAORES_93_phpedifact_release_char_escaped_question.edi"])
    ift = [s for s in tx.segments if s.tag == "IFT"]
    texts = [s.value(2) for s in ift]
    assert texts[2] == "NO MORE FLIGHTS 2?"  # '??' is a literal '?'
    assert texts[3] == "NO MORE ' FLIGHTS 3"  # released terminator
    assert texts[5] == "NO MORE ?' FLIGHTS 3"  # '??' then a released terminator
    by_text = {s.value(2): s for s in ift}
    assert by_text["FIELD 1?"].value(3) == "FIELD 2"  # '??+' ends the element
    assert by_text["FIELD 1?+FIELD 2"].element_count() == 2  # '???+' releases the '+'
    assert by_text["FIELD 1.1?"].value(2, 2) == "FIELD 1.2"
    assert by_text["FIELD 1.1?:FIELD 1.2"].components(2) == ("FIELD 1.1?:FIELD 1.2",)
    ix = parsed["PAORES_93_phpedifact_release_char_escaped_question.edi"].interchanges[0]
    # IATB is not a UN/ECE character set: warned, read as ISO-8859-1
    assert [(i.code, i.fatal) for i in ix.issues] == [("46", False)]
    assert codes_of(tx) == {"29"}  # the sample's UNT count predates its added IFTs


def test_syntax_4_repetition_separator(parsed: dict[str, EdiPayload]) -> None:
    tx = _only_tx(parsed["INVOIC_D03B_smooks_UNA_syntax4_repetition_sep.edi"])
    cux = next(s for s in tx.segments if s.tag == "CUX")
    assert cux.components(1, 1) == ("3",) and cux.components(1, 2) == ("1",)
    imd = next(s for s in tx.segments if s.tag == "IMD")
    assert imd.value(3, 5) == (
        "Collectors edition of The Hobbit with Tolkien's original colours on sleeve"
    )
    # D03B is validated against D01B: the repeated CUX element is only a warning there
    assert tx.status is TransactionStatus.ACCEPTED_WITH_ERRORS
    assert "35" in codes_of(tx)


def test_deliberate_errors_are_rejected_with_precise_codes(
    parsed: dict[str, EdiPayload],
) -> None:
    tx = _only_tx(parsed["INVOIC_D97B_staedi_ERROR_bad_qualifier_nonnumeric_qty.edi"])
    found = {
        (i.code, i.segment_tag, i.segment_position, i.element_position, i.component_position)
        for i in tx.issues
    }
    assert ("39", "NAD", 5, 1, 1) in found  # 'BYZZ' longer than an..3
    assert ("37", "QTY", 10, 1, 2) in found  # '1020A' not numeric
    assert ("37", "PRI", 13, 1, 2) in found  # '$1.179'
    assert ("35", "UNS", 21, None, None) in found  # UNS twice
    assert tx.status is TransactionStatus.REJECTED

    tx = _only_tx(parsed["ORDERS_D03B_smooks_ERROR_repeated_DTM.edi"])
    rep = [i for i in tx.issues if i.code == "35" and i.segment_tag == "DTM"]
    assert rep and rep[0].fatal and rep[0].segment_position == 38  # the 36th DTM

    payload = parsed["ORDERS_D96A_edifabric_ERROR_duplicate_message_ref.edi"]
    first, second = payload.interchanges[0].transactions
    assert first.status is TransactionStatus.ACCEPTED
    assert codes_of(second) == {"26"} and second.status is TransactionStatus.REJECTED

    corrupt = parsed["ORDERS_D96A_edifabric_ERROR_corrupt_UNB_tag.edi"].interchanges[0]
    assert corrupt.rejected
    assert [(i.code, i.segment_tag) for i in corrupt.issues] == [("13", "UNB")]
    assert corrupt.control_number == "131"


def test_unreleased_colon_is_reported_where_the_released_file_is_clean(
    parsed: dict[str, EdiPayload],
) -> None:
    bad = _only_tx(parsed["ORDERS_D01B_EAN010_phpedifact_ERROR_unreleased_colon.edi"])
    good = _only_tx(parsed["ORDERS_D01B_EAN010_phpedifact_release_chars_mojibake.edi"])
    extra = [i for i in bad.issues if i.code == "16"]
    assert extra and all(i.segment_tag == "IMD" for i in extra)
    assert not [i for i in good.issues if i.code == "16"]
    # both declare the 4-letter unit 'GBND' in QTY 6411 (an..3)
    assert {i.code for i in good.issues if i.fatal} == {"39"}
    nad = next(s for s in good.segments if s.tag == "NAD")
    assert nad.value(4) == "A+A K\xef\xbf\xbdlte GmbH"  # released '+', UTF-8 U+FFFD as sent


def test_envelope_count_and_reference_errors(parsed: dict[str, EdiPayload]) -> None:
    for name in ("DESADV_D96A_EAN007_edifabric_SSCC.edi", "INVOIC_D01B_EAN011_edifabric.edi"):
        ix = parsed[name].interchanges[0]
        assert [(i.code, i.segment_tag) for i in ix.issues] == [("29", "UNZ")], name
        assert ix.rejected
        assert all(t.status is TransactionStatus.ACCEPTED for t in ix.transactions)

    ix = parsed["ORDRSP_D10A_edinet_single_line_no_newlines.edi"].interchanges[0]
    assert ("28", "UNZ") in {(i.code, i.segment_tag) for i in ix.issues}

    ix = parsed["IFTMIN_INVOIC_D96A_edinet_two_message_types_BOM.edi"].interchanges[0]
    assert [t.set_id for t in ix.transactions] == ["IFTMIN", "INVOIC", "IFTMIN", "INVOIC"]
    assert ("29", "UNZ") in {(i.code, i.segment_tag) for i in ix.issues}
    assert "28" in codes_of(ix.transactions[1])  # UNT 43 closes UNH 44
    assert "26" in codes_of(ix.transactions[3])  # UNH 44 again

    for name in (
        "ORDERS_D96A_EAN008_pydifact_UNA_comma_decimal_no_UNZ.edi",
        "ORDERS_D96A_pydifact_no_UNA_no_UNZ.edi",
    ):
        ix = parsed[name].interchanges[0]
        assert [(i.code, i.segment_tag, i.level) for i in ix.issues] == [
            ("13", "UNZ", Level.INTERCHANGE)
        ], name
        assert ix.transactions[0].status is TransactionStatus.ACCEPTED


def test_groups(parsed: dict[str, EdiPayload]) -> None:
    ix = parsed["ORDERS_INVOIC_D96A_edifabric_UNG_groups_mixed.edi"].interchanges[0]
    assert [(g.functional_id, g.control_number) for g in ix.groups] == [
        ("ORDERS", "5"),
        ("INVOIC", "6"),
    ]
    assert all(not g.issues for g in ix.groups)
    assert all(t.status is TransactionStatus.ACCEPTED for t in ix.transactions)

    ix = parsed["ORDERS_D96B_staedi_UNG_group_EAN008.edi"].interchanges[0]
    (group,) = ix.groups
    assert (group.functional_id, group.control_number, group.version) == ("ORDERS", "1", "D96A")
    tx = group.transactions[0]
    assert tx.version == "D96B" and tx.association_code == "EAN008B"
    # 'EAN008B' is longer than 0057 an..6, and UNT says 21 for 18 segments
    assert fatal_codes(tx.issues) == {"39", "29"}
    # and the UNG's own S008 0057 'EAN008A' is too: the group is refused
    assert [(i.code, i.segment_tag, i.element_position, i.component_position) for i in
            group.issues] == [("39", "UNG", 7, 3)]  # fmt: skip


def test_clean_documents_are_accepted(parsed: dict[str, EdiPayload]) -> None:
    for name in (
        "ORDERS_D96A_EAN008_oca_amazon_retail.edi",
        "ORDRSP_D96A_EAN009_edifabric.edi",
        "INVOIC_D96A_EAN008_bots.edi",
        "ORDERS_D96A_EAN008_bots_hard_wrapped_mid_element.edi",
    ):
        payload = parsed[name]
        assert not payload.issues
        for ix in payload.interchanges:
            assert not ix.issues, name
            for tx in ix.transactions:
                assert tx.status is TransactionStatus.ACCEPTED, (name, tx.issues)
    large = parsed["ORDERS_D96A_EAN008_bots_large.edi"]
    assert len(large.interchanges) == 24
    assert all(not ix.rejected for ix in large.interchanges)
    assert all(
        t.status is not TransactionStatus.REJECTED
        for ix in large.interchanges
        for t in ix.transactions
    )


def test_desadv_batch_expiry_and_sscc(parsed: dict[str, EdiPayload]) -> None:
    payload = parsed["DESADV_D96A_EAN005_bots_batch_expiry_SSCC_multi_msg.edi"]
    txs = payload.interchanges[0].transactions
    assert [t.control_number for t in txs] == ["7", "8", "10"]
    assert all(t.status is not TransactionStatus.REJECTED for t in txs)
    segs = [s for t in txs for s in t.segments]
    assert any(s.tag == "GIN" and s.value(1) == "BJ" for s in segs)  # SSCC
    assert any(s.tag == "DTM" and s.value(1, 1) == "36" for s in segs)  # expiry
    assert any(s.tag == "PIA" and s.value(2, 2) == "NB" for s in segs)  # batch number
    # positions are 1-based within the message
    for tx in txs:
        assert tx.segments[0].position == 1 and tx.segments[0].tag == "UNH"
        assert [s.position for s in tx.segments] == list(range(1, len(tx.segments) + 1))


def test_byte_offsets_point_at_the_segments(edifact_corpus: Path) -> None:
    for name in (
        "DESADV_D96A_EAN005_bots_batch_expiry_SSCC_multi_msg.edi",
        "ORDERS_D01B_EAN008_berryworks_UNOE_cyrillic_long_elements.edi",
        "RECADV_D01B_EAN007_smooks_batch_expiry.edi",
        "CONTRL_4_1_edifabric_two_messages_BOM.edi",
    ):
        data = (edifact_corpus / name).read_bytes()
        for ix in parse_payload(data).interchanges:
            for tx in ix.transactions:
                assert data[tx.start : tx.start + 3] == b"UNH", name
                assert data[tx.end - 1 : tx.end] == b"'", name
                assert data[: tx.end].rstrip(b"'").rsplit(b"'", 1)[-1].lstrip().startswith(b"UNT")


def test_inbound_contrl_is_read(parsed: dict[str, EdiPayload]) -> None:
    payload = parsed["CONTRL_4_1_edifabric_two_messages_BOM.edi"]
    ix = payload.interchanges[0]
    # 'UNOB' without a syntax version: a warning, not a rejection
    assert [(i.code, i.fatal) for i in ix.issues] == [("13", False)]
    acks = [read_contrl(t) for t in ix.transactions]
    assert [a.interchange_control_number for a in acks if a] == ["131", "131"]
    assert all(a is not None and a.status == "accepted" for a in acks)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("ORDERS_D96A_EAN008_oca_amazon_retail.edi", "accepted"),
        ("INVOIC_D97B_staedi_ERROR_bad_qualifier_nonnumeric_qty.edi", "rejected"),
        ("ORDERS_D96A_edifabric_ERROR_duplicate_message_ref.edi", "partially_accepted"),
        ("ORDERS_D96A_edifabric_ERROR_corrupt_UNB_tag.edi", "rejected"),
        ("INVOIC_D97A_pydifact_trailing_colon.edi", "accepted_with_errors"),
    ],
)
def test_contrl_status_for_corpus_files(
    parsed: dict[str, EdiPayload], name: str, status: str
) -> None:
    ack = build_contrl(parsed[name].interchanges[0], ours=OURS, numbers=NUMBERS)
    assert ack.status == status
    inbound = read_contrl(parse_payload(ack.data).interchanges[0].transactions[0])
    assert inbound is not None and inbound.status == status
