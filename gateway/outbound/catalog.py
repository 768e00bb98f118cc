"""A customer's prices, from their Odoo pricelist, as a price catalog (832 / PRICAT).

The pricelist is the customer's ``property_product_pricelist`` (what Odoo puts on their
sale orders). Its rules (``product.pricelist.item``, and those of pricelists they are
based on) are read and computed by :mod:`gateway.outbound.pricelist`, because Odoo's own
price computation is private to RPC. For every product the customer is told about
(:mod:`gateway.outbound.offered`) the catalog line lists:

* the price from one unit, and one more price per minimum quantity of a rule that can
  apply to the product (a quantity break), each only when it differs from the one before;
* the prices of rules that start later (a date range starting after today), with their
  dates, so a customer learns of next month's price before it applies.

Each price carries the dates of the rule that made it (``effective_from`` /
``effective_to``), is rounded to Odoo's ``Product Price`` precision (as a sale order
line's ``price_unit`` is) and is per product unit; the pack size is the product's first
packaging (``product.packaging``; on Odoo 19 its first packaging unit, ``uom_ids``), when
it has one.

:func:`CatalogReader.stamp` is what the poll compares to see whether the pricelist
changed: its id and the newest ``write_date`` of the pricelist and its rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gateway.canonical import CatalogPrice, Party, PriceCatalog, PriceCatalogLine
from gateway.odoo.api import PRICELISTS_OFF, OdooApi, pricelists_off
from gateway.odoo.errors import OdooPermanentError
from gateway.outbound.inventory import our_company
from gateway.outbound.offered import CustomerItem, NotPublishable, OfferedProduct, OfferedProducts
from gateway.outbound.pricelist import (
    Pricelist,
    PriceNotComputable,
    Product,
    Rule,
    breakpoints,
    price_for,
    starts_after,
)
from gateway.partners.profile import PartnerProfile

RULE_FIELDS = [
    "applied_on",
    "product_id",
    "product_tmpl_id",
    "categ_id",
    "min_quantity",
    "date_start",
    "date_end",
    "compute_price",
    "fixed_price",
    "percent_price",
    "base",
    "base_pricelist_id",
    "price_discount",
    "price_surcharge",
    "price_round",
    "price_min_margin",
    "price_max_margin",
    "name",
    "write_date",
]
PRICE_FIELDS = ["lst_price", "standard_price", "currency_id", "cost_currency_id"]
MAX_BASE_DEPTH = 8


def _id(value: Any) -> int | None:
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return int(value) if value else None


def _code(value: Any) -> str:
    """The name of a many2one (a currency's code)."""
    return str(value[1]) if isinstance(value, list | tuple) and len(value) > 1 else ""


def _number(value: Any) -> Decimal:
    return Decimal(repr(float(value or 0)))


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value)[:19])


def rule_from(row: dict[str, Any], pricelist_id: int) -> Rule:
    """A rule from a ``product.pricelist.item`` row."""
    return Rule(
        id=int(row["id"]),
        pricelist_id=pricelist_id,
        applied_on=str(row.get("applied_on") or "3_global"),
        product_id=_id(row.get("product_id")),
        template_id=_id(row.get("product_tmpl_id")),
        categ_id=_id(row.get("categ_id")),
        min_quantity=_number(row.get("min_quantity")),
        date_start=_moment(row.get("date_start")),
        date_end=_moment(row.get("date_end")),
        compute_price=str(row.get("compute_price") or "fixed"),
        fixed_price=_number(row.get("fixed_price")),
        percent_price=_number(row.get("percent_price")),
        base=str(row.get("base") or "list_price"),
        base_pricelist_id=_id(row.get("base_pricelist_id")),
        price_discount=_number(row.get("price_discount")),
        price_surcharge=_number(row.get("price_surcharge")),
        price_round=_number(row.get("price_round")),
        price_min_margin=_number(row.get("price_min_margin")),
        price_max_margin=_number(row.get("price_max_margin")),
        name=str(row.get("name") or ""),
    )


