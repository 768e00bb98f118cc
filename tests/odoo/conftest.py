"""Fixtures for the Odoo tests: a running Odoo double, a client logged in to it, profiles.

``start_odoo_double`` is a factory fixture (other test packages can copy this file's two
fixtures or import :func:`tests.support.odoo_double.start_odoo_double` directly).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.odoo.client import OdooClient
from gateway.partners.profile import PartnerProfile
from tests.support.odoo_double import OdooDouble
from tests.support.odoo_double import start_odoo_double as _start

TRANSCRIPT_ENV = "EDIGW_ODOO17_TRANSCRIPT"


def transcript_path() -> Path:
    """The recorded Odoo 17 session (outside the repository, next to the corpus)."""
    default = Path(__file__).resolve().parents[3] / "shared" / "odoo17" / "transcript.jsonl"
    return Path(os.environ.get(TRANSCRIPT_ENV, default))


@pytest.fixture
def start_odoo_double() -> Iterator[Callable[..., OdooDouble]]:
    """Factory: ``start_odoo_double(major=17, **options)``; every double stops at teardown."""
    started: list[OdooDouble] = []

    def start(major: int = 17, **kwargs: Any) -> OdooDouble:
        double = _start(major, **kwargs)
        started.append(double)
        return double

    yield start
    for double in started:
        double.stop()


@pytest.fixture
def odoo_double(start_odoo_double: Callable[..., OdooDouble]) -> OdooDouble:
    """A fresh Odoo 17 double."""
    return start_odoo_double(17)


@pytest.fixture
def odoo_client(odoo_double: OdooDouble) -> Iterator[OdooClient]:
    """The real client, logged in to the Odoo 17 double with its password."""
    client = OdooClient(
        odoo_double.url,
        odoo_double.db,
        odoo_double.user,
        password=odoo_double.password,
        timeout=1.0,
    )
    yield client
    client.close()


# ---- a seeded vendor world and the partner profile that points at it --------------------


@dataclass(frozen=True)
class World:
    """What :func:`seed_world` put in a double."""

    vendor_id: int
    glove_id: int  # untracked; vendor part VP-GLV, GTIN 00017953755437, default_code GLV-1
    syringe_id: int  # lot-tracked with expiry dates; default_code SYR-1, NDC 12345-678-90
    gauze_id: int  # untracked, default_code GAU-1 only


def seed_world(double: OdooDouble) -> World:
    """A vendor with three products, one of them lot-tracked with expiry dates."""
    vendor_id = double.add_vendor("ACME Medical Supply", "ACME")
    glove_id = double.add_product(
        "Nitrile exam glove, M, box of 100",
        default_code="GLV-1",
        barcode="0017953755437",
        standard_price=7.5,
    )
    syringe_id = double.add_product(
        "Syringe 5 ml Luer Lock (box of 100)",
        default_code="SYR-1",
        barcode="12345678290",
        tracking="lot",
        use_expiration_date=True,
        standard_price=12.0,
    )
    gauze_id = double.add_product("Gauze 4x4", default_code="GAU-1", standard_price=3.0)
    double.add_supplierinfo(vendor_id, glove_id, "VP-GLV", price=7.25)
    return World(vendor_id, glove_id, syringe_id, gauze_id)


def make_profile(**odoo: Any) -> PartnerProfile:
    """A partner profile whose Odoo section is the defaults plus ``odoo``."""
    section: dict[str, Any] = {
        "vendor_ref": "ACME",
        "item_lookup": ["vendor_part", "gtin", "ndc", "default_code"],
        "uom": {"EA": "Units", "DZ": "Dozens"},
        "purchase_order_state": "confirmed",
        **odoo,
    }
    return PartnerProfile.model_validate(
        {
            "id": "acme",
            "name": "ACME Medical Supply",
            "x12": {"isa_qualifier": "ZZ", "isa_id": "ACME"},
            "odoo": section,
        }
    )


@pytest.fixture
def world(odoo_double: OdooDouble) -> World:
    return seed_world(odoo_double)


@pytest.fixture
def profile() -> PartnerProfile:
    return make_profile()
