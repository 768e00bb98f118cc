"""Documents we publish to customers: the inventory advice (846 / INVRPT) on its
schedule, the price catalog (832 / PRICAT) on demand and when the pricelist changes.

* :func:`publish_due` is part of the scheduler's outbound round (the
  ``gateway.outbound.poll`` task and ``edi-gateway outbound poll``): for each customer
  whose profile has ``outbound.inventory_advice`` it sends an advice when the schedule
  says one is due (:func:`gateway.outbound.schedule.due_slot`); for each with
  ``outbound.price_catalog`` (and ``on_change``, the default) it compares the pricelist's
  stamp (id, rule count, newest ``write_date`` of it and its rules) with the one last
  seen, and when it moved sends a catalog - unless the catalog made from it is the same
  as the last one queued (a rule touched but no price changed), which is not resent.
  ``write_date`` has whole seconds, so for two minutes after a change an equal stamp is
  not trusted: the catalog is read and compared by content (a second edit within the
  same second is still sent).
* :func:`send_catalog` is ``edi-gateway outbound catalog PARTNER``: a catalog now,
  whether or not anything changed.

Exactly once per trigger: the document is read from Odoo first, then one transaction
numbers it (a per-partner revision: ``IA<n>``, ``PC<pricelist>-<n>``), writes it with
the partner's outbound map through our own validator, stores the bytes and control
numbers as an ``outbound_orders`` row (``odoo_model`` ``edi.inventory_advice`` /
``edi.price_catalog``, ``odoo_id`` the revision) *and* moves the trigger's cursor (the
schedule slot, the pricelist stamp) - a crash before the commit leaves the trigger to be
found again, one after it leaves a queued row that ``send_order`` (or the stall recovery)
sends under the same control numbers. A document that cannot be written (a product
whose unit the profile lacks, a pricelist rule the gateway cannot compute, a finding of
our validator) is a ``failed`` row with a ``publication_not_writable`` exception naming
every problem, and the cursor moves on: the next slot or change tries again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.canonical import InventoryAdvice, PriceCatalog
from gateway.customer_items import list_items
from gateway.outbound import OutboundInvalid, render, write
from gateway.outbound.catalog import CatalogReader
from gateway.outbound.cycle import OrderCycle
from gateway.outbound.inventory import InventoryReader
from gateway.outbound.offered import NotPublishable
from gateway.outbound.schedule import due_slot
from gateway.partners.outbound import InventoryAdviceSettings, PriceCatalogSettings
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError
from gateway.pipeline.outbound import _detached, outbound_partners
from gateway.pipeline.outbound_kinds import (
    INVENTORY_ADVICES,
    PRICE_CATALOGS,
    OutboundKind,
    outbound_map_name,
)
from gateway.pipeline.outbound_records import (
    new_outbound_row,
    order_envelope,
    outbound_library,
    raise_order_exception,
    route_order_exceptions,
    store_written,
    write_date_settled,
)
from gateway.pipeline.runtime import Runtime
from gateway.states import OUTBOUND_ORDERS
from gateway.store.audit import next_counter
from gateway.store.db import session_scope
from gateway.store.models import OutboundCursor, OutboundOrder, utcnow

log = logging.getLogger(__name__)
#: OutboundCursor.odoo_model rows: the last advice slot sent, the pricelist stamp seen
ADVICE_CURSOR = "edi.inventory_advice"
CATALOG_CURSOR = "product.pricelist"
_NUMBERING = {"inventory_advice": "report_number", "price_catalog": "catalog_number"}
_DATING = ("report_number", "report_date", "catalog_number", "catalog_date", "source")


@dataclass
class PublishResult:
    """What one round did: business keys queued, triggers with nothing new, failures."""

    queued: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # partners that could not be read
    follow: list[Next] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The numbers ``outbound poll`` prints."""
        return {
            "published": len(self.queued),
            "publish_failed": len(self.failed),
            "publish_errors": len(self.errors),
        }


def content_hash(document: BaseModel) -> str:
    """The document without its number and date: equal for the same prices/stock."""
    data = document.model_dump(mode="json", exclude=set(_DATING))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parse_stamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _cursor(session: Session, partner_id: str, name: str) -> str | None:
    row = session.get(OutboundCursor, (partner_id, name))
    return row.write_date if row is not None else None


