"""The client over real HTTP: login and version once, and every recorded error shape mapped."""

from __future__ import annotations

import pytest

from gateway.odoo.client import OdooClient, to_execute_kw
from gateway.odoo.errors import (
    OdooBusinessError,
    OdooConfigurationError,
    OdooTransientError,
    error_from_fault,
    error_from_http_status,
)
from tests.odoo.conftest import World
from tests.support.odoo_double import OdooDouble


def _client(double: OdooDouble, **kwargs: object) -> OdooClient:
    options: dict = {"password": double.password, "timeout": 1.0, **kwargs}
    return OdooClient(double.url, double.db, double.user, **options)


def test_version_and_login_happen_once_and_are_reused(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    # when several calls are made
    for _ in range(3):
        odoo_client.search_read("res.partner", [], ["name"])
    # then the server saw one version call, one JSON-2 probe (17 has none: JSON-RPC), one
    # login and three object calls
    methods = [
        r.body["params"]["method"] if r.path == "/jsonrpc" else r.path for r in odoo_double.requests
    ]
    assert methods == [
        "version",
        "/json/2/res.users/context_get",
        "authenticate",
        "execute_kw",
        "execute_kw",
        "execute_kw",
    ]
    assert odoo_client.protocol == "JSON-RPC" and odoo_client.warnings == []
    assert odoo_client.dialect.major == 17 and odoo_client.uid == 2


def test_named_calls_become_the_recorded_positional_form() -> None:
    # recorded: search_read [[domain]] {fields, limit}; write [[ids], vals]; button_confirm [[ids]]
    assert to_execute_kw(
        "search_read", None, {"domain": [["ref", "=", "X"]], "fields": ["id"]}, None
    ) == ([[["ref", "=", "X"]]], {"fields": ["id"]})
    assert to_execute_kw("write", [1], {"vals": {"a": 1}}, None) == ([[1], {"a": 1}], {})
    assert to_execute_kw("button_confirm", [1], None, None) == ([[1]], {})
    assert to_execute_kw("create", None, {"vals_list": [{}]}, {"k": 1}) == (
        [[{}]],
        {"context": {"k": 1}},
    )


def test_wrong_password_is_a_configuration_error(odoo_double: OdooDouble) -> None:
    # recorded: authenticate answers false, not an error
    with (
        _client(odoo_double, password="wrong") as client,
        pytest.raises(OdooConfigurationError, match="refused the login"),
    ):
        client.search_read("res.partner", [], ["name"])


def test_api_key_logs_in_over_jsonrpc(odoo_double: OdooDouble) -> None:
    with OdooClient(
        odoo_double.url, odoo_double.db, odoo_double.user, api_key=odoo_double.api_key
    ) as client:
        assert client.uid == 2
        assert (
            client.search_read("uom.uom", [["name", "=", "Units"]], ["name"])[0]["name"] == "Units"
        )


@pytest.mark.parametrize(
    ("model", "method", "ids", "params", "error", "odoo_name", "message"),
    [
        (
            "no.such.model",
            "search",
            None,
            {"domain": []},
            OdooConfigurationError,
            "odoo.exceptions.UserError",
            "Object no.such.model doesn't exist",
        ),
        (
            "res.partner",
            "no_such_method",
            [],
            None,
            OdooConfigurationError,
            "builtins.AttributeError",
            "The method 'no_such_method' does not exist on the model 'res.partner'",
        ),
        (
            "stock.move.line",
            "search_read",
            None,
            {"domain": [["qty_done", ">", 0]]},
            OdooConfigurationError,
            "builtins.ValueError",
            "Invalid field stock.move.line.qty_done in leaf ('qty_done', '>', 0)",
        ),
        (
            "res.partner",
            "_get_name",
            [1],
            None,
            OdooConfigurationError,
            "odoo.exceptions.AccessError",
            "Private methods (such as _get_name) cannot be called remotely.",
        ),
    ],
)
def test_recorded_error_shapes_map_to_permanent_errors(
    odoo_client: OdooClient,
    model: str,
    method: str,
    ids: list[int] | None,
    params: dict | None,
    error: type,
    odoo_name: str,
    message: str,
) -> None:
    with pytest.raises(error) as caught:
        odoo_client.call(model, method, ids=ids, params=params)
    # Odoo's message is kept verbatim
    assert caught.value.odoo_name == odoo_name
    assert caught.value.odoo_message == message


def test_user_error_is_a_business_error_with_odoos_words(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given a confirmed order with nothing received (recorded step 36)
    order_id = odoo_client.create(
        "purchase.order",
        {
            "partner_id": world.vendor_id,
            "order_line": [[0, 0, {"product_id": world.glove_id, "product_qty": 10}]],
        },
    )
    odoo_client.call("purchase.order", "button_confirm", ids=[order_id])
    with pytest.raises(OdooBusinessError) as caught:
        odoo_client.call("purchase.order", "action_create_invoice", ids=[order_id])
    assert caught.value.odoo_message.startswith("There is no invoiceable line.")
    # and a method returning None (no "result" key) gives None
    assert odoo_client.call("purchase.order", "button_done", ids=[order_id]) is None


def test_missing_record_reads_as_empty(odoo_client: OdooClient) -> None:
    assert odoo_client.read("res.partner", [999999999], ["name"]) == []


def test_wrong_secret_on_an_object_call_is_access_denied(odoo_double: OdooDouble) -> None:
    with _client(odoo_double) as client:
        client.dialect  # noqa: B018 - read the version first
        client._uid = 2
        client._secret = "wrong"
        with pytest.raises(OdooConfigurationError) as caught:
            client.search_read("res.partner", [], ["name"])
    assert caught.value.odoo_name == "odoo.exceptions.AccessDenied"


@pytest.mark.parametrize("kind", ["503", "drop", "refused", "timeout", "serialization"])
def test_outages_are_transient(odoo_double: OdooDouble, odoo_client: OdooClient, kind: str) -> None:
    before = odoo_client.search_read("res.partner", [], ["name"])  # version and login done
    odoo_double.fail_next(1, kind)  # type: ignore[arg-type]
    with pytest.raises(OdooTransientError):
        odoo_client.search_read("res.partner", [], ["name"])
    # and the next call works again
    assert odoo_client.search_read("res.partner", [], ["name"]) == before


def test_serialization_failure_keeps_the_database_message(
    odoo_double: OdooDouble, odoo_client: OdooClient
) -> None:
    odoo_client.search_read("res.partner", [], ["name"])
    odoo_double.fail_next(1, "serialization")
    with pytest.raises(OdooTransientError) as caught:
        odoo_client.search_read("res.partner", [], ["name"])
    assert caught.value.odoo_message == "could not serialize access due to concurrent update"


def test_connection_refused_is_transient(odoo_double: OdooDouble, odoo_client: OdooClient) -> None:
    before = odoo_client.search_read("res.partner", [], ["name"])
    with odoo_double.offline(), pytest.raises(OdooTransientError, match="cannot reach"):
        odoo_client.search_read("res.partner", [], ["name"])
    assert odoo_client.search_read("res.partner", [], ["name"]) == before


@pytest.mark.parametrize(
    ("name", "message", "error"),
    [
        ("odoo.exceptions.ValidationError", "bad", OdooBusinessError),
        ("odoo.exceptions.UserError", "Cannot confirm", OdooBusinessError),
        ("odoo.exceptions.AccessDenied", "Access Denied", OdooConfigurationError),
        ("odoo.exceptions.MissingError", "Record does not exist", OdooConfigurationError),
        ("psycopg2.errors.SerializationFailure", "could not serialize access", OdooTransientError),
        (
            "builtins.Exception",
            "could not serialize access due to concurrent update",
            OdooTransientError,
        ),
        ("werkzeug.exceptions.Unauthorized", "Invalid apikey", OdooConfigurationError),
        ("builtins.KeyError", "nope", OdooConfigurationError),  # recorded: unknown service
        ("psycopg2.OperationalError", "connection to server lost", OdooTransientError),
        (
            "psycopg2.OperationalError",
            'FATAL:  database "prd" does not exist',
            OdooConfigurationError,
        ),
        ("odoo.exceptions.UserError", "Object no.such.model doesn't exist", OdooConfigurationError),
    ],
)
def test_fault_mapping_table(name: str, message: str, error: type) -> None:
    mapped = error_from_fault(name, message, context="x.y")
    assert type(mapped) is error and mapped.odoo_message == message


def test_http_status_mapping() -> None:
    assert isinstance(error_from_http_status(502, "<html>bad gateway</html>"), OdooTransientError)
    assert isinstance(
        error_from_http_status(400, "<p>Invalid JSON data</p>"), OdooConfigurationError
    )
