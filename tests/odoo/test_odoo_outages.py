"""Exactly once through outages: what a retry does after Odoo failed or went silent."""

from __future__ import annotations

import pytest

from gateway.odoo.client import OdooClient
from gateway.odoo.delivery import deliver
from gateway.odoo.errors import OdooTransientError
from tests.odoo.conftest import World, make_profile
from tests.odoo.documents import invoice, purchase_order, ship_notice
from tests.support.odoo_double import OdooDouble

PROFILE = make_profile()


def test_unreachable_odoo_is_transient_and_the_retry_delivers_once(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given Odoo is down
    with odoo_double.offline(), pytest.raises(OdooTransientError):
        # when the order is delivered, then the pipeline is told to retry
        deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)
    # when Odoo is back and the pipeline retries
    outcome = deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)
    # then exactly one order exists
    assert not outcome.already_existed and outcome.exceptions == []
    assert len(odoo_double.records("purchase.order")) == 1


def test_timeout_after_odoo_created_the_order_does_not_duplicate_it(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    # given Odoo creates the order but answers after the client gave up
    odoo_double.fail_next(1, "timeout", on="purchase.order.create")
    with pytest.raises(OdooTransientError):
        deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)
    # when the pipeline retries (after its backoff: the slow call has finished by then)
    odoo_double.wait_idle()
    outcome = deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)
    # then the order created by the lost call is found, and confirmed as the profile wants
    assert outcome.already_existed
    [order] = odoo_double.records("purchase.order")
    assert order["state"] == "purchase"
    assert len(odoo_double.records("stock.picking")) == 1


def test_serialization_failure_on_validation_is_retried_and_received_once(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)
    odoo_double.fail_next(1, "serialization", on="stock.picking.button_validate")
    with pytest.raises(OdooTransientError):
        deliver(ship_notice(), profile=PROFILE, odoo=odoo_client)
    outcome = deliver(ship_notice(), profile=PROFILE, odoo=odoo_client)
    assert outcome.exceptions == [] and not outcome.already_existed
    lines = odoo_double.records("purchase.order.line")
    assert [x["qty_received"] for x in lines] == [60.0, 20.0]
    assert sorted(lot["name"] for lot in odoo_double.records("stock.lot")) == ["LOT-A", "LOT-B"]


def test_bill_created_but_not_posted_before_a_crash_is_posted_on_retry(
    odoo_double: OdooDouble, odoo_client: OdooClient, world: World
) -> None:
    deliver(purchase_order(), profile=PROFILE, odoo=odoo_client)
    deliver(ship_notice(), profile=PROFILE, odoo=odoo_client)
    odoo_double.fail_next(1, "503", on="account.move.action_post")
    with pytest.raises(OdooTransientError):
        deliver(invoice(), profile=PROFILE, odoo=odoo_client)
    outcome = deliver(invoice(), profile=PROFILE, odoo=odoo_client)
    assert outcome.already_existed
    assert [b["state"] for b in odoo_double.records("account.move")] == ["posted"]
