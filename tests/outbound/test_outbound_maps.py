"""Outbound maps load, layer with ``extends:``, and refuse mistakes with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.mapping import MapLibrary
from gateway.outbound import OutboundLibrary, OutboundMapError

REPO = Path(__file__).resolve().parents[2]


def test_every_shipped_outbound_map_loads() -> None:
    library = OutboundLibrary.load([REPO / "maps"])
    assert {
        "x12/004010/850",
        "x12/005010/850",
        "edifact/D96A/ORDERS",
        "edifact/D01B/ORDERS",
    } <= set(library.maps)
    assert library.get("x12/005010/850").version == "005010"
    assert (
        library.get("edifact/D01B/ORDERS").segments == library.get("edifact/D96A/ORDERS").segments
    )


def test_inbound_library_ignores_outbound_maps() -> None:
    assert not [
        name for name in MapLibrary.load([REPO / "maps"]).maps if name.startswith("outbound")
    ]


def _write(root: Path, name: str, text: str) -> None:
    path = root / "outbound" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_unknown_filter_is_refused_with_file_and_line(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "x12/004010/850",
        "document: purchase_order\nsyntax: x12\nversion: '004010'\nset: '850'\n"
        "segments:\n  - {tag: BEG, elements: ['{po_number|rot13}']}\n",
    )
    with pytest.raises(OutboundMapError) as caught:
        OutboundLibrary.load([tmp_path])
    assert caught.value.line == 6
    assert "unknown filter 'rot13'" in str(caught.value)
    assert "850.yaml" in str(caught.value)


def test_override_replaces_segments_and_merges_tables(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "overrides/acme/850",
        "extends: x12/004010/850\ntables:\n  purpose: {original: '06'}\n",
    )
    library = OutboundLibrary.load([REPO / "maps", tmp_path])
    child = library.get("overrides/acme/850")
    assert child.tables["purpose"]["original"] == "06"
    assert child.tables["purpose"]["cancel"] == "01"  # kept from the base map
    assert child.segments == library.get("x12/004010/850").segments


def test_missing_base_map_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "overrides/acme/850", "extends: x12/009999/850\n")
    loaded = OutboundLibrary.load([tmp_path], collect=True)
    assert "names no outbound map" in str(loaded.errors[0])
