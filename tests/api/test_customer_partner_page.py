"""The partner page of a customer: its role and its part numbers for our items."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.customer_items import CustomerItemRef, replace_items
from gateway.store.db import session_scope
from tests.api.world import make_world

PROFILE = """\
id: mercy
name: Mercy Hospital
role: [supplier, customer]
x12: {isa_qualifier: ZZ, isa_id: MERCYHOSP}
odoo: {vendor_ref: MERCY}
"""


def test_customer_page_shows_roles_and_item_numbers(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "mercy.yaml").write_text(PROFILE)
    world = make_world(tmp_path / "data", documents=False, profiles_dir=str(profiles))
    with session_scope(world.runtime.sessions) as session:
        replace_items(
            session,
            "mercy",
            [
                CustomerItemRef("M-778", "GAU-1", "default_code", 1),
                CustomerItemRef("M-779", "00017953755437", "gtin", 2),
            ],
        )
    with TestClient(create_app(world.runtime)) as c:
        c.post("/login", data={"key": world.keys["viewer"], "next": "/"})
        page = c.get("/partners/mercy").text
        supplier_page = c.get("/partners/keystone-pharma").text
        listing = c.get("/partners").text
    assert "supplier and customer" in page
    assert "Customer item numbers" in page
    assert "<code>M-778</code></td><td><code>GAU-1</code></td><td>internal reference" in page
    assert "<code>M-779</code></td><td><code>00017953755437</code></td><td>GTIN" in page
    assert "<td>supplier, customer</td>" in listing and "<td>supplier</td>" in listing
    # a supplier-only partner has no such section
    assert "Customer item numbers" not in supplier_page
