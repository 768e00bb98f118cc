"""A customer's price for a product from an Odoo pricelist, computed the way Odoo 17 does.

Odoo computes pricelist prices in private methods (``product.pricelist._get_product_price``,
``product.pricelist.item._compute_price``) that RPC cannot call, so the gateway reads the
pricelist's rules (``product.pricelist.item``) and computes them itself, following
``odoo/addons/product/models/product_pricelist.py`` and ``product_pricelist_item.py`` of
Odoo 17:

* the rules that may apply are those of the pricelist whose date range holds the moment
  (``date_start <= moment <= date_end``, either end open), taken in Odoo's order
  (``applied_on, min_quantity desc, categ_id desc, id desc``);
* the first rule whose minimum quantity is reached and whose product, template or
  category (or a parent category) matches is used; none: the product's sales price;
* ``fixed``: the rule's price; ``percentage``: the base less the percentage;
  ``formula``: the base less ``price_discount`` %, rounded to ``price_round`` (half up),
  plus ``price_surcharge``, held between base + ``price_min_margin`` and base +
  ``price_max_margin``;
* the base is the product's sales price (``lst_price``: list price plus variant extras),
  its cost (``standard_price``) or another pricelist's price for the product (computed
  the same way).

What this module does not compute raises :class:`PriceNotComputable` naming the rule: a
base pricelist or a product price in another currency than the pricelist's (Odoo would
convert at the day's rate), a loop of pricelists based on each other, or a rule kind this
version does not know. Quantities are in the product's unit; prices are per product unit.

Pure: rules and products in, :class:`~decimal.Decimal` out; reading them is
:mod:`gateway.outbound.catalog`'s job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

APPLIED_ON_ORDER = ("0_product_variant", "1_product", "2_product_category", "3_global")


class PriceNotComputable(ValueError):
    """A pricelist rule the gateway cannot compute (names the rule and why)."""


@dataclass(frozen=True)
class Rule:
    """One ``product.pricelist.item`` as read from Odoo."""

    id: int
    pricelist_id: int
    applied_on: str = "3_global"
    product_id: int | None = None
    template_id: int | None = None
    categ_id: int | None = None
    min_quantity: Decimal = Decimal(0)
    date_start: dt.datetime | None = None
    date_end: dt.datetime | None = None
    compute_price: str = "fixed"
    fixed_price: Decimal = Decimal(0)
    percent_price: Decimal = Decimal(0)
    base: str = "list_price"
    base_pricelist_id: int | None = None
    price_discount: Decimal = Decimal(0)
    price_surcharge: Decimal = Decimal(0)
    price_round: Decimal = Decimal(0)
    price_min_margin: Decimal = Decimal(0)
    price_max_margin: Decimal = Decimal(0)
    name: str = ""  # Odoo's display name of the rule, for messages

    def describe(self) -> str:
        """How messages name the rule."""
        label = f" ({self.name})" if self.name else ""
        return f"pricelist rule {self.id}{label} of pricelist {self.pricelist_id}"

    def active_at(self, moment: dt.datetime) -> bool:
        """Whether the rule's date range holds ``moment``."""
        return (self.date_start is None or self.date_start <= moment) and (
            self.date_end is None or moment <= self.date_end
        )

    def order_key(self) -> tuple[int, Decimal, int, int]:
        """Odoo's ``_order``: applied_on, min_quantity desc, categ_id desc, id desc."""
        applied = (
            APPLIED_ON_ORDER.index(self.applied_on)
            if self.applied_on in APPLIED_ON_ORDER
            else len(APPLIED_ON_ORDER)
        )
        return (applied, -self.min_quantity, -(self.categ_id or 0), -self.id)


@dataclass(frozen=True)
class Product:
    """What a price depends on, for one ``product.product``."""

    id: int
    template_id: int
    categ_ids: tuple[int, ...]  # its category, then the parents up to the root
    list_price: Decimal  # lst_price: the template's sales price plus the variant extras
    standard_price: Decimal = Decimal(0)
    currency: str = ""  # the product's (company's) currency
    cost_currency: str = ""


@dataclass(frozen=True)
class Pricelist:
    """A pricelist: its currency and its rules (any order; sorted on use)."""

    id: int
    currency: str
    rules: Sequence[Rule] = field(default_factory=tuple)
    name: str = ""


@dataclass(frozen=True)
class PricedAt:
    """A price and the rule that made it (None: the product's sales price)."""

    price: Decimal
    rule: Rule | None


def applicable(rule: Rule, product: Product, quantity: Decimal) -> bool:
    """Odoo's ``_is_applicable_for`` for a product variant and a quantity in its unit."""
    if rule.min_quantity and quantity < rule.min_quantity:
        return False
    if rule.applied_on == "2_product_category":
        return rule.categ_id in product.categ_ids
    if rule.applied_on == "1_product":
        return rule.template_id == product.template_id
    if rule.applied_on == "0_product_variant":
        return rule.product_id == product.id
    return True


def _candidates(pricelist: Pricelist, product: Product, moment: dt.datetime) -> list[Rule]:
    """The rules Odoo's ``_get_applicable_rules`` fetches for the product at ``moment``,
    in Odoo's order."""
    found = [
        r
        for r in pricelist.rules
        if r.active_at(moment)
        and (r.categ_id is None or r.categ_id in product.categ_ids)
        and (r.template_id is None or r.template_id == product.template_id)
        and (r.product_id is None or r.product_id == product.id)
    ]
    return sorted(found, key=Rule.order_key)


