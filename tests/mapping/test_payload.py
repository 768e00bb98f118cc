"""Translating whole payloads: partner lookup, version checks, rejected transactions."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, UnsupportedDocument, translate_payload
from gateway.partners.registry import PartnerRegistry
from tests.mapping.helpers import MAPS, PROFILES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "partners"


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


@pytest.fixture(scope="module")
def registry() -> PartnerRegistry:
    return PartnerRegistry.from_dirs([PROFILES], [MAPS])


def test_partner_is_found_from_the_envelope(library: MapLibrary, registry: PartnerRegistry) -> None:
    payload = parse_payload((FIXTURES / "keystone-pharma" / "810_invoice.edi").read_bytes())
    [result] = translate_payload(
        payload, library=library, find_partner=registry.find_for_interchange
    )
    assert result.ok and result.profile is registry.get("keystone-pharma")
    assert result.translation is not None
    assert result.translation.document.source is not None
    assert result.translation.document.source.partner_id == "keystone-pharma"


def test_unknown_partner_is_a_clear_error(library: MapLibrary) -> None:
    payload = parse_payload((FIXTURES / "summit-medical" / "810_invoice.edi").read_bytes())
    [result] = translate_payload(payload, library=library, find_partner=lambda _ic: None)
    assert isinstance(result.error, UnsupportedDocument)
    assert str(result.error) == "unknown partner: no profile for X12 sender ZZ/SUMMITMED"


def test_file_in_a_version_the_profile_does_not_name(
    library: MapLibrary, registry: PartnerRegistry
) -> None:
    # a 5010 ship notice translated as Summit (a 4010 partner)
    payload = parse_payload((FIXTURES / "keystone-pharma" / "856_ship_notice.edi").read_bytes())
    [result] = translate_payload(
        payload,
        library=library,
        find_partner=lambda _ic: None,
        partner=registry.get("summit-medical"),
    )
    assert isinstance(result.error, UnsupportedDocument)
    assert "set up for X12 004010" in str(result.error) and "005010" in str(result.error)


def test_rejected_transactions_are_skipped_unless_asked(
    library: MapLibrary, registry: PartnerRegistry
) -> None:
    data = (FIXTURES / "summit-medical" / "856_ERROR_segment_count.edi").read_bytes()
    [skipped] = translate_payload(
        parse_payload(data), library=library, find_partner=registry.find_for_interchange
    )
    assert skipped.translation is None and skipped.skipped is not None
    assert "SE01" in skipped.skipped
    [tried] = translate_payload(
        parse_payload(data),
        library=library,
        find_partner=registry.find_for_interchange,
        include_rejected=True,
    )
    assert tried.ok


@pytest.mark.parametrize(
    "name",
    [
        "summit-medical/856_ship_notice.edi",
        "keystone-pharma/856_ship_notice.edi",
        "keystone-pharma/850_purchase_order.edi",
        "summit-medical/810_invoice.edi",
        "nordlicht-medtech/DESADV_despatch_advice.edi",
        "nordlicht-medtech/INVOIC_invoice.edi",
    ],
)
def test_a_translation_leaves_nothing_to_the_garbage_collector(
    library: MapLibrary, registry: PartnerRegistry, name: str
) -> None:
    # given a payload translated once (what is compiled and cached on first use is made)
    payload = parse_payload((FIXTURES / name).read_bytes())

    def translated() -> int:
        results = translate_payload(
            payload, library=library, find_partner=registry.find_for_interchange
        )
        return sum(r.translation is not None for r in results)

    assert translated() >= 1
    gc.collect()
    flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        # when it is translated again and its documents dropped
        assert translated() >= 1
        gc.collect()
        left = list(gc.garbage)
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()
    # then reference counting freed all of it: no reference cycle (a ship notice's HL
    # tree with child lists left some 3,000 segment views to the collector)
    assert left == []
