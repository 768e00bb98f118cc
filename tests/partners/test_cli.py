"""The onboarding commands: partners validate/list/show and translate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gateway.cli.partner_commands import register
from gateway.settings import get_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "partners"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    monkeypatch.setenv("EDIGW_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "400")  # rich must not wrap the paths it prints
    for name in ("EDIGW_PROFILES_DIR", "EDIGW_MAPS_DIR", "EDIGW_SHIPPED_PROFILES"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    app = typer.Typer()
    register(app)
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_validate_everything_shipped(cli: CliRunner) -> None:
    code, out = invoke(cli, "partners", "validate")
    assert code == 0, out
    assert "OK 4 profile(s), 44 map(s)" in out


def test_validate_names_file_line_field_of_a_bad_profile(cli: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "acme.yaml"
    bad.write_text(
        "id: acme\nname: Acme\nx12:\n  isa_qualifier: ZZ\n  isa_id: ACME\n  version: '003010'\n"
    )
    code, out = invoke(cli, "partners", "validate", str(bad))
    assert code == 1
    assert f"{bad}:6: x12.version: Input should be '004010', '004030', '004060' or '005010'" in out


def test_validate_warns_about_missing_key_files(cli: CliRunner, tmp_path: Path) -> None:
    profile = tmp_path / "acme.yaml"
    profile.write_text(
        "id: acme\nname: Acme\nedifact: {unb_id: '4000000000001'}\n"
        "sftp: {hosted: {username: acme, authorized_keys: [keys/acme.pub]}}\n"
    )
    code, out = invoke(cli, "partners", "validate", str(profile))
    assert code == 0, out
    assert f"SFTP authorized key file {tmp_path / 'keys' / 'acme.pub'} does not exist" in out
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "acme.pub").write_text("ssh-ed25519 AAAA acme\n")
    code, out = invoke(cli, "partners", "validate", str(profile))
    assert code == 0 and "does not exist" not in out


def test_list_and_show_as_json(cli: CliRunner) -> None:
    code, out = invoke(cli, "partners", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [
        "keystone-pharma", "lakeside-hospital", "nordlicht-medtech", "summit-medical",
    ]  # fmt: skip
    assert {r["id"]: (r["roles"], r["odoo_customer"]) for r in rows}["summit-medical"] == (
        ["supplier"],
        None,
    )
    code, out = invoke(cli, "partners", "show", "summit-medical", "--json")
    data = json.loads(out)
    assert data["as2"]["as2_id"] == "SUMMITMED"
    assert data["_maps"]["856"] == "overrides/summit-medical/856"
    assert data["_maps"]["810"] == "x12/004010/810"
    code, out = invoke(cli, "partners", "show", "nobody")
    assert code == 1 and "no partner" in out


def test_translate_identifies_partner_and_explains(cli: CliRunner) -> None:
    # given Summit's ship notice; the partner is found from the ISA sender
    path = FIXTURES / "summit-medical" / "856_ship_notice.edi"
    code, out = invoke(cli, "translate", str(path), "--json", "--explain")
    assert code == 0, out
    [result] = json.loads(out)
    assert result["partner"] == "summit-medical"
    lines = result["document"]["orders"][0]["lines"]
    assert [(li["lot_number"], li["quantity"]) for li in lines[1:3]] == [
        ("SY2406A", "12"),
        ("SY2409C", "8"),
    ]
    lot = next(t for t in result["explain"] if t["field"] == "orders[0].lines[0].lot_number")
    assert (lot["segment"], lot["element"], lot["value"]) == ("REF", 2, "NG24K07")


def test_translate_plain_output_has_the_explain_table(cli: CliRunner) -> None:
    path = FIXTURES / "nordlicht-medtech" / "ORDRSP_order_response.edi"
    code, out = invoke(cli, "translate", str(path), "--explain")
    assert code == 0, out
    assert "NL-AB-26-0912" in out and "Where each field came from" in out


def test_translate_unknown_partner_and_rejected_file(cli: CliRunner, tmp_path: Path) -> None:
    # our own purchase order has us as the sender: no partner unless one is named
    ours = FIXTURES / "summit-medical" / "850_purchase_order.edi"
    code, out = invoke(cli, "translate", str(ours), "--json")
    assert code == 1
    assert "unknown partner" in json.loads(out)[0]["error"]["message"]
    code, out = invoke(cli, "translate", str(ours), "--json", "--partner", "summit-medical")
    assert code == 0 and json.loads(out)[0]["document"]["po_number"] == "MH-2026-0417"
    # a file with a wrong SE01 count is reported, not translated
    broken = FIXTURES / "summit-medical" / "856_ERROR_segment_count.edi"
    code, out = invoke(cli, "translate", str(broken), "--json")
    assert code == 1 and "SE01" in json.loads(out)[0]["skipped"]
    junk = tmp_path / "junk.edi"
    junk.write_bytes(b"hello")
    code, out = invoke(cli, "translate", str(junk))
    assert code == 1 and "not EDI" in out


def test_validate_refuses_an_unknown_identity_of_ours(cli: CliRunner, tmp_path: Path) -> None:
    profile = tmp_path / "acme.yaml"
    profile.write_text(
        "id: acme\nname: Acme\nedifact: {unb_id: '4000000000001'}\nour_identity: lab-division\n"
    )
    code, out = invoke(cli, "partners", "validate", str(profile))
    assert code == 1
    assert "our_identity: no identity named 'lab-division'" in out and "hospital" in out


def test_validate_a_map_file_names_its_line(cli: CliRunner, tmp_path: Path) -> None:
    override = tmp_path / "maps" / "overrides" / "acme" / "856.yaml"
    override.parent.mkdir(parents=True)
    override.write_text(
        "extends: x12/004010/856\nitems:\n  fields:\n"
        "    lot_number: {segment: REF, where: {1: BT}, elemnt: 2}\n"
    )
    code, out = invoke(cli, "partners", "validate", str(override))
    assert code == 1
    assert f"{override}:4: items.fields.lot_number" in out and "elemnt" in out
    override.write_text(
        "extends: x12/004010/856\nitems:\n  fields:\n"
        "    lot_number: {segment: REF, where: {1: BT}, element: 2}\n"
    )
    code, out = invoke(cli, "partners", "validate", str(override))
    assert code == 0, out


def test_translate_explain_shows_split_acknowledgement_lines(
    cli: CliRunner, tmp_path: Path
) -> None:
    # given Summit's 855 with line 3 acknowledged in two parts: 4 changed for 18 Nov and
    # 2 backordered (IB) to 2 Dec (two ACK segments on one PO1, SE01 counted again)
    sample = (FIXTURES / "summit-medical" / "855_po_ack.edi").read_text()
    split = sample.replace(
        "ACK*IC*4*BX*068*20261118~\n", "ACK*IC*4*BX*068*20261118~\nACK*IB*2*BX*068*20261202~\n"
    ).replace("SE*14*0001", "SE*15*0001")
    path = tmp_path / "855_split.edi"
    path.write_text(split)
    code, out = invoke(cli, "translate", str(path), "--json", "--explain")
    assert code == 0, out
    [result] = json.loads(out)
    line = result["document"]["lines"][2]
    assert [(s["status"], s["quantity"], s["date"]) for s in line["splits"]] == [
        ("changed", "4", "2026-11-18"),
        ("backordered", "2", "2026-12-02"),
    ]
    traced = {(t["field"], t["segment"], t["value"]) for t in result["explain"]}
    assert ("lines[2].splits[1].quantity", "ACK", "2") in traced
    assert ("lines[2].splits[1].date", "ACK", "20261202") in traced


def test_list_shows_a_customers_role_and_odoo_customer(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "mercy.yaml").write_text(
        "id: mercy\nname: Mercy\nrole: [supplier, customer]\n"
        "x12: {isa_qualifier: ZZ, isa_id: MERCYHOSP}\n"
        "odoo: {vendor_ref: MERCY-V, customer_ref: MERCY}\n"
    )
    monkeypatch.setenv("EDIGW_PROFILES_DIR", str(site))
    get_settings.cache_clear()
    code, out = invoke(cli, "partners", "list", "--json")
    [mercy] = [r for r in json.loads(out) if r["id"] == "mercy"]
    assert mercy["roles"] == ["supplier", "customer"]
    assert (mercy["odoo_vendor"], mercy["odoo_customer"]) == ("MERCY-V", "MERCY")
    code, out = invoke(cli, "partners", "list")
    assert code == 0 and "supplier, customer" in out and "customer MERCY" in out
