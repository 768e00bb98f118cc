"""Reconciliation: what we sent and received, per partner, against what Odoo holds now.

:func:`reconcile` compares the store with Odoo and returns a :class:`Report` of findings:

* ``order_unanswered``: an order we sent (``outbound_orders``) still without its 855/ORDRSP,
  856/DESADV or 810/INVOIC (for the report; the overdue check raises the exceptions);
* ``record_deleted``: a record a delivery created or changed (the delivery ledger), or an
  order we sent, is no longer in Odoo;
* ``record_changed``: such a record was changed by hand: an order cancelled or its line
  quantity/price no longer what the document said, a receipt we validated no longer done,
  a bill cancelled or its untaxed amount no longer the invoice's;
* ``receipt_without_bill``: goods received on an order, nothing billed, the last receipt
  older than the grace period;
* ``bill_without_receipt``: billed, nothing received;
* ``billed_over_received`` / ``received_not_billed``: per order line, billed more than
  received, or (once the order has bills, after the grace period) received more than billed.

Findings that need a person (all but ``order_unanswered``, and grace-period ones only when
due) become business exceptions - once per finding: the finding's ``key`` is kept in the
exception's detail and a later run that finds it again raises nothing. The last report is
written to ``<data_dir>/reconcile/latest.json`` for the console page (``/reconcile``, with
CSV and JSON downloads); ``edi-gateway reconcile`` and the daily beat job run it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.odoo.api import m2o_id
from gateway.odoo.delivery.resolve import decimal
from gateway.outbound.cycle import OrderCycle
from gateway.pipeline.dispatch import Next
from gateway.pipeline.routing import route_new_exceptions
from gateway.pipeline.runtime import Runtime
from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import (
    BusinessException,
    Delivery,
    Document,
    OutboundOrder,
    Transaction,
    utcnow,
)

#: finding kinds that are reported only (another check raises their exceptions)
REPORT_ONLY = frozenset({"order_unanswered"})
KINDS = (
    "order_unanswered",
    "record_deleted",
    "record_changed",
    "receipt_without_bill",
    "bill_without_receipt",
    "billed_over_received",
    "received_not_billed",
)
CSV_COLUMNS = (
    "partner_id",
    "kind",
    "po_number",
    "document",
    "odoo_model",
    "odoo_id",
    "expected",
    "received",
    "message",
    "action",
    "exception_id",
    "key",
)
_ANSWERS = {
    "x12": {"acknowledged": "855", "shipped": "856", "invoiced": "810"},
    "edifact": {"acknowledged": "ORDRSP", "shipped": "DESADV", "invoiced": "INVOIC"},
}
_EPSILON = Decimal("0.0001")


@dataclass
class Finding:
    """One inconsistency between what we exchanged and what Odoo holds."""

    partner_id: str
    kind: str
    key: str  # stable across runs: what "once per finding" is keyed on
    message: str
    po_number: str | None = None
    document: str | None = None  # "invoice INV-1", "purchase order P00012 (sent)"
    odoo_model: str | None = None
    odoo_id: int | None = None
    expected: str | None = None  # what the document / our records say
    received: str | None = None  # what Odoo holds now
    action: bool = True  # a person must act: raised as a business exception
    transaction_id: int | None = None
    outbound_order_id: int | None = None
    exception_id: int | None = None  # the exception raised for it (this run or before)
    target: str = "odoo"  # the Odoo it was found in (odoo / test-odoo)


@dataclass
class Report:
    """A reconciliation run: its scope, what it looked at and what it found."""

    generated_at: str
    since: str
    partners: list[str]
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    raised: int = 0  # exceptions raised by this run

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON data."""
        return {
            "generated_at": self.generated_at,
            "since": self.since,
            "partners": self.partners,
            "checked": self.checked,
            "raised": self.raised,
            "findings": [asdict(f) for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """A report written by :meth:`to_json`."""
        return cls(
            generated_at=str(data.get("generated_at") or ""),
            since=str(data.get("since") or ""),
            partners=list(data.get("partners") or []),
            findings=[Finding(**f) for f in data.get("findings") or []],
            checked=dict(data.get("checked") or {}),
            raised=int(data.get("raised") or 0),
        )

    def to_csv(self) -> str:
        """One row per finding (:data:`CSV_COLUMNS`)."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for finding in self.findings:
            writer.writerow({k: ("" if v is None else v) for k, v in asdict(finding).items()})
        return out.getvalue()


def report_path(runtime: Runtime) -> Path:
    """Where the last report is kept for the console."""
    return Path(runtime.settings.data_dir) / "reconcile" / "latest.json"


def load_report(runtime: Runtime) -> Report | None:
    """The last report written, or None."""
    path = report_path(runtime)
    if not path.is_file():
        return None
    return Report.from_json(json.loads(path.read_text()))


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


class _Checker:
    """The comparisons for one partner against one Odoo."""

    def __init__(
        self,
        partner_id: str,
        odoo: Any,
        now: dt.datetime,
        grace: dt.timedelta,
        target: str = "odoo",
    ):
        self.partner_id = partner_id
        self.target = target
        self.odoo = odoo
        self.now = now
        self.grace = grace
        self.findings: list[Finding] = []
        self.orders: dict[int, tuple[str, int | None, int | None]] = {}  # id -> (po, txn, out)

    def add(self, kind: str, key: str, message: str, **values: Any) -> None:
        self.findings.append(
            Finding(
                partner_id=self.partner_id,
                kind=kind,
                key=f"{self.partner_id}:{kind}:{key}",
                message=message,
                action=values.pop("action", kind not in REPORT_ONLY),
                **values,
            )
        )

    def existing(
        self, model: str, ids: Iterable[int], fields: list[str]
    ) -> dict[int, dict[str, Any]]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        rows = self.odoo.search_read(model, [["id", "in", ids]], ["id", *fields])
        return {int(r["id"]): r for r in rows}

    # ---- orders we sent --------------------------------------------------------------
    def outbound(self, orders: list[OutboundOrder]) -> None:
        found = self.existing("purchase.order", [o.odoo_id for o in orders], ["name", "state"])
        for order in orders:
            ref = {"po_number": order.business_key, "outbound_order_id": order.id}
            what = f"purchase order {order.business_key} (sent)"
            if order.odoo_id not in found:
                self.add(
                    "record_deleted",
                    f"purchase.order:{order.odoo_id}",
                    f"{what}: the purchase order is no longer in Odoo",
                    document=what,
                    odoo_model="purchase.order",
                    odoo_id=order.odoo_id,
                    **ref,
                )
                continue
            self.orders.setdefault(order.odoo_id, (order.business_key, None, order.id))
            if order.state in (OrderCycle.CANCELLED, OrderCycle.REJECTED, OrderCycle.FAILED):
                continue
            names = _ANSWERS.get(order.syntax, _ANSWERS["x12"])
            timeline = order.timeline or {}
            missing = [names[step] for step in names if step not in timeline]
            if missing:
                self.add(
                    "order_unanswered",
                    f"outbound:{order.id}",
                    f"{what}: no {', '.join(missing)} received yet",
                    document=what,
                    odoo_model="purchase.order",
                    odoo_id=order.odoo_id,
                    expected=", ".join(missing),
                    **ref,
                )

    # ---- documents delivered ---------------------------------------------------------
    def delivered(self, deliveries: list[tuple[Delivery, dict[str, Any]]]) -> None:
        wanted: dict[str, set[int]] = {}
        for delivery, _ in deliveries:
            for record in delivery.records or []:
                wanted.setdefault(str(record.get("model")), set()).add(int(record["id"]))
        fields = {
            "purchase.order": ["name", "state"],
            "stock.picking": ["name", "state", "purchase_id", "backorder_id"],
            "account.move": ["name", "state", "amount_untaxed"],
        }
        found = {m: self.existing(m, ids, fields.get(m, ["id"])) for m, ids in wanted.items()}
        for delivery, data in deliveries:
            what = f"{delivery.document_type.replace('_', ' ')} {delivery.business_key}"
            po_number = data.get("po_number")
            for record in delivery.records or []:
                model, record_id = str(record.get("model")), int(record["id"])
                ref = {
                    "document": what,
                    "odoo_model": model,
                    "odoo_id": record_id,
                    "transaction_id": delivery.transaction_id,
                    "po_number": po_number,
                }
                row = found.get(model, {}).get(record_id)
                if row is None:
                    self.add(
                        "record_deleted",
                        f"{model}:{record_id}",
                        f"{what}: {model} {record.get('name') or record_id} that the gateway "
                        "delivered is no longer in Odoo",
                        **ref,
                    )
                    continue
                self._compare(delivery, data, model, row, ref)

    def _compare(
        self,
        delivery: Delivery,
        data: dict[str, Any],
        model: str,
        row: dict[str, Any],
        ref: dict[str, Any],
    ) -> None:
        what, record_id = ref["document"], int(row["id"])
        name = row.get("name") if row.get("name") not in (None, False, "", "/") else None
        name = name or f"(draft, id {record_id})"
        if model == "purchase.order":
            po_number = data.get("po_number") or row.get("name")
            self.orders.setdefault(record_id, (str(po_number), delivery.transaction_id, None))
            if row.get("state") == "cancel":
                self.add(
                    "record_changed",
                    f"{model}:{record_id}:state",
                    f"{what}: purchase order {name} was cancelled in Odoo",
                    expected="confirmed",
                    received="cancel",
                    **ref,
                )
            elif delivery.document_type == "purchase_order":
                self._order_lines(record_id, str(name), data, ref)
        elif model == "stock.picking":
            order = m2o_id(row.get("purchase_id"))
            if order is not None:
                self.orders.setdefault(
                    order, (str(data.get("po_number") or ""), delivery.transaction_id, None)
                )
            # the gateway validated the receipt; a backorder it left open is not its to check
            if row.get("state") != "done" and not row.get("backorder_id"):
                self.add(
                    "record_changed",
                    f"{model}:{record_id}:state",
                    f"{what}: receipt {name} that the gateway validated is now {row.get('state')}",
                    expected="done",
                    received=str(row.get("state")),
                    **ref,
                )
        elif model == "account.move":
            self._bill(record_id, str(name), row, data, delivery, ref)

    def _order_lines(
        self, order_id: int, name: str, data: dict[str, Any], ref: dict[str, Any]
    ) -> None:
        lines = self.odoo.search_read(
            "purchase.order.line",
            [["order_id", "=", order_id]],
            ["id", "product_id", "product_qty", "price_unit", "sequence"],
        )
        lines = [x for x in lines if x.get("product_id")]
        lines.sort(key=lambda r: (r.get("sequence") or 0, r["id"]))
        for position, (sent, held) in enumerate(zip(data.get("lines") or [], lines, strict=False)):
            label = f"line {sent.get('line_number') or position + 1}"
            for field_name, key, shown in (
                ("product_qty", "quantity", "quantity"),
                ("price_unit", "unit_price", "price"),
            ):
                expected = sent.get(key)
                if expected in (None, ""):
                    continue
                if abs(decimal(held.get(field_name)) - Decimal(str(expected))) > _EPSILON:
                    self.add(
                        "record_changed",
                        f"purchase.order.line:{held['id']}:{field_name}",
                        f"{ref['document']}: {name} {label}: the {shown} was changed in Odoo "
                        f"from {expected} to {_qty(decimal(held.get(field_name)))}",
                        expected=str(expected),
                        received=_qty(decimal(held.get(field_name))),
                        **ref,
                    )

    def _bill(
        self,
        bill_id: int,
        name: str,
        row: dict[str, Any],
        data: dict[str, Any],
        delivery: Delivery,
        ref: dict[str, Any],
    ) -> None:
        what = ref["document"]
        if row.get("state") == "cancel":
            self.add(
                "record_changed",
                f"account.move:{bill_id}:state",
                f"{what}: bill {name} was cancelled in Odoo",
                expected="posted or draft",
                received="cancel",
                **ref,
            )
            return
        expected = invoice_untaxed(data)
        held = decimal(row.get("amount_untaxed"))
        if abs(held - expected) > Decimal("0.01"):
            self.add(
                "record_changed",
                f"account.move:{bill_id}:amount_untaxed",
                f"{what}: bill {name} untaxed amount is {_money(held)} in Odoo, the invoice "
                f"says {_money(expected)} (changed by hand)",
                expected=_money(expected),
                received=_money(held),
                **ref,
            )
        for line in self.odoo.search_read(
            "account.move.line", [["move_id", "=", bill_id]], ["id", "purchase_line_id"]
        ):
            order_line = m2o_id(line.get("purchase_line_id"))
            if order_line is None:
                continue
            rows = self.odoo.search_read(
                "purchase.order.line", [["id", "=", order_line]], ["id", "order_id"]
            )
            for found in rows:
                order = m2o_id(found.get("order_id"))
                if order is not None:
                    po = str(data.get("po_number") or "")
                    self.orders.setdefault(order, (po, delivery.transaction_id, None))

    # ---- receipts against bills, per order line --------------------------------------
    def receipts_and_bills(self) -> None:
        if not self.orders:
            return
        orders = self.existing("purchase.order", self.orders, ["name", "state"])
        lines = self.odoo.search_read(
            "purchase.order.line",
            [["order_id", "in", sorted(orders)]],
            ["id", "order_id", "product_id", "product_qty", "qty_received", "qty_invoiced"],
        )
        done = self.odoo.search_read(
            "stock.picking",
            [["purchase_id", "in", sorted(orders)], ["state", "=", "done"]],
            ["id", "purchase_id", "date_done"],
        )
        last_receipt: dict[int, dt.datetime] = {}
        for picking in done:
            order = m2o_id(picking.get("purchase_id"))
            when = _odoo_time(picking.get("date_done"))
            if order is not None and when is not None:
                last_receipt[order] = max(when, last_receipt.get(order, when))
        by_order: dict[int, list[dict[str, Any]]] = {}
        for line in lines:
            order = m2o_id(line.get("order_id"))
            if order is not None and line.get("product_id"):
                by_order.setdefault(order, []).append(line)
        for order_id, order_lines in sorted(by_order.items()):
            po_number, txn, outbound = self.orders[order_id]
            name = str(orders[order_id].get("name") or order_id)
            ref = {
                "po_number": po_number or name,
                "document": f"purchase order {name}",
                "odoo_model": "purchase.order",
                "odoo_id": order_id,
                "transaction_id": txn,
                "outbound_order_id": outbound,
            }
            received = sum((decimal(x.get("qty_received")) for x in order_lines), Decimal(0))
            billed = sum((decimal(x.get("qty_invoiced")) for x in order_lines), Decimal(0))
            received_at = last_receipt.get(order_id)
            due = received_at is None or received_at <= self.now - self.grace
            if received > 0 and billed == 0:
                self.add(
                    "receipt_without_bill",
                    f"purchase.order:{order_id}",
                    f"{name}: {_qty(received)} received"
                    + (f" (last receipt {received_at:%Y-%m-%d})" if received_at else "")
                    + ", nothing billed",
                    expected=_qty(received),
                    received="0",
                    action=due,
                    **ref,
                )
                continue
            if billed > 0 and received == 0:
                self.add(
                    "bill_without_receipt",
                    f"purchase.order:{order_id}",
                    f"{name}: {_qty(billed)} billed, nothing received",
                    expected="0",
                    received=_qty(billed),
                    **ref,
                )
                continue
            for line in order_lines:
                got, paid = decimal(line.get("qty_received")), decimal(line.get("qty_invoiced"))
                product = line["product_id"][1] if isinstance(line["product_id"], list) else ""
                if paid > got + _EPSILON:
                    kind, act = "billed_over_received", True
                elif got > paid + _EPSILON and billed > 0:
                    kind, act = "received_not_billed", due
                else:
                    continue
                self.add(
                    kind,
                    f"purchase.order.line:{line['id']}",
                    f"{name} {product}: {_qty(got)} received, {_qty(paid)} billed",
                    expected=_qty(got),
                    received=_qty(paid),
                    action=act,
                    **ref,
                )


def invoice_untaxed(data: dict[str, Any]) -> Decimal:
    """An invoice's untaxed amount as the gateway bills it: lines plus charges less
    allowances."""
    total = Decimal(0)
    for line in data.get("lines") or []:
        amount = line.get("amount")
        if amount not in (None, ""):
            total += Decimal(str(amount))
        else:
            total += Decimal(str(line.get("quantity") or 0)) * Decimal(
                str(line.get("unit_price") or 0)
            )
    for entry in data.get("allowances_charges") or []:
        amount = Decimal(str(entry.get("amount") or 0))
        total += amount if entry.get("kind") == "charge" else -amount
    return total


def _odoo_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    when = dt.datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def reconcile(
    runtime: Runtime,
    *,
    since: dt.date | None = None,
    partner: str | None = None,
    raise_exceptions: bool = True,
    now: dt.datetime | None = None,
) -> Report:
    """Compare each partner's documents since ``since`` with Odoo (module docstring)."""
    settings = runtime.settings
    now = now or utcnow()
    since = since or (now - dt.timedelta(days=settings.reconcile_days)).date()
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    grace = dt.timedelta(days=settings.reconcile_grace_days)
    profiles = [p for p in runtime.registry.all() if p.odoo is not None]
    if partner is not None:
        profiles = [p for p in profiles if p.id == partner]
        if not profiles:
            raise ValueError(f"no partner {partner!r} with an odoo section")
    report = Report(
        generated_at=now.isoformat(), since=since.isoformat(), partners=[p.id for p in profiles]
    )
    counts = {"orders_sent": 0, "deliveries": 0, "purchase_orders": 0}
    with session_scope(runtime.sessions) as session:
        for profile in profiles:
            sent = list(
                session.scalars(
                    select(OutboundOrder).where(
                        OutboundOrder.partner_id == profile.id,
                        OutboundOrder.sent_at.is_not(None),
                        OutboundOrder.sent_at >= start,
                    )
                )
            )
            delivered = session.execute(
                select(Delivery, Document.data)
                .join(Document, Document.transaction_id == Delivery.transaction_id)
                .where(Delivery.partner_id == profile.id, Delivery.created_at >= start)
                .order_by(Delivery.id)
            ).all()
            by_target: dict[str, list[tuple[Delivery, dict[str, Any]]]] = {}
            for delivery, data in delivered:
                by_target.setdefault(delivery.target, []).append((delivery, data or {}))
            outbound_target = runtime.odoo_target(False)
            targets = sorted(set(by_target) | ({outbound_target} if sent else set()))
            for target in targets:
                checker = _Checker(profile.id, runtime.odoo_for(target), now, grace, target)
                if target == outbound_target:
                    checker.outbound([o for o in sent if not o.test])
                checker.delivered(by_target.get(target, []))
                checker.receipts_and_bills()
                counts["purchase_orders"] += len(checker.orders)
                report.findings.extend(checker.findings)
            counts["orders_sent"] += len(sent)
            counts["deliveries"] += len(delivered)
        report.checked = counts
        follow: list[Next] = []
        if raise_exceptions:
            report.raised, follow = _raise(session, runtime, report.findings, now)
    if follow:  # notifications go out once the exceptions are committed
        runtime.dispatcher.dispatch(follow)
    path = report_path(runtime)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_json(), indent=1, default=str))
    return report