class CatalogReader:
    """Reads one customer's pricelist and the catalog made from it."""

    def __init__(
        self, odoo: OdooApi, profile: PartnerProfile, items: Sequence[CustomerItem]
    ) -> None:
        if profile.odoo is None:
            raise NotPublishable(profile.id, ["the profile has no odoo section"])
        self.odoo = odoo
        self.profile = profile
        self.settings = profile.odoo
        self.offered = OfferedProducts(odoo, profile, items)

    # -- the pricelist ----------------------------------------------------------------
    def customer_id(self) -> int:
        """The customer's ``res.partner`` id (``odoo.customer_id`` or ``customer_ref``)."""
        partner_id, ref = self.settings.customer()
        if partner_id is not None:
            return partner_id
        rows = self.odoo.search_read("res.partner", [["ref", "=", ref]], ["id"], limit=1)
        if not rows:
            raise NotPublishable(
                f"price catalog for {self.profile.id}", [f"no Odoo partner with ref {ref!r}"]
            )
        return int(rows[0]["id"])

    def pricelist_id(self) -> int:
        """The customer's pricelist (``property_product_pricelist``)."""
        partner = self.customer_id()
        rows = self.odoo.read("res.partner", [partner], ["property_product_pricelist"])
        found = _id(rows[0].get("property_product_pricelist")) if rows else None
        if found is None:
            why = f"Odoo partner {partner} has no pricelist (property_product_pricelist)"
            if pricelists_off(self.odoo):  # Odoo reads none while the setting is off
                why += f": {PRICELISTS_OFF}; turn it on to publish this customer's prices"
            raise NotPublishable(f"price catalog for {self.profile.id}", [why])
        return found

    def stamp(self) -> str:
        """What changes when the customer's pricelist or one of its rules changes: the
        pricelist's id and the newest ``write_date`` of it and its rules."""
        pricelist = self.pricelist_id()
        rows = self.odoo.read("product.pricelist", [pricelist], ["write_date"])
        newest = [str(r.get("write_date") or "") for r in rows]
        items = self.odoo.search_read(
            "product.pricelist.item",
            [["pricelist_id", "=", pricelist]],
            ["write_date"],
            limit=1,
            order="write_date desc",
        )
        newest += [str(r.get("write_date") or "") for r in items]
        count = self.odoo.search_read(
            "product.pricelist.item", [["pricelist_id", "=", pricelist]], ["id"]
        )
        # a deleted rule leaves no newer write_date behind: the rule count shows it
        return f"{pricelist}:{len(count)}:{max(newest or [''])}"[:32]

    def _pricelist(self, pricelist_id: int) -> Pricelist:
        rows = self.odoo.read("product.pricelist", [pricelist_id], ["name", "currency_id"])
        if not rows:
            raise NotPublishable(
                f"price catalog for {self.profile.id}", [f"pricelist {pricelist_id} is gone"]
            )
        items = self.odoo.search_read(
            "product.pricelist.item", [["pricelist_id", "=", pricelist_id]], RULE_FIELDS
        )
        return Pricelist(
            id=pricelist_id,
            currency=_code(rows[0].get("currency_id")),
            rules=tuple(rule_from(row, pricelist_id) for row in items),
            name=str(rows[0].get("name") or ""),
        )

    def _pricelists(self, first: int) -> dict[int, Pricelist]:
        """The pricelist and every pricelist its rules are based on."""
        found: dict[int, Pricelist] = {}
        todo = [first]
        while todo and len(found) < MAX_BASE_DEPTH:
            current = todo.pop()
            if current in found:
                continue
            found[current] = self._pricelist(current)
            todo += [
                r.base_pricelist_id
                for r in found[current].rules
                if r.base == "pricelist" and r.base_pricelist_id
            ]
        return found

    # -- the catalog ------------------------------------------------------------------
    def read(self, catalog_number: str, catalog_date: dt.date, moment: dt.datetime) -> PriceCatalog:
        """The catalog at ``moment`` (naive UTC, as Odoo stores datetimes); raises
        :class:`NotPublishable` naming every product or rule that cannot be priced."""
        pricelist_id = self.pricelist_id()
        pricelists = self._pricelists(pricelist_id)
        pricelist = pricelists[pricelist_id]
        offered = self.offered.read(PRICE_FIELDS)
        products = self._products(offered)
        packs = self._packs([p.id for p in offered])
        digits = self._price_digits()
        lines: list[PriceCatalogLine] = []
        problems: list[str] = []
        for n, item in enumerate(offered, 1):
            try:
                prices = self._prices(pricelist, pricelists, products[item.id], moment, digits)
            except PriceNotComputable as exc:
                problems.append(f"product {item.item.vendor_part or item.id}: {exc}")
                continue
            lines.append(
                PriceCatalogLine(
                    line_number=str(n),
                    item=item.item,
                    uom=item.uom,
                    pack_size=packs.get(item.id),
                    prices=prices,
                )
            )
        if problems:
            raise NotPublishable(f"price catalog for {self.profile.id}", problems)
        return PriceCatalog(
            catalog_number=catalog_number,
            catalog_date=catalog_date,
            currency=pricelist.currency or None,
            seller=our_company(self.odoo),
            buyer=Party(name=self.profile.name),
            lines=lines,
        )

    def _prices(
        self,
        pricelist: Pricelist,
        pricelists: dict[int, Pricelist],
        product: Product,
        moment: dt.datetime,
        digits: int,
    ) -> list[CatalogPrice]:
        step = Decimal(1).scaleb(-digits)
        out: list[CatalogPrice] = []
        for when in (moment, *starts_after(pricelist, product, moment)):
            previous: CatalogPrice | None = None
            for quantity in breakpoints(pricelist, product, when):
                priced = price_for(pricelist, product, quantity, when, pricelists=pricelists)
                rule = priced.rule
                price = CatalogPrice(
                    unit_price=priced.price.quantize(step, rounding=ROUND_HALF_UP),
                    min_quantity=None if quantity == 1 else quantity,
                    effective_from=rule.date_start.date() if rule and rule.date_start else None,
                    effective_to=rule.date_end.date() if rule and rule.date_end else None,
                )
                same = previous is not None and (
                    previous.unit_price,
                    previous.effective_from,
                    previous.effective_to,
                ) == (price.unit_price, price.effective_from, price.effective_to)
                if not same and price not in out:
                    out.append(price)
                previous = price
        return out

    def _products(self, offered: list[OfferedProduct]) -> dict[int, Product]:
        categories = sorted({p.categ_id for p in offered if p.categ_id})
        parents: dict[int, tuple[int, ...]] = {}
        if categories:
            for row in self.odoo.read("product.category", categories, ["parent_path"]):
                path = str(row.get("parent_path") or "")
                chain = [int(x) for x in path.strip("/").split("/") if x.isdigit()]
                parents[int(row["id"])] = tuple(reversed(chain)) or (int(row["id"]),)
        return {
            p.id: Product(
                id=p.id,
                template_id=p.template_id,
                categ_ids=parents.get(p.categ_id or 0, ()),
                list_price=_number(p.row.get("lst_price")),
                standard_price=_number(p.row.get("standard_price")),
                currency=_code(p.row.get("currency_id")),
                cost_currency=_code(p.row.get("cost_currency_id")),
            )
            for p in offered
        }

    def _packs(self, product_ids: list[int]) -> dict[int, Decimal]:
        """Each product's pack size: its first packaging's quantity of the product."""
        if not product_ids:
            return {}
        packagings = self.odoo.dialect.name_or_none("product.product", "packagings")
        if packagings is not None:
            return self._unit_packs(product_ids, packagings)
        try:
            rows = self.odoo.search_read(
                "product.packaging",
                [["product_id", "in", product_ids]],
                ["product_id", "qty"],
                order="sequence, id",
            )
        except OdooPermanentError:  # a server without product.packaging: no pack sizes
            return {}
        packs: dict[int, Decimal] = {}
        for row in rows:
            product = _id(row.get("product_id"))
            if product is not None and product not in packs and row.get("qty"):
                packs[product] = _pack_size(_number(row.get("qty")))
        return packs

    def _unit_packs(self, product_ids: list[int], packagings: str) -> dict[int, Decimal]:
        """Odoo 19: a packaging is a unit of the product (``uom_ids``), e.g. "Box of 100"
        relative to Units; its size is how many of the product's own unit it holds."""
        dialect = self.odoo.dialect
        rows = self.odoo.read("product.product", product_ids, ["uom_id", packagings])
        wanted = {
            unit
            for row in rows
            for unit in [_id(row.get("uom_id")), *(row.get(packagings) or [])]
            if unit is not None
        }
        units = {
            int(u["id"]): u
            for u in self.odoo.read("uom.uom", sorted(wanted), dialect.unit_fields())
        }
        packs: dict[int, Decimal] = {}
        for row in rows:
            base = units.get(_id(row.get("uom_id")) or 0)
            if base is None or not dialect.unit_size(base):
                continue
            for pack_id in row.get(packagings) or []:
                pack = units.get(int(pack_id))
                if pack is None or dialect.unit_family(pack) != dialect.unit_family(base):
                    continue
                size = dialect.unit_size(pack) / dialect.unit_size(base)
                packs[int(row["id"])] = _pack_size(size.quantize(Decimal("0.000001")))
                break
        return packs

    def _price_digits(self) -> int:
        rows = self.odoo.search_read(
            "decimal.precision", [["name", "=", "Product Price"]], ["digits"], limit=1
        )
        return int(rows[0].get("digits") or 2) if rows else 2


def _pack_size(number: Decimal) -> Decimal:
    """A pack size as the catalog states it: a whole number without decimals (100, not
    100.000000), else as it is."""
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number
