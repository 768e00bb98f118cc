"""The document-type registry: complete, consistent with the specs, the only source."""

from __future__ import annotations

import importlib
import inspect
import typing

import pytest
from pydantic import ValidationError

from gateway import canonical, documents
from gateway.documents import REGISTRY, SET_TO_DOCUMENT, document_type, for_document
from gateway.edifact.specs.messages import STRUCTURES
from gateway.edifact.specs.model import DIRECTORIES
from gateway.mapping import segments
from gateway.mapping.schema import Map
from gateway.x12.specs.sets import SETS


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda t: t.name)
def test_builder_and_planner_are_the_named_functions(entry: documents.DocumentType) -> None:
    pairs = [(entry.builder, entry.map_builder())]
    pairs += [(dotted, entry.delivery_planner(role)) for role, dotted in entry.planners]
    for dotted, resolved in pairs:
        module, _, name = dotted.partition(":")
        assert resolved is getattr(importlib.import_module(module), name)
        assert inspect.isfunction(resolved)


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda t: t.name)
def test_every_registered_set_has_its_engine_structure(entry: documents.DocumentType) -> None:
    for set_id in entry.x12_sets:
        assert set_id in SETS
        assert segments.known_segments("x12", set_id, "004010")
    for message in entry.edifact_messages:
        for directory in DIRECTORIES:
            if (message, directory) in STRUCTURES:
                assert segments.known_segments("edifact", message, directory)
        assert any((message, d) in STRUCTURES for d in DIRECTORIES)


def test_lookups_are_derived_from_the_table() -> None:
    assert SET_TO_DOCUMENT == {
        "850": "purchase_order",
        "860": "purchase_order",
        "ORDERS": "purchase_order",
        "ORDCHG": "purchase_order",
        "855": "order_acknowledgement",
        "ORDRSP": "order_acknowledgement",
        "856": "ship_notice",
        "DESADV": "ship_notice",
        "810": "invoice",
        "INVOIC": "invoice",
        "846": "inventory_advice",
        "INVRPT": "inventory_advice",
        "832": "price_catalog",
        "PRICAT": "price_catalog",
    }
    assert typing.get_args(canonical.AnyDocument) == tuple(t.model for t in REGISTRY)
    for entry in REGISTRY:
        document = entry.model.model_validate(_minimal(entry.name))
        assert for_document(document) is entry
        assert documents.load_document(document.model_dump(mode="json")) == document
    assert documents.for_set("997") is None
    with pytest.raises(KeyError, match="known: purchase_order"):
        document_type("order_ack")
    with pytest.raises(ValueError, match="unknown canonical document_type"):
        documents.load_document({"document_type": "order_ack"})


def test_the_map_schema_takes_exactly_the_registered_names() -> None:
    base = {"syntax": "x12", "version": "004010", "set": "850"}
    for entry in REGISTRY:
        assert Map.model_validate({**base, "document": entry.name}).document == entry.name
    with pytest.raises(ValidationError):
        Map.model_validate({**base, "document": "order_ack"})


def test_a_spec_that_lacks_a_registered_set_fails_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given specs that lost the 856 and DESADV structures (no fallback table any more)
    monkeypatch.setattr(segments, "SETS", {k: v for k, v in SETS.items() if k != "856"})
    monkeypatch.setattr(
        segments, "STRUCTURES", {k: v for k, v in STRUCTURES.items() if k[0] != "DESADV"}
    )
    segments.known_segments.cache_clear()
    try:
        # then checking a map for them raises instead of waving it through
        with pytest.raises(segments.SpecMissing, match="856"):
            segments.known_segments("x12", "856", "004010")
        with pytest.raises(segments.SpecMissing, match="DESADV"):
            segments.known_segments("edifact", "DESADV", "D96A")
        # and a set no document type uses is simply not checked
        assert segments.known_segments("x12", "940", "004010") is None
    finally:
        segments.known_segments.cache_clear()


def _minimal(name: str) -> dict[str, object]:
    keys = {
        "purchase_order": {"po_number": "PO-1"},
        "order_acknowledgement": {"po_number": "PO-1"},
        "ship_notice": {"shipment_id": "SH-1"},
        "invoice": {"invoice_number": "INV-1"},
        "inventory_advice": {"report_number": "846-1", "report_date": "2026-12-05"},
        "price_catalog": {"catalog_number": "PL1-1", "catalog_date": "2026-12-05"},
    }
    return {"document_type": name, **keys[name]}


def test_the_senders_role_picks_the_planner() -> None:
    from gateway.odoo.delivery.purchase_order import plan_purchase_order
    from gateway.odoo.delivery.sale_order import plan_sale_order

    orders = document_type("purchase_order")
    assert orders.sender_role(["supplier"]) == "supplier"
    assert orders.sender_role(["customer"]) == "customer"
    # both: a purchase order from them is their order to us; their 855 is a supplier's
    assert orders.sender_role(["supplier", "customer"]) == "customer"
    assert orders.delivery_planner("customer") is plan_sale_order
    assert orders.delivery_planner("supplier") is plan_purchase_order
    acks = document_type("order_acknowledgement")
    assert acks.sender_role(["supplier", "customer"]) == "supplier"
    assert acks.sender_role(["customer"]) is None
    with pytest.raises(KeyError, match="a customer does not send order_acknowledgement"):
        acks.delivery_planner("customer")
