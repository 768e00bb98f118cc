"""``edi-gateway odoo check``: does the configured Odoo have everything delivery needs?

Checks, in order, each one a :class:`CheckResult` that names the fix when it fails:

- the server answers, its version and the protocol in use (JSON-2 or JSON-RPC; a warning
  when the server deprecates JSON-RPC and only a password is configured);
- the login works; the integration user has an e-mail address (without one Odoo refuses
  ``message_post`` and ``account.move.create``);
- the required modules are installed (and whether the optional ``stock_delivery`` is);
- every model, field and method of the dialect's table exists on this server (fields by
  one ``fields_get`` per model, methods by a call on an empty recordset, which is a no-op
  for every method in the table) - a missing field names the module that provides it;
- the user's access rights on what delivery reads, creates and writes;
- the company currency and each partner's currencies (``odoo.currencies``) are active;
- ``sale_stock`` when a loaded profile is a customer (``role: customer``);
- per loaded partner profile: its vendor (``vendor_id``, or exactly one partner with
  ``vendor_ref``) for a supplier, its customer (``customer_id``/``customer_ref``, else the
  vendor keys) and the customer's pricelist for a customer, each Odoo unit of its unit
  table (exists, active, the size the profile gives in ``uom_sizes``), and the product
  fields its item lookup uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.odoo.api import PRICELISTS_OFF, OdooApi, m2o_id, pricelists_off
from gateway.odoo.dialect import FIELDS, METHODS, OdooDialect, models
from gateway.odoo.errors import OdooError
from gateway.partners.odoo import OdooPartnerSettings, UnitSize
from gateway.partners.profile import PartnerProfile

REQUIRED_MODULES = ("purchase", "stock", "account", "purchase_stock", "product_expiry")
OPTIONAL_MODULES = {"stock_delivery": "tracking numbers in stock.picking.carrier_tracking_ref"}
#: needed when a loaded profile is a customer (its orders become sale orders)
CUSTOMER_MODULES = ("sale_stock",)

#: the module that brings a model (a missing model names it)
MODEL_MODULES = {
    "purchase.order": "purchase",
    "purchase.order.line": "purchase",
    "stock.picking": "stock",
    "stock.move": "stock",
    "stock.move.line": "stock",
    "stock.lot": "stock",
    "stock.backorder.confirmation": "stock",
    "account.move": "account",
    "account.move.line": "account",
    "uom.uom": "uom",
    "product.product": "product",
    "product.supplierinfo": "product",
    "mail.message": "mail",
}

ACCESS: tuple[tuple[str, str], ...] = (
    ("res.partner", "read"),
    ("product.product", "read"),
    ("product.supplierinfo", "read"),
    ("uom.uom", "read"),
    ("res.currency", "read"),
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

# how Odoo says a method is not there: JSON-RPC AttributeError, JSON-2 404 NotFound
_NO_METHOD = ("does not exist", "not found")


@dataclass(frozen=True)
class CheckResult:
    """One check: what, whether it passed, the detail, and the fix when it did not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    #: passed, but an operator should know (JSON-RPC deprecated, optional module absent)
    warning: bool = False


@dataclass(frozen=True)
class PartnerOdoo:
    """What ``odoo check`` needs of one partner profile."""

    id: str
    name: str
    odoo: OdooPartnerSettings
    edi_ids: str = ""  # "X12 ZZ:SUMMITMED; EDIFACT 14:4012345000009"
    roles: tuple[str, ...] = ("supplier",)  # the profile's role(s)

    @classmethod
    def from_profile(cls, profile: PartnerProfile) -> PartnerOdoo | None:
        """The profile's Odoo side, or ``None`` when it has no ``odoo`` section."""
        if profile.odoo is None:
            return None
        ids = []
        if profile.x12 is not None:
            ids.append(f"X12 {profile.x12.isa_qualifier}:{profile.x12.isa_id}")
        if profile.edifact is not None:
            qualifier = f"{profile.edifact.unb_qualifier}:" if profile.edifact.unb_qualifier else ""
            ids.append(f"EDIFACT {qualifier}{profile.edifact.unb_id}")
        return cls(profile.id, profile.name, profile.odoo, "; ".join(ids), profile.roles)


def required_fields(dialect: OdooDialect) -> dict[str, list[str]]:
    """Odoo's names of every field of the table this version should have, per model."""
    out: dict[str, list[str]] = {}
    for model in models():
        names = [n for n, row in dialect.expected_fields(model).items() if not row.optional]
        if names:
            out[model] = names
    return out


