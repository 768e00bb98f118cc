"""Loading maps: every shipped map loads; bad maps are refused with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.mapping import MapLibrary, MapLoadError, MappingError, UnsupportedDocument
from tests.mapping.helpers import MAPS, make_profile

BASE_850 = """\
document: purchase_order
syntax: x12
version: "004010"
set: "850"
header:
  po_number: {segment: BEG, element: 3, required: true}
lines:
  start: PO1
  fields:
    quantity: PO102
"""


def write(root: Path, name: str, text: str) -> Path:
    path = root / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_map_loads() -> None:
    library = MapLibrary.load([MAPS], collect=True)
    assert library.errors == []
    shipped = {p.relative_to(MAPS).with_suffix("").as_posix() for p in MAPS.rglob("*.yaml")}
    # outbound maps are a library of their own (tests/outbound)
    assert set(library.maps) == {name for name in shipped if not name.startswith("outbound/")}
    for syntax, version, sets in (
        ("x12", "004010", ["850", "855", "856", "810"]),
        ("x12", "005010", ["850", "855", "856", "810"]),
        ("edifact", "D96A", ["ORDERS", "ORDRSP", "DESADV", "INVOIC"]),
        ("edifact", "D01B", ["ORDERS", "ORDRSP", "DESADV", "INVOIC"]),
    ):
        for set_id in sets:
            found = library.get(f"{syntax}/{version}/{set_id}")
            assert (found.syntax, found.version, found.set_id) == (syntax, version, set_id)


def test_map_naming_a_segment_the_set_does_not_have_is_refused(tmp_path: Path) -> None:
    # given a map that reads a BIG segment (810 only) in an 850
    path = write(tmp_path, "x12/004010/850", BASE_850.replace("segment: BEG", "segment: BIG"))
    # when the library loads
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    # then the error names the file, the line of the rule, the field and the reason
    assert info.value.file == path
    assert info.value.line == 6
    assert info.value.field.startswith("header.po_number")
    assert "BIG does not occur in X12 850" in info.value.reason


def test_unknown_key_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x12/004010/850", BASE_850 + "colour: blue\n")
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    assert (info.value.file, info.value.line, info.value.field) == (path, 11, "colour")
    assert "unknown field" in info.value.reason
    assert f"{path}:11: colour:" in str(info.value)


def test_field_the_canonical_document_does_not_have_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "x12/004010/850", BASE_850.replace("quantity: PO102", "qty: PO102"))
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    assert info.value.line == 10 and "no field 'qty'" in info.value.reason


def test_table_that_is_not_defined_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "x12/004010/850",
        BASE_850.replace("required: true}", "required: true, table: nope}"),
    )
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    assert "table 'nope'" in info.value.reason


def test_bad_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x12/004010/850", BASE_850 + "lines: [unclosed\n")
    library = MapLibrary.load([tmp_path], collect=True)
    assert library.maps == {}
    assert library.errors[0].file == path and library.errors[0].line is not None


def test_extends_layers_override_on_base_and_errors_name_the_override(tmp_path: Path) -> None:
    write(tmp_path, "x12/004010/850", BASE_850)
    write(
        tmp_path,
        "overrides/acme/850",
        "extends: x12/004010/850\nheader:\n"
        "  po_number: {segment: REF, where: {1: PO}, element: 2}\n",
    )
    library = MapLibrary.load([tmp_path])
    over = library.get("overrides/acme/850")
    assert over.header["po_number"][0].segment == "REF"
    assert over.lines is not None and "quantity" in over.lines.fields  # kept from the base
    # a mistake in the override is reported in the override file
    bad = write(
        tmp_path,
        "overrides/acme/850",
        "extends: x12/004010/850\nheader:\n  po_number: {segment: XYZ, element: 2}\n",
    )
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    assert info.value.file == bad and info.value.line == 3


@pytest.mark.parametrize(
    "extends,reason",
    [
        ("x12/004010/nothere", "no map named"),
        ("overrides/acme/850", "cycle"),
    ],
)
def test_bad_extends_is_refused(tmp_path: Path, extends: str, reason: str) -> None:
    write(tmp_path, "overrides/acme/850", f"extends: {extends}\n")
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    assert reason in info.value.reason and info.value.field == "extends"


def test_later_directory_overrides_a_map_by_name(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(site, "x12/004010/850", BASE_850.replace("BEG, element: 3", "BEG, element: 4"))
    library = MapLibrary.load([MAPS, site])
    assert library.get("x12/004010/850").header["po_number"][0].element == 4
    assert "x12/004010/856" in library.maps  # the rest still comes from the shipped maps


def test_map_for_chooses_profile_map_then_default() -> None:
    library = MapLibrary.load([MAPS])
    profile = make_profile(maps={"856": "overrides/summit-medical/856.yaml"})
    assert library.map_for(profile, "x12", "004010VICS", "856").name == (
        "overrides/summit-medical/856"
    )
    assert library.map_for(profile, "x12", "004010", "850").name == "x12/004010/850"
    assert library.map_for(profile, "edifact", "D96A", "DESADV").name == "edifact/D96A/DESADV"


def test_map_for_profile_of_the_wrong_version_is_a_clear_error() -> None:
    library = MapLibrary.load([MAPS])
    profile = make_profile(x12={"isa_qualifier": "ZZ", "isa_id": "X", "version": "005010"})
    with pytest.raises(UnsupportedDocument) as info:
        library.map_for(profile, "x12", "004010", "850")
    assert "set up for X12 005010" in str(info.value) and "004010" in str(info.value)
    edifact_only = make_profile(x12=None)
    with pytest.raises(UnsupportedDocument, match="not set up for X12"):
        library.map_for(edifact_only, "x12", "004010", "850")


def test_map_for_unknown_set_and_misnamed_profile_map() -> None:
    library = MapLibrary.load([MAPS])
    with pytest.raises(UnsupportedDocument, match="no map 'x12/004010/830'"):
        library.map_for(make_profile(), "x12", "004010", "830")
    wrong = make_profile(maps={"855": "x12/004010/850"})
    with pytest.raises(MappingError, match="for x12 004010 850"):
        library.map_for(wrong, "x12", "004010", "855")


def test_segment_checks_follow_the_engine_specs(tmp_path: Path) -> None:
    # DESADV has no UNS section in D96A: a map that waits for one is refused
    write(
        tmp_path,
        "edifact/D96A/DESADV",
        (MAPS / "edifact/D96A/DESADV.yaml")
        .read_text()
        .replace("summary_from: [CNT]", "summary_from: [CNT, UNS]"),
    )
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    assert info.value.field == "summary_from[1]"
    assert info.value.reason == "segment UNS does not occur in EDIFACT DESADV"


def test_scope_typo_and_misplaced_map_are_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "x12/004010/850",
        BASE_850.replace("required: true}", "required: true, scope: [haeder]}"),
    )
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    assert info.value.line == 6 and "header" in info.value.reason
    # a 4010 map saved under the 5010 folder would be used for the wrong version
    (tmp_path / "x12/004010/850.yaml").unlink()
    write(tmp_path, "x12/005010/850", BASE_850)
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    assert "x12/004010/850" in info.value.reason and info.value.field == "set"


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("{segment: PO1, element: 2, times: 4}", "times: needs a number"),
        ("{segment: PO1, element: 2, convert: decimal, times: 4, all: true}", "times: reads one"),
        ("{segment: PO1, element: 2, convert: decimal, unique: true, all: true}", "unique:"),
        ("{segment: PO1, element: 2, convert: decimal, unique: true, occurrence: 2}", "unique:"),
        ("{segment: PO1, element: 4, to_element: 2}", "to_element: must not be before"),
        ("{segment: PO1, element: 2, to_element: 4, unique: true}", "to_element: cannot go"),
        ("{segment: PO1, element: 2, refuse: no, required: true}", "refuse: gives no value"),
        ("{segment: PO1, element: 2, refuse: no, default: '1'}", "refuse: gives no value"),
    ],
)
def test_rules_that_cannot_mean_what_they_say_are_refused(
    tmp_path: Path, rule: str, reason: str
) -> None:
    # given a rule that multiplies text or a list, asks for one value while collecting
    # several, reads elements backwards, or refuses while promising a value
    write(tmp_path, "x12/004010/850", BASE_850.replace("quantity: PO102", f"quantity: {rule}"))
    # when the map is loaded, then it is refused at the rule's line, naming why
    with pytest.raises(MapLoadError) as info:
        MapLibrary.load([tmp_path])
    assert info.value.line == 10 and reason in info.value.reason
