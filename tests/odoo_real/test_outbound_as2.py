"""Our purchase order leaves a real Odoo 17 over AS2: openssl, as the supplier, opens it.

The order is read from Odoo, written as an 850, signed with our key and encrypted for the
supplier's certificate by the pipeline's ``send_order`` stage; a small HTTP server plays
the supplier's AS2 endpoint and records the request; ``openssl cms`` decrypts it with the
supplier's key and verifies our signature against our certificate, and the 850 inside
carries the Odoo order.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI, Request, Response

from gateway.as2.certs import create_key_pair
from gateway.odoo.client import OdooClient
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.outbound import list_orders, run_scheduled
from gateway.process import build_process_runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from tests.as2.as2_helpers import ServerThread, openssl

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def supplier() -> Iterator[tuple[list[tuple[dict[str, str], bytes]], str]]:
    """The supplier's AS2 endpoint: records each request, answers 200 (no MDN asked)."""
    received: list[tuple[dict[str, str], bytes]] = []
    app = FastAPI()

    @app.post("/as2")
    async def record(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=200)

    with ServerThread(app) as server:
        yield received, server.url + "/as2"


def test_order_goes_out_signed_and_encrypted_and_openssl_opens_it(
    real_odoo,
    supplier,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    db = real_odoo
    received, url = supplier
    vendor = db.create("res.partner", {"name": "Summit Medical Supply", "ref": "SUMMIT"})
    product = db.create("product.product", {"name": "Gloves M", "default_code": "MH-GLV-M"})
    order = db.create(
        "purchase.order",
        {"partner_id": vendor, "order_line": [(0, 0, {"product_id": product, "product_qty": 12,
                                                      "price_unit": 4.2})]},
    )  # fmt: skip
    db.call("purchase.order", "button_confirm", [order])
    po = db.search_read("purchase.order", [["id", "=", order]], ["name"])[0]["name"]
    # keys: ours (signing) and the supplier's (encryption)
    keys = tmp_path / "keys"
    keys.mkdir()
    create_key_pair("MERIDIAN-AS2", 30, keys / "us.key", keys / "us.crt")
    create_key_pair("SUMMITMED", 30, keys / "summit.key", keys / "summit.crt")
    ids = yaml.safe_load((REPO / "identities.yaml").read_text())
    ids["identities"][0]["as2_keys"] = [
        {"certificate": str(keys / "us.crt"), "private_key": {"file": str(keys / "us.key")}}
    ]
    (tmp_path / "identities.yaml").write_text(yaml.safe_dump(ids))
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    profile = yaml.safe_load((REPO / "partner_profiles" / "summit-medical.yaml").read_text())
    profile.pop("maps", None)
    profile["as2"].update(
        {"url": url, "mdn": "none", "certificates": [{"file": str(keys / "summit.crt")}]}
    )
    profile["outbound"] = {"purchase_order": {}}  # transport: as2 because as2.url is set
    (profiles / "summit-medical.yaml").write_text(yaml.safe_dump(profile))
    runtime = build_process_runtime(
        Settings(
            data_dir=tmp_path / "var",
            profiles_dir=str(profiles),
            identities_file=tmp_path / "identities.yaml",
        ),
        dispatcher=InlineDispatcher(),
        odoo_factory=lambda: OdooClient(db.url, db.name, db.login, password=db.password),
    )
    # when the scheduler polls
    assert run_scheduled(runtime)["queued"] == 1
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    # then one AS2 request reached the supplier, and openssl opens it as the supplier would
    ((headers, body),) = received
    assert headers["as2-to"] == "SUMMITMED" and headers["as2-from"] == "MERIDIAN-AS2"
    (tmp_path / "msg.der").write_bytes(body)
    signed = openssl(
        "cms", "-decrypt", "-inform", "DER", "-in", str(tmp_path / "msg.der"),
        "-recip", str(keys / "summit.crt"), "-inkey", str(keys / "summit.key"),
    )  # fmt: skip
    # the signed part is binary (Content-Transfer-Encoding: binary, RFC 4130 5.2): check the
    # detached signature over exactly those bytes (openssl's S/MIME reader would rewrite the
    # 850's LF line ends to CRLF, or keep a stray CR of the boundary with -binary)
    head, _, multipart = signed.partition(b"\r\n\r\n")
    boundary = re.search(rb'boundary="([^"]+)"', head)
    assert boundary is not None, head
    marker = b"--" + boundary.group(1)
    parts = multipart.split(b"\r\n" + marker)
    first = parts[0].removeprefix(marker + b"\r\n")
    signature = base64.b64decode(parts[1].partition(b"\r\n\r\n")[2])
    (tmp_path / "part.bin").write_bytes(first)
    (tmp_path / "sig.der").write_bytes(signature)
    inner = openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
        "-content", str(tmp_path / "part.bin"), "-CAfile", str(keys / "us.crt"),
        "-purpose", "any",
    )  # fmt: skip
    content = inner.partition(b"\r\n\r\n")[2]
    assert content.startswith(b"ISA*")
    assert f"BEG*00*SA*{po}*".encode() in content
    assert b"PO1*1*12*EA*4.2*PE*BP*MH-GLV-M~" in content
    with session_scope(runtime.sessions) as session:
        (row,) = list_orders(session, search=po)
    assert row["state"] == "sent" and row["transport"] == "as2"
