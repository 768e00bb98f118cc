"""The dry run: what the gateway would do in Odoo, when no Odoo is configured.

:class:`DryRunOdoo` answers every call from an in-memory imitation of Odoo
(:mod:`gateway.odoo.memory`), kept in ``<dry_run_dir>/state.json`` so that a purchase
order delivered in one run is found by the ship notice delivered in the next. Lookups of
master data that a fresh database cannot have (the vendor, products by vendor part or
barcode, units) are answered with plausible synthetic records, created on first use.

Every call is written as one JSON line to ``<dry_run_dir>/<partner>_<type>_<key>.jsonl``
(one file per delivered document): the named call, its JSON-RPC ``execute_kw`` form and
the answer. That file is what the demo shows.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateway.odoo.api import OdooApi, Values
from gateway.odoo.client import to_execute_kw
from gateway.odoo.dialect import OdooDialect
from gateway.odoo.errors import error_from_fault
from gateway.odoo.memory import MemoryOdoo, OdooFault

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


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
        self._lock = threading.Lock()
        if self._state_file.is_file():
            self.memory = MemoryOdoo.load(json.loads(self._state_file.read_text()))
        else:
            self.memory = MemoryOdoo(major)
        # fields of optional modules are detected, as the client does on a real server
        self._dialect = OdooDialect(
            major=self.memory.major, server_version="dry-run", reader=self._fields_present
        )
        self._current = self.out_dir / "calls.jsonl"

    def _fields_present(self, model: str, names: list[str]) -> set[str]:
        return set(names) & set(self.memory.schema.get(model, {}))

    @property
    def dialect(self) -> OdooDialect:
        return self._dialect

    def describe(self) -> str:
        return f"dry run (no Odoo configured), calls written to {self.out_dir}"

    def begin_document(self, key: str) -> None:
        """Start the call file of one delivered document (a new attempt starts it afresh)."""
        name = _UNSAFE.sub("_", key.replace(":", "_")).strip("_")[:150] or "document"
        self._current = self.out_dir / f"{name}.jsonl"
        self._current.write_text("")

    def record_plan(self, plan: Values) -> None:
        """Write the delivery's decision (its plan) into the document's call file."""
        with self._lock, self._current.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"plan": plan}, default=str) + "\n")

    @property
    def current_file(self) -> Path:
        """The file the calls are being written to."""
        return self._current

    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: Values | None = None,
        context: Values | None = None,
    ) -> Any:
        args, kwargs = to_execute_kw(method, ids, params, context)
        with self._lock:
            try:
                self._synthesize(model, method, ids, params or {})
                result = self.memory.execute_kw(model, method, args, kwargs)
            except OdooFault as fault:
                self._record(model, method, ids, params, context, args, kwargs, error=fault)
                raise error_from_fault(
                    fault.name, fault.message, context=f"{model}.{method}"
                ) from None
            self._record(model, method, ids, params, context, args, kwargs, result=result)
            if method not in ("search_read", "search", "read", "search_count", "fields_get"):
                # write-then-rename: a reader (another worker) never sees half a file
                partial = self._state_file.with_suffix(".json.tmp")
                partial.write_text(json.dumps(self.memory.dump()))
                partial.replace(self._state_file)
        return result

    def _record(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None,
        params: Values | None,
        context: Values | None,
        args: list[Any],
        kwargs: Values,
        *,
        result: Any = None,
        error: OdooFault | None = None,
    ) -> None:
        line: Values = {
            "model": model,
            "method": method,
            "ids": list(ids) if ids is not None else None,
            "params": params or {},
            "context": context or {},
            "execute_kw": {"args": args, "kwargs": kwargs},
        }
        if error is not None:
            line["error"] = {"name": error.name, "message": error.message}
        else:
            line["answer"] = result
        with self._current.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, default=str) + "\n")

    # ---- synthetic master data -------------------------------------------------------
    def _synthesize(
        self, model: str, method: str, ids: Sequence[int] | None, params: Values
    ) -> None:
        memory = self.memory
        if method == "read" and model == "res.partner" and ids:
            for record_id in ids:
                if record_id not in memory.tables["res.partner"]:
                    memory.tables["res.partner"][record_id] = {
                        "id": record_id,
                        "name": f"Vendor {record_id} (dry run)",
                        "supplier_rank": 1,
                        "is_company": True,
                    }
            return
        if method != "search_read":
            return
        domain = params.get("domain") or []
        if memory.search(model, domain):
            return
        equal = {
            leaf[0]: (leaf[2][0] if leaf[1] == "in" and leaf[2] else leaf[2])
            for leaf in domain
            if isinstance(leaf, list) and len(leaf) == 3 and leaf[1] in ("=", "in")
        }
        if model == "res.partner" and "ref" in equal:
            if "id" in equal:
                return  # a known partner's own reference: nothing to make up
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
                return
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
            if field is not None:
                memory.create(
                    "product.product",
                    {
                        "name": f"Item {equal[field]} (dry run)",
                        field: equal[field],
                        **self._dialect.storable_product_values(),
                    },
                )
