"""The interface every Odoo backend offers: the real client, the dry run, test fakes.

Delivery code talks only to :class:`OdooApi`. A call is always *named*: the record ids
the method runs on (``ids``) plus the method's parameters by name. That is the JSON-2
shape; the JSON-RPC backend turns it into ``execute_kw`` positional arguments for the
few ORM methods whose positional form Odoo documents (``search_read(domain, ...)``,
``write(ids, vals)`` ...), so the requests look exactly like the recorded ones.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from gateway.odoo.dialect import OdooDialect
from gateway.odoo.errors import OdooError

Domain = list[Any]
Values = dict[str, Any]


class OdooApi(abc.ABC):
    """One Odoo database, as one user."""

    #: False for a backend whose taxes are made up (the dry run): a bill's tax and total
    #: are then not compared
    computes_taxes: bool = True
    #: False for a backend whose products and pricelists are made up (the dry run): a
    #: customer order's prices are then not compared
    knows_prices: bool = True
    #: False for a backend whose units of measure are made up (the dry run): pack sizes
    #: (``uom_sizes``) are then not compared with its units
    knows_units: bool = True
    #: the login calls are made as ('' for a backend without one, as the dry run)
    user: str = ""
    #: the server's base URL (None for a backend without a server)
    url: str | None = None

    @property
    @abc.abstractmethod
    def dialect(self) -> OdooDialect:
        """The server's version-specific names (reads the version on first use)."""

    @abc.abstractmethod
    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: Values | None = None,
        context: Values | None = None,
    ) -> Any:
        """Call ``model.method`` on ``ids`` (``None`` for model-level methods)."""

    def describe(self) -> str:
        """Where this backend sends its calls, for messages and logs."""
        return type(self).__name__

    @property
    def protocol(self) -> str:
        """The API the calls go through (``JSON-RPC`` or ``JSON-2``)."""
        return "JSON-RPC"

    @property
    def warnings(self) -> list[str]:
        """What ``odoo check`` shows as warnings about this backend (none by default)."""
        return []

    # ---- delivery hooks (no-ops here; the dry run writes one call file per document) ----
    def begin_document(self, key: str) -> None:  # noqa: B027 - a hook, not abstract
        """A delivery of the document ``key`` (its delivery key) starts now."""

    def record_plan(self, plan: Values) -> None:  # noqa: B027 - a hook, not abstract
        """The decision a delivery made, recorded before its first write."""

    # ---- ORM helpers ---------------------------------------------------------------
    def search_read(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        limit: int | None = None,
        order: str | None = None,
        offset: int | None = None,
    ) -> list[Values]:
        """Records matching ``domain`` with ``fields`` (plus ``id``)."""
        params: Values = {"domain": domain, "fields": list(fields)}
        if limit is not None:
            params["limit"] = limit
        if offset:
            params["offset"] = offset
        if order is not None:
            params["order"] = order
        result = self.call(model, "search_read", params=params)
        return list(result or [])

    def read(self, model: str, ids: Sequence[int], fields: Sequence[str]) -> list[Values]:
        """Read ``fields`` of ``ids``; ids that do not exist are left out (as Odoo does)."""
        if not ids:
            return []
        return list(self.call(model, "read", ids=list(ids), params={"fields": list(fields)}) or [])

    def create(self, model: str, values: Values, *, context: Values | None = None) -> int:
        """Create one record and return its id."""
        result = self.call(model, "create", params={"vals_list": values}, context=context)
        # JSON-RPC answers an int for one dict; JSON-2 answers the list of new ids.
        if isinstance(result, list):
            return int(result[0])
        return int(result)

    def write(self, model: str, ids: Sequence[int], values: Values) -> bool:
        """Write ``values`` on ``ids``."""
        return bool(self.call(model, "write", ids=list(ids), params={"vals": values}))

    def message_post(
        self, model: str, record_id: int, body: str, *, html: bool = False
    ) -> int | None:
        """Post an internal note in the record's chatter.

        ``html=True``: ``body`` is HTML the caller escaped (Odoo escapes a plain string,
        so lines would run together in one paragraph).
        """
        params: Values = {"body": body, "message_type": "comment", "subtype_xmlid": "mail.mt_note"}
        flag = self.dialect.note_html_param
        if html and flag:
            params[flag] = True
        result = self.call(model, "message_post", ids=[record_id], params=params)
        if isinstance(result, list):  # JSON-2 serializes the new message as its ids
            return int(result[0]) if result else None
        return int(result) if isinstance(result, int) else None


def m2o_id(value: Any) -> int | None:
    """The id of a many2one value as read (``[id, "name"]`` or ``false``)."""
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


#: what to do when Odoo applies no customer pricelist because the setting is off
PRICELISTS_OFF = (
    "the Pricelists setting is off (Sales > Configuration > Settings > Pricelists): "
    "Odoo applies no customer pricelist"
)


def pricelists_off(odoo: OdooApi) -> bool | None:
    """True when Sales › Settings › Pricelists is off (Odoo then applies no customer's
    pricelist and reads none on the customer, even one set before: seen on 17, 18 and
    19); None when the settings cannot be read (they need the administrator's rights)."""
    try:
        # res.config.settings names default_get's parameter ``fields`` on every version
        # (models in general say ``fields_list`` until 18)
        settings = odoo.call(
            "res.config.settings", "default_get", params={"fields": ["group_product_pricelist"]}
        )
    except OdooError:
        return None
    if not isinstance(settings, dict) or "group_product_pricelist" not in settings:
        return None
    return settings["group_product_pricelist"] is False
