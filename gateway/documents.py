"""The document-type registry: the one table of business document types the gateway knows.

Each :class:`DocumentType` names everything that is specific to one type: its stored name
(``Transaction.document_type``, ``Map.document``, canonical ``document_type``), the X12
transaction sets and EDIFACT messages that carry it, its canonical model and line model,
the label the console shows, the directions it travels, the mapping engine's builder and
the Odoo delivery planner for each role of the partner that sends it (an inbound 850 from a
customer becomes a ``sale.order``, from a supplier's buying system a ``purchase.order``).
Everything that used to repeat this (set -> type lookups, the map schema's document
kinds, the map library's line models, the engine's builders, the delivery dispatch, the
console's type filter, the CLI's map listings) is derived from :data:`REGISTRY`.

Two things cannot be derived, because type checkers need them spelled out: the union of
the canonical models (:data:`gateway.canonical.AnyDocument`) and the :data:`DocumentName`
literal. Both sit next to what they describe, and this module refuses to import when the
table and either of them disagree, so they cannot drift.

Builders and delivery planners are registered by dotted name (``module:function``) and
imported on first use. They live above this module: the mapping engine and the Odoo
delivery package both read this table (which type a set becomes, which model validates
it), so a module-level import of them here would be an import cycle, and registering
"from the owning module" would split the table across files and make its completeness
depend on import order. A dotted name keeps the table whole; a test resolves every name,
so a typo fails the build, not a delivery.

Adding a document type: see docs/architecture.md, "Adding a document type".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel

from gateway.canonical import (
    AnyDocument,
    InventoryAdvice,
    InventoryLine,
    Invoice,
    InvoiceLine,
    OrderAcknowledgement,
    OrderAcknowledgementLine,
    PriceCatalog,
    PriceCatalogLine,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipNotice,
    ShipNoticeLine,
)

if TYPE_CHECKING:  # only for the annotations of the resolved callables
    from gateway.mapping.resolve import RuleReader
    from gateway.mapping.scope import Regions
    from gateway.odoo.delivery.plan import DeliveryPlan

DocumentName = Literal[
    "purchase_order",
    "order_acknowledgement",
    "ship_notice",
    "invoice",
    "inventory_advice",
    "price_catalog",
]
Direction = Literal["inbound", "outbound"]
#: what a partner is to us (profile ``role``); a partner may be both
PartnerRole = Literal["supplier", "customer"]
MapBuilder = Callable[["RuleReader", "Regions"], dict[str, Any]]
DeliveryPlanner = Callable[..., "DeliveryPlan"]

# Acknowledgement sets: received and linked to what they acknowledge, never translated.
FUNCTIONAL_ACK_SETS: tuple[str, ...] = ("997", "999", "CONTRL")


@dataclass(frozen=True)
class DocumentType:
    """One business document type and every piece of the gateway specific to it."""

    name: DocumentName
    label: str  # what the console shows
    model: type[AnyDocument]
    line_model: type[BaseModel]
    x12_sets: tuple[str, ...]
    edifact_messages: tuple[str, ...]
    directions: frozenset[Direction]
    builder: str  # "module:function" building the canonical dict from a map (mapping engine)
    # (role of the sender, "module:function" planning its Odoo delivery), in order of
    # preference: the first role the sending partner has decides (see sender_role)
    planners: tuple[tuple[PartnerRole, str], ...]

    @property
    def set_ids(self) -> tuple[str, ...]:
        """Every transaction set / message type that carries this document."""
        return (*self.x12_sets, *self.edifact_messages)

    def map_builder(self) -> MapBuilder:
        """The mapping engine's builder for this type."""
        builder: MapBuilder = _resolve(self.builder)
        return builder

    def sender_role(self, roles: Iterable[PartnerRole]) -> PartnerRole | None:
        """The role in which a partner with ``roles`` sends us this type, or None when
        none of its roles sends it (a customer-only partner's 855, say).

        A partner that is both supplier and customer sends purchase orders as a customer
        (they buy from us) and acknowledgements, ship notices and invoices as a supplier.
        """
        held = set(roles)
        return next((role for role, _ in self.planners if role in held), None)

    def planner_name(self, role: PartnerRole) -> str:
        """The dotted name of the planner for documents sent in ``role``."""
        for held, dotted in self.planners:
            if held == role:
                return dotted
        raise KeyError(f"a {role} does not send {self.name} documents")

    def delivery_planner(self, role: PartnerRole = "supplier") -> DeliveryPlanner:
        """The Odoo delivery planner for this type sent in ``role``, called as
        ``planner(document, plan=..., odoo=..., resolver=...)``."""
        planner: DeliveryPlanner = _resolve(self.planner_name(role))
        return planner


