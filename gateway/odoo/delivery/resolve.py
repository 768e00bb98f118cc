"""Finding the Odoo records a document names: vendor, products, units, the order and its lines.

Lookups follow the partner profile (``OdooPartnerSettings``): the vendor by id or by
``res.partner.ref``; each item by the profile's ordered identifier kinds (vendor part
number through ``product.supplierinfo``, GTIN/UPC through ``barcode``, NDC/HIBCC/buyer part
through configurable fields, ``default_code``); units through the profile's table of EDI
unit codes to ``uom.uom`` names. A :class:`Resolver` caches what it found for one delivery.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from gateway.canonical import ItemIds, PurchaseOrder
from gateway.odoo.api import OdooApi, m2o_id
from gateway.odoo.check import unit_size_problem as _size_problem
from gateway.odoo.delivery.item_checks import identifier_issue, lookup_values
from gateway.odoo.delivery.outcome import BusinessIssue
from gateway.odoo.errors import OdooConfigurationError
from gateway.partners.odoo import OdooPartnerSettings

if TYPE_CHECKING:  # the table itself is the store's; delivery is handed a mapping
    from gateway.customer_items import CustomerItemRef

ORDER_FIELDS = [
    "id",
    "name",
    "state",
    "partner_ref",
    "order_line",
    "currency_id",
    "company_id",
]

# Fields Odoo has, per backend object and model: read once per run (``fields_get``).
_FIELDS: weakref.WeakKeyDictionary[OdooApi, dict[str, frozenset[str]]] = weakref.WeakKeyDictionary()


def has_field(odoo: OdooApi, model: str, field: str) -> bool:
    """True when ``model`` has ``field`` on this Odoo (modules decide: ``stock_delivery``
    adds ``stock.picking.carrier_tracking_ref``). One ``fields_get`` per model per run."""
    known = _FIELDS.setdefault(odoo, {})
    if model not in known:
        found = odoo.call(model, "fields_get", params={"attributes": ["type"]})
        known[model] = frozenset(found or {})
    return field in known[model]


@dataclass(frozen=True)
class Product:
    """A product found for a document line."""

    id: int
    name: str
    uom_id: int | None
    purchase_uom_id: int | None
    tracking: str
    found_by: str  # "vendor_part=VP-1" ...
    # product_expiry's use_expiration_date: its lots must be received with an expiry
    expires: bool = False


@dataclass
class OrderLine:
    """A purchase order line as the checks need it."""

    id: int
    position: int  # 1-based position in the order, the EDI line number when none is stored
    product_id: int | None
    product_name: str
    quantity: Decimal
    received: Decimal
    invoiced: Decimal
    price_unit: Decimal
    uom_id: int | None
    date_planned: str | None


def gtin_candidates(value: str) -> list[str]:
    """A GTIN/UPC as Odoo may store it: as given, and as 12/13/14 digits (no check digit
    test: the catalog import uses it; delivery checks first, see item_checks)."""
    value = value.strip()
    if not value.isdigit() or len(value) > 14:
        return [value]
    core = value.lstrip("0")
    seen: list[str] = []
    for candidate in (value, core.zfill(12), core.zfill(13), core.zfill(14)):
        if candidate not in seen and len(candidate) <= 14:
            seen.append(candidate)
    return seen


def decimal(value: Any) -> Decimal:
    """Odoo floats as decimals without binary noise (7.25, not 7.2500000001)."""
    if value in (None, False):
        return Decimal("0")
    if isinstance(value, float):
        return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    return Decimal(value)


class Resolver:
    """Lookups for one delivery to one partner's vendor."""

    def __init__(
        self,
        odoo: OdooApi,
        settings: OdooPartnerSettings,
        *,
        customer_items: Mapping[str, CustomerItemRef] | None = None,
        asked_order: PurchaseOrder | None = None,
    ) -> None:
        self.odoo = odoo
        self.settings = settings
        # the customer's part numbers -> our items (gateway.customer_items), passed in
        self.customer_items: Mapping[str, CustomerItemRef] = customer_items or {}
        # for a customer's change: their order as asked so far (the 850 and the changes
        # since), which numbers its lines as the sale order's (passed in; None: unknown)
        self.asked_order = asked_order
        self._vendor_id: int | None = None
        self._products: dict[tuple[tuple[str, str], ...], Product | BusinessIssue] = {}
        self._uoms: dict[str, int | None] = {}
        self._ratios: dict[tuple[int, int], Decimal | None] = {}
        self._size_problems: dict[str, str | None] = {}
        # the fields of the products a search found (read with it: no second call)
        self._product_rows: dict[int, dict[str, Any]] = {}

    # ---- vendor --------------------------------------------------------------------
    @property
    def vendor_id(self) -> int:
        """The vendor's ``res.partner`` id (configuration error when it cannot be found)."""
        if self._vendor_id is None:
            self._vendor_id = self._find_vendor()
        return self._vendor_id

    def _find_vendor(self) -> int:
        if self.settings.vendor_id is not None:
            rows = self.odoo.read("res.partner", [self.settings.vendor_id], ["id", "name"])
            if not rows:
                raise OdooConfigurationError(
                    f"the profile's vendor_id {self.settings.vendor_id} is not a partner in Odoo"
                )
            return int(rows[0]["id"])
        ref = self.settings.vendor_ref
        rows = self.odoo.search_read(
            "res.partner", [["ref", "=", ref]], ["id", "name", "ref"], limit=1
        )
        if not rows:
            raise OdooConfigurationError(
                f"no Odoo partner has the reference {ref!r} (the profile's odoo.vendor_ref)"
            )
        return int(rows[0]["id"])

    # ---- products ------------------------------------------------------------------
    def product(self, item: ItemIds, line_number: str | None) -> Product | BusinessIssue:
        """The product for a line's identifiers, or the issue saying why there is none."""
        key = tuple(sorted(item.identifiers().items()))
        if key not in self._products:
            self._products[key] = self._find_product(item, line_number)
        found = self._products[key]
        if isinstance(found, BusinessIssue):
            return found.model_copy(update={"line_number": line_number})
        return found

    def _find_product(self, item: ItemIds, line_number: str | None) -> Product | BusinessIssue:
        invalid = identifier_issue(item, self.settings.item_lookup, line_number)
        if invalid is not None:
            return invalid
        identifiers = item.identifiers()
        tried: list[str] = []
        for kind in self.settings.item_lookup:
            for label, domain in self._lookup_domains(kind, item):
                tried.append(label)
                ids = self._product_ids(kind, domain)
                if len(ids) > 1:
                    return BusinessIssue(
                        kind="ambiguous_item",
                        message=f"line {line_number}: {label} matches {len(ids)} products in Odoo",
                        line_number=line_number,
                        received=label,
                        identifiers=identifiers,
                    )
                if ids:
                    return self._product_record(ids[0], label)
        shown = ", ".join(tried) if tried else "no identifier the profile looks up"
        return BusinessIssue(
            kind="unknown_item",
            message=f"line {line_number}: no Odoo product for {shown}",
            line_number=line_number,
            received=shown,
            identifiers=identifiers,
        )

    def _lookup_domains(self, kind: str, item: ItemIds) -> list[tuple[str, list[Any]]]:
        s = self.settings
        if kind == "vendor_part" and item.vendor_part:
            return [(f"vendor_part={item.vendor_part}", [["product_code", "=", item.vendor_part]])]
        if kind in ("gtin", "upc"):
            value = item.gtin if kind == "gtin" else item.upc
            if value:
                return [(f"{kind}={value}", [["barcode", "in", lookup_values(kind, value)]])]
        if kind == "ndc" and item.ndc:
            return [(f"ndc={item.ndc}", [[s.ndc_field, "in", lookup_values("ndc", item.ndc)]])]
        if kind == "hibcc" and item.hibcc:
            values = lookup_values("hibcc", item.hibcc)
            return [(f"hibcc={item.hibcc}", [[s.hibcc_field, "in", values]])]
        if kind == "buyer_part" and item.buyer_part:
            return [(f"buyer_part={item.buyer_part}", [[s.buyer_part_field, "=", item.buyer_part]])]
        if kind == "default_code":
            # our own internal reference: the buyer's part number, else the vendor's
            values = [v for v in (item.buyer_part, item.vendor_part) if v]
            return [(f"default_code={v}", [["default_code", "=", v]]) for v in values]
        return []

    def _product_ids(self, kind: str, domain: list[Any]) -> list[int]:
        if kind == "vendor_part":
            rows = self.odoo.search_read(
                "product.supplierinfo",
                [["partner_id", "=", self.vendor_id], *domain],
                ["id", "product_id", "product_tmpl_id", "product_code", "price"],
            )
            ids: list[int] = []
            for row in rows:
                product_id = m2o_id(row.get("product_id"))
                if product_id is None and (tmpl := m2o_id(row.get("product_tmpl_id"))):
                    variants = self.odoo.search_read(
                        "product.product", [["product_tmpl_id", "=", tmpl]], ["id"]
                    )
                    if len(variants) == 1:
                        product_id = int(variants[0]["id"])
                    else:
                        ids.extend(int(v["id"]) for v in variants)
                if product_id is not None:
                    ids.append(product_id)
            return sorted(set(ids))
        return self.search_products(domain)

    def search_products(self, domain: list[Any]) -> list[int]:
        """The ids of the products ``domain`` finds, their fields read by the same call
        (kept for :meth:`_product_record`: a search and a read were two round trips)."""
        rows = self.odoo.search_read("product.product", domain, self._product_fields())
        for row in rows:
            self._product_rows[int(row["id"])] = row
        return sorted({int(r["id"]) for r in rows})

    def _product_fields(self) -> list[str]:
        purchase_uom = self.odoo.dialect.product_purchase_uom_field
        fields = ["id", "display_name", "uom_id", "tracking"]
        if purchase_uom:
            fields.append(purchase_uom)
        if expires := self._expires_field():
            fields.append(expires)
        return fields

    def _expires_field(self) -> str | None:
        """product_expiry's ``use_expiration_date`` as this server names it (None when
        the module is not installed)."""
        return self.odoo.dialect.name_or_none("product.product", "use_expiration_date")

    def _product_record(self, product_id: int, found_by: str) -> Product:
        purchase_uom = self.odoo.dialect.product_purchase_uom_field
        row = self._product_rows.get(product_id)
        if row is None:  # found through its vendor line: read now
            rows = self.odoo.read("product.product", [product_id], self._product_fields())
            if not rows:
                raise OdooConfigurationError(f"product {product_id} vanished while reading it")
            row = rows[0]
        uom_id = m2o_id(row.get("uom_id"))
        return Product(
            id=product_id,
            name=str(row.get("display_name") or ""),
            uom_id=uom_id,
            purchase_uom_id=m2o_id(row.get(purchase_uom)) if purchase_uom else uom_id,
            tracking=str(row.get("tracking") or "none"),
            found_by=found_by,
            expires=bool((expires := self._expires_field()) and row.get(expires)),
        )

    # ---- units -----------------------------------------------------------------------
    def uom(self, code: str | None, line_number: str | None) -> int | BusinessIssue | None:
        """The ``uom.uom`` id for an EDI unit code; None when the line gives no unit."""
        if not code:
            return None
        name = self.settings.uom.get(code) or self.settings.uom.get(code.upper())
        if name is None:
            return BusinessIssue(
                kind="unknown_uom",
                message=f"line {line_number}: unit {code!r} is not in the partner's unit table",
                line_number=line_number,
                received=code,
            )
        uom_id = self.uom_id_named(name)
        if uom_id is None:
            return BusinessIssue(
                kind="unknown_uom",
                message=f"line {line_number}: unit {code!r} maps to {name!r}, "
                "which is not a unit of measure in Odoo",
                line_number=line_number,
                received=code,
                expected=name,
            )
        problem = self.unit_size_problem(name)
        if problem is not None:
            size = self.settings.unit_sizes()[name]
            return BusinessIssue(
                kind="pack_size_mismatch",
                message=f"line {line_number}: the partner's {code} is {size.text} "
                f"(odoo.uom_sizes) but Odoo's {name} {problem}",
                line_number=line_number,
                received=f"{code}={size.text}",
                expected=f"{name} as Odoo holds it",
            )
        return uom_id

    def unit_size_problem(self, name: str) -> str | None:
        """How Odoo's unit ``name`` disagrees with the size the profile's ``uom_sizes``
        gives it (``None`` when it agrees or the profile gives no size): a case of 10 for
        the partner must not be received as Odoo's case of 12."""
        size = self.settings.unit_sizes().get(name)
        if size is None or not self.odoo.knows_units:
            return None
        if name not in self._size_problems:
            dialect = self.odoo.dialect
            rows = self.odoo.search_read(
                "uom.uom", [["name", "in", [name, size.of]]], dialect.unit_fields()
            )
            units = {str(r["name"]): r for r in rows}
            have = units.get(name)
            # a unit Odoo lacks is reported as unknown_uom by the caller
            problem = None if have is None else _size_problem(dialect, have, size, units)
            self._size_problems[name] = problem
        return self._size_problems[name]

    def convert(
        self, quantity: Decimal, code: str | None, to_uom_id: int | None, line_number: str | None
    ) -> Decimal | BusinessIssue:
        """``quantity`` in the EDI unit ``code``, expressed in the Odoo unit ``to_uom_id``.

        The dialect gives each unit's size in its root unit (17/18 store the inverse in
        ``factor``, 19 the size itself), so q [A] = q * size(A) / size(B) [B]; units of
        different categories / chains (boxes vs kilograms) cannot be converted and are an
        issue.
        """
        source = self.uom(code, line_number)
        if isinstance(source, BusinessIssue):
            return source
        if source is None or to_uom_id is None or source == to_uom_id:
            return quantity
        ratio = self.unit_ratio(source, to_uom_id)
        if ratio is None:
            rows = self.odoo.read("uom.uom", [to_uom_id], ["name"])
            target = rows[0]["name"] if rows else to_uom_id
            return BusinessIssue(
                kind="unknown_uom",
                message=f"line {line_number}: unit {code!r} cannot be converted to {target}",
                line_number=line_number,
                received=code,
                expected=str(target),
            )
        converted = (quantity * ratio).quantize(Decimal("0.0001")).normalize()
        # Odoo stores factors as floats (1/12 ...): rounded above to lose the binary noise
        if self._packs(code, to_uom_id) and quantity % 1 == 0 and converted % 1 != 0:
            rows = self.odoo.read("uom.uom", [to_uom_id], ["name"])
            target = rows[0]["name"] if rows else to_uom_id
            return BusinessIssue(
                kind="pack_size_mismatch",
                message=f"line {line_number}: {quantity.normalize():f} {code} is "
                f"{converted:f} {target} - not a whole number of the order's unit; the "
                "pack sizes of the two units do not fit",
                line_number=line_number,
                received=f"{quantity.normalize():f} {code}",
                expected=f"a whole number of {target}",
            )
        return converted

    def _packs(self, code: str | None, to_uom_id: int) -> bool:
        """Whether a conversion is between pack units, counted whole: the profile gives a
        size (``uom_sizes``) to the document's unit or to the order's."""
        sizes = self.settings.unit_sizes()
        if not sizes or not self.odoo.knows_units:
            return False
        name = self.settings.uom.get(code or "") or self.settings.uom.get((code or "").upper())
        if name in sizes:
            return True
        return any(self.uom_id_named(n) == to_uom_id for n in sizes)

    def uom_id_named(self, name: str) -> int | None:
        """The ``uom.uom`` id of the unit called ``name`` (cached; None when Odoo has none)."""
        if name not in self._uoms:
            rows = self.odoo.search_read("uom.uom", [["name", "=", name]], ["id", "name"], limit=1)
            self._uoms[name] = int(rows[0]["id"]) if rows else None
        return self._uoms[name]

    def unit_ratio(self, source: int, target: int) -> Decimal | None:
        """How many ``target`` units one ``source`` unit is (``uom.uom`` ids); None when
        they cannot be converted (different categories / chains, or a unit is missing)."""
        if source == target:
            return Decimal(1)
        key = (source, target)
        if key not in self._ratios:
            dialect = self.odoo.dialect
            # 17/18: units convert within a category; 19: within a relative_uom_id chain
            family = "category_id" if dialect.units_have_categories else "parent_path"
            rows = self.odoo.read("uom.uom", [source, target], ["id", "name", "factor", family])
            by_id = {int(r["id"]): r for r in rows}
            ratio: Decimal | None = None
            if len(by_id) == 2 and dialect.unit_family(by_id[source]) == dialect.unit_family(
                by_id[target]
            ):
                size_from = dialect.unit_size(by_id[source])
                size_to = dialect.unit_size(by_id[target])
                ratio = size_from / size_to if size_to else Decimal(1)
            self._ratios[key] = ratio
        return self._ratios[key]

    # ---- currencies ----------------------------------------------------------------
    def currency(self, code: str | None, what: str) -> int | BusinessIssue | None:
        """The active ``res.currency`` with ISO ``code``; an issue naming it otherwise."""
        if not code:
            return None
        code = code.strip().upper()
        rows = self.odoo.search_read(
            "res.currency",
            [["name", "=", code], ["active", "in", [True, False]]],
            ["id", "name", "active"],
            limit=1,
        )
        if rows and rows[0].get("active"):
            return int(rows[0]["id"])
        why = "is not active in Odoo" if rows else "is not a currency in Odoo"
        return BusinessIssue(
            kind="unknown_currency",
            message=f"{what}: currency {code} {why} (activate it under Accounting → "
            "Configuration → Currencies)",
            received=code,
        )

    # ---- charge and allowance products -----------------------------------------------
    def charge_product(self, name: str) -> int | None:
        """The product a profile's ``odoo.charges`` entry names (internal reference, else
        name); None when Odoo has no such product."""
        for field in ("default_code", "name"):
            rows = self.odoo.search_read("product.product", [[field, "=", name]], ["id"], limit=2)
            if len(rows) == 1:
                return int(rows[0]["id"])
        return None

    # ---- orders --------------------------------------------------------------------
    def find_order(self, po_number: str) -> dict[str, Any] | None:
        """The vendor's purchase order with this number: by its partner reference, else
        by its name (one search for both; the reference wins, then a live order, then
        the oldest)."""
        rows = self.odoo.search_read(
            "purchase.order",
            [
                "|",
                ["partner_ref", "=", po_number],
                ["name", "=", po_number],
                ["partner_id", "=", self.vendor_id],
            ],
            ORDER_FIELDS,
            order="id",
        )
        for field in ("partner_ref", "name"):
            found = [r for r in rows if r.get(field) == po_number]
            if found:
                live = [r for r in found if r.get("state") != "cancel"]
                return (live or found)[0]
        return None

    def order_lines(self, order_id: int) -> list[OrderLine]:
        """The order's lines in Odoo's order (sequence, id), numbered from 1."""
        uom_field = self.odoo.dialect.purchase_line_uom_field
        rows = self.odoo.search_read(
            "purchase.order.line",
            [["order_id", "=", order_id]],
            [
                "id",
                "product_id",
                "product_qty",
                "qty_received",
                "qty_invoiced",
                "price_unit",
                "date_planned",
                uom_field,
                "sequence",
            ],
        )
        rows.sort(key=lambda r: (r.get("sequence") or 0, r["id"]))
        lines = []
        for position, row in enumerate(rows, start=1):
            product = row.get("product_id")
            lines.append(
                OrderLine(
                    id=int(row["id"]),
                    position=position,
                    product_id=m2o_id(product),
                    product_name=str(product[1]) if isinstance(product, list) else "",
                    quantity=decimal(row.get("product_qty")),
                    received=decimal(row.get("qty_received")),
                    invoiced=decimal(row.get("qty_invoiced")),
                    price_unit=decimal(row.get("price_unit")),
                    uom_id=m2o_id(row.get(uom_field)),
                    date_planned=row.get("date_planned") or None,
                )
            )
        return lines

    def match_line(
        self,
        lines: list[OrderLine],
        item: ItemIds,
        po_line_number: str | None,
        line_number: str | None,
    ) -> tuple[OrderLine | None, Product | BusinessIssue]:
        """The order line a document line is about: by product, then by line number.

        Several order lines with the same product are told apart by the EDI line number
        (their position in the order, which is how the gateway creates them).
        """
        product = self.product(item, line_number)
        by_position: OrderLine | None = None
        number = po_line_number or line_number
        if number and number.strip().isdigit():
            position = int(number)
            by_position = next((x for x in lines if x.position == position), None)
        if isinstance(product, Product):
            same = [x for x in lines if x.product_id == product.id]
            if len(same) == 1:
                return same[0], product
            if by_position is not None and by_position in same:
                return by_position, product
            return (same[0] if same else None), product
        if by_position is not None and not item.identifiers():
            return by_position, product
        return None, product
