"""The dialect's one table: names per version, read from ``fields_get`` where they vary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.odoo.dialect import FIELDS, METHODS, DialectError, OdooDialect, models
from gateway.odoo.errors import OdooConfigurationError

STORABLE_18 = {"type": "consu", "is_storable": True}


@pytest.mark.parametrize(
    ("major", "uom", "taxes", "moves_without_package", "move_qty", "storable"),
    [
        (16, "product_uom", "taxes_id", True, "quantity_done", {"detailed_type": "product"}),
        (17, "product_uom", "taxes_id", True, "quantity", {"detailed_type": "product"}),
        (18, "product_uom", "taxes_id", True, "quantity", STORABLE_18),
        (19, "product_uom_id", "tax_ids", False, "quantity", STORABLE_18),
    ],
)
def test_names_per_version_without_a_server(
    major: int,
    uom: str,
    taxes: str,
    moves_without_package: bool,
    move_qty: str,
    storable: dict,
) -> None:
    d = OdooDialect(major)
    assert d.field("purchase.order.line", "uom") == uom
    assert d.field("purchase.order.line", "taxes") == taxes
    assert d.has_field("stock.picking", "move_ids_without_package") is moves_without_package
    assert d.field("stock.move", "quantity") == move_qty
    assert d.storable_product_values() == storable
    assert d.access_check_method == ("has_access" if major >= 18 else "check_access_rights")


def test_a_varying_name_is_read_from_the_server_once_per_model() -> None:
    asked: list[tuple[str, list[str]]] = []

    def reader(model: str, names: list[str]) -> set[str]:
        asked.append((model, names))
        # a 18 server that already has the 19 name (a saas~ build)
        return {"product_uom_id", "taxes_id"} & set(names)

    d = OdooDialect(18, "saas~18.4", reader=reader)
    assert d.field("purchase.order.line", "uom") == "product_uom_id"
    assert d.field("purchase.order.line", "taxes") == "taxes_id"
    assert d.field("purchase.order.line", "product_qty") == "product_qty"  # same everywhere
    candidates = ["product_uom", "product_uom_id", "tax_ids", "taxes_id"]
    assert asked == [("purchase.order.line", candidates)]


def test_an_optional_field_is_detected_and_a_missing_one_names_its_module() -> None:
    d = OdooDialect(17, reader=lambda model, names: set())
    assert not d.has_field("stock.picking", "carrier_tracking_ref")
    assert d.fields("stock.picking", "origin", "carrier_tracking_ref") == ["origin"]
    with pytest.raises(DialectError, match="stock_delivery") as caught:
        d.field("stock.picking", "carrier_tracking_ref")
    assert isinstance(caught.value, OdooConfigurationError)
    with pytest.raises(DialectError, match="not in the gateway's field table"):
        d.field("stock.picking", "no_such_key")


def test_every_row_names_a_model_the_table_lists_and_keys_are_unique() -> None:
    keys = [(f.model, f.key) for f in FIELDS]
    assert len(keys) == len(set(keys))
    assert {m.model for m in METHODS} <= set(models())
    assert "uom.uom" in models() and "account.move" in models()


@pytest.mark.parametrize(
    ("major", "unit", "size"),
    [
        (17, {"id": 2, "factor": 1 / 12, "category_id": [1, "Unit"]}, Decimal(12)),
        (19, {"id": 3, "factor": 12.0, "parent_path": "1/3/"}, Decimal(12)),
    ],
)
def test_unit_sizes_and_new_units_per_version(major: int, unit: dict, size: Decimal) -> None:
    d = OdooDialect(major)
    assert d.unit_size(unit).quantize(Decimal("0.0001")) == size
    units = {"id": 1, "factor": 1.0, "category_id": [1, "Unit"], "parent_path": "1/"}
    values = d.new_unit_values("Box", Decimal(10), units)
    if major == 19:
        assert values == {"name": "Box", "relative_factor": 10.0, "relative_uom_id": 1}
        assert d.unit_family(unit) == 1
    else:
        assert values == {"name": "Box", "category_id": 1, "uom_type": "bigger", "factor_inv": 10.0}
        assert d.unit_family(unit) == 1
