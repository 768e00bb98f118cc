"""Odoo: the client every Odoo call goes through, and delivery of canonical documents.

Public API for the pipeline and the CLI::

    make_odoo(settings) -> OdooApi                       # real client or dry run
    deliver(document, *, profile, odoo) -> DeliveryOutcome
    register(app)                                         # in gateway.odoo.cli

Modules: ``errors`` (the exception tree, mapped once), ``dialect`` (per-version names),
``api`` (the backend interface), ``client`` (JSON-RPC / JSON-2 over httpx), ``memory``
(an in-memory imitation of Odoo for the dry run and the test double), ``dryrun``,
``factory``, ``check`` (``odoo check``), ``cli`` and the ``delivery`` package.
"""

from gateway.odoo.api import OdooApi
from gateway.odoo.delivery import BusinessIssue, DeliveryOutcome, OdooRecordRef, deliver
from gateway.odoo.errors import (
    OdooBusinessError,
    OdooConfigurationError,
    OdooError,
    OdooPermanentError,
    OdooTransientError,
)
from gateway.odoo.factory import make_odoo

__all__ = [
    "BusinessIssue",
    "DeliveryOutcome",
    "OdooApi",
    "OdooBusinessError",
    "OdooConfigurationError",
    "OdooError",
    "OdooPermanentError",
    "OdooRecordRef",
    "OdooTransientError",
    "deliver",
    "make_odoo",
]
