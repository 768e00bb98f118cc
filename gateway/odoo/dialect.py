"""What differs between Odoo versions: the wire protocol and the field names we use.

The server version is read once per client; everything version-specific that the
delivery code needs is a field of :class:`OdooDialect`, so delivery never compares
version numbers itself. Sources (Odoo's own modules): ``stock.move.quantity`` and
``picked`` replaced ``quantity_done`` (and ``stock.move.line.qty_done``) in 17.0;
``product.template.detailed_type`` ('product' = storable) exists in 15-17 and was
replaced by ``type='consu'`` + ``is_storable`` in 18.0; the ``/json/2`` endpoint arrived
in 19.0 (JSON-RPC still answers there but is deprecated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OdooDialect:
    """Protocol and field names for one Odoo major version."""

    major: int
    server_version: str

    @property
    def json2(self) -> bool:
        """True when the JSON-2 API (``/json/2/<model>/<method>``) is the one to use."""
        return self.major >= 19

    @property
    def move_quantity_field(self) -> str:
        """The done / received quantity on ``stock.move``."""
        return "quantity" if self.major >= 17 else "quantity_done"

    @property
    def move_line_quantity_field(self) -> str:
        """The done / received quantity on ``stock.move.line``."""
        return "quantity" if self.major >= 17 else "qty_done"

    @property
    def has_picked(self) -> bool:
        """``picked`` flag on moves and move lines (17.0 and later)."""
        return self.major >= 17

    def storable_product_values(self) -> dict[str, Any]:
        """Values that make a product storable (tracked in stock)."""
        if self.major >= 18:
            return {"type": "consu", "is_storable": True}
        return {"detailed_type": "product"}

    @property
    def product_storable_fields(self) -> list[str]:
        """Fields to read to know whether a product is storable."""
        return ["type", "is_storable"] if self.major >= 18 else ["detailed_type"]

    @property
    def product_purchase_uom_field(self) -> str | None:
        """``uom_po_id`` (purchase unit) until 18; Odoo 19 dropped it."""
        return "uom_po_id" if self.major <= 18 else None

    @property
    def purchase_line_uom_field(self) -> str:
        """Unit of a purchase order line: ``product_uom`` until 18, ``product_uom_id`` in 19
        (renamed with the unit-of-measure rework; not verified against a 19 server here)."""
        return "product_uom_id" if self.major >= 19 else "product_uom"

    @property
    def access_check_method(self) -> str:
        """``has_access(operation)`` from 18.0 (``check_access_rights`` is deprecated there)."""
        return "has_access" if self.major >= 18 else "check_access_rights"


def dialect_from_version(info: dict[str, Any]) -> OdooDialect:
    """Build the dialect from ``common.version`` / ``/web/version`` output."""
    version_info = info.get("server_version_info") or info.get("version_info")
    server_version = str(info.get("server_version") or info.get("version") or "")
    major: int | None = None
    if isinstance(version_info, list) and version_info:
        first = version_info[0]
        if isinstance(first, int):
            major = first
        elif isinstance(first, str) and first.replace("saas~", "").split(".")[0].isdigit():
            major = int(first.replace("saas~", "").split(".")[0])
    if major is None:
        head = server_version.replace("saas~", "").split(".")[0].split("-")[0]
        if not head.isdigit():
            raise ValueError(f"cannot read the Odoo version from {info!r}")
        major = int(head)
    return OdooDialect(major=major, server_version=server_version)