def price_for(
    pricelist: Pricelist,
    product: Product,
    quantity: Decimal,
    moment: dt.datetime,
    *,
    pricelists: Mapping[int, Pricelist] | None = None,
    _seen: tuple[int, ...] = (),
) -> PricedAt:
    """The unit price of ``quantity`` of ``product`` under ``pricelist`` at ``moment``.

    ``pricelists`` holds the pricelists other rules are based on (``base: pricelist``).
    """
    if pricelist.id in _seen:
        chain = " -> ".join(str(i) for i in (*_seen, pricelist.id))
        raise PriceNotComputable(f"pricelists are based on each other in a loop ({chain})")
    rule = next(
        (r for r in _candidates(pricelist, product, moment) if applicable(r, product, quantity)),
        None,
    )
    if rule is None:
        return PricedAt(_list_price(pricelist, product, None), None)
    seen = (*_seen, pricelist.id)
    if rule.compute_price == "fixed":
        return PricedAt(rule.fixed_price, rule)
    if rule.compute_price == "percentage":
        base = _base(rule, pricelist, product, quantity, moment, pricelists, seen)
        return PricedAt(base - base * rule.percent_price / 100, rule)
    if rule.compute_price == "formula":
        base = _base(rule, pricelist, product, quantity, moment, pricelists, seen)
        price = base - base * rule.price_discount / 100
        if rule.price_round:
            price = (price / rule.price_round).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            ) * rule.price_round
        if rule.price_surcharge:
            price += rule.price_surcharge
        if rule.price_min_margin:
            price = max(price, base + rule.price_min_margin)
        if rule.price_max_margin:
            price = min(price, base + rule.price_max_margin)
        return PricedAt(price, rule)
    raise PriceNotComputable(
        f"{rule.describe()} computes its price as {rule.compute_price!r}, which the gateway "
        "does not compute (fixed, percentage and formula are supported)"
    )


def _list_price(pricelist: Pricelist, product: Product, rule: Rule | None) -> Decimal:
    if product.currency and pricelist.currency and product.currency != pricelist.currency:
        what = rule.describe() if rule is not None else f"pricelist {pricelist.id} (no rule)"
        raise PriceNotComputable(
            f"{what}: product {product.id}'s sales price is in {product.currency}, the "
            f"pricelist in {pricelist.currency}; the gateway does not convert currencies"
        )
    return product.list_price


def _base(
    rule: Rule,
    pricelist: Pricelist,
    product: Product,
    quantity: Decimal,
    moment: dt.datetime,
    pricelists: Mapping[int, Pricelist] | None,
    seen: tuple[int, ...],
) -> Decimal:
    """Odoo's ``_compute_base_price``, in the pricelist's currency."""
    if rule.base == "pricelist" and rule.base_pricelist_id:
        other = (pricelists or {}).get(rule.base_pricelist_id)
        if other is None:
            raise PriceNotComputable(
                f"{rule.describe()} is based on pricelist {rule.base_pricelist_id}, "
                "which was not read"
            )
        if other.currency != pricelist.currency:
            raise PriceNotComputable(
                f"{rule.describe()} is based on pricelist {other.id} in {other.currency}, "
                f"this pricelist is in {pricelist.currency}; the gateway does not convert"
            )
        return price_for(other, product, quantity, moment, pricelists=pricelists, _seen=seen).price
    if rule.base == "standard_price":
        currency = product.cost_currency or product.currency
        if currency and pricelist.currency and currency != pricelist.currency:
            raise PriceNotComputable(
                f"{rule.describe()} is based on the cost of product {product.id} in "
                f"{currency}, the pricelist is in {pricelist.currency}; the gateway does "
                "not convert currencies"
            )
        return product.standard_price
    if rule.base in ("list_price", "pricelist", ""):  # a pricelist base without a pricelist
        return _list_price(pricelist, product, rule)
    raise PriceNotComputable(
        f"{rule.describe()} is based on {rule.base!r}, which the gateway does not compute "
        "(list_price, standard_price and pricelist are supported)"
    )


def breakpoints(pricelist: Pricelist, product: Product, moment: dt.datetime) -> list[Decimal]:
    """The quantities at which the product's price under ``pricelist`` may change at
    ``moment``: 1 and every minimum quantity of a rule that could apply to it."""
    found = {Decimal(1)}
    for rule in _candidates(pricelist, product, moment):
        if rule.min_quantity > 1 and applicable(rule, product, rule.min_quantity):
            found.add(rule.min_quantity)
    return sorted(found)


def starts_after(pricelist: Pricelist, product: Product, moment: dt.datetime) -> list[dt.datetime]:
    """The future moments a rule for the product starts (its price may change then)."""
    return sorted(
        {
            r.date_start
            for r in pricelist.rules
            if r.date_start is not None
            and r.date_start > moment
            and (r.categ_id is None or r.categ_id in product.categ_ids)
            and (r.template_id is None or r.template_id == product.template_id)
            and (r.product_id is None or r.product_id == product.id)
        }
    )
