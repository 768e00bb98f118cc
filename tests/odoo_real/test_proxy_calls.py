"""The dropping proxy of the kill tests recognises a call in each shape a client sends it
(no Odoo needed: the requests are what the gateway's client and Odoo's web client send)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest

from gateway.odoo.client import OdooClient
from gateway.odoo.errors import OdooTransientError
from tests.odoo_real.proxy import DroppingProxy, call_of
from tests.support.odoo_double import start_odoo_double


def _body(params: dict[str, object]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}).encode()


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (
            "/jsonrpc",
            _body(
                {
                    "service": "object",
                    "method": "execute_kw",
                    "args": ["db", 2, "pw", "purchase.order", "create", [{}], {}],
                }
            ),
            ("JSON-RPC", "purchase.order.create"),
        ),
        ("/jsonrpc", _body({"service": "common", "method": "version", "args": []}), None),
        (
            "/web/dataset/call_kw/account.move/action_post",
            _body({"model": "account.move", "method": "action_post", "args": [[7]]}),
            ("call_kw", "account.move.action_post"),
        ),
        (
            "/web/dataset/call_kw",
            _body({"model": "stock.move", "method": "write", "args": [[1], {}]}),
            ("call_kw", "stock.move.write"),
        ),
        (
            "/json/2/stock.backorder.confirmation/process",
            b'{"ids": [3], "context": {"button_validate_picking_ids": [5]}}',
            ("JSON-2", "stock.backorder.confirmation.process"),
        ),
        ("/json/2/purchase.order/create?debug=1", b"{}", ("JSON-2", "purchase.order.create")),
        ("/json/2/purchase.order", b"{}", None),
        ("/web/version", b"", None),
    ],
)
def test_a_call_is_recognised_in_every_shape(path: str, body: bytes, expected: object) -> None:
    assert call_of(path, body) == expected


def test_json2_answer_lost_after_the_write_committed() -> None:
    # the Odoo 19 double behind the proxy, the gateway's client speaking JSON-2 to it
    double = start_odoo_double(19)
    proxy = DroppingProxy(double.url)
    errors: list[BaseException] = []
    try:
        with OdooClient(proxy.url, double.db, double.user, api_key=double.api_key) as client:
            assert client.protocol == "JSON-2"
            # hang up on the answer: the client sees a transient error, the partner exists
            proxy.trap("res.partner.create", hang=False)
            with pytest.raises(OdooTransientError):
                client.create("res.partner", {"name": "Lost answer"})
            assert proxy.tripped.is_set()
            assert [r["name"] for r in double.records("res.partner")].count("Lost answer") == 1
            # hold the answer: the caller waits until the proxy lets go (or it is killed)
            proxy.trap("res.partner.write")
            caller = threading.Thread(
                target=_call, args=(errors, client.write, "res.partner", [1], {"ref": "held"})
            )
            caller.start()
            assert proxy.tripped.wait(10)
            caller.join(0.5)
            assert caller.is_alive()
            assert [r["ref"] for r in double.records("res.partner") if r["id"] == 1] == ["held"]
            proxy.stop()
            caller.join(30)
        assert [type(e) for e in errors] == [OdooTransientError]
        assert ("JSON-2", "res.partner.create") in proxy.calls
        assert ("JSON-2", "res.partner.write") in proxy.calls
    finally:
        proxy.stop()
        double.stop()


def _call(errors: list[BaseException], call: Callable[..., object], *args: object) -> None:
    try:
        call(*args)
    except BaseException as exc:
        errors.append(exc)