def _move_cursor(session: Session, partner_id: str, name: str, value: str) -> None:
    row = session.get(OutboundCursor, (partner_id, name))
    if row is None:
        session.add(OutboundCursor(partner_id=partner_id, odoo_model=name, write_date=value))
    else:
        row.write_date = value


def _items(runtime: Runtime, profile: PartnerProfile) -> list[Any]:
    with session_scope(runtime.sessions) as session:
        return list(list_items(session, profile.id))


# ---- the round ---------------------------------------------------------------------
def publish_due(
    runtime: Runtime, now: dt.datetime | None = None, *, partner_id: str | None = None
) -> PublishResult:
    """Queue every advice that is due and every catalog whose pricelist changed."""
    now = now or utcnow()
    result = PublishResult()
    for kind, step in ((INVENTORY_ADVICES, _advice_if_due), (PRICE_CATALOGS, _catalog_if_changed)):
        for profile in outbound_partners(runtime, kind):
            if partner_id is not None and profile.id != partner_id:
                continue
            try:
                step(runtime, profile, now, result)
            except Exception as exc:  # one partner's trouble (Odoo down, a broken map) only
                log.warning("publishing %s to %s failed: %s", kind.label, profile.id, exc)
                result.errors.append(f"{profile.id}: {type(exc).__name__}: {exc}")
    if result.follow:
        runtime.dispatcher.dispatch(result.follow)
    return result


def _advice_if_due(
    runtime: Runtime, profile: PartnerProfile, now: dt.datetime, out: PublishResult
) -> None:
    settings = profile.outbound.inventory_advice
    if not isinstance(settings, InventoryAdviceSettings):
        return
    with session_scope(runtime.sessions) as session:
        last = _parse_stamp(_cursor(session, profile.id, ADVICE_CURSOR))
    slot = due_slot(now, last, every=settings.every, at=settings.at)
    if slot is None:
        return
    document: InventoryAdvice | None = None
    problem: str | None = None
    try:
        document = InventoryReader(runtime.odoo, profile, _items(runtime, profile)).read(
            "", slot.date()
        )
    except NotPublishable as exc:
        problem = str(exc)

    def still_due(session: Session) -> bool:
        seen = _parse_stamp(_cursor(session, profile.id, ADVICE_CURSOR))
        return seen is None or seen < slot

    _queue(
        runtime,
        profile,
        INVENTORY_ADVICES,
        document,
        problem,
        cursor=(ADVICE_CURSOR, _stamp(slot)),
        guard=still_due,
        number=lambda n: f"IA{n}",
        out=out,
    )


def _catalog_if_changed(
    runtime: Runtime, profile: PartnerProfile, now: dt.datetime, out: PublishResult
) -> None:
    settings = profile.outbound.price_catalog
    if not isinstance(settings, PriceCatalogSettings) or not settings.on_change:
        return
    reader = CatalogReader(runtime.odoo, profile, _items(runtime, profile))
    stamp = reader.stamp()
    with session_scope(runtime.sessions) as session:
        if _cursor(session, profile.id, CATALOG_CURSOR) == stamp and _settled(stamp, now):
            return
    _catalog(runtime, profile, reader, stamp, now, out, force=False)


def _settled(stamp: str, now: dt.datetime) -> bool:
    """Whether the pricelist stamp's newest ``write_date`` can no longer be shared by a
    later write (a younger one is checked by content: the catalog's hash)."""
    return write_date_settled(stamp.split(":", 2)[-1], now)


def _catalog(
    runtime: Runtime,
    profile: PartnerProfile,
    reader: CatalogReader,
    stamp: str,
    now: dt.datetime,
    out: PublishResult,
    *,
    force: bool,
) -> OutboundOrder | None:
    document: PriceCatalog | None = None
    problem: str | None = None
    try:
        moment = now.astimezone(dt.UTC).replace(tzinfo=None)
        document = reader.read("", now.date(), moment)
    except NotPublishable as exc:
        problem = str(exc)
    pricelist = stamp.partition(":")[0]

    def changed(session: Session) -> bool:
        if force:
            return True
        if _cursor(session, profile.id, CATALOG_CURSOR) == stamp and (
            _settled(stamp, now) or document is None
        ):
            return False  # another process queued it meanwhile, or it was reported
        if document is None:
            return True
        last = session.scalars(
            select(OutboundOrder.document_hash)
            .where(
                OutboundOrder.partner_id == profile.id,
                OutboundOrder.document_type == PRICE_CATALOGS.document_type,
                OutboundOrder.payload_sha256.is_not(None),
            )
            .order_by(OutboundOrder.id.desc())
            .limit(1)
        ).first()
        if last == content_hash(document):
            _move_cursor(session, profile.id, CATALOG_CURSOR, stamp)
            out.unchanged.append(profile.id)
            return False
        return True

    return _queue(
        runtime,
        profile,
        PRICE_CATALOGS,
        document,
        problem,
        cursor=(CATALOG_CURSOR, stamp),
        guard=changed,
        number=lambda n: f"PC{pricelist}-{n}"[:15],
        out=out,
    )


