"""The hash chain of the audit trail: which chain an event belongs to and how it is hashed.

Pure functions only (no database): the store's write hook, ``edi-gateway audit verify``,
the auditor export and the migration that back-filled old rows all use these, so the
format is defined in exactly one place.

Each event row carries ``chain``, ``seq`` (1, 2, ... within its chain), ``prev_hash`` (the
``hash`` of the chain's previous row, or :data:`GENESIS` for the first) and
``hash = SHA-256(prev_hash + "\\n" + canonical content)``. Changing any field of a row
changes its hash; removing or inserting a row breaks the next row's ``prev_hash`` link and
the ``seq`` run.

Chains are per document: every event of one received (or sent) payload and the
transactions in it shares the payload's correlation id and so one chain. Events without a
correlation id fall back to their transaction, message or partner, and the rest (operator
actions such as API-key changes) form the ``gateway`` chain. See docs/operations.md for why
the chain is per document and not one global chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64
"""``prev_hash`` of the first row of every chain."""

CONTENT_FIELDS = (
    "chain",
    "seq",
    "at",
    "actor",
    "kind",
    "partner_id",
    "message_id",
    "interchange_id",
    "transaction_id",
    "state_from",
    "state_to",
    "detail",
    "data",
    "correlation_id",
)
"""What the hash covers (everything but the database-assigned id and the hashes)."""


def chain_key(
    *,
    correlation_id: str | None,
    transaction_id: int | None,
    message_id: int | None,
    partner_id: str | None,
) -> str:
    """The chain an event is appended to (at most 128 characters)."""
    if correlation_id:
        return f"doc:{correlation_id}"
    if transaction_id is not None:
        return f"txn:{transaction_id}"
    if message_id is not None:
        return f"msg:{message_id}"
    if partner_id:
        return f"partner:{partner_id}"[:128]
    return "gateway"


def canonical_time(value: dt.datetime | str | None) -> str | None:
    """UTC, microseconds, ``Z``: the same text whatever the database gave back.

    SQLite returns the naive UTC time the gateway wrote, PostgreSQL an aware one in the
    session's time zone; both become e.g. ``2026-12-04T19:20:00.123456Z``.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def canonical_content(row: Mapping[str, Any]) -> str:
    """The row's content as canonical JSON (sorted keys, no spaces, UTF-8 text).

    ``row`` maps the :data:`CONTENT_FIELDS` to their values as written or as read back.
    """
    content = {
        "chain": _text(row["chain"]),
        "seq": _int(row["seq"]),
        "at": canonical_time(row["at"]),
        "actor": _text(row["actor"]),
        "kind": _text(row["kind"]),
        "partner_id": _text(row["partner_id"]),
        "message_id": _int(row["message_id"]),
        "interchange_id": _int(row["interchange_id"]),
        "transaction_id": _int(row["transaction_id"]),
        "state_from": _text(row["state_from"]),
        "state_to": _text(row["state_to"]),
        "detail": _text(row["detail"]) or "",
        "data": row["data"] if row["data"] is not None else {},
        "correlation_id": _text(row["correlation_id"]),
    }
    try:
        return _CANONICAL.encode(content)
    except TypeError:
        # keys of mixed types: normalise the way the JSON column stores them
        content["data"] = json.loads(json.dumps(content["data"], default=str))
        return _CANONICAL.encode(content)


# one encoder for every row (``json.dumps`` with options builds a new one per call):
# the same text as ``json.dumps(..., sort_keys=True, separators=(",", ":"),
# ensure_ascii=False)``
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash: str, content: str) -> str:
    """SHA-256 (hex) of the previous row's hash and this row's canonical content."""
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash a row with this content and predecessor must carry."""
    return link_hash(prev_hash, canonical_content(row))