def check_odoo(odoo: OdooApi, partners: Sequence[PartnerOdoo] = ()) -> list[CheckResult]:
    """Run every check; stops early only when the server or the login fails."""
    results: list[CheckResult] = []
    try:
        dialect = odoo.dialect
        protocol = odoo.protocol
        warnings = odoo.warnings
    except OdooError as exc:
        return [CheckResult("server", False, str(exc), "check EDIGW_ODOO_URL and EDIGW_ODOO_DB")]
    results.append(
        CheckResult("server", True, f"Odoo {dialect.server_version}, {protocol}, {odoo.describe()}")
    )
    for warning in warnings:
        results.append(
            CheckResult("protocol", True, warning, "set EDIGW_ODOO_API_KEY", warning=True)
        )
    user = _check_user(odoo, results)
    if user is None:
        return results
    _check_modules(odoo, results, customers=any("customer" in p.roles for p in partners))
    present = _check_table(odoo, dialect, results)
    _check_methods(odoo, results)
    _check_access(odoo, dialect, results)
    _check_currencies(odoo, user, partners, results)
    for partner in partners:
        _check_partner(odoo, dialect, partner, present, results)
    return results


def _check_user(odoo: OdooApi, results: list[CheckResult]) -> dict[str, Any] | None:
    login = odoo.user
    try:
        rows = odoo.search_read(
            "res.users", [["login", "=", login]], ["login", "email", "company_id"], limit=1
        )
    except OdooError as exc:
        fix = "check EDIGW_ODOO_USER and EDIGW_ODOO_PASSWORD / EDIGW_ODOO_API_KEY"
        results.append(CheckResult("login", False, str(exc), fix))
        return None
    results.append(CheckResult("login", True, f"logged in as {login}"))
    user = rows[0] if rows else {"login": login, "email": False, "company_id": False}
    email = user.get("email")
    results.append(
        CheckResult(
            "user e-mail",
            bool(email),
            str(email) if email else f"the user {login!r} has no e-mail address",
            ""
            if email
            else "give the integration user an e-mail address (Settings > Users): without "
            "one Odoo refuses chatter notes and vendor bills",
        )
    )
    return user


def _check_modules(odoo: OdooApi, results: list[CheckResult], *, customers: bool = False) -> None:
    wanted = [*REQUIRED_MODULES, *OPTIONAL_MODULES, *CUSTOMER_MODULES]
    rows = odoo.search_read("ir.module.module", [["name", "in", wanted]], ["name", "state"])
    states = {str(r["name"]): str(r["state"]) for r in rows}
    for module in REQUIRED_MODULES:
        state = states.get(module, "not found")
        ok = state == "installed"
        fix = "" if ok else f"install the module {module} (Apps)"
        results.append(CheckResult(f"module {module}", ok, state, fix))
    for module, purpose in OPTIONAL_MODULES.items():
        state = states.get(module, "not found")
        detail = f"{state} (optional: {purpose})"
        if state != "installed":
            detail += "; without it they go to the picking's chatter"
        results.append(CheckResult(f"module {module}", True, detail))
    if customers:  # customers' orders become sale orders, confirmed into deliveries
        for module in CUSTOMER_MODULES:
            state = states.get(module, "not found")
            ok = state == "installed"
            fix = "" if ok else f"install the module {module} (Sales and Inventory apps)"
            results.append(
                CheckResult(f"module {module}", ok, f"{state} (for customer partners)", fix)
            )


def _check_table(
    odoo: OdooApi, dialect: OdooDialect, results: list[CheckResult]
) -> dict[str, set[str]]:
    """Every field of the table on this server; returns the fields each model has."""
    present: dict[str, set[str]] = {}
    for model in models():
        if not dialect.expected_fields(model) and not any(
            m.model == model and m.for_major(dialect.major) for m in METHODS
        ):  # a model of another version (19's stock.package, 17's stock.quant.package)
            continue
        try:
            known = odoo.call(model, "fields_get", params={"attributes": ["type"]})
        except OdooError as exc:
            module = MODEL_MODULES.get(model, "")
            rows = [f for f in FIELDS if f.model == model]
            if rows and all(f.optional for f in rows):  # the seller side's sale.order ...
                detail = f"not installed (optional: module {rows[0].module})"
                results.append(CheckResult(f"model {model}", True, detail))
                continue
            fix = f"install the module {module}" if module else ""
            results.append(CheckResult(f"model {model}", False, exc.odoo_message, fix))
            continue
        present[model] = set(known or {})
        missing: list[str] = []
        modules: set[str] = set()
        optional_absent: list[str] = []
        for name, row in dialect.expected_fields(model).items():
            if name in present[model]:
                continue
            if row.optional:
                optional_absent.append(f"{name} (module {row.module})")
                continue
            missing.append(name)
            modules.add(row.module or MODEL_MODULES.get(model, "?"))
        expected = len(dialect.expected_fields(model))
        if missing:
            detail = "missing: " + ", ".join(missing)
            fix = "install the module(s) " + ", ".join(sorted(modules))
        else:
            detail = f"{expected - len(optional_absent)} fields present"
            fix = ""
        if optional_absent:
            detail += "; optional, not present: " + ", ".join(optional_absent)
        results.append(CheckResult(f"fields of {model}", not missing, detail, fix))
    return present


