"""A purchase order named in a partner's document is found with one search.

The number in a vendor's 855/856/810 is usually our order's name (the 850 we sent); a
buying system's own 850 number is kept as the order's partner reference. Both are
looked for in one search; the reference wins, then a live order over a cancelled one.
"""

from __future__ import annotations

from typing import Any

from gateway.odoo.delivery.resolve import Resolver
from gateway.odoo.memory import MemoryOdoo
from gateway.partners.odoo import OdooPartnerSettings


def _counted(odoo: MemoryOdoo) -> list[tuple[str, Any]]:
    calls: list[tuple[str, Any]] = []
    search_read = odoo.search_read

    def counting(model: str, *args: Any, **kwargs: Any) -> Any:
        calls.append((model, args[0] if args else kwargs.get("domain")))
        return search_read(model, *args, **kwargs)

    odoo.search_read = counting  # type: ignore[method-assign]
    return calls


def _world() -> tuple[MemoryOdoo, Resolver, int]:
    odoo = MemoryOdoo(17)
    vendor = odoo.create("res.partner", {"name": "Summit"})
    other = odoo.create("res.partner", {"name": "Someone else"})
    odoo.create("purchase.order", {"partner_id": other, "partner_ref": "P-SHARED"})
    resolver = Resolver(odoo, OdooPartnerSettings(vendor_id=vendor))
    return odoo, resolver, vendor


def test_our_order_is_found_by_its_name_in_one_search() -> None:
    odoo, resolver, vendor = _world()
    order = odoo.create("purchase.order", {"partner_id": vendor})
    name = odoo.read("purchase.order", [order], ["name"])[0]["name"]
    resolver.vendor_id  # the vendor looked up first, as a delivery does  # noqa: B018
    calls = _counted(odoo)
    found = resolver.find_order(name)
    assert found is not None and found["id"] == order
    assert [model for model, _ in calls] == ["purchase.order"]


def test_the_partner_reference_wins_over_a_name_then_a_live_order() -> None:
    odoo, resolver, vendor = _world()
    by_name = odoo.create("purchase.order", {"partner_id": vendor})
    name = odoo.read("purchase.order", [by_name], ["name"])[0]["name"]
    cancelled = odoo.create(
        "purchase.order", {"partner_id": vendor, "partner_ref": name, "state": "cancel"}
    )
    # a cancelled order with the number as its reference still wins over the name
    found = resolver.find_order(name)
    assert found is not None and found["id"] == cancelled
    live = odoo.create("purchase.order", {"partner_id": vendor, "partner_ref": name})
    found = resolver.find_order(name)
    assert found is not None and found["id"] == live


def test_another_vendors_order_and_an_unknown_number_are_not_found() -> None:
    _, resolver, _ = _world()
    assert resolver.find_order("P-SHARED") is None
    assert resolver.find_order("P-NONE") is None
