"""The message store's tables.

Lineage runs message → interchange → group → transaction → document → delivery, each
row pointing at its parent, so "what happened to this file?" is one query. Every state
change is also an append-only :class:`Event` row (who, what, when, correlation id).

The schema itself is owned by the Alembic migrations in ``gateway/migrations``; these
classes must match them (a test compares the two).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from gateway.states import (
    FINAL_TRANSACTION_STATES,
    AckState,
    AsyncMdnState,
    DecisionState,
    ExceptionState,
    InterchangeState,
    MessageState,
    NotificationState,
    OrderCycle,
    TransactionState,
)

__all__ = [  # the state enums are re-exported: long imported from here
    "FINAL_TRANSACTION_STATES",
    "MessageState",
    "TransactionState",
]


def utcnow() -> dt.datetime:
    """Timezone-aware now; every timestamp in the store is UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of the store."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class StateColumn(TypeDecorator[Any]):
    """A state column: stored as the plain string it always was (a VARCHAR, no database
    enum or CHECK), read back as the machine's str-enum (:mod:`gateway.states`)."""

    impl = String
    cache_ok = True

    def __init__(self, states: type[enum.StrEnum], length: int) -> None:
        super().__init__(length)
        self.states = states

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        # filters may compare with any text (an unknown one simply matches nothing)
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Any) -> enum.StrEnum | None:
        return None if value is None else self.states(value)


class Payload(Base):
    """Raw bytes, content-addressed: stored once however often they arrive."""

    __tablename__ = "payloads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    storage: Mapped[str] = mapped_column(String(16))  # "file" | "database"
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Message(Base):
    """One payload as received from (or sent to) a transport."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), default="in")  # "in" | "out"
    transport: Mapped[str] = mapped_column(String(16))
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    payload_sha256: Mapped[str] = mapped_column(ForeignKey("payloads.sha256"))
    raw_sha256: Mapped[str | None] = mapped_column(String(64))  # whole AS2 request etc.
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    syntax: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[MessageState] = mapped_column(
        StateColumn(MessageState, 16), default=MessageState.RECEIVED, index=True
    )
    error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(255))
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    correlation_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    interchanges: Mapped[list[Interchange]] = relationship(back_populates="message")

    __table_args__ = (Index("ix_messages_dedupe", "partner_id", "transport", "dedupe_key"),)


class Interchange(Base):
    """One ISA..IEA / UNB..UNZ found in a message."""

    __tablename__ = "interchanges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3), default="in")
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    syntax: Mapped[str] = mapped_column(String(8))
    sender_qualifier: Mapped[str] = mapped_column(String(8), default="")
    sender_id: Mapped[str] = mapped_column(String(64))
    receiver_qualifier: Mapped[str] = mapped_column(String(8), default="")
    receiver_id: Mapped[str] = mapped_column(String(64))
    control_number: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32), default="")
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    start: Mapped[int] = mapped_column(BigInteger, default=0)
    end: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[InterchangeState] = mapped_column(
        StateColumn(InterchangeState, 24), default=InterchangeState.RECEIVED
    )
    ack_status: Mapped[str | None] = mapped_column(String(24))
    issues: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # unique per sender and control number while not a duplicate: the duplicate check
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    # what acknowledging and translating need beyond the rows, recorded at split so the
    # interchange is parsed once (gateway.pipeline.stored); None for older rows
    envelope: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    message: Mapped[Message] = relationship(back_populates="interchanges")
    groups: Mapped[list[FunctionalGroup]] = relationship(back_populates="interchange")


class FunctionalGroup(Base):
    """One GS..GE / UNG..UNE (or the implicit EDIFACT group)."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interchange_id: Mapped[int] = mapped_column(ForeignKey("interchanges.id"), index=True)
    functional_id: Mapped[str | None] = mapped_column(String(8))
    sender_id: Mapped[str] = mapped_column(String(64), default="")
    receiver_id: Mapped[str] = mapped_column(String(64), default="")
    control_number: Mapped[str] = mapped_column(String(32), default="")
    version: Mapped[str] = mapped_column(String(32), default="")
    issues: Mapped[list[Any]] = mapped_column(JSON, default=list)

    interchange: Mapped[Interchange] = relationship(back_populates="groups")
    transactions: Mapped[list[Transaction]] = relationship(back_populates="group")


