"""Loading partner profiles: shipped samples, errors with file/line/field, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.partners.loader import ProfileError, load_profile_file, load_profiles
from tests.mapping.helpers import PROFILES

GOOD = """\
id: acme-labs
name: Acme Labs
x12:
  isa_qualifier: ZZ
  isa_id: ACMELABS
odoo:
  vendor_ref: ACME
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_profile_loads_with_its_source() -> None:
    result = load_profiles([PROFILES])
    assert result.errors == []
    assert set(result.profiles) == {
        "summit-medical", "keystone-pharma", "nordlicht-medtech", "lakeside-hospital",
    }  # fmt: skip
    for pid, profile in result.profiles.items():
        assert profile.source == (PROFILES / f"{pid}.yaml").resolve()
    summit = result.profiles["summit-medical"]
    assert summit.as2 is not None and summit.as2.as2_id == "SUMMITMED"
    assert summit.x12 is not None and summit.x12.version == "004010"
    assert summit.maps == {"856": "overrides/summit-medical/856"}
    keystone = result.profiles["keystone-pharma"]
    assert keystone.x12 is not None and keystone.x12.version == "005010"
    assert keystone.acknowledgements.x12 == "999"
    assert keystone.odoo is not None and keystone.odoo.item_lookup == ["ndc", "vendor_part"]
    nordlicht = result.profiles["nordlicht-medtech"]
    assert nordlicht.edifact is not None and nordlicht.edifact.unb_qualifier == "14"
    assert nordlicht.acknowledgements.contrl is True


def test_unknown_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "acme.yaml",
        GOOD.replace("  isa_id: ACMELABS", "  isa_id: ACMELABS\n  isa_idd: TYPO"),
    )
    with pytest.raises(ProfileError) as info:
        load_profile_file(path)
    assert (info.value.file, info.value.line, info.value.field) == (path, 6, "x12.isa_idd")
    assert "unknown field" in info.value.reason
    assert str(info.value).startswith(f"{path}:6: x12.isa_idd:")


def test_bad_value_names_the_line_of_its_key(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.yaml", GOOD.replace("isa_qualifier: ZZ", "isa_qualifier: ZZZ"))
    with pytest.raises(ProfileError) as info:
        load_profile_file(path)
    assert (info.value.line, info.value.field) == (4, "x12.isa_qualifier")
    assert "at most 2" in info.value.reason


def test_missing_identifiers_and_broken_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "id: acme\nname: Acme\n")
    with pytest.raises(ProfileError, match="x12 or edifact"):
        load_profile_file(path)
    broken = write(tmp_path, "b.yaml", "id: acme\nname: [Acme\n")
    with pytest.raises(ProfileError) as info:
        load_profile_file(broken)
    assert info.value.line is not None and "not valid YAML" in info.value.reason
    listed = write(tmp_path, "c.yaml", "- just\n- a list\n")
    with pytest.raises(ProfileError, match="mapping"):
        load_profile_file(listed)


def test_bad_file_is_reported_and_the_others_still_load(tmp_path: Path) -> None:
    write(tmp_path, "acme.yaml", GOOD)
    write(tmp_path, "bad.yaml", GOOD.replace("acme-labs", "Bad Id!"))
    result = load_profiles([tmp_path])
    assert list(result.profiles) == ["acme-labs"]
    assert len(result.errors) == 1 and result.errors[0].field == "id"


@pytest.mark.parametrize("levels", [100, 5000])
def test_deeply_nested_yaml_is_one_files_error_not_everyones(tmp_path: Path, levels: int) -> None:
    # given a good profile beside one nested `levels` deep (PyYAML itself recurses: at
    # thousands of levels it used to raise RecursionError out of the whole load)
    write(tmp_path, "acme.yaml", GOOD)
    write(tmp_path, "deep.yaml", GOOD + "odoo_notes: " + "[" * levels + "]" * levels + "\n")
    # when the directory is loaded
    result = load_profiles([tmp_path])
    # then the deep file is refused by name and the good one loads
    assert list(result.profiles) == ["acme-labs"]
    [error] = result.errors
    assert error.file.name == "deep.yaml" and "nested deeper than 64 levels" in error.reason


def test_later_directory_overrides_by_id(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(
        site,
        "summit.yaml",
        (PROFILES / "summit-medical.yaml")
        .read_text()
        .replace("name: Summit Medical Supply", "name: Summit (site copy)"),
    )
    result = load_profiles([PROFILES, site])
    assert result.errors == []
    assert result.profiles["summit-medical"].name == "Summit (site copy)"
    assert result.profiles["summit-medical"].source == (site / "summit.yaml").resolve()


def test_same_id_twice_in_one_directory_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD)
    second = write(tmp_path, "b.yaml", GOOD.replace("ACMELABS", "OTHER"))
    result = load_profiles([tmp_path])
    assert len(result.errors) == 1
    message = str(result.errors[0])
    assert str(second) in message and str(first.resolve()) in message


