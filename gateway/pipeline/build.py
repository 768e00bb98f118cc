"""Builds a :class:`~gateway.pipeline.runtime.Runtime` from the settings.

The engine and its migrated schema, the payload store and the dispatcher; an in-process
dispatcher (inline or threaded) is wired to the stage runner
(:mod:`gateway.pipeline.runner`) here, above both: the runtime is what every stage
takes, the runner is what runs the stages.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.identity import load_identities
from gateway.odoo.api import OdooApi
from gateway.pipeline.dispatch import Dispatcher, InlineDispatcher, ThreadedDispatcher
from gateway.pipeline.runner import attach_inline
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.db import make_session_factory, open_store
from gateway.store.payloads import make_payload_store


def build_runtime(
    settings: Settings,
    *,
    dispatcher: Dispatcher | None = None,
    run_migrations: bool = True,
    odoo_factory: Callable[[], OdooApi] | None = None,
    test_odoo_factory: Callable[[], OdooApi] | None = None,
) -> Runtime:
    """Build a runtime: engine, migrated schema, payload store and dispatcher."""
    engine = open_store(settings, run_migrations=run_migrations)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        payloads=make_payload_store(settings.payload_store, settings.payload_dir),
        dispatcher=dispatcher or InlineDispatcher(),
        identities_loader=lambda: load_identities(settings.identities_file),
        odoo_factory=odoo_factory,
        test_odoo_factory=test_odoo_factory,
    )
    if isinstance(runtime.dispatcher, InlineDispatcher | ThreadedDispatcher):
        attach_inline(runtime, runtime.dispatcher)
    return runtime
