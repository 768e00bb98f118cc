"""``edi-gateway odoo prepare``: create in Odoo what the gateway may create safely.

For each partner profile with an ``odoo`` section:

- **the vendor**: a company ``res.partner`` named as the profile, with ``ref`` =
  ``odoo.vendor_ref`` and the partner's EDI identifiers in its internal notes, when no
  partner has that reference (an archived one is unarchived; two with the same reference
  are left for a person to sort out);
- **the units** of the profile's unit table (``odoo.uom``): an archived unit is
  unarchived; a missing one is created in the right category (17/18) or relative to the
  right unit (19) with the size ``odoo.uom_sizes`` gives (``Box: "10 Units"``); without a
  size it is listed, never guessed. An existing unit of another size is never changed.

It lists what it must not invent: products and prices (``odoo import-catalog`` loads the
supplier's item list), the integration user's e-mail address, exchange rates. The
currencies the profiles declare (``odoo.currencies``) are activated; a rate is never
invented. ``dry_run`` reads only and says what it would do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gateway.odoo.api import OdooApi, m2o_id
from gateway.odoo.check import PartnerOdoo, unit_size_problem
from gateway.odoo.dialect import OdooDialect
from gateway.odoo.errors import OdooPermanentError

Outcome = Literal["created", "unarchived", "activated", "exists", "manual"]


@dataclass(frozen=True)
class PrepareStep:
    """One thing ``prepare`` looked at: what, what it did (or would do), and why."""

    partner: str  # partner id, "" for the whole database
    what: str  # "vendor SUMMIT", "unit Box"
    outcome: Outcome
    detail: str


def prepare_odoo(
    odoo: OdooApi, partners: Sequence[PartnerOdoo], *, dry_run: bool = False
) -> list[PrepareStep]:
    """Create the vendors and units ``partners`` need; list what must be done by hand."""
    steps: list[PrepareStep] = []
    dialect = odoo.dialect
    for partner in partners:
        steps.append(_vendor(odoo, partner, dry_run=dry_run))
        steps.extend(_units(odoo, dialect, partner, dry_run=dry_run))
    steps.extend(_currencies(odoo, partners, dry_run=dry_run))
    steps.extend(_manual(odoo))
    return steps


def _vendor(odoo: OdooApi, partner: PartnerOdoo, *, dry_run: bool) -> PrepareStep:
    settings = partner.odoo
    if settings.vendor_id is not None:
        rows = odoo.read("res.partner", [settings.vendor_id], ["name"])
        if rows:
            return PrepareStep(
                partner.id, f"vendor #{settings.vendor_id}", "exists", str(rows[0]["name"])
            )
        return PrepareStep(
            partner.id,
            f"vendor #{settings.vendor_id}",
            "manual",
            "odoo.vendor_id names no partner: correct the profile (prepare creates vendors "
            "by vendor_ref only)",
        )
    ref = str(settings.vendor_ref)
    rows = odoo.search_read(
        "res.partner",
        [["ref", "=", ref], ["active", "in", [True, False]]],
        ["name", "active"],
    )
    what = f"vendor {ref}"
    if len(rows) > 1:
        which = ", ".join(f"#{r['id']} {r['name']}" for r in rows)
        return PrepareStep(
            partner.id, what, "manual", f"{len(rows)} partners have this reference ({which})"
        )
    if rows:
        row = rows[0]
        if row.get("active", True):
            return PrepareStep(partner.id, what, "exists", f"#{row['id']} {row['name']}")
        if not dry_run:
            odoo.write("res.partner", [int(row["id"])], {"active": True})
        return PrepareStep(partner.id, what, "unarchived", f"#{row['id']} {row['name']}")
    values = {
        "name": partner.name,
        "ref": ref,
        "is_company": True,
        "supplier_rank": 1,
        "comment": f"<p>EDI partner {partner.id}: {partner.edi_ids}</p>",
    }
    if dry_run:
        return PrepareStep(partner.id, what, "created", f"would create {partner.name!r}")
    new_id = odoo.create("res.partner", values)
    return PrepareStep(partner.id, what, "created", f"#{new_id} {partner.name}")


def _units(
    odoo: OdooApi, dialect: OdooDialect, partner: PartnerOdoo, *, dry_run: bool
) -> list[PrepareStep]:
    settings = partner.odoo
    sizes = settings.unit_sizes()
    names = sorted(set(settings.uom.values()))
    wanted = sorted({*names, *(s.of for s in sizes.values())})
    rows = odoo.search_read(
        "uom.uom",
        [["name", "in", wanted], ["active", "in", [True, False]]],
        dialect.unit_fields(),
    )
    units: dict[str, dict[str, Any]] = {str(r["name"]): r for r in rows}
    steps: list[PrepareStep] = []
    pending = list(names)
    # units sized in another unit of the table ("Case: 10 Box") come after that one
    for _ in range(len(pending) + 1):
        waiting: list[str] = []
        for name in pending:
            step = _unit(odoo, dialect, partner, name, units, dry_run=dry_run)
            if step is None:
                waiting.append(name)
            else:
                steps.append(step)
        if not waiting or waiting == pending:
            pending = waiting
            break
        pending = waiting
    for name in pending:
        size = sizes[name]
        steps.append(
            PrepareStep(
                partner.id,
                f"unit {name}",
                "manual",
                f"sized in {size.of!r}, which Odoo does not have: create that unit first",
            )
        )
    return steps


def _unit(
    odoo: OdooApi,
    dialect: OdooDialect,
    partner: PartnerOdoo,
    name: str,
    units: dict[str, dict[str, Any]],
    *,
    dry_run: bool,
) -> PrepareStep | None:
    """One unit; ``None`` when it must wait for the unit it is sized in."""
    sizes = partner.odoo.unit_sizes()
    what = f"unit {name}"
    unit = units.get(name)
    size = sizes.get(name)
    if unit is not None:
        problem = unit_size_problem(dialect, unit, size, units) if size else None
        if problem:
            return PrepareStep(partner.id, what, "manual", f"{problem}: not changed")
        if unit.get("active", True):
            return PrepareStep(partner.id, what, "exists", f"#{unit['id']}")
        if not dry_run:
            odoo.write("uom.uom", [int(unit["id"])], {"active": True})
            unit["active"] = True
        return PrepareStep(partner.id, what, "unarchived", f"#{unit['id']}")
    if size is None:
        return PrepareStep(
            partner.id,
            what,
            "manual",
            f"not in Odoo and the profile gives no size: add odoo.uom_sizes: {{{name}: "
            "'<n> Units'}} and run prepare again, or create it in Odoo",
        )
    of = units.get(size.of)
    if of is None or not of.get("active", True):
        return None
    values = dialect.new_unit_values(name, size.ratio, of)
    if dry_run:
        units[name] = {"id": 0, "name": name, "active": True, **_as_read(dialect, values, of)}
        return PrepareStep(partner.id, what, "created", f"would create {size.text}")
    new_id = odoo.create("uom.uom", values)
    created = odoo.read("uom.uom", [new_id], dialect.unit_fields())
    units[name] = created[0] if created else {"id": new_id, "name": name, "active": True}
    return PrepareStep(partner.id, what, "created", f"#{new_id} = {size.text}")


def _as_read(dialect: OdooDialect, values: dict[str, Any], of: dict[str, Any]) -> dict[str, Any]:
    """A unit about to be created, as :meth:`OdooDialect.unit_fields` would read it."""
    if dialect.units_have_categories:
        factor = 1 / values["factor_inv"] if "factor_inv" in values else values["factor"]
        return {"factor": factor, "category_id": [values["category_id"], ""]}
    size = float(values["relative_factor"]) * float(dialect.unit_size(of))
    return {"factor": size, "parent_path": f"{dialect.unit_family(of)}/0/"}


def _manual(odoo: OdooApi) -> list[PrepareStep]:
    steps = [
        PrepareStep(
            "",
            "products and prices",
            "manual",
            "not invented: load each supplier's item list with "
            "`edi-gateway odoo import-catalog PARTNER FILE.csv`",
        )
    ]
    login = odoo.user
    users = odoo.search_read("res.users", [["login", "=", login]], ["email"], limit=1)
    if users and not users[0].get("email"):
        steps.append(
            PrepareStep(
                "",
                f"user {login}",
                "manual",
                "has no e-mail address: give it one (Odoo refuses chatter notes and bills without)",
            )
        )
    return steps


def _currencies(
    odoo: OdooApi, partners: Sequence[PartnerOdoo], *, dry_run: bool
) -> list[PrepareStep]:
    """Activate the currencies the profiles declare; a rate is never invented."""
    steps: list[PrepareStep] = []
    codes = sorted({c for p in partners for c in p.odoo.currencies})
    if not codes:
        return steps
    rows = odoo.search_read(
        "res.currency",
        [["name", "in", codes], ["active", "in", [True, False]]],
        ["name", "active", "rate_ids"],
    )
    found = {str(r["name"]): r for r in rows}
    company = _company_currency(odoo)
    for code in codes:
        row = found.get(code)
        what = f"currency {code}"
        if row is None:
            steps.append(PrepareStep("", what, "manual", "Odoo has no such currency"))
            continue
        outcome: Outcome = "exists"
        detail = "active"
        if not row.get("active"):
            outcome, detail = "activated", "was inactive"
            if not dry_run:
                try:
                    odoo.write("res.currency", [int(row["id"])], {"active": True})
                except OdooPermanentError as exc:
                    outcome, detail = (
                        "manual",
                        f"inactive; activating it failed: {exc.odoo_message}",
                    )
        steps.append(PrepareStep("", what, outcome, detail))
        if code != company and not row.get("rate_ids"):
            steps.append(
                PrepareStep(
                    "",
                    f"{what} rate",
                    "manual",
                    f"no exchange rate to {company}: enter one (Accounting > Currencies) "
                    "before bills in it are posted - not invented here",
                )
            )
    return steps


def _company_currency(odoo: OdooApi) -> str:
    login = odoo.user
    users = odoo.search_read("res.users", [["login", "=", login]], ["company_id"], limit=1)
    company_id = m2o_id(users[0]["company_id"]) if users else None
    if company_id is None:
        return ""
    rows = odoo.read("res.company", [company_id], ["currency_id"])
    value = rows[0].get("currency_id") if rows else None
    return str(value[1]) if isinstance(value, list) else ""


__all__ = ["PrepareStep", "prepare_odoo"]
