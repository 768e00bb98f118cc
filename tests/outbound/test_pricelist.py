"""Pricelist prices as Odoo 17 computes them (gateway/outbound/pricelist.py): which rule
applies (specificity, minimum quantity, category and its parents, dates) and what it
makes of the price (fixed, percentage, formula with rounding, surcharge and margins,
based on the sales price, the cost or another pricelist); what cannot be computed is an
error naming the rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from gateway.outbound.pricelist import (
    Pricelist,
    PriceNotComputable,
    Product,
    Rule,
    breakpoints,
    price_for,
    starts_after,
)

NOW = dt.datetime(2026, 12, 5, 12, 0)
GLOVES = Product(
    id=11, template_id=21, categ_ids=(7, 5, 1), list_price=D("10"), standard_price=D("6"),
    currency="USD", cost_currency="USD",
)  # fmt: skip
SYRINGES = Product(id=12, template_id=22, categ_ids=(8, 1), list_price=D("2.5"), currency="USD")


def pricelist(*rules: Rule, currency: str = "USD", pid: int = 1) -> Pricelist:
    return Pricelist(id=pid, currency=currency, rules=rules)


def test_no_rule_is_the_sales_price() -> None:
    assert price_for(pricelist(), GLOVES, D(1), NOW).price == D("10")


def test_the_most_specific_rule_wins_and_min_quantity_breaks_the_price() -> None:
    rules = (
        Rule(id=1, pricelist_id=1, compute_price="percentage", percent_price=D("10")),
        Rule(id=2, pricelist_id=1, applied_on="2_product_category", categ_id=5,
             compute_price="fixed", fixed_price=D("9")),
        Rule(id=3, pricelist_id=1, applied_on="1_product", template_id=21,
             compute_price="fixed", fixed_price=D("8.5")),
        Rule(id=4, pricelist_id=1, applied_on="1_product", template_id=21, min_quantity=D("50"),
             compute_price="fixed", fixed_price=D("7.9")),
    )  # fmt: skip
    prices = pricelist(*rules)
    assert price_for(prices, GLOVES, D(1), NOW).price == D("8.5")
    assert price_for(prices, GLOVES, D(49), NOW).rule.id == 3  # type: ignore[union-attr]
    assert price_for(prices, GLOVES, D(50), NOW).price == D("7.9")
    # the category rule applies to products of the category's children (7 under 5)...
    other = Product(id=13, template_id=23, categ_ids=(7, 5, 1), list_price=D("4"))
    assert price_for(prices, other, D(1), NOW).price == D("9")
    # ...not to others, which fall to the global 10 % off
    assert price_for(prices, SYRINGES, D(1), NOW).price == D("2.25")
    assert breakpoints(prices, GLOVES, NOW) == [D(1), D(50)]
    assert breakpoints(prices, SYRINGES, NOW) == [D(1)]


def test_formula_rounds_then_adds_the_surcharge_within_the_margins() -> None:
    # 10 less 17 % = 8.30, rounded to 0.25 -> 8.25 (half up), + 0.04 surcharge = 8.29
    rule = Rule(id=5, pricelist_id=1, compute_price="formula", price_discount=D("17"),
                price_round=D("0.25"), price_surcharge=D("0.04"))  # fmt: skip
    assert price_for(pricelist(rule), GLOVES, D(1), NOW).price == D("8.29")
    # the margins hold it between base + min and base + max margin
    low = Rule(id=6, pricelist_id=1, compute_price="formula", price_discount=D("50"),
               price_min_margin=D("-2"))  # fmt: skip
    assert price_for(pricelist(low), GLOVES, D(1), NOW).price == D("8")
    high = Rule(id=7, pricelist_id=1, compute_price="formula", price_discount=D("-50"),
                price_max_margin=D("1"))  # fmt: skip
    assert price_for(pricelist(high), GLOVES, D(1), NOW).price == D("11")


def test_bases_cost_and_another_pricelist() -> None:
    on_cost = Rule(id=8, pricelist_id=1, compute_price="formula", base="standard_price",
                   price_discount=D("-25"))  # fmt: skip
    assert price_for(pricelist(on_cost), GLOVES, D(1), NOW).price == D("7.5")
    base = pricelist(Rule(id=9, pricelist_id=2, compute_price="fixed", fixed_price=D("9")), pid=2)
    on_list = Rule(id=10, pricelist_id=1, compute_price="percentage", base="pricelist",
                   base_pricelist_id=2, percent_price=D("10"))  # fmt: skip
    assert price_for(pricelist(on_list), GLOVES, D(1), NOW, pricelists={2: base}).price == D("8.1")


def test_dates_choose_the_rule_and_future_starts_are_listed() -> None:
    december = Rule(
        id=11,
        pricelist_id=1,
        compute_price="fixed",
        fixed_price=D("9"),
        date_start=dt.datetime(2026, 12, 1),
        date_end=dt.datetime(2026, 12, 31, 23),
    )
    january = Rule(id=12, pricelist_id=1, compute_price="fixed", fixed_price=D("9.5"),
                   date_start=dt.datetime(2027, 1, 1))  # fmt: skip
    prices = pricelist(december, january)
    assert price_for(prices, GLOVES, D(1), NOW).price == D("9")
    assert price_for(prices, GLOVES, D(1), dt.datetime(2027, 1, 2)).price == D("9.5")
    assert price_for(prices, GLOVES, D(1), dt.datetime(2026, 11, 30)).price == D("10")
    assert starts_after(prices, GLOVES, NOW) == [dt.datetime(2027, 1, 1)]


@pytest.mark.parametrize(
    ("rule", "others", "match"),
    [
        (Rule(id=13, pricelist_id=1, compute_price="percentage", base="pricelist",
              base_pricelist_id=9, name="Resale"), {}, r"rule 13 \(Resale\).*pricelist 9"),
        (Rule(id=14, pricelist_id=1, compute_price="percentage", base="pricelist",
              base_pricelist_id=3), {3: Pricelist(id=3, currency="EUR")}, r"rule 14.*EUR"),
        (Rule(id=15, pricelist_id=1, compute_price="percentage", base="pricelist",
              base_pricelist_id=1), {}, r"loop \(1 -> 1\)"),
        (Rule(id=16, pricelist_id=1, compute_price="tiered"), {}, r"rule 16.*'tiered'"),
    ],
)  # fmt: skip
def test_what_the_gateway_cannot_compute_names_the_rule(
    rule: Rule, others: dict[int, Pricelist], match: str
) -> None:
    prices = pricelist(rule)
    with pytest.raises(PriceNotComputable, match=match):
        price_for(prices, GLOVES, D(1), NOW, pricelists={1: prices, **others})


def test_a_sales_price_in_another_currency_is_not_converted() -> None:
    with pytest.raises(PriceNotComputable, match=r"USD.*EUR"):
        price_for(pricelist(currency="EUR"), GLOVES, D(1), NOW)