class Transaction(Base):
    """One ST..SE / UNH..UNT and its way through the pipeline."""

    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    interchange_id: Mapped[int] = mapped_column(ForeignKey("interchanges.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3), default="in")
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    set_id: Mapped[str] = mapped_column(String(16))
    document_type: Mapped[str | None] = mapped_column(String(32), index=True)
    control_number: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32), default="")
    business_key: Mapped[str | None] = mapped_column(String(128), index=True)
    state: Mapped[TransactionState] = mapped_column(
        StateColumn(TransactionState, 24), default=TransactionState.RECEIVED, index=True
    )
    ack_status: Mapped[str | None] = mapped_column(String(24))
    start: Mapped[int] = mapped_column(BigInteger, default=0)
    end: Mapped[int] = mapped_column(BigInteger, default=0)
    issues: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    correlation_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, index=True
    )

    group: Mapped[FunctionalGroup] = relationship(back_populates="transactions")


class Document(Base):
    """The canonical document a transaction was translated into (latest translation)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # unique: also the sentinel that lets a flush insert many documents in one statement
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("transactions.id"), unique=True, insert_sentinel=True
    )
    document_type: Mapped[str] = mapped_column(String(32))
    business_key: Mapped[str] = mapped_column(String(128), index=True)
    map_name: Mapped[str] = mapped_column(String(255), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(Base):
    """Which Odoo records a document became: the exactly-once ledger."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), index=True)
    partner_id: Mapped[str] = mapped_column(String(64))
    document_type: Mapped[str] = mapped_column(String(32))
    business_key: Mapped[str] = mapped_column(String(128))
    target: Mapped[str] = mapped_column(String(16), default="odoo")  # "odoo" | "dry-run"
    records: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{model, id, name}]
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("partner_id", "document_type", "business_key", name="uq_delivery_key"),
    )


class CustomerItem(Base):
    """A customer's own item number for one of our products (``edi-gateway xref import``).

    Odoo Community has no ``product.customerinfo``, so the gateway keeps the table: a
    customer's 850 line that carries only its part number (BP / IN) is found through it.
    ``our_item`` is our ``default_code`` or our GTIN (``kind``) for the product.
    """

    __tablename__ = "customer_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_part: Mapped[str] = mapped_column(String(64))
    our_item: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # "default_code" | "gtin"
    line_number: Mapped[int] = mapped_column(Integer)  # its line in the imported file
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("partner_id", "customer_part", name="uq_customer_item_part"),
    )


