"""``edi-gateway odoo import-catalog PARTNER FILE.csv``: a supplier's item list into Odoo.

The CSV (UTF-8, header row, ``,`` separated) has these columns; ``vendor_part``,
``description``, ``unit`` and ``price`` are required, the others may be left out or empty:

=============  =========================================================================
vendor_part    the supplier's part number (``product.supplierinfo.product_code``)
gtin           GTIN / UPC (``product.product.barcode``)
ndc            NDC (the profile's ``odoo.ndc_field``)
hibcc          HIBCC (the profile's ``odoo.hibcc_field``)
description    product name (and the supplier's product name)
unit           the unit the supplier sells in: an EDI code of the profile's unit table
               (``BX``) or an Odoo unit name (``Box``)
pack_size      how many stock units one ``unit`` holds (checked against Odoo's unit)
price          price per ``unit``
currency       ISO code of the price (default: the company's)
tracking       ``none`` / ``lot`` / ``serial``
expiry         ``yes`` / ``no``: lots carry expiration dates (``product_expiry``)
=============  =========================================================================

Each row becomes (or updates) one storable ``product.product`` and the vendor's
``product.supplierinfo`` line. A row is matched to an existing product by the vendor's
part number, then by GTIN, NDC, HIBCC; loading the same file twice changes nothing.
A row is *refused* (and the rest still loaded) when it is incomplete, names an unknown
unit or currency, has a pack size that contradicts Odoo's unit, or Odoo refuses it; the
report names the line and the reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from gateway.odoo.api import OdooApi, m2o_id
from gateway.odoo.check import PartnerOdoo
from gateway.odoo.delivery.resolve import gtin_candidates
from gateway.odoo.dialect import OdooDialect
from gateway.odoo.errors import OdooError, OdooTransientError

REQUIRED_COLUMNS = ("vendor_part", "description", "unit", "price")
COLUMNS = (
    "vendor_part",
    "gtin",
    "ndc",
    "hibcc",
    "description",
    "unit",
    "pack_size",
    "price",
    "currency",
    "tracking",
    "expiry",
)
Outcome = Literal["created", "updated", "unchanged", "refused"]


class CatalogError(ValueError):
    """The file cannot be read as a catalog at all (no header, missing columns)."""


@dataclass(frozen=True)
class CatalogRow:
    """One line of the file, read and checked (no Odoo yet)."""

    line: int
    vendor_part: str
    description: str
    unit: str
    price: Decimal
    gtin: str = ""
    ndc: str = ""
    hibcc: str = ""
    pack_size: Decimal | None = None
    currency: str = ""
    tracking: Literal["none", "lot", "serial"] = "none"
    expiry: bool = False


@dataclass(frozen=True)
class RowResult:
    """What happened to one row."""

    line: int
    vendor_part: str
    outcome: Outcome
    detail: str
    product_id: int | None = None


@dataclass
class CatalogReport:
    """Every row's result."""

    rows: list[RowResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in ("created", "updated", "unchanged", "refused")]
        return ", ".join(parts)


