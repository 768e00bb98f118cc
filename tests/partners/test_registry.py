"""The partner registry: lookups by envelope and transport ids, reload."""

from __future__ import annotations

import shutil
from pathlib import Path

from gateway.edi import EdiInterchange, Syntax
from gateway.partners.registry import PartnerRegistry
from tests.mapping.helpers import MAPS, PROFILES


def interchange(syntax: Syntax, qualifier: str, sender: str) -> EdiInterchange:
    return EdiInterchange(
        syntax=syntax,
        sender_qualifier=qualifier,
        sender_id=sender,
        receiver_qualifier="ZZ",
        receiver_id="MERIDIANHEALTH",
        control_number="1",
        version="00401",
        test=False,
        start=0,
        end=0,
    )


def test_lookups_by_every_identifier() -> None:
    registry = PartnerRegistry.from_dirs([PROFILES], [MAPS])
    assert registry.errors == []
    assert [p.id for p in registry.all()] == [
        "keystone-pharma",
        "lakeside-hospital",
        "nordlicht-medtech",
        "summit-medical",
    ]
    summit = registry.get("summit-medical")
    assert summit is not None
    # ISA ids compare stripped and case-insensitively; the qualifier is optional
    assert registry.find_x12("ZZ", "summitmed      ") is summit
    assert registry.find_x12(None, "SUMMITMED") is summit
    assert registry.find_x12("01", "SUMMITMED") is None
    assert registry.find_edifact("4045678000002", "14") is registry.get("nordlicht-medtech")
    assert registry.find_edifact("4045678000002", "ZZZ") is None
    assert registry.find_as2('"summitmed"') is summit
    assert registry.find_sftp_user("keystone") is registry.get("keystone-pharma")
    assert registry.find_x12("ZZ", "NOBODY") is None
    assert registry.get("nobody") is None


def test_find_for_interchange_uses_the_sender() -> None:
    registry = PartnerRegistry.from_dirs([PROFILES], [MAPS])
    assert registry.find_for_interchange(
        interchange(Syntax.X12, "ZZ", "KEYSTONERX")
    ) is registry.get("keystone-pharma")
    assert registry.find_for_interchange(
        interchange(Syntax.EDIFACT, "14", "4045678000002")
    ) is registry.get("nordlicht-medtech")
    assert registry.find_for_interchange(interchange(Syntax.X12, "ZZ", "MERIDIANHEALTH")) is None


def test_onboarding_is_one_file_and_a_reload(tmp_path: Path) -> None:
    # given a registry over a site directory
    site = tmp_path / "profiles"
    site.mkdir()
    registry = PartnerRegistry.from_dirs([PROFILES, site], [MAPS])
    assert registry.find_x12("ZZ", "ACMELABS") is None
    # when onboarding staff add one profile file and reload
    (site / "acme.yaml").write_text(
        "id: acme-labs\nname: Acme Labs\nx12: {isa_qualifier: ZZ, isa_id: ACMELABS}\n"
    )
    errors = registry.reload()
    # then the new partner is found by its envelope, with no code change or restart
    assert errors == []
    found = registry.find_x12("ZZ", "ACMELABS")
    assert found is not None and found.id == "acme-labs"
    assert len(registry) == 5


def test_profile_naming_a_missing_map_is_a_load_error(tmp_path: Path) -> None:
    site = tmp_path / "profiles"
    site.mkdir()
    shutil.copy(PROFILES / "summit-medical.yaml", site / "summit-medical.yaml")
    text = (
        (site / "summit-medical.yaml")
        .read_text()
        .replace("overrides/summit-medical/856", "overrides/summit-medical/857")
    )
    (site / "summit-medical.yaml").write_text(text)
    registry = PartnerRegistry.from_dirs([site], [MAPS])
    assert registry.get("summit-medical") is None
    error = registry.errors[0]
    assert error.field == "maps.856" and error.line is not None
    assert "overrides/summit-medical/857" in error.reason
