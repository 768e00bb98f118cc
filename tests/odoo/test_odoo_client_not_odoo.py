"""A client pointed at something that answers HTML or redirects, where Odoo's JSON is
expected, fails with a configuration error naming the URL and what came back."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gateway.odoo.client import OdooClient
from gateway.odoo.errors import OdooConfigurationError, OdooTransientError

LOGIN_PAGE = b"<!doctype html><html><head><title>Odoo - Log in</title></head><body/></html>"
NGINX_404 = b"<html><head><title>404 Not Found</title></head><body>nginx</body></html>"
NGINX_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


class _Server:
    """Answers every request with one fixed (status, headers, body)."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        answer = (status, body, headers)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                status, body, headers = answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


Serve = Callable[..., _Server]


@pytest.fixture
def serve() -> Iterator[Serve]:
    servers: list[_Server] = []

    def start(status: int, body: bytes, **headers: str) -> _Server:
        server = _Server(status, body, {k.replace("_", "-"): v for k, v in headers.items()})
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _connect(url: str) -> OdooClient:
    return OdooClient(url, "prod", "edi@example.org", api_key="k" * 40, timeout=5.0)


def test_a_login_redirect_is_a_configuration_error_naming_url_and_target(serve: Serve) -> None:
    server = serve(303, b"", Location="/web/login?redirect=/jsonrpc")
    with _connect(server.url) as client, pytest.raises(OdooConfigurationError) as caught:
        client.search_read("res.partner", [], ["name"])
    message = str(caught.value)
    assert f"{server.url}/jsonrpc" in message
    assert "HTTP 303" in message and "/web/login?redirect=/jsonrpc" in message


def test_an_html_page_with_status_200_is_a_configuration_error(serve: Serve) -> None:
    server = serve(200, LOGIN_PAGE, Content_Type="text/html; charset=utf-8")
    with _connect(server.url) as client, pytest.raises(OdooConfigurationError) as caught:
        client.dialect  # noqa: B018
    message = str(caught.value)
    assert f"{server.url}/jsonrpc" in message
    assert 'text/html "Odoo - Log in"' in message and "EDIGW_ODOO_URL" in message


def test_a_proxy_not_found_page_is_a_configuration_error(serve: Serve) -> None:
    server = serve(404, NGINX_404, Content_Type="text/html")
    with _connect(server.url) as client, pytest.raises(OdooConfigurationError) as caught:
        client.search_read("res.partner", [], ["name"])
    assert 'HTTP 404 text/html "404 Not Found"' in str(caught.value)
    assert server.url in str(caught.value)


def test_a_proxy_bad_gateway_page_is_transient_and_says_what_came_back(serve: Serve) -> None:
    server = serve(502, NGINX_502, Content_Type="text/html")
    with _connect(server.url) as client, pytest.raises(OdooTransientError) as caught:
        client.search_read("res.partner", [], ["name"])
    assert f'{server.url}/jsonrpc answered HTTP 502 text/html "502 Bad Gateway"' in str(
        caught.value
    )


def test_json_that_is_not_odoos_is_refused(serve: Serve) -> None:
    server = serve(200, b'{"hello": "world"}', Content_Type="application/json")
    with _connect(server.url) as client, pytest.raises(OdooConfigurationError) as caught:
        client.dialect  # noqa: B018
    assert f"{server.url}/jsonrpc: unexpected answer to common.version" in str(caught.value)