def test_duplicate_isa_id_across_partners_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD)
    second = write(
        tmp_path,
        "b.yaml",
        GOOD.replace("acme-labs", "acme-two").replace("isa_id: ACMELABS", "isa_id: acmelabs "),
    )
    result = load_profiles([tmp_path])
    assert list(result.profiles) == ["acme-labs"]
    error = result.errors[0]
    assert error.field == "x12.isa_id"
    assert error.file == second.resolve() and str(first.resolve()) in error.reason


def test_unquoted_numbers_get_a_hint_to_quote_them(tmp_path: Path) -> None:
    # YAML reads 004010 as the octal number 2056: the profile must say to quote it
    path = write(
        tmp_path,
        "acme.yaml",
        GOOD.replace("  isa_id: ACMELABS", "  isa_id: ACMELABS\n  version: 004010"),
    )
    with pytest.raises(ProfileError) as info:
        load_profile_file(path)
    assert (info.value.line, info.value.field) == (6, "x12.version")
    assert "write this value in quotes" in info.value.reason and "2056" in info.value.reason


@pytest.mark.parametrize(
    ("versions", "set_id", "listed"),
    [
        (None, "856", ("004010",)),
        (["004010", "005010"], "856", ("004010", "005010")),
        ({"855": ["004010"], "856": ["005010"]}, "856", ("005010",)),
        ({"855": ["004010"], "856": ["005010"]}, "810", ("004010",)),  # unnamed: version
    ],
)
def test_x12_versions_list_or_per_set(
    versions: object, set_id: str, listed: tuple[str, ...]
) -> None:
    from gateway.partners.profile import X12Ids

    ids = X12Ids.model_validate(
        {"isa_qualifier": "ZZ", "isa_id": "ACME", "version": "004010", "versions": versions}
    )
    assert ids.versions_for(set_id) == listed
    assert ids.accepts(set_id, listed[0] + "VICS")


def test_x12_versions_must_be_quoted_and_known(tmp_path: Path) -> None:
    bad = GOOD.replace("  isa_id: ACMELABS", "  isa_id: ACMELABS\n  versions: [004010, '007030']")
    path = write(tmp_path, "acme.yaml", bad)
    with pytest.raises(ProfileError) as info:
        load_profile_file(path)
    assert info.value.field.startswith("x12.versions")
    assert "write this value in quotes" in info.value.reason


@pytest.mark.parametrize(
    ("line", "roles"),
    [
        ("", ("supplier",)),
        ("role: customer\n", ("customer",)),
        ("role: [supplier, customer]\n", ("supplier", "customer")),
        ("roles: [customer, supplier]\n", ("customer", "supplier")),
    ],
)
def test_role_is_one_or_several(tmp_path: Path, line: str, roles: tuple[str, ...]) -> None:
    profile = load_profile_file(write(tmp_path, "acme.yaml", GOOD + line))
    assert profile.roles == roles
    assert profile.is_customer is ("customer" in roles)


def test_customer_identity_is_used_when_we_sell(tmp_path: Path) -> None:
    text = GOOD + "role: [supplier, customer]\nour_identity: hospital\ncustomer_identity: seller\n"
    profile = load_profile_file(write(tmp_path, "acme.yaml", text))
    assert profile.identity_for("customer") == "seller"
    assert profile.identity_for("supplier") == "hospital"
    plain = load_profile_file(write(tmp_path / "b", "acme.yaml", GOOD + "role: customer\n"))
    assert plain.identity_for("customer") is None  # the default identity


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + "role: buyer\n", "role: Input should be 'supplier' or 'customer'"),
        (GOOD + "role: []\n", "list at least one role"),
        (GOOD + "role: [customer, customer]\n", "a role is listed twice"),
        (
            GOOD.replace("vendor_ref: ACME", "customer_ref: ACME"),
            "a supplier's odoo section needs vendor_ref or vendor_id",
        ),
    ],
)
def test_bad_roles_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile_file(write(tmp_path, "acme.yaml", text))
    assert message in str(caught.value)


def test_a_customer_may_name_only_its_customer_ref(tmp_path: Path) -> None:
    text = GOOD.replace("vendor_ref: ACME", "customer_ref: ACME-C") + "role: customer\n"
    profile = load_profile_file(write(tmp_path, "acme.yaml", text))
    assert profile.odoo is not None and profile.odoo.customer() == (None, "ACME-C")
    assert profile.odoo.sale_order.confirm == "review"