class DeliveryDecision(Base):
    """A delivery's plan, stored before its first Odoo write (see docs/odoo.md).

    ``recorded``: decided, maybe partly carried out; a retry replays it instead of
    deciding again. ``applied``: the outcome is recorded. ``abandoned``: the delivery
    failed for good; an operator's replay decides afresh.
    """

    __tablename__ = "delivery_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), index=True)
    delivery_key: Mapped[str] = mapped_column(String(255))
    target: Mapped[str] = mapped_column(String(16))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[DecisionState] = mapped_column(
        StateColumn(DecisionState, 16), default=DecisionState.RECORDED
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Acknowledgement(Base):
    """A 997/999/TA1/CONTRL we sent or received, linked to what it acknowledges."""

    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "out" (we sent) | "in" (received)
    kind: Mapped[str] = mapped_column(String(8))
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    interchange_id: Mapped[int | None] = mapped_column(ForeignKey("interchanges.id"), index=True)
    acknowledged_control_number: Mapped[str] = mapped_column(String(32), default="")
    control_number: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(24))  # accepted / rejected / ...
    payload_sha256: Mapped[str | None] = mapped_column(ForeignKey("payloads.sha256"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    state: Mapped[AckState] = mapped_column(StateColumn(AckState, 16), default=AckState.QUEUED)
    transport: Mapped[str | None] = mapped_column(String(16))
    transport_ref: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class BusinessException(Base):
    """A business problem procurement staff must look at (not a technical failure)."""

    __tablename__ = "business_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # what it is about: a transaction we received, or an order we sent (one of the two)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), index=True)
    outbound_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbound_orders.id"), index=True
    )
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    line_number: Mapped[str | None] = mapped_column(String(32))
    expected: Mapped[str | None] = mapped_column(Text)
    received: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[ExceptionState] = mapped_column(
        StateColumn(ExceptionState, 16), default=ExceptionState.OPEN, index=True
    )
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # routing (gateway/exception_policy.py, the profile's exceptions.routes)
    owner_group: Mapped[str | None] = mapped_column(String(64), index=True)
    assignee: Mapped[str | None] = mapped_column(String(128), index=True)
    severity: Mapped[str | None] = mapped_column(String(8))
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """One message about a business exception to people: e-mail, webhook or Odoo activity.

    Sent by the ``notify`` stage, retried by the runner like any stage; ``failed`` after
    the last retry (a dead letter an operator can look at).
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exception_id: Mapped[int] = mapped_column(ForeignKey("business_exceptions.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook | odoo_activity
    target: Mapped[str] = mapped_column(String(512))  # addresses, URL, Odoo user login
    state: Mapped[NotificationState] = mapped_column(
        StateColumn(NotificationState, 16), default=NotificationState.QUEUED, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Event(Base):
    """Append-only audit trail: every state change and notable action.

    Chained by hash per document (see :mod:`gateway.store.chain`); database triggers
    refuse UPDATE and DELETE (migration 0003), the ORM hooks in ``audit.py`` likewise.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128), default="system")
    kind: Mapped[str] = mapped_column(String(48), index=True)
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    message_id: Mapped[int | None] = mapped_column(Integer, index=True)
    interchange_id: Mapped[int | None] = mapped_column(Integer)
    transaction_id: Mapped[int | None] = mapped_column(Integer, index=True)
    state_from: Mapped[str | None] = mapped_column(String(24))
    state_to: Mapped[str | None] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    correlation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # the hash chain (gateway/store/chain.py); filled in by the store when the row is written
    chain: Mapped[str] = mapped_column(String(128))
    seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # unique per row and set before the INSERT: the ORM matches the rows RETURNING gives
    # back by it, so a flush's events go in as one statement (SQLite otherwise gets one
    # INSERT per row; issue 21)
    hash: Mapped[str] = mapped_column(String(64), insert_sentinel=True)

    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_events_chain_seq"),)


