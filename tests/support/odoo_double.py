"""An HTTP test double of an Odoo server, built from the recorded Odoo 17 session.

It speaks the same wire format as the real server recorded in
``../shared/odoo17/transcript.jsonl``: ``POST /jsonrpc`` with the ``common`` and
``object`` services (HTTP 200 for application errors, error bodies with
``data.name``/``data.message``, no ``result`` key when a method returns None, ``false``
for a wrong password, HTTP 400 HTML for malformed JSON), and, for Odoo 19, the JSON-2 API
(``POST /json/2/<model>/<method>`` with a bearer API key, errors as 4xx/5xx JSON) and
``GET /web/version``. The records and behaviours live in
:class:`gateway.odoo.memory.MemoryOdoo`.

Outages are simulated per request with :meth:`OdooDouble.fail_next` and a real
"connection refused" with :meth:`OdooDouble.go_offline` / :meth:`OdooDouble.come_back`.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from gateway.odoo.memory import MemoryOdoo, OdooFault

FailureKind = Literal["503", "timeout", "drop", "refused", "serialization"]
UID = 2

_BAD_JSON_HTML = (
    "<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n"
    "<h1>Bad Request</h1>\n<p>Invalid JSON data</p>\n"
)
_JSON2_STATUS = {
    "odoo.exceptions.AccessDenied": 401,
    "werkzeug.exceptions.Unauthorized": 401,
    "odoo.exceptions.AccessError": 403,
    "odoo.exceptions.MissingError": 404,
    "builtins.AttributeError": 404,
    "odoo.exceptions.UserError": 422,
    "odoo.exceptions.ValidationError": 422,
    "builtins.TypeError": 422,
}


@dataclass
class RecordedRequest:
    """One request the double received."""

    method: str
    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class OdooDouble:
    """A running fake Odoo on 127.0.0.1 with an in-memory database."""

    def __init__(
        self,
        major: int = 17,
        *,
        db: str = "edi_ref",
        user: str = "admin",
        password: str = "admin",
        api_key: str = "0123456789abcdef0123456789abcdef01234567",
        jsonrpc_enabled: bool = True,
        timeout_delay: float = 1.5,
        modules: tuple[str, ...] | None = None,
    ) -> None:
        self.odoo = MemoryOdoo(major) if modules is None else MemoryOdoo(major, modules=modules)
        self.major = major
        self.db = db
        self.user = user
        self.password = password
        self.api_key = api_key
        self.jsonrpc_enabled = jsonrpc_enabled
        self.timeout_delay = timeout_delay
        self.requests: list[RecordedRequest] = []
        self._connections: set[socket.socket] = set()
        self._in_flight = 0
        self._failures: list[tuple[FailureKind, str | None]] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._start()

    # ---- lifecycle -----------------------------------------------------------------
    def _start(self) -> None:
        handler = _make_handler(self)
        server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop serving (the port is then refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def go_offline(self) -> None:
        """Close the listening socket and every open connection: "connection refused"."""
        self.stop()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def come_back(self) -> None:
        """Listen again on the same port with the same records."""
        if self._server is None:
            for _ in range(50):
                try:
                    self._start()
                    return
                except OSError:
                    time.sleep(0.05)
            raise RuntimeError(f"cannot listen again on port {self.port}")

    @contextmanager
    def offline(self) -> Iterator[None]:
        self.go_offline()
        try:
            yield
        finally:
            self.come_back()

    # ---- failure injection ------------------------------------------------------------
    def fail_next(self, n: int, kind: FailureKind, *, on: str | None = None) -> None:
        """Make the next ``n`` requests fail: HTTP 503, a reply slower than the client's
        timeout (the call is still carried out, as on a real server), a dropped connection,
        a reset connection ("refused"), or a database serialization failure.
        ``on="purchase.order.create"`` limits the failures to calls of that model method."""
        with self._lock:
            self._failures.extend([(kind, on)] * n)

    def _take_failure(self, label: str) -> FailureKind | None:
        with self._lock:
            for index, (kind, on) in enumerate(self._failures):
                if on is None or on == label:
                    del self._failures[index]
                    return kind
            return None

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until no request is being answered (a slow reply finished its work)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._in_flight == 0:
                    return
            time.sleep(0.02)
        raise TimeoutError("the Odoo double is still answering a request")

    def calls(self) -> list[str]:
        """``model.method`` of every object call received so far (both protocols)."""
        return [label for r in self.requests if (label := _call_label(r.path, r.body))]

    def sent_values(self) -> list[Any]:
        """Every request body received (to assert field names the client used)."""
        return [r.body for r in self.requests]

    # ---- seeding and inspection ---------------------------------------------------------
    def records(self, model: str) -> list[dict[str, Any]]:
        """Every record of ``model`` as ``read`` returns it (many2one as ``[id, name]``)."""
        with self._lock:
            ids = sorted(self.odoo.tables[model])
            return self.odoo.read(model, ids)

    def add_vendor(self, name: str, ref: str) -> int:
        with self._lock:
            return int(
                self.odoo.create(
                    "res.partner",
                    {"name": name, "ref": ref, "is_company": True, "supplier_rank": 1},
                )
            )

    def add_product(
        self,
        name: str,
        *,
        default_code: str | None = None,
        barcode: str | None = None,
        tracking: str = "none",
        use_expiration_date: bool = False,
        standard_price: float = 0.0,
        uom: str = "Units",
        taxes: list[int] | None = None,
    ) -> int:
        """A storable product; ``taxes`` = purchase tax ids (default: Odoo's default tax)."""
        values: dict[str, Any] = {
            "name": name,
            "tracking": tracking,
            "standard_price": standard_price,
            "purchase_ok": True,
            "use_expiration_date": use_expiration_date,
        }
        if default_code:
            values["default_code"] = default_code
        if barcode:
            values["barcode"] = barcode
        if taxes is not None:
            values["supplier_taxes_id"] = [[6, 0, taxes]]
        if self.major >= 18:
            values.update({"type": "consu", "is_storable": True})
        else:
            values["detailed_type"] = "product"
        with self._lock:
            uom_ids = self.odoo.search("uom.uom", [["name", "=", uom]])
            values["uom_id"] = uom_ids[0]
            return int(self.odoo.create("product.product", values))

    def add_supplierinfo(
        self, vendor_id: int, product_id: int, product_code: str, price: float = 0.0
    ) -> int:
        with self._lock:
            return int(
                self.odoo.create(
                    "product.supplierinfo",
                    {
                        "partner_id": vendor_id,
                        "product_id": product_id,
                        "product_code": product_code,
                        "price": price,
                        "min_qty": 0,
                    },
                )
            )

    def put_in_stock(
        self, product_id: int, quantity: float, *, lot: str | None = None, expiry: str = ""
    ) -> int | None:
        """Count ``quantity`` of the product (of lot ``lot``, expiring ``expiry``) into
        WH/Stock as Odoo's inventory count does; returns the lot's id."""
        with self._lock:
            values: dict[str, Any] = {"product_id": product_id, "inventory_quantity": quantity}
            lot_id = None
            if lot is not None:
                lot_id = int(
                    self.odoo.create(
                        "stock.lot",
                        {"name": lot, "product_id": product_id,
                         "expiration_date": f"{expiry} 00:00:00" if expiry else False},
                    )
                )  # fmt: skip
                values["lot_id"] = lot_id
            quant = self.odoo.create("stock.quant", values, context={"inventory_mode": True})
            self.odoo.execute_kw("stock.quant", "action_apply_inventory", [[quant]], {})
            return lot_id

    def add_uom(self, name: str, factor: float = 1.0) -> int:
        with self._lock:
            return self.odoo._insert(
                "uom.uom", {"name": name, "category_id": 1, "factor": factor, "uom_type": "bigger"}
            )

    # ---- request handling --------------------------------------------------------------
    def handle_jsonrpc(self, payload: Any) -> Any:
        """Answer one JSON-RPC request body; returns the reply body (a dict)."""
        request_id = payload.get("id") if isinstance(payload, dict) else None
        try:
            params = payload["params"]
            result = self._jsonrpc_call(params["service"], params["method"], params.get("args", []))
        except OdooFault as fault:
            return {"jsonrpc": "2.0", "id": request_id, "error": _error_body(fault)}
        except (KeyError, TypeError, IndexError) as exc:
            fault = OdooFault(f"builtins.{type(exc).__name__}", str(exc).strip("'"))
            return {"jsonrpc": "2.0", "id": request_id, "error": _error_body(fault)}
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if result is not None:  # recorded: no "result" key at all for None
            reply["result"] = result
        return reply

    def _jsonrpc_call(self, service: str, method: str, args: list[Any]) -> Any:
        if service == "common":
            if method == "version":
                return self.odoo.version()
            if method in ("authenticate", "login"):
                db, login, secret = args[0], args[1], args[2]
                ok = (
                    db == self.db and login == self.user and secret in (self.password, self.api_key)
                )
                return UID if ok else False
            raise OdooFault("builtins.KeyError", method)
        if service == "db":
            if method == "list":
                return [self.db]
            raise OdooFault("builtins.KeyError", method)
        if service == "object":
            if method != "execute_kw":
                raise OdooFault("builtins.KeyError", method)
            db, uid, secret, model, model_method = args[:5]
            call_args = args[5] if len(args) > 5 else []
            call_kwargs = args[6] if len(args) > 6 else {}
            if db != self.db or uid != UID or secret not in (self.password, self.api_key):
                raise OdooFault("odoo.exceptions.AccessDenied", "Access Denied")
            with self._lock:
                return _guard(
                    lambda: self.odoo.execute_kw(model, model_method, call_args, call_kwargs)
                )
        raise OdooFault("builtins.KeyError", service)

    def handle_json2(self, model: str, method: str, auth: str, payload: Any) -> tuple[int, Any]:
        """Answer one JSON-2 request; returns (status, body)."""
        if auth != f"bearer {self.api_key}":
            fault = OdooFault("werkzeug.exceptions.Unauthorized", "Invalid apikey")
            return 401, _json2_error(fault)
        if not isinstance(payload, dict):
            return 400, _json2_error(OdooFault("werkzeug.exceptions.BadRequest", "bad body"))
        try:
            with self._lock:
                return 200, _guard(lambda: self.odoo.call_named(model, method, payload))
        except OdooFault as fault:
            return _JSON2_STATUS.get(fault.name, 500), _json2_error(fault)


def _call_label(path: str, body: Any) -> str:
    if path.startswith("/json/2/"):
        return path[len("/json/2/") :].replace("/", ".")
    try:
        params = body["params"]
        if params["service"] == "object":
            return f"{params['args'][3]}.{params['args'][4]}"
    except (KeyError, IndexError, TypeError):
        pass
    return ""


def _guard(call: Any) -> Any:
    """Turn Python errors inside the imitation into Odoo-shaped faults."""
    try:
        return call()
    except OdooFault:
        raise
    except Exception as exc:  # the real server reports any exception the same way
        raise OdooFault(f"builtins.{type(exc).__name__}", str(exc)) from exc


def _short_name(name: str) -> str:
    return name.split(".", 1)[1] if name.startswith("builtins.") else name


def _debug_line(fault: OdooFault) -> str:
    # the last traceback line shows the exception's str(): KeyError quotes its key
    message = repr(fault.message) if fault.name == "builtins.KeyError" else fault.message
    return f"{_short_name(fault.name)}: {message}"


def _error_body(fault: OdooFault) -> dict[str, Any]:
    return {
        "code": 200,
        "message": "Odoo Server Error",
        "data": {
            "name": fault.name,
            "debug": f"...traceback cut...\n{_debug_line(fault)}",
            "message": fault.message,
            "arguments": [fault.message],
            "context": {},
        },
    }


def _json2_error(fault: OdooFault) -> dict[str, Any]:
    return {
        "name": fault.name,
        "message": fault.message,
        "arguments": [fault.message],
        "context": {},
        "debug": f"Traceback (most recent call last):\n{_debug_line(fault)}",
    }


class _Handler(BaseHTTPRequestHandler):
    """The double's HTTP side; ``_make_handler`` binds it to one double."""

    double: OdooDouble
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one small reply per request: no 40 ms ACK wait

    def log_message(self, format: str, *args: Any) -> None:  # quiet tests
        return

    def setup(self) -> None:
        super().setup()
        with self.double._lock:
            self.double._connections.add(self.connection)

    def finish(self) -> None:
        with self.double._lock:
            self.double._connections.discard(self.connection)
        with suppress(OSError):
            super().finish()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout test) or we went offline
            self.close_connection = True

    def _send_json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode(), "application/json; charset=utf-8")

    def _failure(self, body: Any = None) -> bool:
        """Apply an injected failure; True when the request is answered (or dropped)."""
        kind = self.double._take_failure(_call_label(self.path, body))
        if kind is None:
            return False
        if kind == "503":
            self._send(503, b"<html><body>503 Service Unavailable</body></html>", "text/html")
            return True
        if kind == "refused":
            # reset the connection (RST): what a client sees from a port nobody serves
            # once it had connected; for a true "connection refused" use go_offline()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return True
        if kind == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return True
        if kind == "timeout":
            time.sleep(self.double.timeout_delay)
            return False  # then carry the call out, as a slow real server would
        if kind == "serialization":
            fault = OdooFault(
                "psycopg2.errors.SerializationFailure",
                "could not serialize access due to concurrent update",
            )
            if self.path.startswith("/json/2/"):
                self._send_json(500, _json2_error(fault))
            else:
                self._send_json(200, {"jsonrpc": "2.0", "id": None, "error": _error_body(fault)})
            return True
        return False

    def do_GET(self) -> None:
        self.double.requests.append(RecordedRequest("GET", self.path, None, dict(self.headers)))
        if self._failure():
            return
        if self.path == "/web/version":
            info = self.double.odoo.version()
            self._send_json(
                200,
                {"version_info": info["server_version_info"], "version": info["server_serie"]},
            )
            return
        self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")

    def do_POST(self) -> None:
        with self.double._lock:
            self.double._in_flight += 1
        try:
            self._post()
        finally:
            with self.double._lock:
                self.double._in_flight -= 1

    def _post(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            payload: Any = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
            parsed = False
        else:
            parsed = True
        self.double.requests.append(
            RecordedRequest(
                "POST",
                self.path,
                payload if parsed else raw.decode("latin-1"),
                dict(self.headers),
            )
        )
        if self._failure(payload):
            return
        if self.path == "/jsonrpc" and self.double.jsonrpc_enabled:
            if not parsed:
                self._send(400, _BAD_JSON_HTML.encode(), "text/html; charset=utf-8")
                return
            self._send_json(200, self.double.handle_jsonrpc(payload))
            return
        if self.path.startswith("/json/2/") and self.double.major >= 19:
            parts = self.path[len("/json/2/") :].split("/")
            if len(parts) != 2 or not parsed:
                fault = OdooFault("werkzeug.exceptions.BadRequest", "Invalid JSON data")
                self._send_json(400, _json2_error(fault))
                return
            status, body = self.double.handle_json2(
                parts[0], parts[1], self.headers.get("Authorization", ""), payload
            )
            self._send_json(status, body)
            return
        self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")


def _make_handler(double: OdooDouble) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"double": double})


def start_odoo_double(major: int = 17, **kwargs: Any) -> OdooDouble:
    """Start a double (stop it with ``.stop()``)."""
    return OdooDouble(major, **kwargs)