def _check_methods(odoo: OdooApi, results: list[CheckResult]) -> None:
    dialect = odoo.dialect
    for row in METHODS:
        name = row.for_major(dialect.major)
        if name is None or not row.probe or row.key == "access_check":
            continue
        label = f"method {row.model}.{name}"
        try:
            # on an empty recordset: a no-op (or "expected singleton") when it exists
            odoo.call(row.model, name, ids=[])
        except OdooError as exc:
            text = exc.odoo_message.lower()
            if any(marker in text for marker in _NO_METHOD) or "NotFound" in exc.odoo_name:
                module = MODEL_MODULES.get(row.model, "")
                results.append(
                    CheckResult(label, False, exc.odoo_message, f"install the module {module}")
                )
                continue
        results.append(CheckResult(label, True, "present"))


def _check_access(odoo: OdooApi, dialect: OdooDialect, results: list[CheckResult]) -> None:
    for model, operation in ACCESS:
        try:
            allowed = _may(odoo, dialect, model, operation)
        except OdooError as exc:
            results.append(CheckResult(f"may {operation} {model}", False, exc.odoo_message))
            continue
        fix = (
            ""
            if allowed
            else "give the user the groups Purchase: User, Inventory: User, Invoicing: Billing"
        )
        results.append(
            CheckResult(
                f"may {operation} {model}",
                bool(allowed),
                "allowed" if allowed else "access denied",
                fix,
            )
        )


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


def _check_currencies(
    odoo: OdooApi,
    user: dict[str, Any],
    partners: Sequence[PartnerOdoo],
    results: list[CheckResult],
) -> None:
    wanted: dict[str, list[str]] = {}
    company_id = m2o_id(user.get("company_id"))
    if company_id is not None:
        rows = odoo.read("res.company", [company_id], ["currency_id"])
        if rows and isinstance(rows[0].get("currency_id"), list):
            wanted.setdefault(str(rows[0]["currency_id"][1]), []).append("company currency")
    for partner in partners:
        for code in partner.odoo.currencies:
            wanted.setdefault(code, []).append(partner.id)
    if not wanted:
        return
    rows = odoo.search_read(
        "res.currency",
        [["name", "in", sorted(wanted)], ["active", "in", [True, False]]],
        ["name", "active"],
    )
    active = {str(r["name"]): bool(r["active"]) for r in rows}
    for code, users in wanted.items():
        used_by = ", ".join(users)
        if code not in active:
            results.append(
                CheckResult(
                    f"currency {code}",
                    False,
                    f"unknown to Odoo (used by {used_by})",
                    f"check the ISO code {code} in the profile's odoo.currencies",
                )
            )
        elif not active[code]:
            results.append(
                CheckResult(
                    f"currency {code}",
                    False,
                    f"inactive (used by {used_by})",
                    f"edi-gateway odoo prepare (activates it), or activate {code} in "
                    "Accounting > Configuration > Currencies",
                )
            )
        else:
            results.append(CheckResult(f"currency {code}", True, f"active (used by {used_by})"))


def _no_pricelist(odoo: OdooApi) -> str:
    """Why a customer has no pricelist: none given, or the Pricelists setting is off (Odoo
    then applies no customer's pricelist, even one set on the customer)."""
    if pricelists_off(odoo):
        return (
            f"{PRICELISTS_OFF}, so orders are checked against sales prices; "
            "turn it on if this customer has contract prices"
        )
    return "the customer has no pricelist: orders are checked against sales prices"


def _check_partner(
    odoo: OdooApi,
    dialect: OdooDialect,
    partner: PartnerOdoo,
    present: dict[str, set[str]],
    results: list[CheckResult],
) -> None:
    settings = partner.odoo
    prepare = f"edi-gateway odoo prepare --partner {partner.id}"
    if "supplier" in partner.roles:
        _check_named_partner(
            odoo, partner.id, "vendor", settings.vendor_id, settings.vendor_ref, prepare, results
        )
    if "customer" in partner.roles:
        customer_id, customer_ref = settings.customer()
        found = _check_named_partner(
            odoo,
            partner.id,
            "customer",
            customer_id,
            customer_ref,
            "",
            results,
            fields=["name", "property_product_pricelist"],
        )
        if found is not None:
            pricelist = found.get("property_product_pricelist")
            results.append(
                CheckResult(
                    f"{partner.id}: customer pricelist",
                    True,
                    f"orders are priced and checked with {pricelist[1]!r}"
                    if isinstance(pricelist, list)
                    else _no_pricelist(odoo),
                )
            )
    _check_units(odoo, dialect, partner, prepare, results)
    product_fields = present.get("product.product", set())
    for kind, field in (
        ("ndc", settings.ndc_field),
        ("hibcc", settings.hibcc_field),
        ("buyer_part", settings.buyer_part_field),
    ):
        if kind in settings.item_lookup and product_fields and field not in product_fields:
            results.append(
                CheckResult(
                    f"{partner.id}: item lookup {kind}",
                    False,
                    f"product.product has no field {field!r}",
                    f"set odoo.{kind}_field to a field of product.product",
                )
            )


