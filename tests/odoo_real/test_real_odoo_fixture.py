"""The real-Odoo fixture itself: a fresh database per module, copied from the template."""

from __future__ import annotations

import pytest

from tests.support.real_odoo import BASE_MODULES, OdooRpcError, database_exists


@pytest.mark.parametrize("real_odoo", [17, 18, 19], indirect=True)
def test_fresh_database_has_the_documented_modules(real_odoo) -> None:  # type: ignore[no-untyped-def]
    # given a database made for this module
    assert database_exists(real_odoo.name)
    # when we read its modules over JSON-RPC
    rows = real_odoo.search_read(
        "ir.module.module",
        [["name", "in", [*BASE_MODULES, "stock_delivery"]]],
        ["name", "state"],
    )
    states = {row["name"]: row["state"] for row in rows}
    # then the five documented modules are installed and stock_delivery is not
    assert all(states[name] == "installed" for name in BASE_MODULES), states
    assert states.get("stock_delivery") != "installed"
    version = real_odoo._rpc("common", "version", [])
    assert version["server_version_info"][0] == real_odoo.version
    # and a purchase order made here can be read back (a usable database, not a template)
    partner = real_odoo.create("res.partner", {"name": "Fixture Vendor", "ref": "FIX-1"})
    assert (
        real_odoo.search_read("res.partner", [["id", "=", partner]], ["ref"])[0]["ref"] == "FIX-1"
    )
    with pytest.raises(OdooRpcError):
        real_odoo.call("no.such.model", "search_read", [])


@pytest.mark.parametrize("real_odoo", [{"version": 17, "extra": ["stock_delivery"]}], indirect=True)
def test_stock_delivery_variant(real_odoo) -> None:  # type: ignore[no-untyped-def]
    fields = real_odoo.call("stock.picking", "fields_get", [], attributes=["type"])
    assert "carrier_tracking_ref" in fields
