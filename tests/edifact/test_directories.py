"""EDIFACT directories a partner sends, like X12 releases: D93A is validated against the
nearest directory we have specs for (D96A; differences are warnings, never rejections),
mapped by the D93A maps (which extend D96A), and a message in a directory the profile
does not list is rejected with CONTRL 17 (no agreement) instead of dropped later."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.canonical import Invoice
from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, UnsupportedDocument, translate
from gateway.pipeline.envelope_rules import transaction_rules
from gateway.store.models import Transaction
from tests.conftest import require_corpus
from tests.mapping.helpers import MAPS, make_profile

D93A_FILE = "INVOIC_D93A_staedi_UNA_comma_decimal_umlaut_in_UNOA.edi"


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


def _d93a() -> bytes:
    return (require_corpus("edifact") / D93A_FILE).read_bytes()


def test_d93a_invoice_translates_for_a_partner_listing_d93a(library: MapLibrary) -> None:
    ix = parse_payload(_d93a()).interchanges[0]
    group = ix.groups[0]
    (tx,) = group.transactions
    # validated against the nearest directory: nothing fatal
    assert tx.version == "D93A" and not any(i.fatal for i in tx.issues)
    profile = make_profile(edifact={"unb_id": "FHPEDAL", "directories": ["D93A", "D96A"]})
    map_ = library.map_for(profile, "edifact", tx.version, tx.set_id)
    assert map_.name == "edifact/D93A/INVOIC"
    doc = translate(tx, interchange=ix, group=group, map=map_, profile=profile).document
    assert isinstance(doc, Invoice)
    # UNA declares "," as the decimal mark: MOA/PRI 19,9 -> 19.9
    assert [(line.quantity, line.unit_price) for line in doc.lines] == [
        (Decimal("1"), Decimal("750")),
        (Decimal("1"), Decimal("19.9")),
        (Decimal("3"), Decimal("2.5")),
    ]
    assert doc.seller is not None and doc.seller.name == "Fahrradhandel Pedal"


def test_d93a_from_a_d96a_only_partner_is_rejected_with_contrl_17(library: MapLibrary) -> None:
    profile = make_profile(edifact={"unb_id": "FHPEDAL", "directory": "D96A"})
    with pytest.raises(UnsupportedDocument, match="set up for EDIFACT D96A"):
        library.map_for(profile, "edifact", "D93A", "INVOIC")

    class _Runtime:
        maps = library

    row = Transaction(set_id="INVOIC", version="D93A", control_number="1")
    (issue,) = transaction_rules(row, "edifact", _Runtime(), profile)  # type: ignore[arg-type]
    assert (issue.code, issue.segment_tag, issue.fatal) == ("17", "UNH", True)


def test_directories_default_to_the_single_directory() -> None:
    profile = make_profile(edifact={"unb_id": "X", "directory": "D01B"})
    assert profile.edifact is not None
    assert profile.edifact.accepts("D:01B") and not profile.edifact.accepts("D96A")
