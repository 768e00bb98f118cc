"""Golden tests: real X12/EDIFACT files through the engines and the shipped maps.

Each case parses a file with :func:`gateway.engines.parse_payload`, translates every
transaction with the shipped maps and compares the canonical documents (JSON) with
``tests/mapping/golden/<case>.json``. Regenerate after an intended change with
``EDIGW_REGEN_GOLDEN=1 .venv/bin/pytest tests/mapping/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from gateway.engines import parse_payload
from gateway.mapping import MapLibrary, translate_payload
from gateway.partners.profile import PartnerProfile
from gateway.partners.registry import PartnerRegistry
from tests.conftest import require_corpus
from tests.mapping.helpers import MAPS, PROFILES, make_profile

GOLDEN = Path(__file__).parent / "golden"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "partners"
REGEN = os.environ.get("EDIGW_REGEN_GOLDEN", "") not in ("", "0")

# corpus file -> (EDIFACT directory of the test profile, translate despite envelope issues)
CORPUS_X12 = [
    "850_4010VICS_nodex12_sample.edi",
    "850_4010VICS_nodex12_two_interchanges.edi",
    "850_4010_bots_LF_only_terminator.edi",
    "850_4010X357_stupidedi_aerospace_segments_on_one_line.edi",
    "855_4010_nodex12_book_ack.edi",
    "855_4010UCS_bots_grocery_ack.edi",
    "855_4010_staedi_two_st_in_group.edi",
    "855_4010X358_stupidedi_aerospace_ack_ship_details.edi",
    "856_4010_bots_retailer_SOPI_crlf.edi",
    "856_4010_bots_retailer_addresses.edi",
    "856_4010_bots_EDIFACT_style_delimiters.edi",
    "810_4010_staedi_simple_invoice.edi",
    "810_4010_bots_retailer_invoice.edi",
    "810_4010_edinet_ariba_unpadded_ISA_indented.edi",
    # 810_4010_stupidedi_pipe_element_sep.edi is rejected since syntax notes are enforced
    # (IT1||4||70: quantity without unit, P020304); tests/x12/test_corpus.py covers it
    "810_4010X348_stupidedi_aerospace_invoice.edi",
]
CORPUS_EDIFACT = {
    "ORDERS_D96A_EAN008_oca_amazon_retail.edi": ("D96A", False),
    "ORDERS_D96A_EAN008_bots_mixed_CRLF_LF.edi": ("D96A", False),
    "ORDRSP_D96A_EAN009_edifabric.edi": ("D96A", False),
    "DESADV_D96A_EAN005_bots_batch_expiry_SSCC_multi_msg.edi": ("D96A", False),
    # UNZ counts two messages and carries one: the envelope is rejected, the message is fine
    "DESADV_D96A_EAN007_edifabric_SSCC.edi": ("D96A", True),
    "INVOIC_D96A_EAN008_bots.edi": ("D96A", False),
    "INVOIC_D01B_EAN011_edifabric.edi": ("D01B", True),
    "ORDERS_INVOIC_D96A_edifabric_UNG_groups_mixed.edi": ("D96A", False),
}
# corpus files with a transaction refused on purpose: the golden file records the refusal
# in the document's place. The ORDERS prices a line per kilogram (PRI C509 6411 KGM) whose
# quantity has no unit (QTY+21:48): no price per unit of the line can be worked out
# (gateway/mapping/prices.py). (The INVOICs, D96A beside it and D01B, read their invoiced
# QTY+47:12.65:KGM, not the QTY+46:5 before it, and translate.)
CORPUS_REFUSALS = {
    "ORDERS_INVOIC_D96A_edifabric_UNG_groups_mixed.edi",
}
PARTNER_FILES = sorted(
    p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*.edi") if "ERROR" not in p.name
)


@pytest.fixture(scope="module")
def library() -> MapLibrary:
    return MapLibrary.load([MAPS])


@pytest.fixture(scope="module")
def registry() -> PartnerRegistry:
    return PartnerRegistry.from_dirs([PROFILES], [MAPS])


def _documents(
    data: bytes,
    library: MapLibrary,
    profile: PartnerProfile,
    include_rejected: bool,
    refusals: bool = False,
) -> list[dict[str, Any]]:
    payload = parse_payload(data)
    assert not payload.issues, [i.describe() for i in payload.issues]
    results = translate_payload(
        payload,
        library=library,
        find_partner=lambda _ic: None,
        partner=profile,
        include_rejected=include_rejected,
    )
    assert results, "no transactions found"
    out = []
    for result in results:
        assert result.skipped is None, result.skipped
        if refusals and result.error is not None:
            out.append({"_refused": f"{result.transaction.set_id}: {result.error}"})
            continue
        assert result.error is None, f"{result.transaction.set_id}: {result.error}"
        assert result.translation is not None
        doc = result.translation.document.model_dump(mode="json", exclude_none=True)
        if result.translation.warnings:
            doc["_warnings"] = result.translation.warnings
        out.append(doc)
    return out


def _check(name: str, documents: list[dict[str, Any]]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(documents, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if REGEN or not path.exists():
        if not REGEN and os.environ.get("CI"):
            pytest.fail(f"golden file {path.name} is missing (run with EDIGW_REGEN_GOLDEN=1)")
        path.write_text(text, encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), (
        f"{name}: canonical output differs from {path} (EDIGW_REGEN_GOLDEN=1 to accept)"
    )


@pytest.mark.parametrize("name", CORPUS_X12)
def test_corpus_x12_matches_golden(name: str, library: MapLibrary) -> None:
    # given a real X12 file from the public corpus and a partner on the default maps
    data = (require_corpus("x12") / name).read_bytes()
    profile = make_profile()
    # when it is parsed and translated
    documents = _documents(data, library, profile, include_rejected=False)
    # then the canonical documents are the reviewed golden ones
    _check("corpus_" + name.removesuffix(".edi"), documents)


@pytest.mark.parametrize("name", sorted(CORPUS_EDIFACT))
def test_corpus_edifact_matches_golden(name: str, library: MapLibrary) -> None:
    directory, include_rejected = CORPUS_EDIFACT[name]
    data = (require_corpus("edifact") / name).read_bytes()
    profile = make_profile(edifact={"unb_id": "ANY", "directory": directory})
    documents = _documents(
        data, library, profile, include_rejected=include_rejected, refusals=name in CORPUS_REFUSALS
    )
    _check("corpus_" + name.removesuffix(".edi"), documents)


@pytest.mark.parametrize("relpath", PARTNER_FILES)
def test_sample_partner_file_matches_golden(
    relpath: str, library: MapLibrary, registry: PartnerRegistry
) -> None:
    # given a sample partner's test file and that partner's shipped profile
    partner_id = relpath.split("/", maxsplit=1)[0]
    profile = registry.get(partner_id)
    assert profile is not None
    data = (FIXTURES / relpath).read_bytes()
    payload = parse_payload(data)
    interchange = payload.interchanges[0]
    # then the envelope names the partner (files we send them are addressed to them)
    found = registry.find_for_interchange(interchange)
    assert found is profile or interchange.receiver_id == _their_id(profile)
    # and every transaction passes validation and translates to the golden documents
    assert all(t.status.value == "accepted" for t in interchange.transactions), [
        i.describe() for t in interchange.transactions for i in t.issues
    ]
    documents = _documents(data, library, profile, include_rejected=False)
    _check(relpath.replace("/", "__").removesuffix(".edi"), documents)


def _their_id(profile: PartnerProfile) -> str:
    if profile.x12 is not None:
        return profile.x12.isa_id
    assert profile.edifact is not None
    return profile.edifact.unb_id
