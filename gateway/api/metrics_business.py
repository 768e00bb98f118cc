"""What procurement and operations watch, as Prometheus metrics read from the store.

* ``edigw_business_exceptions_open{partner,kind,severity,age}``: open exceptions by age
  bucket (:mod:`gateway.exception_policy`), ``edigw_business_exceptions_overdue``: open
  past their due time, ``edigw_business_exception_oldest_age_seconds{kind}``;
* ``edigw_bills_held{partner,currency}`` and ``edigw_bills_held_amount``: vendor bills held
  by a price or quantity mismatch and their invoiced total;
* ``edigw_off_contract_lines_total{partner}`` and ``edigw_off_contract_value_total{partner,
  currency}``: document lines priced above the contract (``off_contract_price``
  exceptions, whatever became of them) and what they cost above it (price difference
  times quantity), i.e. off-contract spend;
* ``edigw_our_certificate_days_left{identity,file}``: our own AS2 certificates (the
  partners' are ``edigw_certificate_days_left``);
* ``edigw_odoo_up``: Odoo answered a version call (probed at most every 30 seconds; absent
  in dry-run mode).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import select

from gateway.as2.certs import load_certificates
from gateway.as2.errors import As2Error
from gateway.exception_policy import BILL_HOLDING_KINDS, age_bucket, due_after, severity_of
from gateway.pipeline.runtime import Runtime
from gateway.states import ExceptionState
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Document, Transaction, utcnow

ODOO_PROBE_INTERVAL = 30.0
ODOO_PROBE_TIMEOUT = 3.0


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def invoice_amount(data: dict[str, Any]) -> Decimal:
    """An invoice's total: its stated total, else the sum of its lines."""
    try:
        if data.get("total_amount") not in (None, ""):
            return Decimal(str(data["total_amount"]))
        return sum(
            (
                Decimal(str(line.get("quantity") or 0)) * Decimal(str(line.get("unit_price") or 0))
                for line in data.get("lines") or []
            ),
            Decimal("0"),
        )
    except (InvalidOperation, TypeError, AttributeError):
        return Decimal("0")


def off_contract_amount(expected: Any, received: Any, quantity: Any) -> Decimal:
    """What one off-contract line costs above the contract (0 when it cannot be told)."""
    try:
        excess = Decimal(str(received)) - Decimal(str(expected))
        return max(excess, Decimal("0")) * Decimal(str(quantity if quantity else 1))
    except (InvalidOperation, TypeError):
        return Decimal("0")


