"""``edi-gateway odoo check``: does the configured Odoo have what delivery needs?

Checks, in order: the server answers and its version; the login works; the modules
(purchase, stock, account, purchase_stock, product_expiry) are installed; the models have
the fields delivery writes (names per version); the user may read/create/write what
delivery touches (``check_access_rights``). Each check is one :class:`CheckResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.odoo.api import OdooApi
from gateway.odoo.dialect import OdooDialect
from gateway.odoo.errors import OdooError

REQUIRED_MODULES = ("purchase", "stock", "account", "purchase_stock", "product_expiry")

ACCESS: tuple[tuple[str, str], ...] = (
    ("res.partner", "read"),
    ("product.product", "read"),
    ("product.supplierinfo", "read"),
    ("uom.uom", "read"),
    ("purchase.order", "create"),
    ("purchase.order", "write"),
    ("purchase.order.line", "write"),
    ("stock.picking", "write"),
    ("stock.move", "write"),
    ("stock.move.line", "create"),
    ("stock.lot", "create"),
    ("account.move", "create"),
    ("account.move", "write"),
    ("mail.message", "read"),
)


@dataclass(frozen=True)
class CheckResult:
    """One check: what, whether it passed, and the detail an operator needs."""

    name: str
    ok: bool
    detail: str


def required_fields(dialect: OdooDialect) -> dict[str, list[str]]:
    """The fields delivery reads or writes, per model, for this Odoo version."""
    move_qty = [dialect.move_quantity_field] + (["picked"] if dialect.has_picked else [])
    line_qty = [dialect.move_line_quantity_field] + (["picked"] if dialect.has_picked else [])
    product = ["default_code", "barcode", "uom_id", "tracking"]
    if dialect.product_purchase_uom_field:
        product.append(dialect.product_purchase_uom_field)
    return {
        "res.partner": ["ref", "name"],
        "product.product": product,
        "product.supplierinfo": ["partner_id", "product_id", "product_tmpl_id", "product_code"],
        "purchase.order": ["partner_ref", "partner_id", "state", "order_line", "origin"],
        "purchase.order.line": [
            "product_id",
            "product_qty",
            "price_unit",
            "date_planned",
            "qty_received",
            "qty_invoiced",
            dialect.purchase_line_uom_field,
        ],
        "stock.picking": [
            "purchase_id",
            "origin",
            "carrier_tracking_ref",
            "backorder_id",
            "picking_type_code",
        ],
        "stock.move": ["purchase_line_id", "product_uom_qty", "move_line_ids", *move_qty],
        "stock.move.line": ["lot_name", "expiration_date", *line_qty],
        "stock.lot": ["name", "expiration_date"],
        "account.move": ["move_type", "ref", "invoice_date", "invoice_line_ids", "state"],
        "account.move.line": ["purchase_line_id", "quantity", "price_unit"],
    }


def check_odoo(odoo: OdooApi) -> list[CheckResult]:
    """Run every check; stops early only when the server or the login fails."""
    results: list[CheckResult] = []
    try:
        dialect = odoo.dialect
    except OdooError as exc:
        return [CheckResult("server", False, str(exc))]
    protocol = "JSON-2" if getattr(odoo, "uses_json2", False) else "JSON-RPC"
    results.append(
        CheckResult(
            "server", True, f"Odoo {dialect.server_version} ({protocol}) at {odoo.describe()}"
        )
    )
    try:
        rows = odoo.search_read(
            "ir.module.module", [["name", "in", list(REQUIRED_MODULES)]], ["name", "state"]
        )
    except OdooError as exc:
        results.append(CheckResult("login", False, str(exc)))
        return results
    results.append(CheckResult("login", True, "logged in"))
    states = {str(r["name"]): str(r["state"]) for r in rows}
    for module in REQUIRED_MODULES:
        state = states.get(module, "not found")
        results.append(CheckResult(f"module {module}", state == "installed", state))
    for model, fields in required_fields(dialect).items():
        try:
            known = odoo.call(
                model, "fields_get", params={"allfields": fields, "attributes": ["type"]}
            )
        except OdooError as exc:
            results.append(CheckResult(f"fields of {model}", False, exc.odoo_message))
            continue
        missing = [f for f in fields if f not in (known or {})]
        detail = "missing: " + ", ".join(missing) if missing else f"{len(fields)} fields present"
        results.append(CheckResult(f"fields of {model}", not missing, detail))
    for model, operation in ACCESS:
        try:
            allowed = _may(odoo, dialect, model, operation)
        except OdooError as exc:
            results.append(CheckResult(f"may {operation} {model}", False, exc.odoo_message))
            continue
        results.append(
            CheckResult(
                f"may {operation} {model}", bool(allowed), "allowed" if allowed else "access denied"
            )
        )
    return results


def _may(odoo: OdooApi, dialect: OdooDialect, model: str, operation: str) -> bool:
    if dialect.access_check_method == "has_access":
        # on an empty recordset: the model's access rights only, no record rules
        return bool(odoo.call(model, "has_access", ids=[], params={"operation": operation}))
    return bool(
        odoo.call(
            model,
            "check_access_rights",
            params={"operation": operation, "raise_exception": False},
        )
    )
