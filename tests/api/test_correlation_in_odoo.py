"""The pipeline notes each transaction's correlation id on the Odoo records its delivery
writes (the dry-run Odoo here; a real Odoo 17 in tests/odoo_real/test_reconcile_real.py)."""

from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import Delivery, Transaction
from tests.api.world import World


def test_the_delivered_orders_correlation_id_finds_it_in_odoo(fresh: World) -> None:
    with fresh.runtime.sessions() as s:
        delivery = s.scalars(select(Delivery)).one()
        txn = s.get(Transaction, delivery.transaction_id)
        assert txn is not None
        cid, records = txn.correlation_id, delivery.records
    odoo = fresh.runtime.odoo_for(delivery.target)
    notes = odoo.search_read("mail.message", [["body", "ilike", cid]], ["model", "res_id"])
    [order] = [r for r in records if r["model"] == "purchase.order"]
    assert [(n["model"], n["res_id"]) for n in notes] == [("purchase.order", order["id"])]


def test_the_same_id_finds_the_file_in_the_gateway(fresh: World) -> None:
    from gateway.queries import MessageFilter, list_messages

    with fresh.runtime.sessions() as s:
        delivery = s.scalars(select(Delivery)).one()
        txn = s.get(Transaction, delivery.transaction_id)
        assert txn is not None
        rows, total = list_messages(s, MessageFilter(correlation_id=txn.correlation_id))
        assert total == 1 and rows[0]["id"] == txn.message_id
        _, none = list_messages(s, MessageFilter(correlation_id="no-such-id"))
        assert none == 0