class AuditChainHead(Base):
    """The newest link of each audit chain: its row lock serialises appends to the chain."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(128), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class StageAttempt(Base):
    """One try of one pipeline stage (for retries, latency metrics and debugging)."""

    __tablename__ = "stage_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), index=True)
    subject_id: Mapped[int] = mapped_column(Integer, index=True)  # id the task carried
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16), default="running")  # ok/retry/failed/...
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(128))


class Counter(Base):
    """Per-partner control number counters for what we send."""

    __tablename__ = "counters"

    partner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class PendingMdn(Base):
    """An AS2 message we sent that waits for its asynchronous MDN."""

    __tablename__ = "as2_pending_mdns"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    mic: Mapped[str] = mapped_column(String(255))
    mic_algorithm: Mapped[str] = mapped_column(String(16))
    mdn_signed: Mapped[bool] = mapped_column(Boolean, default=True)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    settled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))  # "delivered" | "failed"


class AsyncMdn(Base):
    """An asynchronous MDN we owe a partner, sent by the ``send_mdn`` stage."""

    __tablename__ = "as2_async_mdns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    original_message_id: Mapped[str] = mapped_column(String(255))  # the AS2 Message-ID
    url: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body_sha256: Mapped[str] = mapped_column(ForeignKey("payloads.sha256"))
    state: Mapped[AsyncMdnState] = mapped_column(
        StateColumn(AsyncMdnState, 16), default=AsyncMdnState.QUEUED, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ApiKey(Base):
    """Console/API credentials, stored hashed, each with one role."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # admin/onboarding/operator/viewer
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OutboundOrder(Base):
    """A document we send (an Odoo purchase order as 850/ORDERS) and its cycle.

    One row per partner and Odoo record. The written bytes and their control numbers are
    fixed when the row is queued, so a resend after a crash sends the same interchange
    under the same control number (the partner's duplicate check sees it as such).
    """

    __tablename__ = "outbound_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    document_type: Mapped[str] = mapped_column(String(32), default="purchase_order")
    odoo_model: Mapped[str] = mapped_column(String(64), default="purchase.order")
    odoo_id: Mapped[int] = mapped_column(Integer)
    odoo_write_date: Mapped[str | None] = mapped_column(String(32))
    business_key: Mapped[str] = mapped_column(String(64), index=True)  # the PO number
    state: Mapped[OrderCycle] = mapped_column(
        StateColumn(OrderCycle, 16), default=OrderCycle.QUEUED, index=True
    )
    syntax: Mapped[str] = mapped_column(String(8))
    set_id: Mapped[str] = mapped_column(String(8))
    map_name: Mapped[str] = mapped_column(String(128))
    transport: Mapped[str] = mapped_column(String(16))
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    interchange_control: Mapped[str] = mapped_column(String(16), default="")
    group_control: Mapped[str] = mapped_column(String(16), default="")
    transaction_control: Mapped[str] = mapped_column(String(16), default="")
    payload_sha256: Mapped[str | None] = mapped_column(ForeignKey("payloads.sha256"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # canonical JSON
    document_hash: Mapped[str] = mapped_column(String(64), default="")
    transport_ref: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    timeline: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # step -> ISO time
    overdue_raised: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes_pending: Mapped[list[str]] = mapped_column(JSON, default=list)  # chatter lines
    correlation_id: Mapped[str] = mapped_column(String(36), index=True)
    requested_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        UniqueConstraint("partner_id", "odoo_model", "odoo_id", name="uq_outbound_odoo_record"),
        Index("ix_outbound_orders_controls", "partner_id", "interchange_control"),
    )


class OutboundChange(Base):
    """A change or cancellation of an order we sent (860/ORDCHG) and where it stands.

    One row per change, numbered per order (``revision`` 1, 2, ...). Like the order
    itself, the bytes and control numbers are fixed when the row is written, in the same
    transaction that moves the order's baseline (``OutboundOrder.document``) on: a resend
    after a crash sends the same interchange, and a poll after the crash finds nothing
    new to tell the supplier.
    """

    __tablename__ = "outbound_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbound_order_id: Mapped[int] = mapped_column(ForeignKey("outbound_orders.id"), index=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(8))  # change | cancel
    state: Mapped[OrderCycle] = mapped_column(
        StateColumn(OrderCycle, 16), default=OrderCycle.QUEUED, index=True
    )
    syntax: Mapped[str] = mapped_column(String(8))
    set_id: Mapped[str] = mapped_column(String(8))
    map_name: Mapped[str] = mapped_column(String(128))
    interchange_control: Mapped[str] = mapped_column(String(16), default="")
    group_control: Mapped[str] = mapped_column(String(16), default="")
    transaction_control: Mapped[str] = mapped_column(String(16), default="")
    payload_sha256: Mapped[str | None] = mapped_column(ForeignKey("payloads.sha256"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the change order
    summary: Mapped[list[str]] = mapped_column(JSON, default=list)  # what changed, in words
    transport_ref: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        UniqueConstraint("outbound_order_id", "revision", name="uq_outbound_change_revision"),
        Index("ix_outbound_changes_controls", "partner_id", "interchange_control"),
    )


class OutboundCursor(Base):
    """How far the poll has read one Odoo model for one partner (``write_date``)."""

    __tablename__ = "outbound_cursors"

    partner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    odoo_model: Mapped[str] = mapped_column(String(64), primary_key=True)
    write_date: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