def _check_named_partner(
    odoo: OdooApi,
    partner_id: str,
    what: str,
    record_id: int | None,
    ref: str | None,
    prepare: str,
    results: list[CheckResult],
    *,
    fields: Sequence[str] = ("name",),
) -> dict[str, Any] | None:
    """The profile's vendor or customer (``<what>_id``, else exactly one partner with the
    reference ``<what>_ref``), as a check result; the record found, or None."""
    label = f"{partner_id}: {what}"
    if record_id is not None:
        rows = odoo.read("res.partner", [record_id], list(fields))
        detail = f"{what}_id {record_id}" + (
            f" is {rows[0]['name']}" if rows else " is not a partner"
        )
        fix = "" if rows else f"correct odoo.{what}_id in the profile"
        results.append(CheckResult(label, bool(rows), detail, fix))
        return rows[0] if rows else None
    rows = odoo.search_read("res.partner", [["ref", "=", ref]], list(fields))
    if not rows:
        fix = f"set {ref!r} as the {what}'s reference (Internal Reference)"
        if prepare:
            fix = f"{prepare} (creates it), or {fix}"
        results.append(CheckResult(label, False, f"no partner has the reference {ref!r}", fix))
        return None
    if len(rows) > 1:
        which = ", ".join(f"#{r['id']} {r['name']}" for r in rows)
        results.append(
            CheckResult(
                label,
                False,
                f"{len(rows)} partners have the reference {ref!r}: {which}",
                f"keep the reference on one {what} (change or archive the others)",
            )
        )
        return None
    results.append(CheckResult(label, True, f"{ref!r} is #{rows[0]['id']} {rows[0]['name']}"))
    return rows[0]


def _check_units(
    odoo: OdooApi,
    dialect: OdooDialect,
    partner: PartnerOdoo,
    prepare: str,
    results: list[CheckResult],
) -> None:
    names = sorted(set(partner.odoo.uom.values()))
    wanted = sorted({*names, *(s.of for s in partner.odoo.unit_sizes().values())})
    rows = odoo.search_read(
        "uom.uom",
        [["name", "in", wanted], ["active", "in", [True, False]]],
        dialect.unit_fields(),
    )
    units = {str(r["name"]): r for r in rows}
    sizes = partner.odoo.unit_sizes()
    for name in names:
        label = f"{partner.id}: unit {name}"
        unit = units.get(name)
        if unit is None:
            how = (
                f"{prepare} (creates it: {sizes[name].text})"
                if name in sizes
                else f"give its size in the profile (odoo.uom_sizes: {{{name}: '12 Units'}}) "
                f"and run {prepare}, or create it in Odoo"
            )
            results.append(CheckResult(label, False, "no such unit in Odoo", how))
            continue
        if not unit.get("active", True):
            results.append(
                CheckResult(label, False, "archived in Odoo", f"{prepare} (unarchives it)")
            )
            continue
        size = sizes.get(name)
        problem = unit_size_problem(dialect, unit, size, units) if size else None
        if problem:
            results.append(
                CheckResult(label, False, problem, "correct the unit in Odoo or the profile")
            )
        else:
            results.append(CheckResult(label, True, f"#{unit['id']}"))


def unit_size_problem(
    dialect: OdooDialect,
    unit: dict[str, Any],
    size: UnitSize,
    units: dict[str, dict[str, Any]],
) -> str | None:
    """Why ``unit`` does not hold ``size`` (``None`` when it does)."""
    of = units.get(size.of)
    if of is None:
        return f"the profile sizes it in {size.of!r}, which Odoo does not have"
    if dialect.unit_family(unit) != dialect.unit_family(of):
        return f"not convertible into {size.of} in Odoo (another category)"
    have = dialect.unit_size(unit) / dialect.unit_size(of)
    if abs(have - size.ratio) > Decimal("0.0001") * size.ratio:
        # factors are floats in Odoo (1/12): round away the binary noise for the message
        shown = have.quantize(Decimal("0.0001")).normalize()
        return f"holds {shown:f} {size.of} in Odoo, the profile says {size.text}"
    return None


__all__ = [
    "ACCESS",
    "FIELDS",
    "REQUIRED_MODULES",
    "CheckResult",
    "PartnerOdoo",
    "check_odoo",
    "required_fields",
]
