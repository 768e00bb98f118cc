"""Partner tools: list, show, validate a profile, test a sample file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.as2.certs import create_key_pair
from gateway.store.db import session_scope
from gateway.store.models import Acknowledgement, Counter, Event, Message, Transaction
from tests.api.world import PARTNER, World, invoice, make_world, purchase_order

GOOD = b"""\
id: acme-medical
name: ACME Medical Supply
x12:
  isa_qualifier: ZZ
  isa_id: ACMEMED
odoo:
  vendor_ref: ACME
"""

BAD = b"""\
id: acme-medical
name: ACME Medical Supply
x12:
  isa_qualifier: ZZZ
  isa_id: ACMEMED
acknowledgements:
  x12: "998"
  colour: blue
"""


def test_partner_list_and_detail(client: TestClient, world: World) -> None:
    h = world.headers("viewer")
    partners = {p["id"]: p for p in client.get("/api/v1/partners", headers=h).json()}
    assert PARTNER in partners
    assert partners[PARTNER]["identifiers"] == ["ISA ZZ/KEYSTONERX (005010)"]
    assert partners[PARTNER]["transports"] == ["sftp"]
    detail = client.get(f"/api/v1/partners/{PARTNER}", headers=h).json()
    assert detail["profile"]["acknowledgements"]["x12"] == "999"
    assert detail["states"] == {"delivered": 1, "business_exception": 1}
    assert detail["open_exceptions"] == 1
    assert detail["certificates"] == []


def test_partner_with_as2_certificates_shows_their_status(tmp_path: Path) -> None:
    # given a partner whose certificates have known lifetimes, and one that is missing
    site = tmp_path / "profiles"
    site.mkdir()
    now = dt.datetime.now(dt.UTC)
    lifetimes = {  # file -> (valid from, days)
        "valid.crt": (now, 365),
        "soon.crt": (now, 10),
        "expired.crt": (now - dt.timedelta(days=100), 30),
        "later.crt": (now + dt.timedelta(days=5), 365),
    }
    for name, (start, days) in lifetimes.items():
        create_key_pair("cert-check", days, site / f"{name}.key", site / name, not_before=start)
    files = [*lifetimes, "missing.crt"]
    (site / "cert-check.yaml").write_text(
        "id: cert-check\nname: Certificate Check\n"
        "x12: {isa_qualifier: ZZ, isa_id: CERTCHECK}\n"
        "as2:\n  as2_id: CERTCHECK\n  certificates:\n"
        + "".join(f"    - file: {f}\n" for f in files)
    )
    world = make_world(tmp_path / "var", documents=False, profiles_dir=str(site))
    with TestClient(create_app(world.runtime)) as client:
        # when the partner is shown
        response = client.get("/api/v1/partners/cert-check", headers=world.headers("viewer"))
    # then each certificate says exactly what it is
    assert response.status_code == 200, response.text
    certs = {Path(c["file"]).name: c for c in response.json()["certificates"]}
    assert {name: c["status"] for name, c in certs.items()} == {
        "valid.crt": "valid",
        "soon.crt": "expires soon",
        "expired.crt": "expired",
        "later.crt": "not yet valid",
        "missing.crt": "error",
    }
    assert certs["valid.crt"]["days_left"] in (364, 365)  # seconds pass between make and show
    assert certs["soon.crt"]["days_left"] in (9, 10)
    assert certs["expired.crt"]["days_left"] in (-71, -70)
    assert certs["missing.crt"]["days_left"] is None
    assert "missing.crt" in certs["missing.crt"]["detail"]


def test_validate_a_good_profile(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/partners/validate",
        content=GOOD,
        headers={**world.headers("onboarding"), "Content-Type": "application/yaml"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is True
    assert response.json()["partner_id"] == "acme-medical"


def test_validate_names_line_and_field_of_every_error(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/partners/validate",
        content=BAD,
        headers={**world.headers("onboarding"), "Content-Type": "application/yaml"},
    )
    result = response.json()
    assert result["valid"] is False
    found = {(e["line"], e["field"]) for e in result["errors"]}
    assert (4, "x12.isa_qualifier") in found
    assert (7, "acknowledgements.x12") in found
    assert (8, "acknowledgements.colour") in found
    colour = next(e for e in result["errors"] if e["field"] == "acknowledgements.colour")
    assert "unknown field" in colour["reason"]


def test_validate_broken_yaml_and_non_mapping(client: TestClient, world: World) -> None:
    h = {**world.headers("admin"), "Content-Type": "application/yaml"}
    broken = client.post(
        "/api/v1/partners/validate", content=b"id: [unclosed\nname: x\n", headers=h
    ).json()
    assert broken["valid"] is False and broken["errors"][0]["line"] in (2, 3)
    listing = client.post("/api/v1/partners/validate", content=b"- a\n- b\n", headers=h).json()
    assert listing["errors"][0]["reason"].startswith("a profile must be a YAML mapping")
    huge = client.post("/api/v1/partners/validate", content=b"#" * 300_000, headers=h)
    assert huge.status_code == 413
    latin1 = client.post("/api/v1/partners/validate", content=b"id: caf\xe9\n", headers=h)
    assert latin1.status_code == 200, latin1.text
    assert latin1.json()["valid"] is False
    assert latin1.json()["errors"][0]["reason"].startswith("not UTF-8 text")
    deep = client.post("/api/v1/partners/validate", content=b"[" * 5000, headers=h).json()
    assert deep["errors"][0]["reason"] == "nested deeper than 64 levels"


def _store_counts(world: World) -> tuple[int, ...]:
    with session_scope(world.runtime.sessions) as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Message, Transaction, Acknowledgement, Event)
        ) + tuple(session.scalars(select(Counter.value).order_by(Counter.name)).all())


def test_sample_file_test_translates_and_builds_the_ack_without_storing(
    client: TestClient, world: World
) -> None:
    before = _store_counts(world)
    # when onboarding tests an 850 and an 810 against Keystone's profile
    response = client.post(
        f"/api/v1/partners/{PARTNER}/test",
        headers=world.headers("onboarding"),
        files={"file": ("sample.edi", purchase_order("PO-SAMPLE-1", 800001))},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    # then the canonical document and the 999 we would send come back
    assert result["ok"] is True
    (doc,) = result["documents"]
    assert doc["document"]["po_number"] == "PO-SAMPLE-1"
    assert doc["map"] and any(t["field"].startswith("lines") for t in doc["explain"])
    (ack,) = result["acknowledgements"]
    assert ack["kind"] == "999" and ack["status"] == "accepted"
    assert "AK1*PO*800001" in ack["text"]
    # and nothing was stored: no message, no ack, no event, no control number used
    assert _store_counts(world) == before
    second = client.post(
        f"/api/v1/partners/{PARTNER}/test",
        headers=world.headers("admin"),
        files={"file": ("inv.edi", invoice("INV-S", "PO-SAMPLE-1", 800002))},
    )
    assert second.json()["documents"][0]["document"]["invoice_number"] == "INV-S"


def test_sample_file_problems_are_reported_not_raised(client: TestClient, world: World) -> None:
    h = world.headers("onboarding")
    junk = client.post(
        f"/api/v1/partners/{PARTNER}/test",
        headers=h,
        files={"file": ("junk.txt", b"hello, this is not EDI")},
    ).json()
    assert junk["ok"] is False
    assert any(i["code"] == "not-edi" for i in junk["issues"]) or junk["error"]
    # a wrong segment count: the transaction would be rejected, with the 999 saying so
    bad = purchase_order("PO-BAD", 800003).replace(b"SE*12*0001", b"SE*99*0001")
    result = client.post(
        f"/api/v1/partners/{PARTNER}/test", headers=h, files={"file": ("bad.edi", bad)}
    ).json()
    assert result["ok"] is False
    assert result["documents"][0]["status"] == "rejected"
    assert result["acknowledgements"][0]["status"] == "rejected"
    empty = client.post(
        f"/api/v1/partners/{PARTNER}/test", headers=h, files={"file": ("e.edi", b"")}
    )
    assert empty.status_code == 422
    unknown = client.post(
        "/api/v1/partners/nobody/test", headers=h, files={"file": ("x.edi", b"ISA")}
    )
    assert unknown.status_code == 404


def test_profiles_that_do_not_load_are_listed(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient as Client

    from gateway.api.app import create_app
    from tests.api.world import make_world

    # given a site profile directory with one broken file
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "broken.yaml").write_text(
        "id: broken\nname: Broken\nx12:\n  isa_qualifier: Z\n  isa_id: BROKEN\n"
    )
    world = make_world(tmp_path / "data", documents=False, profiles_dir=str(profiles))
    with Client(create_app(world.runtime)) as c:
        errors = c.get("/api/v1/partners/errors", headers=world.headers("viewer")).json()
        c.post("/login", data={"key": world.keys["viewer"]})
        page = c.get("/partners").text
    # then the API and the partners page name the file, line and field
    assert [(Path(e["file"]).name, e["line"], e["field"]) for e in errors] == [
        ("broken.yaml", 4, "x12.isa_qualifier")
    ]
    assert "1 profile or map file did not load" in page and "x12.isa_qualifier" in page
    # and the good partners still load
    assert "keystone-pharma" in page
