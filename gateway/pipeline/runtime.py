"""Everything a process needs to run the pipeline, built once from the settings.

The runtime is the only place that turns settings into objects (engine, payload store,
partner registry, maps, Odoo client, transports, dispatcher). Stages receive it as an
argument; :func:`gateway.pipeline.build.build_runtime` builds one (tests build their own).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.identity import Identities
from gateway.odoo import make_odoo
from gateway.odoo.dryrun import DryRunOdoo
from gateway.partner_config import PartnerConfig, load_config
from gateway.pipeline.dispatch import Dispatcher
from gateway.reload import latest_generation
from gateway.settings import Settings
from gateway.store.payloads import PayloadStore

if TYPE_CHECKING:
    from gateway.intake import OutboundSender
    from gateway.mapping import MapLibrary
    from gateway.odoo.api import OdooApi
    from gateway.partners.registry import PartnerRegistry


class DocumentHandoff:
    """Canonical documents translate just stored, kept for this process's deliver stage.

    Deliver would otherwise read each document's JSON back and validate it into its model
    again (on a 500-item ship notice a tenth of the pipeline's CPU, issue 21). translate
    keeps the document with the exact text it stored; deliver takes it only when the
    stored text it reads is that text (a replay, another worker's translation or an edit
    stores other text) and takes it once (a retry reads the store again). What is kept is
    bounded (the oldest go first): a document delivered by another process is never
    taken here and only ages out.
    """

    MAX_DOCUMENTS = 256
    MAX_CHARS = 4_000_000  # of stored text; the objects are a few times that

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, tuple[str, Any]] = OrderedDict()
        self._chars = 0

    def keep(self, transaction_id: int, text: str, document: Any) -> None:
        """Keep a transaction's document, stored as ``text``."""
        if len(text) > self.MAX_CHARS:
            return
        with self._lock:
            old = self._kept.pop(transaction_id, None)
            if old is not None:
                self._chars -= len(old[0])
            self._kept[transaction_id] = (text, document)
            self._chars += len(text)
            while len(self._kept) > self.MAX_DOCUMENTS or self._chars > self.MAX_CHARS:
                _, (dropped, _) = self._kept.popitem(last=False)
                self._chars -= len(dropped)

    def take(self, transaction_id: int, text: str) -> Any | None:
        """The kept document of a transaction if it was stored as ``text`` (else None);
        it is no longer kept either way."""
        with self._lock:
            kept = self._kept.pop(transaction_id, None)
            if kept is None:
                return None
            self._chars -= len(kept[0])
        return kept[1] if kept[0] == text else None


@dataclass
class Runtime:
    """Process-wide services of the gateway."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    payloads: PayloadStore
    dispatcher: Dispatcher
    identities_loader: Callable[[], Identities]
    odoo_factory: Callable[[], OdooApi] | None = None  # None: from the settings
    test_odoo_factory: Callable[[], OdooApi] | None = None  # the Odoo for test traffic
    senders: dict[str, OutboundSender] = field(default_factory=dict)  # transport -> sender
    handoff: DocumentHandoff = field(default_factory=DocumentHandoff)  # translate -> deliver
    _config: PartnerConfig | None = None
    _identities: Identities | None = None
    _odoo: OdooApi | None = None
    _test_odoo: OdooApi | None = None
    _dry_run_odoo: OdooApi | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # the newest reload request (store generation) this process has applied
    _generation: int | None = None
    _generation_checked: float = 0.0

    # ---- lazily loaded configuration (reload() re-reads it) -------------------------
    @property
    def config(self) -> PartnerConfig:
        """Profiles and maps with what did not load (loaded on first use; follows
        reloads requested by other processes, see :mod:`gateway.reload`)."""
        self._follow_reloads()
        with self._lock:
            if self._config is None:
                self._config = load_config(self.settings.profile_dirs(), self.settings.map_dirs())
            return self._config

    @property
    def registry(self) -> PartnerRegistry:
        """Partner profiles (the ones that loaded)."""
        return self.config.registry

    @property
    def maps(self) -> MapLibrary:
        """Maps (the ones that loaded)."""
        return self.config.maps

    @property
    def identities(self) -> Identities:
        """Our own identities."""
        with self._lock:
            if self._identities is None:
                self._identities = self.identities_loader()
            return self._identities

    @property
    def odoo(self) -> OdooApi:
        """The Odoo API (real client, or the dry-run outbox when Odoo is not configured)."""
        with self._lock:
            if self._odoo is None:
                if self.odoo_factory is not None:
                    self._odoo = self.odoo_factory()
                else:
                    self._odoo = make_odoo(self.settings)
            return self._odoo

    def odoo_target(self, test: bool) -> str:
        """Where a delivery goes: ``odoo``, ``test-odoo`` or ``dry-run``.

        Test traffic never reaches the production Odoo: it goes to the test Odoo
        (``EDIGW_ODOO_TEST_*``), or to the dry-run outbox when none is configured.
        """
        if test:
            configured = self.settings.odoo_test_configured or self.test_odoo_factory
            return "test-odoo" if configured else "dry-run"
        return "odoo" if self.settings.odoo_configured or self.odoo_factory else "dry-run"

    def odoo_for(self, target: str) -> OdooApi:
        """The Odoo API of a target named by :meth:`odoo_target`."""
        production_is_dry_run = not self.settings.odoo_configured and self.odoo_factory is None
        if target == "odoo" or (target == "dry-run" and production_is_dry_run):
            return self.odoo
        with self._lock:
            if target == "test-odoo":
                if self._test_odoo is None:
                    if self.test_odoo_factory is not None:
                        self._test_odoo = self.test_odoo_factory()
                    else:
                        self._test_odoo = make_odoo(self.settings.test_odoo_settings())
                return self._test_odoo
            if self._dry_run_odoo is None:
                self._dry_run_odoo = DryRunOdoo(self.settings.dry_run_dir)
            return self._dry_run_odoo

    def reload(self) -> PartnerConfig:
        """Re-read profiles, maps and identities now; returns the new configuration.

        Files that do not load keep their previous good version (see
        :func:`gateway.partner_config.load_config`); the swap is atomic.
        """
        with self._lock:
            previous = self._config
        fresh = load_config(self.settings.profile_dirs(), self.settings.map_dirs(), previous)
        with self._lock:
            self._config = fresh
            self._identities = None
        return fresh

    def _follow_reloads(self) -> None:
        """Apply a reload another process asked for (checked at most once a second)."""
        now = time.monotonic()
        if now - self._generation_checked < self.settings.reload_check_seconds:
            return
        self._generation_checked = now
        try:
            generation = latest_generation(self)
        except Exception:  # the store being away must not stop lookups
            return
        if self._generation is None:
            self._generation = generation
        elif generation != self._generation:
            self._generation = generation
            if self._config is not None:
                self.reload()

    def mark_generation(self, generation: int) -> None:
        """Note that this process already applied the reload with this generation."""
        self._generation = generation
