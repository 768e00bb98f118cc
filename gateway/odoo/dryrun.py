"""The dry run: what the gateway would do in Odoo, when no Odoo is configured.

:class:`DryRunOdoo` answers every call from an in-memory imitation of Odoo
(:mod:`gateway.odoo.memory`). Lookups of master data that a fresh database cannot have
(the vendor, products by vendor part or barcode, units) are answered with plausible
synthetic records, created on first use.

Every call is written as one JSON line to ``<dry_run_dir>/<partner>_<type>_<key>.jsonl``
(one file per delivered document): the named call, its JSON-RPC ``execute_kw`` form and
the answer. That file is what the demo shows.

The imitation's state outlives the process, so that a purchase order delivered in one
run is found by the ship notice delivered in the next: ``state.json`` is a snapshot,
and ``state.journal`` the calls that changed the state since (writes, and lookups
that made up a record), each with the time it was made. Opening the outbox loads the
snapshot, replays the journal on it and folds the two into a new snapshot. A call costs
one appended line, not a rewrite of every record (the snapshot is written again only
when the journal outgrows it). Processes sharing an outbox (the worker, an inline
``ingest``) take turns on ``state.lock`` and replay each other's lines before each call,
so each sees what the others wrote.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path
from typing import IO, Any

from gateway.odoo.api import OdooApi, Values
from gateway.odoo.client import _POSITIONAL, to_execute_kw
from gateway.odoo.dialect import OdooDialect
from gateway.odoo.errors import error_from_fault
from gateway.odoo.memory import MemoryOdoo, OdooFault
from gateway.odoo.memory.orm import clock_at, now_text
from gateway.odoo.memory.table import Table

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: methods that change nothing: not journaled (unless the lookup made up a record)
_READS = frozenset({"search_read", "search", "read", "search_count", "fields_get"})
#: the models whose records a lookup that finds nothing makes up (``_synthesize``)
_MADE_UP = frozenset(
    {"res.partner", "res.currency", "uom.uom", "product.supplierinfo", "product.product"}
)
#: lookups of these models are answered again from the answer kept for the same call,
#: while no table they can read from has changed (``DryRunOdoo._kept``): the vendor,
#: product and unit lookups each document repeats; the call is still written out
_KEPT_MODELS = frozenset(
    {"res.partner", "res.currency", "uom.uom", "product.supplierinfo", "product.product"}
)
#: the lookups whose answers are kept (records only: ``fields_get`` answers from the
#: schema, which has no change count)
_KEPT_METHODS = frozenset({"search_read", "read", "search", "search_count"})
#: at most this many kept answers (then they are dropped and kept afresh)
_KEPT_MAX = 4096
#: the snapshot is written again when the journal grows past the larger of this and the
#: snapshot's own size (so rewriting it costs at most about as much as the lines did)
_COMPACT_BYTES = 1 << 20


#: the journal before it is opened
_CLOSED: IO[bytes] = io.BytesIO()
_CLOSED.close()


#: the C encoder ``json.dumps(value, default=str)`` runs, called without the Python
#: layers around it (a call's parts are encoded one by one: this is most of their cost)
_encoder = c_make_encoder(None, str, encode_basestring_ascii, None, ": ", ", ", False, False, True)


def _json(value: Any) -> str:
    """``json.dumps(value, default=str)``."""
    return "".join(_encoder(value, 0))


if c_make_encoder is None:  # pragma: no cover - a Python without the C accelerator
    _json = json.JSONEncoder(default=str).encode  # type: ignore[assignment]


def _encode(entry: Values) -> bytes:
    return (_json(entry) + "\n").encode()


#: names (models, methods, parameters) as JSON strings: the same few, again and again
_NAMES: dict[str, str] = {}


def _name(name: str) -> str:
    text = _NAMES.get(name)
    if text is None:
        text = _json(name)
        if len(_NAMES) < 4096:
            _NAMES[name] = text
    return text


def _object(pairs: Sequence[tuple[str, str]]) -> str:
    """A JSON object from already encoded values (as ``json.dumps`` writes it)."""
    return "{" + ", ".join([f"{_name(name)}: {value}" for name, value in pairs]) + "}"


class _Call:
    """One call's parts, each encoded to JSON once: its named form and its ``execute_kw``
    form (``to_execute_kw``) share every parameter's text, and a write's journal line
    reuses them. The lines are the text ``json.dumps`` writes for the dicts they stand
    for (``tests/odoo/test_dryrun_lines.py``)."""

    __slots__ = ("args", "head", "kwargs")

    def __init__(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None,
        params: Values | None,
        context: Values | None,
    ) -> None:
        named = [(name, _json(value)) for name, value in (params or {}).items()]
        ids_text = "null" if ids is None else _json(list(ids))
        args = [] if ids is None else [ids_text]
        remaining = dict(named)
        for name in _POSITIONAL.get(method, ()):  # as to_execute_kw splits them
            if name not in remaining:
                break
            args.append(remaining.pop(name))
        context_text = _json(context) if context else "{}"
        if context:
            remaining["context"] = context_text
        self.args = "[" + ", ".join(args) + "]"
        self.kwargs = _object(list(remaining.items()))
        self.head = (
            f'{{"model": {_name(model)}, "method": {_name(method)}, "ids": {ids_text}, '
            f'"params": {_object(named)}, "context": {context_text}, '
            f'"execute_kw": {{"args": {self.args}, "kwargs": {self.kwargs}}}'
        )

    def line(self, name: str, value: Any) -> bytes:
        """The call file's line: the call and its ``answer`` (or ``error``)."""
        return self.line_with(name, _json(value))

    def line_with(self, name: str, text: str) -> bytes:
        """The call file's line, with the answer already encoded."""
        return f'{self.head}, "{name}": {text}}}\n'.encode()

    def journal(self, at: str, model: str, method: str) -> bytes:
        """The journal's line of a write: replayed as it was asked."""
        return (
            f'{{"at": {_json(at)}, "call": [{_name(model)}, {_name(method)}, '
            f"{self.args}, {self.kwargs}]}}\n"
        ).encode()


