"""The runtime of a gateway process: the one factory the API, the Celery worker, the CLI,
the supervisor and the demo build their runtime with.

:func:`~gateway.pipeline.build.build_runtime` gives the store, configuration and
dispatcher; this adds what a process that sends needs on top, the outbound senders
(AS2, hosted SFTP outbox, partner SFTP), so no caller can forget them.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.odoo.api import OdooApi
from gateway.pipeline.build import build_runtime
from gateway.pipeline.dispatch import Dispatcher
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.transports import attach_senders


def build_process_runtime(
    settings: Settings,
    *,
    dispatcher: Dispatcher | None = None,
    run_migrations: bool = True,
    odoo_factory: Callable[[], OdooApi] | None = None,
    test_odoo_factory: Callable[[], OdooApi] | None = None,
) -> Runtime:
    """A runtime with its senders attached (``dispatcher`` None: the inline pipeline)."""
    runtime = build_runtime(
        settings,
        dispatcher=dispatcher,
        run_migrations=run_migrations,
        odoo_factory=odoo_factory,
        test_odoo_factory=test_odoo_factory,
    )
    attach_senders(runtime)
    return runtime
