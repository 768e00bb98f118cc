"""The faster resolver gives what the engine gave before it (issue 21, translate cost).

Two checks:

* every translation of varied generated files (``bench/x12_generate.py``,
  ``bench/edifact_generate.py``: X12 850/856/810, EDIFACT ORDERS/DESADV/INVOIC) -
  documents, ``--explain`` traces, warnings and refusals - hashes to the digest the
  engine produced before segments were split once per translation, tags indexed per
  scope and absent fields skipped (recorded with the engine at da8b75a; the golden
  tests cover the corpus and the partner fixtures);
* the split-once views (:mod:`gateway.mapping.view`) answer ``value``, ``components``
  and ``element_count`` exactly as the segments they wrap, over every segment of the
  partner fixtures and the generated files, for every position in and around them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from collections.abc import Iterator

import pytest

from gateway.edi.model import SegmentLike
from gateway.engines import parse_payload
from gateway.mapping import DocumentError, MapLibrary, translate
from gateway.mapping.view import X12View, view_of
from gateway.partners.profile import PartnerProfile
from gateway.x12.segment import X12Segment
from tests.mapping.helpers import MAPS, REPO

sys.path.insert(0, str(REPO / "bench"))
import edifact_generate
import x12_generate

SIZE = 40_000

# sha256 of translate_digest_text(kind) with the engine before this change (da8b75a)
DIGESTS = {
    "850": "b062affbde37abcae8471c9bade8373101c9702966cf4bdc9f5c9a1cc8d1327c",
    "856": "e0d26101e91735c45bbde8c7cd1e2a973fb20cb635c753c16b08e06f6b0ec43a",
    "810": "6e159a1c08753ed1cbbd43006f07f8d2e0b31368164320a100f0dceeb02953ae",
    "ORDERS": "7c89c086973a01ec8d4a38884c6d1527e97c5ff3b4e84bf674c89075f4381326",
    "DESADV": "e41e15e177fb4adea2129eea5306e5688e151e6588fafb5960b6b672163f22b2",
    "INVOIC": "382e2039c1923c2765325712d91ec41beeb75a80af1461a50d9ac32f76f82c78",
}
PROFILE = PartnerProfile.model_validate(
    {
        "id": "bench",
        "name": "Bench",
        "x12": {"isa_qualifier": "ZZ", "isa_id": "HOSPITALGROUP"},
        "edifact": {"unb_id": "5412345000013", "unb_qualifier": "14"},
    }
)


def generated(kind: str) -> bytes:
    """A small varied file of one kind (seeded: the same bytes every run)."""
    if kind in x12_generate.KINDS:
        return b"".join(x12_generate.generate(kind, SIZE, seed=5))
    return edifact_generate.generate(kind, SIZE, seed=5)


def translate_digest_text(kind: str) -> str:
    """Every transaction's document, trace and warnings (or refusal) as JSON lines."""
    library = MapLibrary.load([MAPS])
    out: list[str] = []
    for interchange in parse_payload(generated(kind)).interchanges:
        for group in interchange.groups:
            for tx in group.transactions:
                map_ = library.map_for(PROFILE, interchange.syntax.value, tx.version, tx.set_id)
                try:
                    result = translate(
                        tx,
                        interchange=interchange,
                        group=group,
                        map=map_,
                        profile=PROFILE,
                        explain=True,
                    )
                except DocumentError as exc:
                    out.append(json.dumps({"refused": str(exc)}))
                    continue
                out.append(
                    json.dumps(
                        {
                            "document": result.document.model_dump(mode="json"),
                            "explain": [dataclasses.asdict(t) for t in result.explain],
                            "warnings": result.warnings,
                        },
                        sort_keys=True,
                    )
                )
    return "\n".join(out)


@pytest.mark.parametrize("kind", sorted(DIGESTS))
def test_generated_translations_unchanged(kind: str) -> None:
    text = translate_digest_text(kind)
    assert text.count("\n") >= 3, "too few transactions to compare"
    assert hashlib.sha256(text.encode()).hexdigest() == DIGESTS[kind]


def _segments() -> Iterator[SegmentLike]:
    fixtures = sorted((REPO / "tests" / "fixtures" / "partners").rglob("*.edi"))
    payloads = [path.read_bytes() for path in fixtures]
    payloads += [generated(kind) for kind in DIGESTS]
    for data in payloads:
        for interchange in parse_payload(data).interchanges:
            for tx in interchange.transactions:
                yield from tx.segments


def _same_answers(original: SegmentLike, view: SegmentLike) -> None:
    assert view.tag == original.tag
    assert view.position == original.position
    count = original.element_count()
    assert view.element_count() == count
    for element in range(-1, count + 3):
        for repetition in range(0, 4):
            comps = original.components(element, repetition)
            assert view.components(element, repetition) == comps, (original, element)
            for component in range(-1, len(comps) + 3):
                assert view.value(element, component, repetition) == original.value(
                    element, component, repetition
                ), (original, element, component, repetition)


def test_views_answer_as_the_segments_they_wrap() -> None:
    kinds: set[type] = set()
    count = 0
    for segment in _segments():
        view = view_of(segment)
        kinds.add(type(view))
        _same_answers(segment, view)
        count += 1
    assert X12View in kinds
    assert count > 1_000


@pytest.mark.parametrize(
    "text",
    [
        "REF*ZZ*A^B>C^D>E>F",
        "N1*ST**92*",
        "PID*F****A>B^^C",
        "SLN*1**O*5*EA***^",
        "BEG",
        "DTM*002*20240301***>",
    ],
)
def test_x12_view_with_repetition_and_component_separators(text: str) -> None:
    for repetition in (None, "^"):
        for component in (None, ">"):
            segment = X12Segment(text, 3, component, repetition)
            _same_answers(segment, view_of(segment))
