"""Our purchase order leaves a real Odoo 17 as EDIFACT ORDERS on the partner's own SFTP.

Nordlicht (EDIFACT D96A, EANCOM) runs its own SFTP server — here a real OpenSSH sshd
with internal-sftp, the partner's user chrooted — and takes orders in its ``/inbound``
folder. Confirming an order for Nordlicht in Odoo results, after one scheduler round,
in an ORDERS file there, which our own reader translates back to the order Odoo holds
(field by field); Nordlicht's CONTRL then marks the order accepted and its ORDRSP
acknowledged, each visible in ``outbound list`` and as chatter on the purchase order.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.canonical import PurchaseOrder
from gateway.engines import parse_payload
from gateway.intake import ReceivedPayload
from gateway.mapping import translate
from gateway.odoo.client import OdooClient
from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.outbound import list_orders, run_scheduled
from gateway.pipeline.runtime import Runtime
from gateway.process import build_process_runtime
from gateway.settings import Settings
from gateway.store.db import session_scope
from tests.conftest import REPO
from tests.sftp.conftest import SSHD_USER, Sshd, keys_dir, sshd  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.real_odoo, pytest.mark.slow]

GTIN = "04045678100016"
FIXTURES = REPO / "tests" / "fixtures" / "partners" / "nordlicht-medtech"


@pytest.fixture(scope="module")
def odoo_order(real_odoo):  # type: ignore[no-untyped-def]
    """Vendor NORDLICHT, a wound dressing by GTIN, one confirmed order in EUR."""
    db = real_odoo
    eur = db.search_read("res.currency", [["name", "=", "EUR"], ["active", "in", [True, False]]],
                         ["id"])[0]["id"]  # fmt: skip
    db.call("res.currency", "write", [eur], {"active": True})
    vendor = db.create("res.partner", {"name": "Nordlicht Medizintechnik GmbH",
                                       "ref": "NORDLICHT"})  # fmt: skip
    product = db.create(
        "product.product",
        {"name": "Wundverband 10x10", "default_code": "MH-WV1010", "barcode": GTIN},
    )
    order = db.create(
        "purchase.order",
        {"partner_id": vendor, "currency_id": eur, "order_line": [(0, 0, {
            "product_id": product, "product_qty": 40, "price_unit": 2.35,
            "date_planned": "2027-01-12 09:00:00"})]},
    )  # fmt: skip
    db.call("purchase.order", "button_confirm", [order])
    name = db.search_read("purchase.order", [["id", "=", order]], ["name"])[0]["name"]
    return db, order, str(name)


@pytest.fixture(scope="module")
def runtime(odoo_order, sshd: Sshd, tmp_path_factory) -> Runtime:  # type: ignore[no-untyped-def]  # noqa: F811
    db = odoo_order[0]
    root = tmp_path_factory.mktemp("orders-sftp")
    profiles = root / "profiles"
    profiles.mkdir()
    profile = yaml.safe_load((REPO / "partner_profiles" / "nordlicht-medtech.yaml").read_text())
    profile.pop("maps", None)
    profile["sftp"] = {
        "poll": {
            "host": "127.0.0.1",
            "port": sshd.port,
            "username": SSHD_USER,
            "private_key": {"file": str(sshd.client_key)},
            "host_key": f"[127.0.0.1]:{sshd.port} {sshd.host_key_line}",
            "inbound_path": "/outbound",
            "outbound_path": "/inbound",
            "timeout_seconds": 10,
            "retries": 0,
        }
    }
    profile["outbound"] = {"purchase_order": {"transport": "sftp_remote"}}
    (profiles / "nordlicht-medtech.yaml").write_text(yaml.safe_dump(profile))
    # only this Nordlicht: the shipped sample partners also send orders (Summit's vendor
    # is not in this database)
    settings = Settings(data_dir=root / "var", profiles_dir=str(profiles),
                        shipped_profiles=False, task_backoff_seconds=0.01)  # fmt: skip
    made = build_process_runtime(
        settings,
        dispatcher=InlineDispatcher(),
        odoo_factory=lambda: OdooClient(db.url, db.name, db.login, password=db.password),
    )
    return made


def ingest(runtime: Runtime, data: bytes, name: str) -> None:
    StoreIntake(runtime).receive(ReceivedPayload(data=data, transport="cli", filename=name))
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]


def order_row(runtime: Runtime, po: str) -> dict[str, Any]:
    with session_scope(runtime.sessions) as session:
        (row,) = list_orders(session, search=po)
    return row


@pytest.fixture(scope="module")
def sent(runtime: Runtime, sshd: Sshd) -> tuple[Path, bytes]:  # noqa: F811
    counts = run_scheduled(runtime)
    runtime.dispatcher.drain(max_wait=2)  # type: ignore[attr-defined]
    assert counts["queued"] == 1 and counts["errors"] == 0
    (file,) = (sshd.chroot / "inbound").glob("ORDERS_*")
    return file, file.read_bytes()


def test_orders_lands_on_the_partners_sftp_and_reads_back_as_the_odoo_order(
    sent, odoo_order, runtime
) -> None:  # type: ignore[no-untyped-def]
    db, order_id, po = odoo_order
    file, data = sent
    assert file.stat().st_uid != 0  # uploaded by the partner's user, through sshd
    (interchange,) = parse_payload(data).interchanges
    assert interchange.sender_id == runtime.identities.get().edifact_id
    assert interchange.receiver_id == "4045678000002"
    (message,) = interchange.transactions
    assert message.set_id == "ORDERS" and not [i for i in message.issues if i.fatal]
    # our own inbound reader gives back what Odoo holds, field by field
    profile = runtime.registry.get("nordlicht-medtech")
    assert profile is not None
    mapping = runtime.maps.map_for(profile, "edifact", message.version, "ORDERS")
    group = interchange.groups[0]
    document = translate(
        message, interchange=interchange, group=group, map=mapping, profile=profile
    ).document
    assert isinstance(document, PurchaseOrder)
    odoo = db.search_read("purchase.order", [["id", "=", order_id]],
                          ["name", "date_order", "currency_id"])[0]  # fmt: skip
    assert document.po_number == po == odoo["name"]
    assert document.currency == "EUR" == odoo["currency_id"][1]
    assert str(document.order_date) == odoo["date_order"][:10]
    (line,) = document.lines
    assert line.item.gtin == GTIN
    assert line.quantity == Decimal("40") and line.unit_price == Decimal("2.35")
    assert str(line.requested_date) == "2027-01-12"
    assert order_row(runtime, po)["state"] == "sent"


def test_contrl_and_ordrsp_move_the_order_on(sent, odoo_order, runtime) -> None:  # type: ignore[no-untyped-def]
    db, order_id, po = odoo_order
    row = order_row(runtime, po)
    ours = runtime.identities.get().edifact_id
    contrl = (
        "UNA:+.? '"
        f"UNB+UNOC:3+4045678000002:14+{ours}:14+270105:0830+NL7001'"
        "UNH+1+CONTRL:D:3:UN'"
        f"UCI+{row['interchange_control']}+{ours}:14+4045678000002:14+7'"
        "UNT+3+1'UNZ+1+NL7001'"
    )
    ingest(runtime, contrl.encode(), "contrl.edi")
    assert order_row(runtime, po)["state"] == "accepted"
    ordrsp = (
        (FIXTURES / "ORDRSP_order_response.edi").read_bytes().replace(b"MH-2026-0422", po.encode())
    )
    ingest(runtime, ordrsp, "ordrsp.edi")
    assert order_row(runtime, po)["state"] == "acknowledged"
    run_scheduled(runtime)  # posts the chatter lines
    notes = "\n".join(
        str(r["body"])
        for r in db.search_read(
            "mail.message", [["model", "=", "purchase.order"], ["res_id", "=", order_id]], ["body"]
        )
    )
    assert "sent as ORDERS" in notes and "CONTRL accepted" in notes
