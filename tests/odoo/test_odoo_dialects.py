"""Version dialects: field names for Odoo 16, 17, 18 and the JSON-2 API of Odoo 19."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from gateway.odoo.dialect import dialect_from_version
from gateway.odoo.errors import OdooConfigurationError
from tests.odoo.conftest import World, make_profile, seed_world
from tests.odoo.documents import invoice, purchase_order, ship_notice
from tests.support.odoo_double import OdooDouble

PROFILE = make_profile()
Start = Callable[..., OdooDouble]


@pytest.mark.parametrize(
    ("info", "major"),
    [
        ({"server_version": "16.0", "server_version_info": [16, 0, 0, "final", 0, ""]}, 16),
        ({"server_version": "17.0-20240709", "server_version_info": [17, 0, 0, "final", 0]}, 17),
        ({"server_version": "saas~17.2", "server_version_info": ["saas~17", 2, 0, "final"]}, 17),
        ({"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}, 19),
        ({"server_version": "18.0+e"}, 18),
    ],
)
def test_major_version_is_read_from_either_version_answer(info: dict, major: int) -> None:
    assert dialect_from_version(info).major == major


def _full_flow(double: OdooDouble, client: OdooClient) -> World:
    world = seed_world(double)
    assert deliver(purchase_order(), profile=PROFILE, odoo=client).exceptions == []
    assert deliver(ship_notice(), profile=PROFILE, odoo=client).exceptions == []
    assert deliver(invoice(), profile=PROFILE, odoo=client).exceptions == []
    return world


def _stock_move_writes(double: OdooDouble) -> list[dict]:
    """The values of every stock.move write the client sent (either protocol)."""
    out = []
    for request in double.requests:
        body = request.body
        if request.path == "/json/2/stock.move/write":
            out.append(body["vals"])
        elif isinstance(body, dict) and body.get("params", {}).get("service") == "object":
            args = body["params"]["args"]
            if args[3:5] == ["stock.move", "write"]:
                out.append(args[5][1])
    return out


def _received(double: OdooDouble) -> list[float]:
    return [x["qty_received"] for x in double.records("purchase.order.line")]


def test_odoo_16_gets_quantity_done_and_qty_done(start_odoo_double: Start) -> None:
    double = start_odoo_double(16)
    with OdooClient(double.url, double.db, double.user, password=double.password) as client:
        _full_flow(double, client)
    writes = json.dumps(_stock_move_writes(double))
    assert '"quantity_done"' in writes and '"qty_done"' in writes
    assert '"picked"' not in writes and '"quantity"' not in writes
    assert _received(double) == [60.0, 20.0]
    assert {lot["name"] for lot in double.records("stock.lot")} == {"LOT-A", "LOT-B"}


def test_odoo_17_gets_quantity_and_picked(odoo_double: OdooDouble, odoo_client: OdooClient) -> None:
    _full_flow(odoo_double, odoo_client)
    writes = json.dumps(_stock_move_writes(odoo_double))
    assert '"quantity"' in writes and '"picked"' in writes
    assert "qty_done" not in writes and "quantity_done" not in writes


def test_odoo_18_storable_products_use_is_storable(start_odoo_double: Start) -> None:
    double = start_odoo_double(18)
    with OdooClient(double.url, double.db, double.user, password=double.password) as client:
        assert client.dialect.storable_product_values() == {"type": "consu", "is_storable": True}
        # the 17 name is refused by an 18 server ...
        with pytest.raises(OdooConfigurationError, match="detailed_type"):
            client.create("product.product", {"name": "x", "detailed_type": "product"})
        # ... and the dialect's values are accepted
        product_id = client.create(
            "product.product", {"name": "y", **client.dialect.storable_product_values()}
        )
        assert client.read("product.product", [product_id], ["is_storable"])[0]["is_storable"]
        _full_flow(double, client)
    assert _received(double) == [60.0, 20.0]


def test_odoo_19_uses_json2_with_the_api_key(start_odoo_double: Start) -> None:
    double = start_odoo_double(19)
    with OdooClient(double.url, double.db, double.user, api_key=double.api_key) as client:
        _full_flow(double, client)
    object_calls = [r for r in double.requests if r.path != "/jsonrpc"]
    assert object_calls and all(r.path.startswith("/json/2/") for r in object_calls)
    headers = {k.lower(): v for k, v in object_calls[0].headers.items()}
    assert headers["authorization"] == f"bearer {double.api_key}"
    assert headers["x-odoo-database"] == double.db
    # no JSON-RPC login: only the version was read there
    assert [r.body["params"]["method"] for r in double.requests if r.path == "/jsonrpc"] == [
        "version"
    ]
    # named arguments with ids, as JSON-2 wants
    confirm = next(r for r in double.requests if r.path == "/json/2/purchase.order/button_confirm")
    assert confirm.body == {"ids": [1]}
    assert [b["state"] for b in double.records("account.move")] == ["posted"]


def test_odoo_19_wrong_api_key_is_a_configuration_error(start_odoo_double: Start) -> None:
    double = start_odoo_double(19)
    with (
        OdooClient(double.url, double.db, double.user, api_key="nope") as client,
        pytest.raises(OdooConfigurationError, match="Invalid apikey"),
    ):
        client.search_read("res.partner", [], ["name"])


def test_version_falls_back_to_web_version_without_jsonrpc(start_odoo_double: Start) -> None:
    double = start_odoo_double(19, jsonrpc_enabled=False)
    with OdooClient(double.url, double.db, double.user, api_key=double.api_key) as client:
        assert client.dialect.major == 19
        assert client.search_read("uom.uom", [["name", "=", "Units"]], ["name"])[0]["id"] == 1
    assert any(r.path == "/web/version" for r in double.requests)


def test_odoo_19_json2_errors_keep_odoos_message(start_odoo_double: Start) -> None:
    double = start_odoo_double(19)
    with (
        OdooClient(double.url, double.db, double.user, api_key=double.api_key) as client,
        pytest.raises(OdooConfigurationError) as caught,
    ):
        client.call("res.partner", "no_such_method", ids=[])
    assert caught.value.odoo_name == "builtins.AttributeError"
    assert caught.value.odoo_message == (
        "The method 'no_such_method' does not exist on the model 'res.partner'"
    )


def test_odoo_19_with_a_password_only_falls_back_to_jsonrpc(start_odoo_double: Start) -> None:
    double = start_odoo_double(19)
    with OdooClient(double.url, double.db, double.user, password=double.password) as client:
        assert not client.uses_json2
        assert client.search_read("uom.uom", [["name", "=", "Units"]], ["name"])[0]["id"] == 1
        # the server has JSON-2 (it answered the probe with a JSON-2 401): say so
        assert client.protocol == "JSON-RPC"
        assert "deprecates" in client.warnings[0] and "EDIGW_ODOO_API_KEY" in client.warnings[0]
    probe = "/json/2/res.users/context_get"
    assert {r.path for r in double.requests} == {"/jsonrpc", probe}
    assert [r.path for r in double.requests].count(probe) == 1
