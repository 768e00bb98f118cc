"""Choosing the Odoo backend from the settings: the real client, or the dry run."""

from __future__ import annotations

from gateway.odoo.api import OdooApi
from gateway.odoo.client import OdooClient
from gateway.odoo.dryrun import DryRunOdoo
from gateway.settings import Settings


def make_odoo(settings: Settings) -> OdooApi:
    """The real client when ``EDIGW_ODOO_URL/DB/USER`` (+ password or API key) are set,
    otherwise a :class:`DryRunOdoo` writing to ``settings.dry_run_dir``."""
    url, db, user = settings.odoo_url, settings.odoo_db, settings.odoo_user
    if not (url and db and user):  # what settings.odoo_configured says
        return DryRunOdoo(settings.dry_run_dir)
    return OdooClient(
        url,
        db,
        user,
        password=settings.odoo_password.get_secret_value() if settings.odoo_password else None,
        api_key=settings.odoo_api_key.get_secret_value() if settings.odoo_api_key else None,
        timeout=settings.odoo_timeout_seconds,
    )
