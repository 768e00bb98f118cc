"""``/metrics`` in Prometheus format, computed from the store at scrape time.

A custom collector reads the store on each scrape rather than counting in-process, so
every API replica reports the same numbers and nothing is lost on restart. Each scrape
is a handful of grouped queries; stage latencies look at the last day of attempts only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from sqlalchemy import func, select

from gateway.api.metrics_business import BusinessCollector
from gateway.api.onboarding import certificate_status, partner_profiles
from gateway.pipeline.as2_mdn_overdue import OVERDUE
from gateway.pipeline.runtime import Runtime
from gateway.states import AckState, ExceptionState, TransactionState
from gateway.store.db import session_scope
from gateway.store.models import (
    Acknowledgement,
    BusinessException,
    Event,
    Message,
    PendingMdn,
    StageAttempt,
    Transaction,
    utcnow,
)

LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
LATENCY_WINDOW = dt.timedelta(days=1)
MAX_ATTEMPTS_SCANNED = 100_000
ACK_OVERDUE_AFTER = dt.timedelta(minutes=30)
# events counted by edigw_security_events_total (docs/security.md says what each means)
SECURITY_EVENT_KINDS = (
    "as2.mdn_unsigned",
    "as2.async_mdn_refused",
    "as2.busy",
    "sftp.lockout",
    "sftp.login_refused",
    "sftp.sessions_full",
    "sftp.quarantined",
    "dedupe_key_reused",
    "as2.refused",
    "sftp.refused",
)
# the ``reason`` label of edigw_security_events_total: for these kinds the event's
# ``data`` field named here, when it is one of the values listed (else ``other``), so
# the label stays a short fixed list whatever an event holds; ``""`` for other kinds
REFUSAL_REASONS: dict[str, tuple[str, frozenset[str]]] = {
    # gateway/as2/receiver.py: why a request was refused before any payload existed
    "as2.refused": (
        "reason",
        frozenset({"body_too_large", "headers_too_large", "no_as2_ids", "no_message_id"}),
    ),
    # gateway/sftp/session.py: the operation that was refused
    "sftp.refused": (
        "operation",
        frozenset(
            {
                "open", "write", "upload", "remove", "rename", "mkdir", "rmdir", "symlink",
                "readlink", "realpath", "list", "stat", "setstat",
            }
        ),
    ),
}  # fmt: skip


def queue_depth(runtime: Runtime) -> float | None:
    """Messages waiting in the pipeline's broker queue (``queue_name``, ``gateway`` unless
    set; None when it cannot be read)."""
    url = runtime.settings.resolved_broker_url
    if url.startswith(("redis://", "rediss://")):
        import redis

        try:
            client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            return float(client.llen(runtime.settings.queue_name))
        except redis.RedisError:
            return None
    if url.startswith("filesystem"):
        folder: Path = runtime.settings.broker_dir / "queue"
        try:
            # a message's file; not one being written (gateway/broker_files.py)
            return float(sum(1 for p in folder.glob("*.msg") if p.is_file()))
        except OSError:
            return 0.0
    return None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class StoreCollector:
    """Yields the gateway's metrics from the store."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @staticmethod
    def _overdue(session: Any) -> Metric:
        """Open overdue exceptions on orders we sent, by partner and awaited answer."""
        family = GaugeMetricFamily(
            "edigw_overdue_documents",
            "Orders we sent whose answer (functional_ack, order_ack, ship_notice, invoice) "
            "is overdue and not yet handled.",
            labels=["partner", "kind"],
        )
        for partner, kind, n in session.execute(
            select(BusinessException.partner_id, BusinessException.kind, func.count())
            .where(
                BusinessException.kind.like("overdue_%"),
                BusinessException.state == ExceptionState.OPEN,
            )
            .group_by(BusinessException.partner_id, BusinessException.kind)
        ):
            family.add_metric([partner or "", kind.removeprefix("overdue_")], n)
        return family

    @staticmethod
    def _mdns_overdue(session: Any) -> Metric:
        """AS2 messages still waiting for an asynchronous MDN past the partner's wait."""
        family = GaugeMetricFamily(
            "edigw_async_mdns_overdue",
            "AS2 messages sent with an asynchronous MDN that has not come within the "
            "partner's as2.mdn_wait_seconds (a late MDN still settles them).",
            labels=["partner"],
        )
        for partner, n in session.execute(
            select(PendingMdn.partner_id, func.count())
            .where(PendingMdn.settled_at.is_(None), PendingMdn.outcome == OVERDUE)
            .group_by(PendingMdn.partner_id)
        ):
            family.add_metric([partner or ""], n)
        return family

    @staticmethod
    def _security(session: Any) -> Metric:
        """Security events by kind and, for refusals, their reason (bounded)."""
        security = CounterMetricFamily(
            "edigw_security_events",
            "Security events by kind (unsigned MDNs, SFTP lockouts and refusals, refused "
            "AS2 requests, refused async MDN URLs, quarantined uploads, busy AS2 answers) "
            "and, for as2.refused / sftp.refused, reason; alert on increase.",
            labels=["kind", "reason"],
        )
        plain = [kind for kind in SECURITY_EVENT_KINDS if kind not in REFUSAL_REASONS]
        counts: dict[tuple[str, str], int] = {(kind, ""): 0 for kind in plain}
        for kind, n in session.execute(
            select(Event.kind, func.count()).where(Event.kind.in_(plain)).group_by(Event.kind)
        ):
            counts[(kind, "")] = n
        for kind, (field, allowed) in REFUSAL_REASONS.items():
            for reason in sorted(allowed):
                counts[(kind, reason)] = 0
            counts[(kind, "other")] = 0
            value = Event.data[field].as_string()
            for reason, n in session.execute(
                select(value, func.count()).where(Event.kind == kind).group_by(value)
            ):
                label = reason if reason in allowed else "other"
                counts[(kind, label)] += n
        for (kind, reason), n in counts.items():
            security.add_metric([kind, reason], n)
        return security

    def collect(self) -> Iterator[Metric]:
        """Called by prometheus_client on each scrape."""
        now = utcnow()
        with session_scope(self.runtime.sessions) as session:
            docs = GaugeMetricFamily(
                "edigw_documents",
                "Documents (transactions) by partner, type, direction and state.",
                labels=["partner", "document_type", "direction", "state"],
            )
            for partner, dtype, direction, state, n in session.execute(
                select(
                    Transaction.partner_id,
                    func.coalesce(Transaction.document_type, Transaction.set_id),
                    Transaction.direction,
                    Transaction.state,
                    func.count(),
                ).group_by(
                    Transaction.partner_id,
                    func.coalesce(Transaction.document_type, Transaction.set_id),
                    Transaction.direction,
                    Transaction.state,
                )
            ):
                docs.add_metric([partner or "", dtype or "", direction, state], n)
            yield docs

            msgs = GaugeMetricFamily(
                "edigw_messages", "Received and sent files by state.", labels=["direction", "state"]
            )
            for direction, message_state, n in session.execute(
                select(Message.direction, Message.state, func.count()).group_by(
                    Message.direction, Message.state
                )
            ):
                msgs.add_metric([direction, message_state], n)
            yield msgs

            yield from self._latency(session, now)

            yield self._security(session)

            retries = CounterMetricFamily(
                "edigw_stage_retries",
                "Stage attempts that ended in a retry, by stage.",
                labels=["stage"],
            )
            for stage, n in session.execute(
                select(StageAttempt.stage, func.count())
                .where(StageAttempt.outcome == "retry")
                .group_by(StageAttempt.stage)
            ):
                retries.add_metric([stage], n)
            yield retries

            dead = GaugeMetricFamily(
                "edigw_dead_letters",
                "Documents and acknowledgements that gave up (failed) and wait for an operator.",
                labels=["kind"],
            )
            dead.add_metric(
                ["transaction"],
                session.scalar(
                    select(func.count())
                    .select_from(Transaction)
                    .where(Transaction.state == TransactionState.FAILED)
                )
                or 0,
            )
            dead.add_metric(
                ["acknowledgement"],
                session.scalar(
                    select(func.count())
                    .select_from(Acknowledgement)
                    .where(Acknowledgement.state == AckState.FAILED)
                )
                or 0,
            )
            yield dead
            yield self._overdue(session)
            yield self._mdns_overdue(session)

            overdue = GaugeMetricFamily(
                "edigw_acknowledgements_overdue",
                f"Outbound acknowledgements queued or failed for more than "
                f"{int(ACK_OVERDUE_AFTER.total_seconds() // 60)} minutes.",
                labels=["partner"],
            )
            for partner, n in session.execute(
                select(Acknowledgement.partner_id, func.count())
                .where(
                    Acknowledgement.direction == "out",
                    Acknowledgement.state.in_((AckState.QUEUED, AckState.FAILED)),
                    Acknowledgement.created_at < now - ACK_OVERDUE_AFTER,
                )
                .group_by(Acknowledgement.partner_id)
            ):
                overdue.add_metric([partner or ""], n)
            yield overdue

        depth = queue_depth(self.runtime)
        if depth is not None:
            queue = GaugeMetricFamily(
                "edigw_queue_depth", "Tasks waiting in the broker queue.", labels=["queue"]
            )
            queue.add_metric([self.runtime.settings.queue_name], depth)
            yield queue

        yield self._certificates(now)

    def _latency(self, session: Any, now: dt.datetime) -> Iterator[Metric]:
        rows = session.execute(
            select(StageAttempt.stage, StageAttempt.started_at, StageAttempt.finished_at)
            .where(
                StageAttempt.finished_at.is_not(None),
                StageAttempt.started_at >= now - LATENCY_WINDOW,
            )
            .order_by(StageAttempt.id.desc())
            .limit(MAX_ATTEMPTS_SCANNED)
        )
        per_stage: dict[str, list[float]] = {}
        for stage, started, finished in rows:
            seconds = max(0.0, (_aware(finished) - _aware(started)).total_seconds())
            per_stage.setdefault(stage, []).append(seconds)
        hist = HistogramMetricFamily(
            "edigw_stage_duration_seconds",
            "Stage run time over the last day, from the stage attempt rows.",
            labels=["stage"],
        )
        for stage, values in sorted(per_stage.items()):
            buckets = [(str(b), float(sum(1 for v in values if v <= b))) for b in LATENCY_BUCKETS]
            buckets.append(("+Inf", float(len(values))))
            hist.add_metric([stage], buckets, sum_value=sum(values))
        yield hist

    def _certificates(self, now: dt.datetime) -> Metric:
        gauge = GaugeMetricFamily(
            "edigw_certificate_days_left",
            "Days until each partner AS2 certificate expires (negative: expired).",
            labels=["partner", "file"],
        )
        try:
            profiles = partner_profiles(self.runtime)
        except Exception:  # profiles that do not load are reported by readyz, not here
            return gauge
        for profile in profiles.values():
            for cert in certificate_status(profile, now):
                if cert.get("days_left") is not None:
                    gauge.add_metric([profile.id, cert["file"]], cert["days_left"])
        return gauge


def metrics_registry(runtime: Runtime) -> CollectorRegistry:
    """A registry of its own (not the process-global one) holding the store collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(runtime))
    registry.register(BusinessCollector(runtime))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The text exposition format."""
    return generate_latest(registry)