def send_catalog(
    runtime: Runtime, partner_id: str, now: dt.datetime | None = None
) -> OutboundOrder:
    """``edi-gateway outbound catalog PARTNER``: write, store and send a catalog now."""
    profile = runtime.registry.get(partner_id)
    if profile is None:
        raise PermanentError(f"no partner {partner_id!r}")
    if not profile.enabled:
        raise PermanentError(f"partner {partner_id!r} is disabled")
    if PRICE_CATALOGS.settings(profile) is None or profile.odoo is None:
        raise PermanentError(
            f"partner {partner_id!r} has no outbound.price_catalog section (and an odoo "
            "section): add `outbound: {price_catalog: {}}` to its profile"
        )
    reader = CatalogReader(runtime.odoo, profile, _items(runtime, profile))
    try:
        stamp = reader.stamp()
    except NotPublishable as exc:
        raise PermanentError(str(exc)) from exc
    out = PublishResult()
    row = _catalog(runtime, profile, reader, stamp, now or utcnow(), out, force=True)
    if out.follow:
        runtime.dispatcher.dispatch(out.follow)
    if row is None:  # pragma: no cover - force always queues
        raise PermanentError(f"no catalog queued for {partner_id!r}")
    return row


# ---- one document ------------------------------------------------------------------
def _queue(
    runtime: Runtime,
    profile: PartnerProfile,
    kind: OutboundKind,
    document: InventoryAdvice | PriceCatalog | None,
    problem: str | None,
    *,
    cursor: tuple[str, str],
    guard: Callable[[Session], bool],
    number: Callable[[int], str],
    out: PublishResult,
) -> OutboundOrder | None:
    """Number, write, validate and store one published document and move its trigger's
    cursor, in one transaction; ``guard`` (in that transaction) says whether it is still
    owed. Returns the row (queued, or failed with the problem), or None."""
    syntax, set_id, map_name = outbound_map_name(profile, kind=kind)
    try:
        map_ = outbound_library(runtime).get(map_name)
    except KeyError as exc:
        raise PermanentError(f"no outbound map {map_name!r} for {profile.id}") from exc
    follow: list[Next] = []
    with session_scope(runtime.sessions) as session:
        if not guard(session):
            return None
        revision = next_counter(session, profile.id, kind.document_type)
        key = number(revision)
        if document is not None:
            setattr(document, _NUMBERING[kind.document_type], key)
        row = new_outbound_row(
            profile,
            kind,
            odoo_id=revision,
            business_key=key,
            syntax=syntax,
            set_id=set_id,
            map_name=map_name,
        )
        session.add(row)
        session.flush()
        if document is not None and problem is None:
            env = order_envelope(runtime, session, profile, syntax, kind)
            try:
                written = write(map_, render(map_, document), env)
            except OutboundInvalid as exc:
                problem = f"{set_id} {key} fails our own validation: {exc}"
            else:
                row.document = document.model_dump(mode="json")
                row.document_hash = content_hash(document)
                store_written(runtime, session, row, written, env)
                follow.append(Next("send_order", (row.id,)))
                out.queued.append(key)
        if problem is not None:
            OUTBOUND_ORDERS.move(row, OrderCycle.FAILED)
            row.error = problem
            unwritable = raise_order_exception(
                session,
                row,
                "publication_not_writable",
                f"{kind.label} {key} for {profile.name} was not sent: {problem}",
            )
            follow += route_order_exceptions(runtime, session, row, [unwritable])
            out.failed.append(key)
        _move_cursor(session, profile.id, *cursor)
        stored = _detached(session, row)
    out.follow += follow
    return stored
