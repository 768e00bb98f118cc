"""An in-memory imitation of the Odoo models the gateway touches.

It follows the recorded behaviour of a real Odoo 17 server (``transcript.jsonl``):
confirming a purchase order creates an incoming picking with one move per line;
validating a partial receipt returns the ``stock.backorder.confirmation`` wizard;
lots are created from ``lot_name`` with their expiry date; ``qty_received`` and
``qty_invoiced`` follow receipts and bills; ``action_post`` returns ``False``; ``read``
of a missing id leaves it out; errors carry Odoo's exception names and messages.
Sale orders take the customer's pricelist price for lines without a price (``sale``);
confirming one creates its delivery with reserved moves, validated deliveries leave
backorders, and sale orders are invoiced and posted (``sale_stock``).

Two users: the HTTP test double (``tests/support/odoo_double.py``) serves it over
JSON-RPC / JSON-2, and :class:`gateway.odoo.dryrun.DryRunOdoo` answers the dry run with it.
It is deliberately small: only the fields, domain operators and methods the gateway
uses, with the field names of the Odoo major version it imitates (16, 17, 18, 19).
"""

from gateway.odoo.memory.orm import OdooFault, Values, user_error
from gateway.odoo.memory.sale_stock import SaleStockBehaviour
from gateway.odoo.memory.schema import REQUIRED_MODULES, TAX_RATE

__all__ = ["REQUIRED_MODULES", "TAX_RATE", "MemoryOdoo", "OdooFault", "Values", "user_error"]


class MemoryOdoo(SaleStockBehaviour):
    """The records and behaviour of one imitated Odoo database (16, 17, 18 or 19)."""
