"""The client on real Odoo 17, 18 and 19: the protocol comes from what the server
answers; HTML and redirects where JSON is expected are configuration errors naming the
URL and what came back; 19 speaks JSON-2 with an API key and ``X-Odoo-Database``."""

from __future__ import annotations

import httpx
import pytest

from gateway.odoo.check import check_odoo
from gateway.odoo.client import OdooClient
from gateway.odoo.errors import OdooConfigurationError
from tests.support.odoo_apikey import make_api_key


@pytest.fixture(scope="module")
def api_key(real_odoo) -> str:  # type: ignore[no-untyped-def]
    return make_api_key(real_odoo.url, real_odoo.name, real_odoo.login, real_odoo.password)


def _client(db, **secret: str) -> OdooClient:  # type: ignore[no-untyped-def]
    return OdooClient(db.url, db.name, db.login, **secret)


@pytest.mark.parametrize("real_odoo", [17, 18, 19], indirect=True)
def test_protocol_is_what_the_server_answers(real_odoo, api_key: str) -> None:  # type: ignore[no-untyped-def]
    db = real_odoo
    # with an API key: JSON-2 only where /json/2 answers JSON (19); 17 answers a 404
    # page, 18 a 303 to the login page - both mean JSON-RPC
    with _client(db, api_key=api_key) as client:
        expected = "JSON-2" if db.version >= 19 else "JSON-RPC"
        assert client.protocol == expected and client.warnings == []
        assert client.dialect.major == db.version
        # a write and a read through that protocol, checked independently
        partner_id = client.create("res.partner", {"name": f"Protocol {db.version}"})
        assert db.search_read("res.partner", [["id", "=", partner_id]], ["name"])[0]["name"] == (
            f"Protocol {db.version}"
        )
        server = next(r for r in check_odoo(client) if r.name == "server")
        assert f"Odoo {db.version}." in server.detail and expected in server.detail
    # with a password only: JSON-RPC; on 19 a warning that it is deprecated there
    with _client(db, password=db.password) as client:
        assert client.protocol == "JSON-RPC"
        if db.version >= 19:
            assert "deprecates" in client.warnings[0]
            warning = next(r for r in check_odoo(client) if r.name == "protocol")
            assert warning.warning and warning.ok and "EDIGW_ODOO_API_KEY" in warning.fix
        else:
            assert client.warnings == []


@pytest.mark.parametrize("real_odoo", [18], indirect=True)
def test_odoo_18_json2_redirect_and_login_page_are_configuration_errors(
    real_odoo,  # type: ignore[no-untyped-def]
    api_key: str,
) -> None:
    db = real_odoo
    url = f"{db.url}/json/2/res.partner/search_read"
    body = {"domain": [], "fields": ["name"]}
    headers = {"Authorization": f"bearer {api_key}", "X-Odoo-Database": db.name}
    with _client(db, api_key=api_key) as client:
        # the redirect itself (what the gateway sees: it never follows redirects)
        answer = httpx.post(url, json=body, headers=headers, timeout=30)
        assert answer.status_code == 303
        with pytest.raises(OdooConfigurationError) as caught:
            client._decode(answer, context="res.partner.search_read")
        message = str(caught.value)
        assert url in message and "HTTP 303" in message and "/web/login" in message
        # what a client that follows redirects would get: 200 and the HTML login page
        followed = httpx.post(url, json=body, headers=headers, timeout=30, follow_redirects=True)
        assert followed.status_code == 200
        with pytest.raises(OdooConfigurationError) as caught:
            client._decode(followed, context="res.partner.search_read")
        assert "HTTP 200 text/html" in str(caught.value) and "/web/login" in str(caught.value)


@pytest.mark.parametrize("real_odoo", [19], indirect=True)
def test_odoo_19_json2_needs_the_database_header_when_several_are_served(
    real_odoo,  # type: ignore[no-untyped-def]
    api_key: str,
) -> None:
    db = real_odoo
    url = f"{db.url}/json/2/res.users/context_get"
    # a second database on the same server: now it serves several
    second = db.server.new_database("second")
    try:
        # without X-Odoo-Database, no database is selected: an HTML 404
        bearer = {"Authorization": f"bearer {api_key}"}
        answer = httpx.post(url, json={}, headers=bearer, timeout=30)
        assert answer.status_code == 404 and "text/html" in answer.headers["Content-Type"]
        assert "No database is selected" in answer.text
        # the client sends it: JSON-2 works
        with _client(db, api_key=api_key) as client:
            assert client.uses_json2
            rows = client.search_read("res.users", [["login", "=", db.login]], ["login"])
            assert rows[0]["login"] == db.login
        # a wrong database name: a configuration error that names it
        with (
            OdooClient(db.url, "no_such_db", db.login, api_key=api_key) as client,
            pytest.raises(OdooConfigurationError, match="no_such_db"),
        ):
            client.search_read("res.users", [], ["login"])
        # a wrong key: refused with Odoo's word for it
        with (
            _client(db, api_key="0" * 40) as client,
            pytest.raises(OdooConfigurationError, match="refused the API key"),
        ):
            client.search_read("res.users", [], ["login"])
    finally:
        db.server.drop(second)