def read_catalog(text: str) -> tuple[list[CatalogRow], list[RowResult]]:
    """Parse the CSV: good rows, and refusals for the lines that are not."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CatalogError(f"the catalog has no column(s) {', '.join(missing)} (header: {header})")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise CatalogError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    rows: list[CatalogRow] = []
    refused: list[RowResult] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        values = {
            (k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None
        }
        if not any(values.values()):
            continue
        part = values.get("vendor_part", "")
        try:
            row = _row(number, values)
        except ValueError as exc:
            refused.append(RowResult(number, part, "refused", str(exc)))
            continue
        if row.vendor_part in seen:
            refused.append(
                RowResult(
                    number,
                    part,
                    "refused",
                    f"vendor part {part!r} is also on line {seen[row.vendor_part]}",
                )
            )
            continue
        seen[row.vendor_part] = number
        rows.append(row)
    return rows, refused


def _row(line: int, values: dict[str, str]) -> CatalogRow:
    for column in REQUIRED_COLUMNS:
        if not values.get(column):
            raise ValueError(f"{column} is empty")
    price = _decimal(values["price"], "price")
    if price < 0:
        raise ValueError(f"price {values['price']!r} is negative")
    pack = _decimal(values["pack_size"], "pack_size") if values.get("pack_size") else None
    if pack is not None and pack <= 0:
        raise ValueError(f"pack_size {values['pack_size']!r} must be positive")
    tracking = (values.get("tracking") or "none").lower()
    if tracking not in ("none", "lot", "serial"):
        raise ValueError(f"tracking {tracking!r} is not none, lot or serial")
    expiry_text = (values.get("expiry") or "no").lower()
    if expiry_text not in ("yes", "no", "true", "false", "1", "0", "y", "n"):
        raise ValueError(f"expiry {expiry_text!r} is not yes or no")
    expiry = expiry_text in ("yes", "true", "1", "y")
    if expiry and tracking == "none":
        raise ValueError("expiry dates need lot or serial tracking")
    gtin = values.get("gtin", "")
    if gtin and (not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14)):
        raise ValueError(f"gtin {gtin!r} is not 8, 12, 13 or 14 digits")
    currency = values.get("currency", "").upper()
    if currency and (len(currency) != 3 or not currency.isalpha()):
        raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
    return CatalogRow(
        line=line,
        vendor_part=values["vendor_part"],
        description=values["description"],
        unit=values["unit"],
        price=price,
        gtin=gtin,
        ndc=values.get("ndc", ""),
        hibcc=values.get("hibcc", ""),
        pack_size=pack,
        currency=currency,
        tracking=tracking,  # type: ignore[arg-type]
        expiry=expiry,
    )


def _decimal(text: str, column: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{column} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{column} {text!r} is not a number")
    return value


class CatalogImport:
    """Load rows for one partner's vendor into one Odoo."""

    def __init__(self, odoo: OdooApi, partner: PartnerOdoo, *, dry_run: bool = False) -> None:
        self.odoo = odoo
        self.partner = partner
        self.settings = partner.odoo
        self.dialect: OdooDialect = odoo.dialect
        self.dry_run = dry_run
        self._units: dict[str, dict[str, Any] | None] = {}
        self._currencies: dict[str, int | None] = {}
        self._vendor_id: int | None = None
        self._product_fields: set[str] | None = None

    # ---- lookups -------------------------------------------------------------------
    @property
    def vendor_id(self) -> int:
        if self._vendor_id is None:
            if self.settings.vendor_id is not None:
                self._vendor_id = self.settings.vendor_id
            else:
                rows = self.odoo.search_read(
                    "res.partner", [["ref", "=", self.settings.vendor_ref]], ["name"]
                )
                if len(rows) != 1:
                    raise CatalogError(
                        f"{len(rows)} partners have the reference {self.settings.vendor_ref!r}"
                        f" (the profile's odoo.vendor_ref): run `edi-gateway odoo check`"
                    )
                self._vendor_id = int(rows[0]["id"])
        return self._vendor_id

    def _unit(self, name: str) -> dict[str, Any] | None:
        if name not in self._units:
            rows = self.odoo.search_read(
                "uom.uom", [["name", "=", name]], self.dialect.unit_fields(), limit=1
            )
            self._units[name] = rows[0] if rows else None
        return self._units[name]

    @property
    def product_fields(self) -> set[str]:
        """The fields ``product.product`` has here (one ``fields_get``)."""
        if self._product_fields is None:
            found = self.odoo.call("product.product", "fields_get", params={"attributes": ["type"]})
            self._product_fields = set(found or {})
        return self._product_fields

    def _currency(self, code: str) -> int | None:
        if code not in self._currencies:
            rows = self.odoo.search_read("res.currency", [["name", "=", code]], ["name"], limit=1)
            self._currencies[code] = int(rows[0]["id"]) if rows else None
        return self._currencies[code]

    # ---- rows ----------------------------------------------------------------------
    def run(self, rows: Iterable[CatalogRow]) -> list[RowResult]:
        """Load every row; a row Odoo refuses does not stop the others."""
        self.vendor_id  # noqa: B018 - no vendor, no catalog
        results: list[RowResult] = []
        for row in rows:
            try:
                results.append(self._load(row))
            except OdooTransientError:
                raise
            except OdooError as exc:
                results.append(
                    RowResult(row.line, row.vendor_part, "refused", f"Odoo: {exc.odoo_message}")
                )
        return results

    def _load(self, row: CatalogRow) -> RowResult:
        purchase_name = self.settings.uom.get(row.unit, row.unit)
        purchase_unit = self._unit(purchase_name)
        if purchase_unit is None:
            return self._refuse(
                row,
                f"unit {row.unit!r} is not in Odoo (run `edi-gateway odoo prepare`, or add it "
                "to the profile's odoo.uom)",
            )
        stock_name = self.settings.uom.get("EA", "Units")
        stock_unit = self._unit(stock_name)
        if stock_unit is None or self.dialect.unit_family(stock_unit) != self.dialect.unit_family(
            purchase_unit
        ):
            stock_unit = purchase_unit
        size = self.dialect.unit_size(purchase_unit) / self.dialect.unit_size(stock_unit)
        if row.pack_size is not None and abs(size - row.pack_size) > Decimal("0.0001"):
            return self._refuse(
                row,
                f"pack size {row.pack_size.normalize():f} but Odoo's {purchase_name} holds "
                f"{size.normalize():f} {stock_unit['name']}: use a unit of that size "
                "(odoo.uom / uom_sizes in the profile)",
            )
        if row.expiry and "use_expiration_date" not in self.product_fields:
            return self._refuse(
                row, "expiry dates need the Odoo module product_expiry (not installed)"
            )
        currency_id = None
        if row.currency:
            currency_id = self._currency(row.currency)
            if currency_id is None:
                return self._refuse(row, f"currency {row.currency} is unknown or inactive in Odoo")
        product_values = self._product_values(row, stock_unit, purchase_unit)
        conflict = self._identifier_conflict(row)
        if conflict:
            return self._refuse(row, conflict)
        found = self._find(row)
        if isinstance(found, str):
            return self._refuse(row, found)
        supplier_values = {
            "partner_id": self.vendor_id,
            "product_code": row.vendor_part,
            "product_name": row.description,
            "price": float(row.price),
            "min_qty": 0.0,
        }
        if currency_id is not None:
            supplier_values["currency_id"] = currency_id
        supplier_uom = self.dialect.name_or_none("product.supplierinfo", "uom")
        if supplier_uom == "product_uom_id":  # 19: per vendor line (17/18: the product's)
            supplier_values[supplier_uom] = int(purchase_unit["id"])
        if found is None:
            if self.dry_run:
                return RowResult(row.line, row.vendor_part, "created", "would create")
            product_id = self.odoo.create("product.product", product_values)
            template = self.odoo.read("product.product", [product_id], ["product_tmpl_id"])
            supplier_values["product_tmpl_id"] = m2o_id(template[0]["product_tmpl_id"])
            supplier_values["product_id"] = product_id
            self.odoo.create("product.supplierinfo", supplier_values)
            return RowResult(
                row.line, row.vendor_part, "created", f"product #{product_id}", product_id
            )
        return self._update(row, found, product_values, supplier_values)

    def _refuse(self, row: CatalogRow, reason: str) -> RowResult:
        return RowResult(row.line, row.vendor_part, "refused", reason)

    def _product_values(
        self, row: CatalogRow, stock_unit: dict[str, Any], purchase_unit: dict[str, Any]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": row.description,
            "purchase_ok": True,
            "tracking": row.tracking,
            "uom_id": int(stock_unit["id"]),
            **self.dialect.storable_product_values(),
        }
        po_unit = self.dialect.product_purchase_uom_field
        if po_unit:
            values[po_unit] = int(purchase_unit["id"])
        if "use_expiration_date" in self.product_fields:
            values["use_expiration_date"] = row.expiry
        for kind, value in self._identifiers(row):
            values[self._identifier_field(kind)] = value
        return values

    def _identifiers(self, row: CatalogRow) -> list[tuple[str, str]]:
        return [
            (k, v) for k, v in (("gtin", row.gtin), ("ndc", row.ndc), ("hibcc", row.hibcc)) if v
        ]

    def _identifier_field(self, kind: str) -> str:
        return {
            "gtin": "barcode",
            "ndc": self.settings.ndc_field,
            "hibcc": self.settings.hibcc_field,
        }[kind]

    def _identifier_conflict(self, row: CatalogRow) -> str | None:
        targets: dict[str, tuple[str, str]] = {}
        for kind, value in self._identifiers(row):
            target = self._identifier_field(kind)
            if target in targets and targets[target][1] != value:
                other = targets[target][0]
                return (
                    f"{other} and {kind} both go to product.product.{target} (the profile's "
                    f"odoo.{kind}_field): give only one, or another field for {kind}"
                )
            targets[target] = (kind, value)
        return None

    def _find(self, row: CatalogRow) -> tuple[int, dict[str, Any] | None] | str | None:
        """(product id, the vendor's supplierinfo) by vendor part, then by identifiers;
        ``None`` when new; a refusal reason when identifiers point at different products."""
        infos = self.odoo.search_read(
            "product.supplierinfo",
            [["partner_id", "=", self.vendor_id], ["product_code", "=", row.vendor_part]],
            ["product_id", "product_tmpl_id", "product_code", "product_name", "price"],
        )
        product_ids: set[int] = set()
        for info in infos:
            pid = m2o_id(info.get("product_id"))
            if pid is None:
                variants = self.odoo.search_read(
                    "product.product",
                    [["product_tmpl_id", "=", m2o_id(info.get("product_tmpl_id"))]],
                    ["id"],
                )
                pid = int(variants[0]["id"]) if len(variants) == 1 else None
            if pid is not None:
                product_ids.add(pid)
        if not product_ids:
            for kind, value in self._identifiers(row):
                target = self._identifier_field(kind)
                candidates = gtin_candidates(value) if kind == "gtin" else [value]
                rows = self.odoo.search_read(
                    "product.product", [[target, "in", candidates]], ["id"]
                )
                product_ids.update(int(r["id"]) for r in rows)
        if len(product_ids) > 1:
            ids = ", ".join(f"#{i}" for i in sorted(product_ids))
            return f"matches several products ({ids}): merge them in Odoo first"
        if not product_ids:
            return None
        product_id = product_ids.pop()
        matching = [i for i in infos if m2o_id(i.get("product_id")) in (product_id, None)]
        return product_id, (matching[0] if matching else None)

    def _update(
        self,
        row: CatalogRow,
        found: tuple[int, dict[str, Any] | None],
        product_values: dict[str, Any],
        supplier_values: dict[str, Any],
    ) -> RowResult:
        product_id, info = found
        current = self.odoo.read(
            "product.product", [product_id], [*product_values, "product_tmpl_id"]
        )
        if not current:
            return self._refuse(row, f"product #{product_id} vanished")
        product_changes = _changes(current[0], product_values)
        supplier_values = {**supplier_values, "product_id": product_id}
        supplier_values["product_tmpl_id"] = m2o_id(current[0]["product_tmpl_id"])
        if info is not None:
            info_now = self.odoo.read(
                "product.supplierinfo", [int(info["id"])], list(supplier_values)
            )
            supplier_changes = _changes(info_now[0] if info_now else {}, supplier_values)
        else:
            supplier_changes = supplier_values
        if not product_changes and not supplier_changes:
            return RowResult(
                row.line, row.vendor_part, "unchanged", f"product #{product_id}", product_id
            )
        changed = sorted(product_changes) + [f"vendor {k}" for k in sorted(supplier_changes)]
        detail = f"product #{product_id}: " + ", ".join(changed)
        if self.dry_run:
            return RowResult(
                row.line, row.vendor_part, "updated", "would update " + detail, product_id
            )
        if product_changes:
            self.odoo.write("product.product", [product_id], product_changes)
        if info is None:
            self.odoo.create("product.supplierinfo", supplier_values)
        elif supplier_changes:
            self.odoo.write("product.supplierinfo", [int(info["id"])], supplier_changes)
        return RowResult(row.line, row.vendor_part, "updated", detail, product_id)


def _changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The values of ``wanted`` that differ from what Odoo has (many2one read as [id, name])."""
    out: dict[str, Any] = {}
    for key, value in wanted.items():
        have = current.get(key)
        if isinstance(have, list | tuple):
            have = m2o_id(have)
        if (
            isinstance(value, float)
            and isinstance(have, int | float)
            and not isinstance(have, bool)
        ):
            if abs(float(have) - value) < 1e-6:
                continue
        elif have == value or (have is False and value in ("", None)):
            continue
        out[key] = value
    return out


def import_catalog(
    odoo: OdooApi, partner: PartnerOdoo, path: Path, *, dry_run: bool = False
) -> CatalogReport:
    """Read ``path`` and load it for ``partner``; the report lists every row's outcome."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text ({exc})") from exc
    rows, refused = read_catalog(text)
    loaded = CatalogImport(odoo, partner, dry_run=dry_run).run(rows)
    report = CatalogReport(sorted([*loaded, *refused], key=lambda r: r.line))
    return report