def _raise(
    session: Session, runtime: Runtime, findings: list[Finding], now: dt.datetime
) -> tuple[int, list[Next]]:
    """A business exception per finding that needs one and has none yet, routed like a
    document's (owner group, assignee, due time, notifications); returns how many, and the
    notify stages to dispatch after commit."""
    kinds = sorted({f.kind for f in findings if f.action})
    known: dict[str, int] = {}
    if kinds:
        for exc_id, detail in session.execute(
            select(BusinessException.id, BusinessException.detail).where(
                BusinessException.kind.in_(kinds)
            )
        ):
            key = (detail or {}).get("finding")
            if key:
                known[str(key)] = exc_id
    raised = 0
    follow: list[Next] = []
    for finding in findings:
        if finding.key in known:
            finding.exception_id = known[finding.key]
            continue
        if not finding.action:
            continue
        row = BusinessException(
            transaction_id=finding.transaction_id,
            outbound_order_id=None if finding.transaction_id else finding.outbound_order_id,
            partner_id=finding.partner_id,
            kind=finding.kind,
            message=finding.message,
            expected=finding.expected,
            received=finding.received,
            detail={
                "finding": finding.key,
                "source": "reconcile",
                "records": [{"model": finding.odoo_model, "id": finding.odoo_id}]
                if finding.odoo_model
                else [],
            },
            created_at=now,
        )
        session.add(row)
        session.flush()
        finding.exception_id = row.id
        known[finding.key] = row.id
        raised += 1
        correlation = None
        if finding.transaction_id is not None:
            txn = session.get(Transaction, finding.transaction_id)
            correlation = txn.correlation_id if txn is not None else None
        elif row.outbound_order_id is not None:
            order = session.get(OutboundOrder, row.outbound_order_id)
            correlation = order.correlation_id if order is not None else None
        follow += route_new_exceptions(
            runtime,
            session,
            [row],
            partner_id=finding.partner_id,
            target=finding.target,
            transaction_id=finding.transaction_id,
            correlation_id=correlation,
        )
        add_event(
            session,
            "business_exception",
            finding.message,
            partner_id=finding.partner_id,
            transaction_id=finding.transaction_id,
            correlation_id=correlation,
            data={"kind": finding.kind, "finding": finding.key, "source": "reconcile"},
        )
    return raised, follow