class DryRunOdoo(OdooApi):
    """An Odoo that only records: see the module docstring."""

    #: its taxes are made up, so a bill's tax and total are not compared in a dry run
    computes_taxes = False
    #: its units are made up on first use (every one of size 1): pack sizes not compared
    knows_units = False
    #: so are its products and pricelists: a customer order's prices are not compared
    knows_prices = False

    def __init__(self, out_dir: Path, *, major: int = 17) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._state_file = self.out_dir / "state.json"
        self._journal_file = self.out_dir / "state.journal"
        self._journal_name = str(self._journal_file)  # stat before every call: no Path
        self._lock = threading.Lock()
        self._lock_file = (self.out_dir / "state.lock").open("a")
        self._local = threading.local()  # each delivering thread's call file
        self._major = major
        self._journal: IO[bytes] = _CLOSED
        #: answers kept for repeated lookups: the call's text -> (its sources' versions,
        #: the answer's text); see _sources
        self._kept: dict[str, tuple[tuple[int, ...], str]] = {}
        self._source_names: dict[str, tuple[str, ...] | None] = {}
        self._source_tables: dict[tuple[str, ...], tuple[int, list[Table]]] = {}
        with self._shared():
            self._load()
            if self._offset > self._replayed_from:
                self._compact()

    def _fields_present(self, model: str, names: list[str]) -> set[str]:
        return set(names) & set(self.memory.schema.get(model, {}))

    @property
    def dialect(self) -> OdooDialect:
        return self._dialect

    def describe(self) -> str:
        return f"dry run (no Odoo configured), calls written to {self.out_dir}"

    # ---- the call files (one per delivered document) ----------------------------------
    def begin_document(self, key: str) -> None:
        """Start the call file of one delivered document (a new attempt starts it afresh)."""
        name = _UNSAFE.sub("_", key.replace(":", "_")).strip("_")[:150] or "document"
        previous: IO[bytes] | None = getattr(self._local, "out", None)
        if previous is not None:
            previous.close()
        self._local.path = self.out_dir / f"{name}.jsonl"
        # unbuffered: each line is in the file when its call returns (the demo reads the
        # file while the process goes on), in one write
        self._local.out = self._local.path.open("wb", buffering=0)

    def record_plan(self, plan: Values) -> None:
        """Write the delivery's decision (its plan) into the document's call file."""
        self._write_line(_encode({"plan": plan}))

    @property
    def current_file(self) -> Path:
        """The file this thread's calls are being written to."""
        path: Path = getattr(self._local, "path", self.out_dir / "calls.jsonl")
        return path

    def close(self) -> None:
        """Close the open files (the state is already on disk)."""
        out: IO[bytes] | None = getattr(self._local, "out", None)
        if out is not None:
            out.close()
            self._local.out = None
        self._journal.close()
        self._lock_file.close()

    def _write_line(self, line: bytes) -> None:
        """Add one encoded line to this thread's call file."""
        out: IO[bytes] | None = getattr(self._local, "out", None)
        if out is None:  # a call outside any document
            self._local.path = self.current_file
            out = self._local.out = self._local.path.open("ab", buffering=0)
        out.write(line)

    # ---- calls ---------------------------------------------------------------------------
    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: Values | None = None,
        context: Values | None = None,
    ) -> Any:
        encoded = _Call(model, method, ids, params, context)  # before the call: as asked
        at = now_text()  # now, or a clock the caller set (clock_at)
        self._enter()  # (not self._shared(): a generator per call costs more than the lock)
        try:
            self._catch_up()
            sources = self._sources(model) if method in _KEPT_METHODS else None
            kept = self._kept.get(encoded.head) if sources is not None else None
            if kept is not None and kept[0] == self._stamp(sources):
                text = kept[1]
                result = json.loads(text)  # a copy of its own, as a fresh answer is
            else:
                args, kwargs = to_execute_kw(method, ids, params, context)
                try:
                    with clock_at(at):
                        if method == "search_read":
                            # the lookup first: master data is made up only when it finds
                            # nothing (one search, not a search to decide and another)
                            result = self.memory.execute_kw(model, method, args, kwargs)
                            if not result and self._made_up(at, model, method, ids, params):
                                result = self.memory.execute_kw(model, method, args, kwargs)
                        elif method in _READS:
                            self._made_up(at, model, method, ids, params)
                            result = self.memory.execute_kw(model, method, args, kwargs)
                        else:
                            # journaled even when it fails (a fault may follow a partial
                            # change)
                            try:
                                result = self.memory.execute_kw(model, method, args, kwargs)
                            finally:
                                self._append(encoded.journal(at, model, method))
                except OdooFault as fault:
                    error = {"name": fault.name, "message": fault.message}
                    self._write_line(encoded.line("error", error))
                    raise error_from_fault(
                        fault.name, fault.message, context=f"{model}.{method}"
                    ) from None
                text = _json(result)
                if sources is not None:
                    self._keep(encoded.head, sources, text, result)
        finally:
            self._leave()
        self._write_line(encoded.line_with("answer", text))
        return result

    # ---- answers kept for repeated lookups ---------------------------------------------
    def _sources(self, model: str) -> tuple[str, ...] | None:
        """The tables a read of ``model`` can take its answer from: the model and every
        model its fields lead to, transitively (display names, x2many, dotted domain
        paths); None when its answers are not kept (not a lookup model, or a computed
        field on the way, which may read any table)."""
        if model not in _KEPT_MODELS:
            return None
        if model not in self._source_names:
            schema = self.memory.schema
            seen = {model}
            todo = [model]
            while todo:
                current = todo.pop()
                suffix = current.replace(".", "_")
                for name, (_, relation, _) in schema.get(current, {}).items():
                    if hasattr(self.memory, f"_compute_{suffix}__{name}"):
                        self._source_names[model] = None
                        return None
                    if relation and relation not in seen:
                        seen.add(relation)
                        todo.append(relation)
            self._source_names[model] = tuple(sorted(seen))
        return self._source_names[model]

    def _stamp(self, sources: tuple[str, ...] | None) -> tuple[int, ...]:
        """The imitation's generation of tables, then the change counts of the tables
        named ``sources``: equal stamps, same answers."""
        known = self.memory.tables
        if not sources:
            return (known.generation,)
        held = self._source_tables.get(sources)
        if held is None or held[0] != known.generation:
            # first asked, another imitation, or a table put in or taken out since
            held = (known.generation, [known[n] for n in sources if n in known])
            self._source_tables[sources] = held
        return (held[0], *[table.version for table in held[1]])

    def _keep(self, head: str, sources: tuple[str, ...], text: str, result: Any) -> None:
        """Keep an answer for the same call while its sources do not change (only one
        that reads back as it was: JSON has no tuples, decimals or integer keys)."""
        if json.loads(text) != result:
            return
        if len(self._kept) >= _KEPT_MAX:
            self._kept.clear()
        self._kept[head] = (self._stamp(sources), text)

    def _made_up(
        self, at: str, model: str, method: str, ids: Sequence[int] | None, params: Values | None
    ) -> bool:
        """Make up what a lookup asks for (journaled); True when a record was made."""
        if not self._synthesize(model, method, ids, params or {}):
            return False
        self._append(_encode({"at": at, "made_up": [model, method, ids, params]}))
        return True

    # ---- the state: snapshot + journal -------------------------------------------------
    @contextmanager
    def _shared(self) -> Iterator[None]:
        """This thread alone, and this process alone on the outbox's state."""
        self._enter()
        try:
            yield
        finally:
            self._leave()

    def _enter(self) -> None:
        self._lock.acquire()
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise

    def _leave(self) -> None:
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def _load(self) -> None:
        """The snapshot, then every journal line it does not hold yet (lock held)."""
        snapshot: Values = {}
        if self._state_file.is_file():
            snapshot = json.loads(self._state_file.read_text())
            self.memory = MemoryOdoo.load(snapshot)
        else:
            self.memory = MemoryOdoo(self._major)
        self._kept.clear()  # other tables: their versions say nothing about these answers
        self._source_tables.clear()
        # fields of optional modules are detected, as the client does on a real server
        self._dialect = OdooDialect(
            major=self.memory.major, server_version="dry-run", reader=self._fields_present
        )
        self._snapshot_bytes = self._state_file.stat().st_size if snapshot else 0
        self._journal.close()
        if not self._journal_file.exists():
            self._new_journal()
        self._journal = self._journal_file.open("a+b")
        self._journal_id = os.fstat(self._journal.fileno()).st_ino
        self._journal.seek(0)
        header = json.loads(self._journal.readline() or b"{}")
        self._token = str(header.get("journal", ""))
        self._offset = self._journal.tell()
        held = snapshot.get("journal") or {}
        if held.get("token") == self._token and self._token:
            self._offset = max(self._offset, int(held.get("offset", 0)))
        self._replayed_from = self._offset
        self._replay()

    def _catch_up(self) -> None:
        """Replay what other processes appended since this one last looked (lock held)."""
        try:
            current = os.stat(self._journal_name)
        except FileNotFoundError:
            current = None
        if current is None or current.st_ino != self._journal_id:
            self._load()  # folded into a new snapshot by another process, or removed
        elif current.st_size > self._offset:
            self._replay()

    def _replay(self) -> None:
        self._journal.seek(self._offset)
        for raw in self._journal:
            if not raw.endswith(b"\n"):
                break  # a line still being written (a process died in the middle)
            self._offset += len(raw)
            entry = json.loads(raw)
            # a call that failed the first time fails again: what it changed before
            # failing is redone, and the error was reported when it was made
            with clock_at(entry["at"]), suppress(Exception):
                if "made_up" in entry:
                    model, method, ids, params = entry["made_up"]
                    self._synthesize(model, method, ids, params or {})
                else:
                    self.memory.execute_kw(*entry["call"])

    def _append(self, data: bytes) -> None:
        """Add one encoded line to the journal (lock held)."""
        if self._journal.seek(0, os.SEEK_END) != self._offset:
            # the half line of a process that died while writing it: ours replaces it
            self._journal.truncate(self._offset)
        self._journal.write(data)
        self._journal.flush()
        self._offset += len(data)
        if self._offset - self._replayed_from > max(_COMPACT_BYTES, self._snapshot_bytes):
            self._compact()

    def _compact(self) -> None:
        """Write the snapshot (naming the journal lines it holds), then a fresh journal.

        A crash between the two leaves a snapshot that says which lines of the old
        journal it already holds, so none is applied twice."""
        data = self.memory.dump()
        data["journal"] = {"token": self._token, "offset": self._offset}
        text = json.dumps(data)
        partial = self._state_file.with_suffix(".json.tmp")
        partial.write_text(text)
        partial.replace(self._state_file)  # a reader never sees half a file
        self._snapshot_bytes = len(text)
        self._new_journal()
        self._journal.close()
        self._journal = self._journal_file.open("a+b")
        self._journal_id = os.fstat(self._journal.fileno()).st_ino
        self._offset = self._replayed_from = self._journal.tell()
        self._token = self._header_token

    def _new_journal(self) -> None:
        """An empty journal with a header of its own, put in place in one rename."""
        self._header_token = uuid.uuid4().hex
        partial = self._journal_file.with_suffix(".journal.tmp")
        partial.write_bytes(json.dumps({"journal": self._header_token}).encode() + b"\n")
        partial.replace(self._journal_file)

    # ---- synthetic master data -------------------------------------------------------
    def _synthesize(
        self, model: str, method: str, ids: Sequence[int] | None, params: Values
    ) -> bool:
        """Make up the master data a lookup asks for; True when a record was made."""
        memory = self.memory
        if method == "read" and model == "res.partner" and ids:
            made = False
            for record_id in ids:
                if record_id not in memory.tables["res.partner"]:
                    memory.tables["res.partner"][record_id] = {
                        "id": record_id,
                        "name": f"Vendor {record_id} (dry run)",
                        "supplier_rank": 1,
                        "is_company": True,
                    }
                    made = True
            return made
        if method != "search_read" or model not in _MADE_UP:
            return False  # (before the search: most lookups are of other models)
        domain = params.get("domain") or []
        if memory.search(model, domain):
            return False
        equal = {
            leaf[0]: (leaf[2][0] if leaf[1] == "in" and leaf[2] else leaf[2])
            for leaf in domain
            if isinstance(leaf, list) and len(leaf) == 3 and leaf[1] in ("=", "in")
        }
        if model == "res.partner" and "ref" in equal:
            if "id" in equal:
                return False  # a known partner's own reference: nothing to make up
            if "parent_id" in equal:  # a customer's delivery address (ship-to by GLN)
                memory.create(
                    "res.partner",
                    {
                        "name": f"{equal['ref']} (dry run delivery address)",
                        "ref": equal["ref"],
                        "parent_id": equal["parent_id"],
                        "type": equal.get("type", "delivery"),
                    },
                )
                return True
            memory.create(
                "res.partner",
                {
                    "name": f"{equal['ref']} (dry run partner)",
                    "ref": equal["ref"],
                    "is_company": True,
                    "supplier_rank": 1,
                    "customer_rank": 1,
                },
            )
        elif model == "res.currency" and "name" in equal:
            memory._insert("res.currency", {"name": equal["name"], "active": True})
        elif model == "uom.uom" and "name" in equal:
            memory._insert(
                "uom.uom",
                {"name": equal["name"], "category_id": 1, "factor": 1.0, "uom_type": "bigger"},
            )
        elif model == "product.supplierinfo" and {"partner_id", "product_code"} <= set(equal):
            code = str(equal["product_code"])
            product_id = memory.create(
                "product.product",
                {
                    "name": f"Vendor item {code} (dry run)",
                    **self._dialect.storable_product_values(),
                },
            )
            memory.create(
                "product.supplierinfo",
                {"partner_id": equal["partner_id"], "product_id": product_id, "product_code": code},
            )
        elif model == "product.product":
            field = next((f for f in ("barcode", "default_code") if f in equal), None)
            field = field or next((f for f in equal if f in memory.schema[model]), None)
            if field is None:
                return False
            memory.create(
                "product.product",
                {
                    "name": f"Item {equal[field]} (dry run)",
                    field: equal[field],
                    **self._dialect.storable_product_values(),
                },
            )
        else:
            return False
        return True
