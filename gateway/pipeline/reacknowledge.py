"""A customer's confirmed sale order changed after its 855 / ORDRSP went out: acknowledge it
again when what the customer is told moved.

The outbound poll (:mod:`gateway.pipeline.outbound`) sees the sale order's ``write_date``
move (or, within two minutes of a write, the same whole-second stamp) and hands it here.
The sale order as the sales desk keeps it is compared with the one last looked at
(:func:`gateway.outbound.acknowledge.state_digest` in ``OutboundOrder.document_hash``):
unchanged, there is nothing to do, even when the customer asked for more since (a refused
change waits for an operator and is told with the next change in Odoo). Otherwise the
acknowledgement is made again from the sale order as it stands and the order as the
customer asks for it now (their 850 with their changes merged in,
:mod:`gateway.pipeline.customer_orders`), and compared with the one sent
(:func:`gateway.outbound.acknowledge.signature`: each line's status, quantity, price and
date, and the header status; not the date of the acknowledgement). When they differ, the
replacing acknowledgement (``revision`` n: BAK01 ``05`` / BGM 1225 ``5``) is written with
the partner's map and our own validator into an ``outbound_changes`` row, with its control
numbers, in the same transaction that makes it the acknowledgement sent
(``OutboundOrder.document``), and ``send_change`` sends it after the first one: a crash
before the commit leaves the change to be found again, one after it sends the stored
interchange, so one change is one acknowledgement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from gateway.canonical import OrderAcknowledgement
from gateway.engines import engine_for
from gateway.outbound import OutboundInvalid, render, write
from gateway.outbound.acknowledge import differences, signature, state_digest
from gateway.outbound.cycle import OrderCycle
from gateway.outbound.from_odoo import OrderNotSendable
from gateway.outbound.from_odoo_sale import NotFromEdi, SaleOrderReader
from gateway.outbound.template import OutboundLibrary
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.dispatch import Next
from gateway.pipeline.errors import PermanentError
from gateway.pipeline.outbound_kinds import (
    ORDER_ACKNOWLEDGEMENTS,
    DocumentReader,
    outbound_map_name,
)
from gateway.pipeline.outbound_records import (
    order_envelope,
    outbound_library,
    raise_order_exception,
)
from gateway.pipeline.routing import route_new_exceptions
from gateway.pipeline.runtime import Runtime
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import OutboundChange, OutboundOrder


@dataclass
class Reacknowledged:
    """What looking at one changed sale order did: the replacing acknowledgement queued
    (its PO number), and the stages to dispatch once the poll's work is committed."""

    changed: list[str] = field(default_factory=list)
    follow: list[Next] = field(default_factory=list)


def reacknowledge(
    runtime: Runtime,
    profile: PartnerProfile,
    order_id: int,
    row: dict[str, Any],
    context: tuple[DocumentReader, OutboundLibrary] | None = None,
) -> Reacknowledged:
    """Look at sale order ``row`` (its acknowledgement: ``outbound_orders`` row
    ``order_id``) again; queue the replacing acknowledgement when what the customer is
    told moved (see the module)."""
    kind = ORDER_ACKNOWLEDGEMENTS
    done = Reacknowledged()
    syntax, set_id, map_name = outbound_map_name(profile, kind=kind)
    reader, library = context if context else (kind.make_reader(runtime, profile), None)
    if not isinstance(reader, SaleOrderReader):
        raise TypeError(f"sale orders are read by a SaleOrderReader, not {reader!r}")
    digest = ""
    try:
        document, state, _ = reader.read_with_state(int(row["id"]))
        digest = state_digest(state)
        map_ = (library or outbound_library(runtime)).get(map_name)
    except (NotFromEdi, OrderNotSendable):
        document = None  # no EDI order (any more), or gone: nothing to tell the customer
    except KeyError as exc:
        raise PermanentError(str(exc)) from exc
    with session_scope(runtime.sessions) as session:
        order = session.get(OutboundOrder, order_id, with_for_update=True)
        if order is None or order.payload_sha256 is None:
            return done
        order.odoo_write_date = str(row["write_date"])
        if not isinstance(document, OrderAcknowledgement):
            return done
        if digest == order.document_hash:
            # looked at before: the sales desk changed nothing on the order (a change the
            # customer asked for since and we refused is told with the next change in
            # Odoo, never on its own: an operator decides on it first)
            return done
        order.document_hash = digest
        sent = OrderAcknowledgement.model_validate(order.document)
        if signature(sent) == signature(document):
            return done  # Odoo touched the order, not what the customer was told
        revision = 1 + (
            session.scalar(
                select(func.count())
                .select_from(OutboundChange)
                .where(OutboundChange.outbound_order_id == order.id)
            )
            or 0
        )
        document = document.model_copy(update={"revision": revision})
        summary = differences(sent, document)
        env = order_envelope(runtime, session, profile, syntax, kind)
        try:
            written = write(map_, render(map_, document), env)
        except OutboundInvalid as exc:
            problem = raise_order_exception(
                session,
                order,
                "order_not_sendable",
                f"sale order {order.business_key} changed after it was acknowledged, but the "
                f"new {set_id} fails our own validation: {exc}. The customer was NOT told of: "
                + "; ".join(summary),
            )
            done.follow += route_new_exceptions(
                runtime,
                session,
                [problem],
                partner_id=order.partner_id,
                target=runtime.odoo_target(bool(order.test)),
                correlation_id=order.correlation_id,
            )
            return done
        controls = engine_for(syntax).stored_controls(env)
        change = OutboundChange(
            outbound_order_id=order.id,
            partner_id=order.partner_id,
            revision=revision,
            purpose="change",
            state=OrderCycle.QUEUED,
            syntax=syntax,
            set_id=set_id,
            map_name=map_name,
            interchange_control=controls.interchange,
            group_control=controls.group,
            transaction_control=controls.transaction,
            payload_sha256=runtime.payloads.put(session, written.data),
            document=document.model_dump(mode="json"),
            summary=summary,
            attempts=0,
        )
        session.add(change)
        order.document = document.model_dump(mode="json")
        session.flush()
        add_event(
            session,
            "order_change_queued",
            f"sale order {order.business_key}: acknowledgement {revision} written as {set_id} "
            f"{change.interchange_control}: {'; '.join(summary)}",
            partner_id=order.partner_id,
            correlation_id=order.correlation_id,
            data={"outbound_order_id": order.id, "revision": revision},
        )
        done.changed.append(order.business_key)
        done.follow.append(Next("send_change", (change.id,)))
    return done
