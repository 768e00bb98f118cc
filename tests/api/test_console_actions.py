"""Service helpers the routes use: Odoo links and the parsed view of bad bytes."""

from __future__ import annotations

from pathlib import Path

from gateway.api.console_actions import odoo_links, parsed_view
from gateway.settings import Settings


def test_odoo_links_point_into_odoo(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, odoo_url="https://odoo.example.org/")
    (link,) = odoo_links(settings, [{"model": "stock.picking", "id": 42, "name": "WH/IN/7"}])
    assert link["url"] == "https://odoo.example.org/odoo/stock.picking/42"
    assert link["legacy_url"] == (
        "https://odoo.example.org/web#model=stock.picking&id=42&view_type=form"
    )
    assert link["name"] == "WH/IN/7"


def test_dry_run_records_have_no_link(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, odoo_url=None)
    (link,) = odoo_links(settings, [{"model": "purchase.order", "id": 1}])
    assert link["url"] is None and link["legacy_url"] is None


def test_links_follow_the_target_a_delivery_went_to(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, odoo_url="https://odoo.example.org", odoo_test_url="https://test.example"
    )
    record = [{"model": "purchase.order", "id": 7}]
    (test,) = odoo_links(settings, record, "test-odoo")
    assert test["url"] == "https://test.example/odoo/purchase.order/7"
    assert test["target"] == "test-odoo"
    (dry,) = odoo_links(settings, record, "dry-run")  # never a link into production
    assert dry["url"] is None and dry["target"] == "dry-run"


def test_parsed_view_of_bad_bytes_reports_issues() -> None:
    # not EDI, truncated X12 or EDIFACT, binary junk: findings, never an exception
    for data in (b"hello", b"ISA*00*", b"\x00\xff" * 100, b"UNB+UNOC:3+X", b""):
        view = parsed_view(data)
        assert "error" not in view
        found = view["issues"] + [i for ic in view["interchanges"] for i in ic["issues"]]
        assert found and all(i["fatal"] for i in found), data
    assert parsed_view(b"hello")["issues"][0]["code"] == "not-edi"