class BusinessCollector:
    """Yields the business metrics; one instance per API process (it caches the probe)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._odoo_lock = threading.Lock()
        self._odoo_checked = 0.0
        self._odoo_up: float | None = None

    def collect(self) -> Iterator[Metric]:
        """Called by prometheus_client on each scrape."""
        now = utcnow()
        with session_scope(self.runtime.sessions) as session:
            yield from self._exceptions(session, now)
            yield from self._bills_held(session)
            yield from self._off_contract(session)
        yield self._our_certificates(now)
        up = self._odoo()
        if up is not None:
            gauge = GaugeMetricFamily(
                "edigw_odoo_up", "1 when Odoo answered its version call, 0 when not."
            )
            gauge.add_metric([], up)
            yield gauge

    def _exceptions(self, session: Any, now: dt.datetime) -> Iterator[Metric]:
        open_ = GaugeMetricFamily(
            "edigw_business_exceptions_open",
            "Open business exceptions by partner, kind, severity and age bucket.",
            labels=["partner", "kind", "severity", "age"],
        )
        overdue = GaugeMetricFamily(
            "edigw_business_exceptions_overdue",
            "Open business exceptions past their due time (their SLO).",
            labels=["partner", "kind", "severity"],
        )
        oldest = GaugeMetricFamily(
            "edigw_business_exception_oldest_age_seconds",
            "Age of the oldest open business exception of each kind.",
            labels=["kind"],
        )
        counts: dict[tuple[str, str, str, str], int] = {}
        late: dict[tuple[str, str, str], int] = {}
        ages: dict[str, float] = {}
        rows = session.execute(
            select(
                BusinessException.partner_id,
                BusinessException.kind,
                BusinessException.created_at,
            ).where(BusinessException.state == ExceptionState.OPEN)
        )
        for partner, kind, created in rows:
            age = max(0.0, (now - _aware(created)).total_seconds())
            severity = severity_of(kind)
            key = (partner or "", kind, severity)
            counts[(*key, age_bucket(age))] = counts.get((*key, age_bucket(age)), 0) + 1
            if age > due_after(kind).total_seconds():
                late[key] = late.get(key, 0) + 1
            ages[kind] = max(ages.get(kind, 0.0), age)
        for labels, n in sorted(counts.items()):
            open_.add_metric(list(labels), n)
        for labels3, n in sorted(late.items()):
            overdue.add_metric(list(labels3), n)
        for kind, age in sorted(ages.items()):
            oldest.add_metric([kind], age)
        yield open_
        yield overdue
        yield oldest

    def _bills_held(self, session: Any) -> Iterator[Metric]:
        held = GaugeMetricFamily(
            "edigw_bills_held",
            "Vendor bills held by an open price or quantity mismatch.",
            labels=["partner", "currency"],
        )
        amount = GaugeMetricFamily(
            "edigw_bills_held_amount",
            "Invoiced total of the bills held by a mismatch, in their currency.",
            labels=["partner", "currency"],
        )
        holding = (
            select(BusinessException.transaction_id)
            .where(
                BusinessException.state == ExceptionState.OPEN,
                BusinessException.kind.in_(sorted(BILL_HOLDING_KINDS)),
            )
            .distinct()
        )
        totals: dict[tuple[str, str], tuple[int, Decimal]] = {}
        for partner, data in session.execute(
            select(Transaction.partner_id, Document.data)
            .join(Document, Document.transaction_id == Transaction.id)
            .where(Transaction.id.in_(holding), Transaction.document_type == "invoice")
        ):
            key = (partner or "", str((data or {}).get("currency") or ""))
            count, total = totals.get(key, (0, Decimal("0")))
            totals[key] = (count + 1, total + invoice_amount(data or {}))
        for labels, (count, total) in sorted(totals.items()):
            held.add_metric(list(labels), count)
            amount.add_metric(list(labels), float(total))
        yield held
        yield amount

    def _off_contract(self, session: Any) -> Iterator[Metric]:
        lines = CounterMetricFamily(
            "edigw_off_contract_lines",
            "Document lines priced above the contract price (off_contract_price exceptions).",
            labels=["partner"],
        )
        value = CounterMetricFamily(
            "edigw_off_contract_value",
            "What off-contract lines cost above the contract: price difference x quantity.",
            labels=["partner", "currency"],
        )
        counts: dict[str, int] = {}
        amounts: dict[tuple[str, str], Decimal] = {}
        rows = session.execute(
            select(
                BusinessException.partner_id,
                BusinessException.expected,
                BusinessException.received,
                BusinessException.detail,
            ).where(BusinessException.kind == "off_contract_price")
        )
        for partner_id, expected, received, stored_detail in rows:
            partner = partner_id or ""
            counts[partner] = counts.get(partner, 0) + 1
            detail = stored_detail or {}
            key = (partner, str(detail.get("currency") or ""))
            amounts[key] = amounts.get(key, Decimal("0")) + off_contract_amount(
                expected, received, detail.get("quantity")
            )
        for partner, n in sorted(counts.items()):
            lines.add_metric([partner], n)
        for labels, amount in sorted(amounts.items()):
            value.add_metric(list(labels), float(amount))
        yield lines
        yield value

    def _our_certificates(self, now: dt.datetime) -> Metric:
        gauge = GaugeMetricFamily(
            "edigw_our_certificate_days_left",
            "Days until each of our own AS2 certificates expires (negative: expired).",
            labels=["identity", "file"],
        )

        try:
            identities = self.runtime.identities
        except Exception:  # an identities file that does not load is readyz's to report
            return gauge
        for identity in identities.identities:
            for pair in identity.as2_keys:
                path = identities.resolve_path(pair.certificate)
                try:
                    cert = load_certificates(path)[0]
                except (As2Error, OSError, ValueError):
                    continue  # a missing file is reported by the partner pages / readyz
                days = (cert.not_valid_after_utc - now).days
                gauge.add_metric([identity.name, str(pair.certificate)], days)
        return gauge

    def _odoo(self) -> float | None:
        settings = self.runtime.settings
        if not settings.odoo_configured and self.runtime.odoo_factory is None:
            return None  # dry run: nothing to reach
        with self._odoo_lock:
            if time.monotonic() - self._odoo_checked >= ODOO_PROBE_INTERVAL:
                url = self._odoo_url()
                self._odoo_up = 1.0 if url is not None and odoo_answers(url) else 0.0
                self._odoo_checked = time.monotonic()
            return self._odoo_up

    def _odoo_url(self) -> str | None:
        if self.runtime.settings.odoo_url:
            return str(self.runtime.settings.odoo_url)
        try:
            url = self.runtime.odoo.url
        except Exception:  # the client cannot even be built: Odoo is not reachable
            return None
        return str(url) if url else None


def odoo_answers(url: str, timeout: float = ODOO_PROBE_TIMEOUT) -> bool:
    """Whether Odoo at ``url`` answers ``common.version`` (``/web/version`` from Odoo 22)."""
    body = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"service": "common", "method": "version", "args": []},
        "id": 1,
    }
    base = url.rstrip("/")
    try:
        with httpx.Client(timeout=timeout) as client:
            response = client.post(f"{base}/jsonrpc", json=body)
            if response.status_code == 404:
                response = client.get(f"{base}/web/version")
            return response.status_code == 200 and isinstance(response.json(), dict)
    except (httpx.HTTPError, ValueError):
        return False