REGISTRY: tuple[DocumentType, ...] = (
    DocumentType(
        name="purchase_order",
        label="Purchase order",
        model=PurchaseOrder,
        line_model=PurchaseOrderLine,
        # a change order (860 / ORDCHG) is the same canonical document with purpose
        # change or cancel and a change per line: a customer's is applied to its sale
        # order (gateway.odoo.delivery.sale_order_change), and we send our own
        x12_sets=("850", "860"),
        edifact_messages=("ORDERS", "ORDCHG"),
        directions=frozenset({"inbound", "outbound"}),
        builder="gateway.mapping.engine:build_purchase_order",
        planners=(
            ("customer", "gateway.odoo.delivery.sale_order:plan_sale_order"),
            ("supplier", "gateway.odoo.delivery.purchase_order:plan_purchase_order"),
        ),
    ),
    DocumentType(
        name="order_acknowledgement",
        label="Order acknowledgement",
        model=OrderAcknowledgement,
        line_model=OrderAcknowledgementLine,
        x12_sets=("855",),
        edifact_messages=("ORDRSP",),
        directions=frozenset({"inbound"}),
        builder="gateway.mapping.engine:build_order_acknowledgement",
        planners=(
            ("supplier", "gateway.odoo.delivery.order_acknowledgement:plan_order_acknowledgement"),
        ),
    ),
    DocumentType(
        name="ship_notice",
        label="Ship notice",
        model=ShipNotice,
        line_model=ShipNoticeLine,
        x12_sets=("856",),
        edifact_messages=("DESADV",),
        directions=frozenset({"inbound"}),
        builder="gateway.mapping.engine:build_ship_notice",
        planners=(("supplier", "gateway.odoo.delivery.receipt:plan_ship_notice"),),
    ),
    DocumentType(
        name="invoice",
        label="Invoice",
        model=Invoice,
        line_model=InvoiceLine,
        x12_sets=("810",),
        edifact_messages=("INVOIC",),
        directions=frozenset({"inbound"}),
        builder="gateway.mapping.engine:build_invoice",
        planners=(("supplier", "gateway.odoo.delivery.bill:plan_invoice"),),
    ),
    # what a seller publishes to its customers (gateway/outbound/inventory.py, catalog.py);
    # read back by our own inbound maps, not delivered to Odoo (no planner)
    DocumentType(
        name="inventory_advice",
        label="Inventory advice",
        model=InventoryAdvice,
        line_model=InventoryLine,
        x12_sets=("846",),
        edifact_messages=("INVRPT",),
        directions=frozenset({"outbound"}),
        builder="gateway.mapping.engine:build_inventory_advice",
        planners=(),
    ),
    DocumentType(
        name="price_catalog",
        label="Price catalog",
        model=PriceCatalog,
        line_model=PriceCatalogLine,
        x12_sets=("832",),
        edifact_messages=("PRICAT",),
        directions=frozenset({"outbound"}),
        builder="gateway.mapping.engine:build_price_catalog",
        planners=(),
    ),
)

BY_NAME: dict[str, DocumentType] = {t.name: t for t in REGISTRY}
BY_SET: dict[str, DocumentType] = {s: t for t in REGISTRY for s in t.set_ids}
BY_MODEL: dict[type[BaseModel], DocumentType] = {t.model: t for t in REGISTRY}

#: document type name -> canonical model
DOCUMENT_TYPES: dict[str, type[AnyDocument]] = {t.name: t.model for t in REGISTRY}
#: transaction set / message type -> document type name, X12 and EDIFACT of each type together
SET_TO_DOCUMENT: dict[str, str] = {s: t.name for t in REGISTRY for s in t.set_ids}
X12_SETS: tuple[str, ...] = tuple(s for t in REGISTRY for s in t.x12_sets)
EDIFACT_MESSAGES: tuple[str, ...] = tuple(s for t in REGISTRY for s in t.edifact_messages)


def document_type(name: str) -> DocumentType:
    """The registered type called ``name`` (``KeyError`` names the known ones)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown document type {name!r} (known: {', '.join(BY_NAME)})") from None


def for_document(document: AnyDocument) -> DocumentType:
    """The registered type of a canonical document."""
    found = BY_MODEL.get(type(document))
    if found is None:
        raise TypeError(f"{type(document).__name__} is not a registered document type")
    return found


def for_set(set_id: str) -> DocumentType | None:
    """The type a transaction set / message type carries, or None (acks, unsupported sets)."""
    return BY_SET.get(set_id)


def sets_for(syntax: str) -> tuple[str, ...]:
    """The set ids (``x12``) or message types (``edifact``) of every registered type."""
    return X12_SETS if syntax == "x12" else EDIFACT_MESSAGES


def with_direction(direction: Direction) -> Iterator[DocumentType]:
    """The registered types that travel in ``direction``."""
    return (t for t in REGISTRY if direction in t.directions)


def filter_options() -> list[tuple[str, str]]:
    """What a document-type filter offers, as (value, label): every registered type (by
    the name stored in ``document_type``), then every set id that can be stored."""
    types = [(t.name, t.label) for t in REGISTRY]
    sets = [*X12_SETS, *EDIFACT_MESSAGES, *FUNCTIONAL_ACK_SETS]
    return [*types, *((s, s) for s in sets)]


def load_document(data: dict[str, object]) -> AnyDocument:
    """Validate stored JSON back into its canonical document type."""
    kind = data.get("document_type")
    if not isinstance(kind, str) or kind not in BY_NAME:
        raise ValueError(f"unknown canonical document_type {kind!r}")
    return BY_NAME[kind].model.model_validate(data)


@cache
def _resolve(dotted: str) -> Any:
    module, _, attribute = dotted.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if not callable(found):
        raise TypeError(f"{dotted} is not callable")
    return found


def _check() -> None:
    """Refuse to import when the table and the static aliases disagree."""
    names = [t.name for t in REGISTRY]
    if names != list(get_args(DocumentName)):
        raise TypeError(f"REGISTRY names {names} differ from DocumentName {get_args(DocumentName)}")
    if {t.model for t in REGISTRY} != set(get_args(AnyDocument)):
        raise TypeError("REGISTRY models differ from gateway.canonical.AnyDocument")
    for t in REGISTRY:
        if t.model.model_fields["document_type"].default != t.name:
            raise TypeError(f"{t.model.__name__}.document_type is not {t.name!r}")
    sets = [s for t in REGISTRY for s in t.set_ids]
    if len(sets) != len(set(sets)) or set(sets) & set(FUNCTIONAL_ACK_SETS):
        raise TypeError("a transaction set is registered twice")


_check()
