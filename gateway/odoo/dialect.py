"""What differs between Odoo versions: one table of every model, field and method the
gateway touches, and the names each one has on the connected server.

The table (:data:`FIELDS`, :data:`METHODS`) is the only place a version-specific name is
written down. A row whose name changed between versions lists each name with the major
version it appeared in (``("stock.move", "quantity")``: ``quantity_done`` until 16,
``quantity`` from 17); a rename is one more pair in that row. On a real server the names
are not taken from the version number alone: the first lookup on a model whose names vary
reads ``fields_get`` once and keeps the candidate the server really has (see
:meth:`OdooDialect.field`), so a backported or ``saas~`` rename is followed too.

Code that writes to Odoo asks the dialect, never compares versions itself::

    d = odoo.dialect
    d.field("purchase.order.line", "uom")      # "product_uom" (16-18) / "product_uom_id" (19)
    d.has_field("stock.picking", "carrier_tracking_ref")   # only with stock_delivery
    d.method("access_check")                   # "check_access_rights" / "has_access" (18+)
    d.storable_product_values()                # {"detailed_type": "product"} / is_storable

Sources, checked on real servers (``../shared/odoo17|18|19``): ``stock.move.quantity``
and ``picked`` replaced ``quantity_done`` (and ``stock.move.line.qty_done``) in 17.0;
``product.template.detailed_type`` ('product' = storable) was replaced by ``type='consu'``
+ ``is_storable`` in 18.0; 19.0 renamed ``purchase.order.line.product_uom`` /
``taxes_id`` to ``product_uom_id`` / ``tax_ids``, ``product.supplierinfo.product_uom`` to
``product_uom_id``, dropped ``stock.picking.move_ids_without_package``,
``product.template.uom_po_id`` and ``uom.category`` (units point at a ``relative_uom_id``
with a ``relative_factor``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.odoo.errors import OdooConfigurationError

#: major version -> name; ``None`` means the field or method does not exist from there on
Names = tuple[tuple[int, str | None], ...]

#: reads which of ``names`` the server's ``model`` has (one ``fields_get``)
FieldsReader = Callable[[str, list[str]], set[str]]


@dataclass(frozen=True)
class FieldName:
    """One field the gateway reads or writes, under its gateway-side ``key``."""

    model: str
    key: str
    names: Names
    #: the module that provides it when it is not one of the required modules
    module: str | None = None
    #: delivery works without it (the field is detected, not assumed)
    optional: bool = False

    def for_major(self, major: int) -> str | None:
        """The name this field has in ``major`` according to the table."""
        name: str | None = None
        for since, candidate in self.names:
            if major >= since:
                name = candidate
        return name

    @property
    def varies(self) -> bool:
        """True when the name is not the same on every version (read from the server)."""
        return len({n for _, n in self.names}) > 1

    @property
    def candidates(self) -> list[str]:
        """Every name this field has had, newest first."""
        seen: list[str] = []
        for _, name in reversed(self.names):
            if name is not None and name not in seen:
                seen.append(name)
        return seen


@dataclass(frozen=True)
class MethodName:
    """One public method the gateway calls, under its gateway-side ``key``.

    ``probe`` says it may be called on an empty recordset to prove that it exists (checked
    on 17, 18 and 19: every such call is a no-op or a "singleton expected" error); ORM
    methods every model has (``search_read``, ``create`` ...) are not probed.
    """

    model: str
    key: str
    names: Names
    probe: bool = True

    def for_major(self, major: int) -> str | None:
        name: str | None = None
        for since, candidate in self.names:
            if major >= since:
                name = candidate
        return name


def _same(model: str, *keys: str, module: str | None = None) -> list[FieldName]:
    return [FieldName(model, key, ((16, key),), module=module) for key in keys]


def _optional(model: str, *keys: str, module: str) -> list[FieldName]:
    return [FieldName(model, key, ((16, key),), module=module, optional=True) for key in keys]


#: Every field the gateway touches. A rename is one more ``(version, name)`` pair.
FIELDS: tuple[FieldName, ...] = (
    *_same("res.partner", "name", "ref", "email", "is_company", "supplier_rank"),
    # the addresses the outbound order reader writes into N1/NAD
    *_same("res.partner", "street", "street2", "city", "zip", "state_id", "country_id"),
    *_same("res.country", "code"),
    *_same("res.country.state", "code"),
    *_same("res.users", "login", "email", "company_id", "name", "phone"),
    *_same("res.company", "currency_id", "partner_id"),
    *_same("stock.picking.type", "warehouse_id"),
    *_same("stock.warehouse", "partner_id"),
    *_same("res.currency", "name", "active", "rate_ids"),
    *_same("ir.module.module", "name", "state"),
    *_same("uom.uom", "name", "active", "factor", "rounding"),
    FieldName("uom.uom", "category_id", ((16, "category_id"), (19, None))),
    FieldName("uom.uom", "uom_type", ((16, "uom_type"), (19, None))),
    FieldName("uom.uom", "factor_inv", ((16, "factor_inv"), (19, None))),
    FieldName("uom.uom", "relative_uom_id", ((16, None), (19, "relative_uom_id"))),
    FieldName("uom.uom", "relative_factor", ((16, None), (19, "relative_factor"))),
    FieldName("uom.uom", "parent_path", ((16, None), (19, "parent_path"))),
    *_same(
        "product.product",
        "name",
        "default_code",
        "barcode",
        "uom_id",
        "tracking",
        "purchase_ok",
        "standard_price",
        "product_tmpl_id",
        "type",
    ),
    FieldName("product.product", "uom_po_id", ((16, "uom_po_id"), (19, None))),
    FieldName("product.product", "detailed_type", ((16, "detailed_type"), (18, None))),
    FieldName("product.product", "is_storable", ((16, None), (18, "is_storable"))),
    # a product's packagings: product.packaging rows until 18, units of the product on 19
    FieldName("product.product", "packagings", ((16, None), (19, "uom_ids"))),
    FieldName(
        "product.product",
        "use_expiration_date",
        ((16, "use_expiration_date"),),
        module="product_expiry",
    ),
    *_same(
        "product.supplierinfo",
        "partner_id",
        "product_id",
        "product_tmpl_id",
        "product_code",
        "product_name",
        "price",
        "min_qty",
        "currency_id",
        # the contract price checks: Odoo 17's _select_seller rule (delivery/contract.py)
        "sequence",
        "date_start",
        "date_end",
        "company_id",
    ),
    FieldName("product.supplierinfo", "uom", ((16, "product_uom"), (19, "product_uom_id"))),
    FieldName("product.supplierinfo", "discount", ((16, None), (17, "discount"))),
    *_same(
        "purchase.order",
        "name",
        "partner_id",
        "partner_ref",
        "state",
        "order_line",
        "origin",
        "date_order",
        "currency_id",
        # read by the outbound order reader
        "company_id",
        "date_approve",
        "date_planned",
        "picking_type_id",
        "user_id",
        "write_date",
    ),
    FieldName("purchase.order", "notes", ((16, "notes"), (19, "note"))),
    *_same(
        "purchase.order.line",
        "order_id",
        "product_id",
        "name",
        "product_qty",
        "price_unit",
        "date_planned",
        "qty_received",
        "qty_invoiced",
        "sequence",
        "display_type",
    ),
    FieldName("purchase.order.line", "uom", ((16, "product_uom"), (19, "product_uom_id"))),
    FieldName("purchase.order.line", "taxes", ((16, "taxes_id"), (19, "tax_ids"))),
    *_same(
        "stock.picking",
        "name",
        "purchase_id",
        "origin",
        "state",
        "backorder_id",
        "picking_type_code",
        "move_ids",
        "location_id",
        "location_dest_id",
        "partner_id",
        "date_done",  # reconciliation: when goods were received
    ),
    FieldName(
        "stock.picking",
        "move_ids_without_package",
        ((16, "move_ids_without_package"), (19, None)),
    ),
    FieldName(
        "stock.picking",
        "carrier_tracking_ref",
        ((16, "carrier_tracking_ref"),),
        module="stock_delivery",
        optional=True,
    ),
    *_same(
        "stock.move",
        "picking_id",
        "purchase_line_id",
        "product_id",
        "product_uom_qty",
        "product_uom",
        "move_line_ids",
        "state",
    ),
    FieldName("stock.move", "quantity", ((16, "quantity_done"), (17, "quantity"))),
    FieldName("stock.move", "picked", ((16, None), (17, "picked"))),
    *_same("stock.move.line", "move_id", "product_id", "lot_name", "lot_id"),
    FieldName("stock.move.line", "quantity", ((16, "qty_done"), (17, "quantity"))),
    FieldName("stock.move.line", "picked", ((16, None), (17, "picked"))),
    FieldName(
        "stock.move.line", "expiration_date", ((16, "expiration_date"),), module="product_expiry"
    ),
    *_same("stock.lot", "name", "product_id"),
    FieldName("stock.lot", "expiration_date", ((16, "expiration_date"),), module="product_expiry"),
    *_same(
        "account.move",
        "name",
        "move_type",
        "partner_id",
        "ref",
        "invoice_date",
        "invoice_origin",
        "invoice_line_ids",
        "state",
        "currency_id",
        "amount_untaxed",
        "amount_tax",
        "amount_total",
    ),
    *_same(
        "account.move.line",
        "move_id",
        "purchase_line_id",
        "product_id",
        "name",
        "quantity",
        "price_unit",
        "product_uom_id",
        "tax_ids",
    ),
    *_same("mail.message", "model", "res_id", "body"),
    # the seller side (customer partners): read by the outbound 855/ORDRSP reader. The
    # sale and sale_stock modules are only needed for customers, so the rows are optional
    # (``odoo check`` requires the modules when a profile has role customer)
    *_optional(
        "sale.order",
        "name",
        "state",
        "partner_id",
        "client_order_ref",
        "commitment_date",
        "date_order",
        "company_id",
        "order_line",
        "write_date",
        module="sale",
    ),
    *_optional(
        "sale.order.line",
        "sequence",
        "product_id",
        "product_uom_qty",
        "price_unit",
        "display_type",
        "qty_delivered",
        "discount",
        "name",
        module="sale",
    ),
    # a customer's change order: Odoo 17 locks a confirmed order with a flag, 16 with
    # the state done (gateway/odoo/delivery/sale_order_change.py)
    FieldName("sale.order", "locked", ((16, None), (17, "locked")), module="sale", optional=True),
    *_optional("stock.move", "sale_line_id", module="sale_stock"),
    # the outbound 856/DESADV reader: a customer's validated delivery, its packages
    *_optional("stock.picking", "sale_id", module="sale_stock"),
    *_optional("stock.picking", "carrier_id", module="stock_delivery"),
    *_same("stock.move.line", "picking_id", "result_package_id"),
    # the package model: stock.quant.package until 18, stock.package in 19
    FieldName("stock.quant.package", "name", ((16, "name"), (19, None))),
    FieldName("stock.package", "name", ((19, "name"),)),
    # the outbound 810 reader: a customer's posted invoice
    *_optional(
        "account.move",
        "invoice_date_due",
        "invoice_payment_term_id",
        "company_id",
        "write_date",
        module="account",
    ),
    *_optional("account.move.line", "price_subtotal", "display_type", module="account"),
    *_optional("account.move.line", "sale_line_ids", module="sale"),
    # ... its taxes, discounts, charges, payment terms, and a credit note's invoice
    *_optional("account.move", "reversed_entry_id", module="account"),
    *_optional(
        "account.move.line",
        "discount",
        "price_total",
        "tax_line_id",
        "amount_currency",
        "date_maturity",
        "discount_date",
        "discount_amount_currency",
        module="account",
    ),
    *_optional("account.tax", "name", "amount", "amount_type", module="account"),
    # early-payment discount on the terms themselves: Odoo 17+ (16 kept it per term line)
    *_optional(
        "account.payment.term",
        "name",
        "early_discount",
        "discount_percentage",
        "discount_days",
        module="account",
    ),
)

_ORM = ("search_read", "read", "create", "write", "fields_get")

#: Every method the gateway calls (ORM methods of every model it touches are implied).
METHODS: tuple[MethodName, ...] = (
    MethodName("purchase.order", "button_confirm", ((16, "button_confirm"),)),
    MethodName("purchase.order", "button_cancel", ((16, "button_cancel"),)),
    MethodName("purchase.order", "message_post", ((16, "message_post"),)),
    MethodName("stock.picking", "button_validate", ((16, "button_validate"),)),
    MethodName("stock.picking", "message_post", ((16, "message_post"),)),
    MethodName("stock.backorder.confirmation", "process", ((16, "process"),)),
    MethodName("account.move", "action_post", ((16, "action_post"),)),
    MethodName("account.move", "message_post", ((16, "message_post"),)),
    MethodName("sale.order", "message_post", ((16, "message_post"),), probe=False),
    # the access check of ``odoo check``: check_access_rights is deprecated from 18
    MethodName("res.partner", "access_check", ((16, "check_access_rights"), (18, "has_access"))),
)


def models() -> list[str]:
    """Every model the gateway touches, in table order."""
    seen: list[str] = []
    for model in [f.model for f in FIELDS] + [m.model for m in METHODS]:
        if model not in seen:
            seen.append(model)
    return seen


def orm_methods() -> tuple[str, ...]:
    """The ORM methods the gateway calls on the models above."""
    return _ORM


_BY_KEY: dict[tuple[str, str], FieldName] = {(f.model, f.key): f for f in FIELDS}
_METHOD_BY_KEY: dict[str, MethodName] = {m.key: m for m in METHODS}


class DialectError(OdooConfigurationError):
    """A field the caller needs does not exist on this server (or is not in the table)."""


class OdooDialect:
    """Names for one connected server (or, without a ``reader``, for a major version).

    ``reader(model, names)`` answers which of ``names`` the server's model has; the client
    passes one that calls ``fields_get``. Each model whose names vary is read once.
    """

    def __init__(
        self, major: int, server_version: str = "", *, reader: FieldsReader | None = None
    ) -> None:
        self.major = major
        self.server_version = server_version or f"{major}.0"
        self._reader = reader
        self._present: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OdooDialect(major={self.major}, server_version={self.server_version!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OdooDialect):
            return NotImplemented
        return (self.major, self.server_version) == (other.major, other.server_version)

    def __hash__(self) -> int:
        return hash((self.major, self.server_version))

    # ---- the table -----------------------------------------------------------------
    @staticmethod
    def entry(model: str, key: str) -> FieldName:
        """The table row for ``model``/``key`` (``DialectError`` when it is not listed)."""
        try:
            return _BY_KEY[(model, key)]
        except KeyError:
            raise DialectError(
                f"{model}.{key} is not in the gateway's field table (gateway/odoo/dialect.py)"
            ) from None

    def _server_has(self, row: FieldName) -> str | None:
        """The name the server really has for ``row`` (reads fields_get once per model)."""
        if self._reader is None or not (row.varies or row.optional):
            return row.for_major(self.major)
        present = self._present.get(row.model)
        if present is None:
            with self._lock:
                present = self._present.get(row.model)
                if present is None:
                    names = sorted(
                        {
                            n
                            for f in FIELDS
                            if f.model == row.model and (f.varies or f.optional)
                            for n in f.candidates
                        }
                    )
                    present = set(self._reader(row.model, names))
                    self._present[row.model] = present
        expected = row.for_major(self.major)
        if expected is not None and expected in present:
            return expected
        for name in row.candidates:
            if name in present:
                return name
        return None

    def name_or_none(self, model: str, key: str) -> str | None:
        """Odoo's name for the field, or ``None`` when this server does not have it."""
        return self._server_has(self.entry(model, key))

    def has_field(self, model: str, key: str) -> bool:
        """True when the server has the field (for optional ones: the module is installed)."""
        return self.name_or_none(model, key) is not None

    def field(self, model: str, key: str) -> str:
        """Odoo's name for the field; ``DialectError`` naming the module when it is missing."""
        row = self.entry(model, key)
        name = self._server_has(row)
        if name is None:
            where = f" (provided by the module {row.module})" if row.module else ""
            raise DialectError(
                f"{model} has no field for {key!r} on Odoo {self.server_version}{where}"
            )
        return name

    def fields(self, model: str, *keys: str) -> list[str]:
        """Odoo's names for several fields of one model (missing optional ones left out)."""
        names: list[str] = []
        for key in keys:
            row = self.entry(model, key)
            if row.optional:
                name = self._server_has(row)
                if name is not None:
                    names.append(name)
            else:
                names.append(self.field(model, key))
        return names

    def expected_fields(self, model: str) -> dict[str, FieldName]:
        """Odoo name -> table row, for every field of ``model`` this version should have."""
        out: dict[str, FieldName] = {}
        for row in FIELDS:
            if row.model == model:
                name = row.for_major(self.major)
                if name is not None:
                    out[name] = row
        return out

    def method(self, key: str) -> str:
        """Odoo's name for a method in :data:`METHODS` (by its key)."""
        try:
            row = _METHOD_BY_KEY[key]
        except KeyError:
            raise DialectError(f"method {key!r} is not in the gateway's method table") from None
        name = row.for_major(self.major)
        if name is None:
            raise DialectError(f"{row.model}.{key} does not exist on Odoo {self.server_version}")
        return name

    # ---- values that differ --------------------------------------------------------
    def storable_product_values(self) -> dict[str, Any]:
        """Values that make a product storable (tracked in stock)."""
        if self.has_field("product.product", "is_storable"):
            return {"type": "consu", "is_storable": True}
        return {"detailed_type": "product"}

    @property
    def units_have_categories(self) -> bool:
        """17/18: units belong to a ``uom.category``; 19: a unit is relative to another."""
        return self.has_field("uom.uom", "category_id")

    def unit_size(self, unit: dict[str, Any]) -> Decimal:
        """How many of the root unit one ``unit`` holds (read with :meth:`unit_fields`).

        17/18 store ``factor`` = root units per unit inverted (Dozens: 1/12); 19 stores
        ``factor`` = root units per unit (Dozens: 12).
        """
        factor = Decimal(repr(float(unit.get("factor") or 0)))
        if self.units_have_categories:
            return Decimal(1) / factor if factor else Decimal(0)
        return factor

    def unit_family(self, unit: dict[str, Any]) -> int | None:
        """Units that convert into each other share this: the category (17/18), the root
        unit of the ``relative_uom_id`` chain (19)."""
        if self.units_have_categories:
            value = unit.get("category_id")
            return int(value[0]) if isinstance(value, list | tuple) and value else None
        path = str(unit.get("parent_path") or "")
        head = path.split("/", maxsplit=1)[0]
        return int(head) if head.isdigit() else int(unit["id"])

    def unit_fields(self) -> list[str]:
        """The ``uom.uom`` fields :meth:`unit_size` and :meth:`unit_family` need."""
        if self.units_have_categories:
            return ["id", "name", "active", "factor", "category_id", "uom_type"]
        return ["id", "name", "active", "factor", "relative_uom_id", "parent_path"]

    def new_unit_values(self, name: str, size: Decimal, of: dict[str, Any]) -> dict[str, Any]:
        """Values that create unit ``name`` holding ``size`` of unit ``of`` (read with
        :meth:`unit_fields`), in the same category / chain as ``of``."""
        if not self.units_have_categories:
            return {"name": name, "relative_factor": float(size), "relative_uom_id": int(of["id"])}
        root_units = size * self.unit_size(of)
        values: dict[str, Any] = {"name": name, "category_id": self.unit_family(of)}
        if root_units >= 1:
            values.update(uom_type="bigger", factor_inv=float(root_units))
        else:
            values.update(uom_type="smaller", factor=float(Decimal(1) / root_units))
        return values

    # ---- older accessors (kept for the delivery code) ------------------------------
    @property
    def move_quantity_field(self) -> str:
        """The done / received quantity on ``stock.move``."""
        return self.field("stock.move", "quantity")

    @property
    def move_line_quantity_field(self) -> str:
        """The done / received quantity on ``stock.move.line``."""
        return self.field("stock.move.line", "quantity")

    @property
    def has_picked(self) -> bool:
        """``picked`` flag on moves and move lines (17.0 and later)."""
        return self.has_field("stock.move", "picked")

    @property
    def product_purchase_uom_field(self) -> str | None:
        """``uom_po_id`` (purchase unit) until 18; Odoo 19 dropped it."""
        return self.name_or_none("product.product", "uom_po_id")

    @property
    def package_model(self) -> str:
        """Where a move line's packages live: ``stock.quant.package`` until 18,
        ``stock.package`` in 19."""
        return "stock.package" if self.major >= 19 else "stock.quant.package"

    @property
    def purchase_line_uom_field(self) -> str:
        """Unit of a purchase order line: ``product_uom`` until 18, ``product_uom_id`` in 19."""
        return self.field("purchase.order.line", "uom")

    @property
    def note_html_param(self) -> str | None:
        """``message_post(body_is_html=True)`` (17.0+) keeps an HTML body as HTML; 16 took
        a string body as HTML already and knows no such parameter."""
        return "body_is_html" if self.major >= 17 else None

    @property
    def access_check_method(self) -> str:
        """``has_access(operation)`` from 18.0 (``check_access_rights`` is deprecated there)."""
        return self.method("access_check")


def dialect_from_version(
    info: dict[str, Any], *, reader: FieldsReader | None = None
) -> OdooDialect:
    """Build the dialect from ``common.version`` / ``/web/version`` output."""
    version_info = info.get("server_version_info") or info.get("version_info")
    server_version = str(info.get("server_version") or info.get("version") or "")
    major: int | None = None
    if isinstance(version_info, list) and version_info:
        first = version_info[0]
        if isinstance(first, int):
            major = first
        elif isinstance(first, str) and first.replace("saas~", "").split(".")[0].isdigit():
            major = int(first.replace("saas~", "").split(".")[0])
    if major is None:
        head = server_version.replace("saas~", "").split(".")[0].split("-")[0]
        if not head.isdigit():
            raise ValueError(f"cannot read the Odoo version from {info!r}")
        major = int(head)
    return OdooDialect(major=major, server_version=server_version, reader=reader)


def table_rows(models_: Iterable[str] | None = None) -> list[FieldName]:
    """The field table, optionally for some models only (docs and ``odoo check``)."""
    wanted = set(models_) if models_ is not None else None
    return [f for f in FIELDS if wanted is None or f.model in wanted]
