"""An HTTP forwarder between the gateway and a real Odoo that can swallow one answer.

:class:`DroppingProxy` passes every request to Odoo and its answer back, except the one
it is told to trap (``model.method``, the n-th such call): that request reaches Odoo —
which carries it out and commits — but its answer never reaches the gateway. The proxy
sets :attr:`DroppingProxy.tripped` and then either holds the connection, so the test can
kill the worker at exactly that point (after Odoo's write, before the gateway learnt of
it), or, with ``hang=False``, closes it without a reply, which the gateway sees as a
broken connection (a transient error it retries).

A call is recognised in the three shapes a client sends it:

* JSON-RPC ``POST /jsonrpc`` with ``service: object, method: execute_kw`` (Odoo 16-19),
* the web client's ``POST /web/dataset/call_kw[/model/method]`` (``params.model/method``),
* JSON-2 ``POST /json/2/<model>/<method>`` (Odoo 19+; the body holds named arguments
  only, the answer is the bare result).

:attr:`DroppingProxy.calls` lists every call forwarded as ``(protocol, "model.method")``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class DroppingProxy:
    """See the module docstring."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.calls: list[tuple[str, str]] = []  # (protocol, "model.method") forwarded
        self.tripped = threading.Event()
        self._trap: tuple[str, int] | None = None
        self._hang = True
        self._contains = b""
        self._seen = 0
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def trap(self, call: str, nth: int = 1, *, hang: bool = True, contains: str = "") -> None:
        """Drop the answer to the ``nth`` call of ``call`` (``"purchase.order.create"``).

        ``hang``: hold the connection open (until :meth:`stop`) instead of closing it.
        ``contains``: count only the calls whose request body has this text (one chatter
        note among several: ``"[EDI bill left in draft"``).
        """
        with self._lock:
            self._trap, self._seen, self._hang = (call, nth), 0, hang
            self._contains = contains.encode()
            self.tripped.clear()

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def _should_drop(self, found: tuple[str, str] | None, body: bytes) -> bool:
        with self._lock:
            if found is None:
                return False
            self.calls.append(found)
            call = found[1]
            if self._trap is None or call != self._trap[0] or self._contains not in body:
                return False
            self._seen += 1
            if self._seen != self._trap[1]:
                return False
            self._trap = None
            return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                drop = proxy._should_drop(call_of(self.path, body), body)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("content-type", "authorization", "x-odoo-database")
                }
                reply = httpx.request(
                    method, proxy.upstream + self.path, content=body, headers=headers, timeout=120
                )
                if drop:
                    # Odoo did it; the gateway never hears so. Hold until the test is
                    # done, or hang up without a word.
                    proxy.tripped.set()
                    if proxy._hang:
                        proxy._release.wait(300)
                    self.close_connection = True
                    return
                self.send_response(reply.status_code)
                self.send_header("Content-Type", reply.headers.get("content-type", "text/html"))
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            def do_POST(self) -> None:
                self._forward("POST")

            def do_GET(self) -> None:
                self._forward("GET")

        return Handler


def call_of(path: str, body: bytes) -> tuple[str, str] | None:
    """``(protocol, "model.method")`` of an ORM call request, else None (see the module
    docstring for the shapes)."""
    route = path.split("?", 1)[0]
    if route.startswith("/json/2/"):
        parts = route[len("/json/2/") :].strip("/").split("/")
        if len(parts) == 2 and all(parts):
            return "JSON-2", f"{parts[0]}.{parts[1]}"
        return None
    try:
        payload = json.loads(body or b"{}")
        params = payload.get("params") or {}
        if route == "/jsonrpc":
            if params.get("service") == "object" and params.get("method") == "execute_kw":
                args = params.get("args") or []
                return "JSON-RPC", f"{args[3]}.{args[4]}"
        elif route.split("/")[1:4] == ["web", "dataset", "call_kw"] and params.get("model"):
            return "call_kw", f"{params['model']}.{params.get('method')}"
    except (ValueError, AttributeError, IndexError, TypeError):
        return None
    return None
