"""An in-memory imitation of the Odoo models the gateway touches.

It follows the recorded behaviour of a real Odoo 17 server (``transcript.jsonl``):
confirming a purchase order creates an incoming picking with one move per line;
validating a partial receipt returns the ``stock.backorder.confirmation`` wizard;
lots are created from ``lot_name`` with their expiry date; ``qty_received`` and
``qty_invoiced`` follow receipts and bills; ``action_post`` returns ``False``; ``read``
of a missing id leaves it out; errors carry Odoo's exception names and messages.

Two users: the HTTP test double (``tests/support/odoo_double.py``) serves it over
JSON-RPC / JSON-2, and :class:`gateway.odoo.dryrun.DryRunOdoo` answers the dry run with it.
It is deliberately small: only the fields, domain operators and methods the gateway
uses, with the field names of the Odoo major version it imitates (16, 17, 18, 19).
"""

from __future__ import annotations

import copy
import datetime as dt
import fnmatch
from collections.abc import Callable, Sequence
from typing import Any

Values = dict[str, Any]


class OdooFault(Exception):
    """An error as Odoo reports it: the Python exception's qualified name and message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def user_error(message: str) -> OdooFault:
    return OdooFault("odoo.exceptions.UserError", message)


# ---- schema ------------------------------------------------------------------------
# field -> (type, relation, inverse field for one2many)
F = tuple[str, str | None, str | None]


def _f(kind: str, relation: str | None = None, inverse: str | None = None) -> F:
    return (kind, relation, inverse)


def _schema(major: int) -> dict[str, dict[str, F]]:
    product_fields: dict[str, F] = {
        "name": _f("char"),
        "display_name": _f("char"),
        "default_code": _f("char"),
        "barcode": _f("char"),
        "type": _f("selection"),
        "tracking": _f("selection"),
        "use_expiration_date": _f("boolean"),
        "standard_price": _f("float"),
        "list_price": _f("float"),
        "purchase_ok": _f("boolean"),
        "sale_ok": _f("boolean"),
        "uom_id": _f("many2one", "uom.uom"),
        "active": _f("boolean"),
    }
    if major <= 18:
        product_fields["uom_po_id"] = _f("many2one", "uom.uom")
    if major <= 17:
        product_fields["detailed_type"] = _f("selection")
    else:
        product_fields["is_storable"] = _f("boolean")
    move_qty: dict[str, F] = (
        {"quantity": _f("float"), "picked": _f("boolean")}
        if major >= 17
        else {"quantity_done": _f("float"), "reserved_availability": _f("float")}
    )
    line_qty: dict[str, F] = (
        {"quantity": _f("float"), "picked": _f("boolean")}
        if major >= 17
        else {"qty_done": _f("float"), "reserved_uom_qty": _f("float")}
    )
    return {
        "res.partner": {
            "name": _f("char"),
            "display_name": _f("char"),
            "ref": _f("char"),
            "vat": _f("char"),
            "email": _f("char"),
            "is_company": _f("boolean"),
            "supplier_rank": _f("integer"),
            "active": _f("boolean"),
        },
        "uom.category": {"name": _f("char"), "display_name": _f("char")},
        "uom.uom": {
            "name": _f("char"),
            "display_name": _f("char"),
            "category_id": _f("many2one", "uom.category"),
            "factor": _f("float"),
            "uom_type": _f("selection"),
            "active": _f("boolean"),
        },
        "product.template": {
            **product_fields,
            "product_variant_ids": _f("one2many", "product.product", "product_tmpl_id"),
            "seller_ids": _f("one2many", "product.supplierinfo", "product_tmpl_id"),
        },
        "product.product": {
            **product_fields,
            "product_tmpl_id": _f("many2one", "product.template"),
        },
        "product.supplierinfo": {
            "partner_id": _f("many2one", "res.partner"),
            "product_id": _f("many2one", "product.product"),
            "product_tmpl_id": _f("many2one", "product.template"),
            "product_code": _f("char"),
            "product_name": _f("char"),
            "price": _f("float"),
            "min_qty": _f("float"),
            "display_name": _f("char"),
        },
        "purchase.order": {
            "name": _f("char"),
            "display_name": _f("char"),
            "partner_id": _f("many2one", "res.partner"),
            "partner_ref": _f("char"),
            "origin": _f("char"),
            "state": _f("selection"),
            "date_order": _f("datetime"),
            "date_planned": _f("datetime"),
            "notes": _f("html"),
            "order_line": _f("one2many", "purchase.order.line", "order_id"),
            "amount_untaxed": _f("float"),
            "amount_total": _f("float"),
            "invoice_status": _f("selection"),
            "receipt_status": _f("selection"),
            "invoice_ids": _f("many2many", "account.move"),
            "picking_ids": _f("one2many", "stock.picking", "purchase_id"),
        },
        "purchase.order.line": {
            "order_id": _f("many2one", "purchase.order"),
            "display_name": _f("char"),
            "name": _f("text"),
            "sequence": _f("integer"),
            "product_id": _f("many2one", "product.product"),
            "product_qty": _f("float"),
            ("product_uom_id" if major >= 19 else "product_uom"): _f("many2one", "uom.uom"),
            "price_unit": _f("float"),
            "price_subtotal": _f("float"),
            "date_planned": _f("datetime"),
            "qty_received": _f("float"),
            "qty_invoiced": _f("float"),
            "state": _f("selection"),
            "move_ids": _f("one2many", "stock.move", "purchase_line_id"),
            "invoice_lines": _f("one2many", "account.move.line", "purchase_line_id"),
        },
        "stock.location": {"name": _f("char"), "display_name": _f("char")},
        "stock.picking": {
            "name": _f("char"),
            "display_name": _f("char"),
            "partner_id": _f("many2one", "res.partner"),
            "purchase_id": _f("many2one", "purchase.order"),
            "picking_type_code": _f("selection"),
            "state": _f("selection"),
            "origin": _f("char"),
            "carrier_tracking_ref": _f("char"),
            "backorder_id": _f("many2one", "stock.picking"),
            "move_ids": _f("one2many", "stock.move", "picking_id"),
            "move_line_ids": _f("one2many", "stock.move.line", "picking_id"),
            "location_id": _f("many2one", "stock.location"),
            "location_dest_id": _f("many2one", "stock.location"),
            "scheduled_date": _f("datetime"),
            "date_done": _f("datetime"),
        },
        "stock.move": {
            "name": _f("char"),
            "display_name": _f("char"),
            "picking_id": _f("many2one", "stock.picking"),
            "product_id": _f("many2one", "product.product"),
            "product_uom_qty": _f("float"),
            "product_uom": _f("many2one", "uom.uom"),
            **move_qty,
            "state": _f("selection"),
            "move_line_ids": _f("one2many", "stock.move.line", "move_id"),
            "purchase_line_id": _f("many2one", "purchase.order.line"),
            "location_id": _f("many2one", "stock.location"),
            "location_dest_id": _f("many2one", "stock.location"),
            "has_tracking": _f("selection"),
        },
        "stock.move.line": {
            "display_name": _f("char"),
            "move_id": _f("many2one", "stock.move"),
            "picking_id": _f("many2one", "stock.picking"),
            "product_id": _f("many2one", "product.product"),
            "product_uom_id": _f("many2one", "uom.uom"),
            "lot_id": _f("many2one", "stock.lot"),
            "lot_name": _f("char"),
            **line_qty,
            "expiration_date": _f("datetime"),
            "location_id": _f("many2one", "stock.location"),
            "location_dest_id": _f("many2one", "stock.location"),
            "state": _f("selection"),
        },
        "stock.lot": {
            "name": _f("char"),
            "display_name": _f("char"),
            "product_id": _f("many2one", "product.product"),
            "expiration_date": _f("datetime"),
        },
        "stock.backorder.confirmation": {
            "pick_ids": _f("many2many", "stock.picking"),
            "show_transfers": _f("boolean"),
        },
        "account.move": {
            "name": _f("char"),
            "display_name": _f("char"),
            "move_type": _f("selection"),
            "partner_id": _f("many2one", "res.partner"),
            "ref": _f("char"),
            "invoice_date": _f("date"),
            "state": _f("selection"),
            "invoice_origin": _f("char"),
            "invoice_line_ids": _f("one2many", "account.move.line", "move_id"),
            "amount_untaxed": _f("float"),
            "amount_total": _f("float"),
        },
        "account.move.line": {
            "display_name": _f("char"),
            "move_id": _f("many2one", "account.move"),
            "purchase_line_id": _f("many2one", "purchase.order.line"),
            "product_id": _f("many2one", "product.product"),
            "product_uom_id": _f("many2one", "uom.uom"),
            "name": _f("char"),
            "quantity": _f("float"),
            "price_unit": _f("float"),
            "price_subtotal": _f("float"),
        },
        "mail.message": {
            "model": _f("char"),
            "res_id": _f("integer"),
            "body": _f("html"),
            "message_type": _f("selection"),
            "date": _f("datetime"),
        },
        "ir.module.module": {
            "name": _f("char"),
            "state": _f("selection"),
            "display_name": _f("char"),
        },
    }


REQUIRED_MODULES = ("purchase", "stock", "account", "purchase_stock", "product_expiry")
TAX_RATE = 0.15  # the recorded database's default purchase tax (965.0 -> 1109.75)
VENDOR_LOCATION = 4
STOCK_LOCATION = 8

# Methods that run on the model, not on records (their first positional arg is not ids)
_MODEL_METHODS = frozenset(
    {
        "search_read",
        "search",
        "search_count",
        "create",
        "fields_get",
        "check_access_rights",
        "default_get",
        "name_search",
    }
)
# positional parameter names per method (after ids for record methods)
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search": ("domain", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "create": ("vals_list",),
    "read": ("fields",),
    "write": ("vals",),
    "fields_get": ("allfields", "attributes"),
    "check_access_rights": ("operation", "raise_exception"),
    "has_access": ("operation",),
    "message_post": (),
}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


class MemoryOdoo:
    """The records and behaviour of one imitated Odoo database."""

    def __init__(self, major: int = 17, *, modules: Sequence[str] = REQUIRED_MODULES) -> None:
        self.major = major
        self.schema = _schema(major)
        self.tables: dict[str, dict[int, Values]] = {model: {} for model in self.schema}
        self.sequences: dict[str, int] = {}
        self.denied_models: set[str] = set()  # check_access_rights answers False for these
        for name in ("base", "mail", "uom", *modules):
            self._insert("ir.module.module", {"name": name, "state": "installed"})
        category = self._insert("uom.category", {"name": "Unit"})
        self._insert(
            "uom.uom",
            {"name": "Units", "category_id": category, "factor": 1.0, "uom_type": "reference"},
        )
        self._insert(
            "uom.uom",
            {"name": "Dozens", "category_id": category, "factor": 1 / 12, "uom_type": "bigger"},
        )
        for location_id, name in (
            (VENDOR_LOCATION, "Partners/Vendors"),
            (STOCK_LOCATION, "WH/Stock"),
        ):
            self.tables["stock.location"][location_id] = {"id": location_id, "name": name}

    # ---- persistence (the dry run keeps its state between documents) -------------------
    def dump(self) -> Values:
        return {"major": self.major, "tables": self.tables, "sequences": self.sequences}

    @classmethod
    def load(cls, data: Values) -> MemoryOdoo:
        odoo = cls(int(data["major"]))
        odoo.tables = {
            model: {int(k): v for k, v in rows.items()} for model, rows in data["tables"].items()
        }
        odoo.sequences = dict(data["sequences"])
        return odoo

    # ---- entry points --------------------------------------------------------------
    def version(self) -> Values:
        serie = f"{self.major}.0"
        return {
            "server_version": f"{serie}-20240709",
            "server_version_info": [self.major, 0, 0, "final", 0, ""],
            "server_serie": serie,
            "protocol_version": 1,
        }

    def execute_kw(self, model: str, method: str, args: list[Any], kwargs: Values) -> Any:
        """JSON-RPC semantics: positional args (ids first for record methods)."""
        self._check_method(model, method)
        args = list(args)
        ids: list[int] | None = None
        if method not in _MODEL_METHODS:
            ids = self._ids_arg(args.pop(0) if args else [])
        params = dict(kwargs)
        for name, value in zip(_SIGNATURES.get(method, ()), args, strict=False):
            params[name] = value
        return self._dispatch(model, method, ids, params)

    def call_named(self, model: str, method: str, body: Values) -> Any:
        """JSON-2 semantics: ``ids``, ``context`` and the parameters by name."""
        self._check_method(model, method)
        params = dict(body)
        raw_ids = params.pop("ids", None)
        ids = None if method in _MODEL_METHODS else self._ids_arg(raw_ids or [])
        result = self._dispatch(model, method, ids, params)
        if method == "create" and isinstance(result, int):
            return [result]  # JSON-2 returns recordsets as lists of ids
        return result

    def _ids_arg(self, value: Any) -> list[int]:
        if isinstance(value, int) and not isinstance(value, bool):
            return [value]
        if isinstance(value, list) and all(isinstance(v, int) for v in value):
            return list(value)
        raise OdooFault("builtins.TypeError", f"ids must be a list of integers, got {value!r}")

    def _check_method(self, model: str, method: str) -> None:
        if model not in self.schema:
            raise user_error(f"Object {model} doesn't exist")
        if method.startswith("_"):
            raise OdooFault(
                "odoo.exceptions.AccessError",
                f"Private methods (such as {method}) cannot be called remotely.",
            )

    def _dispatch(self, model: str, method: str, ids: list[int] | None, params: Values) -> Any:
        context = params.pop("context", None) or {}
        generic: dict[str, Callable[..., Any]] = {
            "search_read": self.search_read,
            "search": self.search,
            "search_count": self.search_count,
            "read": self.read,
            "create": self.create,
            "write": self.write,
            "unlink": self.unlink,
            "fields_get": self.fields_get,
            "check_access_rights": self.check_access_rights,
            "has_access": self.has_access,
            "message_post": self.message_post,
        }
        handler = generic.get(method)
        if handler is not None:
            if method in _MODEL_METHODS:
                return handler(model, **params, context=context)
            return handler(model, ids or [], **params, context=context)
        business = getattr(self, f"_{model.replace('.', '_')}__{method}", None)
        if business is None:
            raise OdooFault(
                "builtins.AttributeError",
                f"The method '{method}' does not exist on the model '{model}'",
            )
        return business(ids or [], context=context, **params)

    # ---- low-level storage --------------------------------------------------------
    def _next_id(self, model: str) -> int:
        table = self.tables[model]
        return max(table, default=0) + 1

    def _insert(self, model: str, values: Values) -> int:
        record_id = self._next_id(model)
        record: Values = {"id": record_id}
        record.update(values)
        self.tables[model][record_id] = record
        return record_id

    def _sequence(self, code: str) -> int:
        self.sequences[code] = self.sequences.get(code, 0) + 1
        return self.sequences[code]

    def _field(self, model: str, name: str) -> F:
        spec = self.schema[model].get(name)
        if spec is None:
            raise OdooFault("builtins.ValueError", f"Invalid field {name!r} on model {model!r}")
        return spec

    def record(self, model: str, record_id: int) -> Values:
        try:
            return self.tables[model][record_id]
        except KeyError:
            raise OdooFault(
                "odoo.exceptions.MissingError",
                "Record does not exist or has been deleted.\n"
                f"(Record: {model}({record_id},), User: 2)",
            ) from None

    def display_name(self, model: str, record_id: int) -> str:
        record = self.tables[model].get(record_id, {})
        if model in ("product.product", "product.template") and record.get("default_code"):
            return f"[{record['default_code']}] {record.get('name', '')}"
        if model == "purchase.order.line":
            return self._purchase_line_display_name(record)
        return str(record.get("name") or f"{model},{record_id}")

    def _purchase_line_display_name(self, line: Values) -> str:
        # recorded: an order line shows the vendor's own code when the vendor has one
        product_id = line.get("product_id")
        if not product_id:
            return ""
        order = self.tables["purchase.order"].get(int(line.get("order_id") or 0), {})
        product = self.tables["product.product"].get(product_id, {})
        for seller in self.tables["product.supplierinfo"].values():
            if (
                seller.get("partner_id") == order.get("partner_id")
                and seller.get("product_tmpl_id") == product.get("product_tmpl_id")
                and seller.get("product_code")
            ):
                name = seller.get("product_name") or product.get("name", "")
                return f"[{seller['product_code']}] {name}"
        return self.display_name("product.product", product_id)

    def value(self, model: str, record: Values, name: str) -> Any:
        """A field's value as stored or computed (many2one as id, x2many as ids)."""
        kind, relation, inverse = self._field(model, name)
        if name == "display_name":
            return self.display_name(model, record["id"])
        compute = getattr(self, f"_compute_{model.replace('.', '_')}__{name}", None)
        if compute is not None:
            return compute(record)
        if kind == "one2many":
            assert relation is not None and inverse is not None
            return sorted(
                rid
                for rid, row in self.tables[relation].items()
                if row.get(inverse) == record["id"]
            )
        default: Any = [] if kind == "many2many" else (0 if kind in ("integer", "float") else False)
        return record.get(name, default)

    def _export(self, model: str, record: Values, fields: Sequence[str]) -> Values:
        out: Values = {"id": record["id"]}
        for name in fields:
            if name == "id":
                continue
            kind, relation, _ = self._field(model, name)
            value = self.value(model, record, name)
            if kind == "many2one":
                out[name] = [value, self.display_name(relation or "", value)] if value else False
            elif kind == "float":
                out[name] = float(value or 0.0)
            else:
                out[name] = value
        return out

    # ---- domains ---------------------------------------------------------------------
    def _match(self, model: str, record: Values, domain: list[Any]) -> bool:
        stack: list[bool] = []
        for item in reversed(domain):
            if item == "&":
                stack.append(stack.pop() and stack.pop())
            elif item == "|":
                a, b = stack.pop(), stack.pop()
                stack.append(a or b)
            elif item == "!":
                stack.append(not stack.pop())
            else:
                stack.append(self._leaf(model, record, item))
        return all(stack)

    def _leaf(self, model: str, record: Values, leaf: Any) -> bool:
        if not isinstance(leaf, list | tuple) or len(leaf) != 3:
            raise OdooFault("builtins.ValueError", f"Invalid leaf {leaf!r}")
        name, op, target = leaf
        path = str(name).split(".")
        if path[0] == "id":
            value: Any = record["id"]
        else:
            try:
                _, relation, _ = self._field(model, path[0])
            except OdooFault:
                shown = tuple(leaf)
                raise OdooFault(
                    "builtins.ValueError", f"Invalid field {model}.{path[0]} in leaf {shown!r}"
                ) from None
            value = self.value(model, record, path[0])
            if len(path) > 1 and relation:
                related = self.tables[relation].get(value) if value else None
                value = self.value(relation, related, path[1]) if related else False
        return _compare(value, op, target)

    def _search_ids(
        self,
        model: str,
        domain: list[Any] | None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[int]:
        domain = list(domain or [])
        for leaf in domain:  # Odoo checks every field before running the query
            head = str(leaf[0]).split(".")[0] if isinstance(leaf, list | tuple) and leaf else "id"
            if head != "id" and head not in self.schema[model]:
                raise OdooFault(
                    "builtins.ValueError",
                    f"Invalid field {model}.{leaf[0]} in leaf {tuple(leaf)!r}",
                )
        rows = [r for r in self.tables[model].values() if r.get("active", True) is not False]
        found = [r["id"] for r in rows if self._match(model, r, domain)]
        found.sort(reverse=bool(order and "desc" in order.lower()))
        found = found[offset:]
        return found[:limit] if limit else found

    # ---- generic ORM methods ---------------------------------------------------------
    def search_read(
        self,
        model: str,
        domain: list[Any] | None = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        context: Values | None = None,
    ) -> list[Values]:
        ids = self._search_ids(model, domain, offset, limit, order)
        return self.read(model, ids, fields)

    def search(
        self,
        model: str,
        domain: list[Any] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        context: Values | None = None,
    ) -> list[int]:
        return self._search_ids(model, domain, offset, limit, order)

    def search_count(
        self,
        model: str,
        domain: list[Any] | None = None,
        limit: int | None = None,
        context: Values | None = None,
    ) -> int:
        return len(self._search_ids(model, domain, 0, limit))

    def read(
        self,
        model: str,
        ids: list[int],
        fields: list[str] | None = None,
        context: Values | None = None,
        load: str | None = None,
    ) -> list[Values]:
        names = list(fields) if fields else list(self.schema[model])
        for name in names:
            if name != "id":
                self._field(model, name)
        table = self.tables[model]
        return [self._export(model, table[i], names) for i in ids if i in table]

    def fields_get(
        self,
        model: str,
        allfields: list[str] | None = None,
        attributes: list[str] | None = None,
        context: Values | None = None,
    ) -> dict[str, Values]:
        out: dict[str, Values] = {}
        for name, (kind, relation, _) in self.schema[model].items():
            if allfields and name not in allfields:
                continue
            out[name] = {"type": kind, "string": name.replace("_", " ").title()}
            if relation:
                out[name]["relation"] = relation
        return out

    def check_access_rights(
        self,
        model: str,
        operation: str = "read",
        raise_exception: bool = True,
        context: Values | None = None,
    ) -> bool:
        if model in self.denied_models:
            if raise_exception:
                raise OdooFault(
                    "odoo.exceptions.AccessError",
                    f"You are not allowed to {operation} '{model}' ({model}) records.",
                )
            return False
        return True

    def has_access(
        self, model: str, ids: list[int], operation: str = "read", context: Values | None = None
    ) -> bool:
        """Odoo 18+: ``has_access(operation)`` on a (possibly empty) recordset."""
        return self.check_access_rights(model, operation, raise_exception=False)

    def create(self, model: str, vals_list: Any = None, context: Values | None = None) -> Any:
        context = context or {}
        if isinstance(vals_list, dict):
            return self._create_one(model, vals_list, context)
        if not isinstance(vals_list, list):
            raise OdooFault("builtins.TypeError", "create() expects a dict or a list of dicts")
        return [self._create_one(model, dict(v), context) for v in vals_list]

    def _create_one(self, model: str, vals: Values, context: Values) -> int:
        vals = dict(vals)
        for key, value in context.items():
            if key.startswith("default_") and key[8:] in self.schema[model]:
                vals.setdefault(key[8:], value)
        hook = getattr(self, f"_create_{model.replace('.', '_')}", None)
        if hook is not None:
            return int(hook(vals))
        return self._create_plain(model, vals)

    def _create_plain(self, model: str, vals: Values) -> int:
        plain, commands = self._split_values(model, vals)
        record_id = self._insert(model, plain)
        self._apply_commands(model, record_id, commands)
        return record_id

    def _split_values(self, model: str, vals: Values) -> tuple[Values, Values]:
        plain: Values = {}
        commands: Values = {}
        for name, value in vals.items():
            kind, _, _ = self._field(model, name)
            if kind == "one2many":
                commands[name] = value
            elif kind == "many2many":
                plain[name] = self._m2m_value(value)
            elif kind == "many2one":
                plain[name] = value[0] if isinstance(value, list) and value else (value or False)
            else:
                plain[name] = value
        return plain, commands

    @staticmethod
    def _m2m_value(commands: Any) -> list[int]:
        ids: list[int] = []
        for command in commands or []:
            if isinstance(command, int):
                ids.append(command)
            elif command[0] == 4:
                ids.append(command[1])
            elif command[0] == 6:
                ids = list(command[2])
        return ids

    def _apply_commands(self, model: str, record_id: int, commands: Values) -> None:
        for name, value in commands.items():
            _, relation, inverse = self._field(model, name)
            assert relation is not None and inverse is not None
            for command in value or []:
                code = command[0]
                if code == 0:
                    self._create_one(relation, {**command[2], inverse: record_id}, {})
                elif code == 1:
                    self.write(relation, [command[1]], command[2])
                elif code in (2, 3):
                    self.unlink(relation, [command[1]])
                elif code == 5:
                    self.unlink(relation, self.value(model, self.record(model, record_id), name))
                else:
                    raise OdooFault("builtins.ValueError", f"Unsupported command {command!r}")

    def write(
        self, model: str, ids: list[int], vals: Values | None = None, context: Values | None = None
    ) -> bool:
        vals = dict(vals or {})
        hook = getattr(self, f"_write_{model.replace('.', '_')}", None)
        for record_id in ids:
            record = self.record(model, record_id)
            plain, commands = self._split_values(model, vals)
            if hook is not None:
                hook(record, plain)
            record.update(plain)
            self._apply_commands(model, record_id, commands)
        return True

    def unlink(self, model: str, ids: list[int], context: Values | None = None) -> bool:
        for record_id in ids:
            self.tables[model].pop(record_id, None)
        return True

    def message_post(
        self,
        model: str,
        ids: list[int],
        body: str = "",
        message_type: str = "notification",
        subtype_xmlid: str | None = None,
        context: Values | None = None,
        **_: Any,
    ) -> int:
        if model not in ("purchase.order", "account.move", "stock.picking", "res.partner"):
            raise OdooFault(
                "builtins.AttributeError",
                f"The method 'message_post' does not exist on the model '{model}'",
            )
        if message_type not in ("comment", "notification", "email", "user_notification"):
            raise OdooFault(
                "builtins.ValueError", f"Wrong value for message_type: {message_type!r}"
            )
        if len(ids) != 1:
            raise OdooFault("builtins.ValueError", f"Expected singleton: {model}{tuple(ids)}")
        self.record(model, ids[0])
        return self._insert(
            "mail.message",
            {
                "model": model,
                "res_id": ids[0],
                "body": f"<p>{_escape(body)}</p>",
                "message_type": message_type,
                "date": _now(),
            },
        )

    # ---- products ------------------------------------------------------------------
    def _create_product_product(self, vals: Values) -> int:
        tmpl_id = vals.pop("product_tmpl_id", None)
        self._product_defaults(vals)
        if not tmpl_id:
            tmpl_id = self._create_plain("product.template", dict(vals))
        return self._create_plain("product.product", {**vals, "product_tmpl_id": tmpl_id})

    def _create_product_template(self, vals: Values) -> int:
        self._product_defaults(vals)
        tmpl_id = self._create_plain("product.template", dict(vals))
        product_vals = {k: v for k, v in vals.items() if k in self.schema["product.product"]}
        self._create_plain("product.product", {**product_vals, "product_tmpl_id": tmpl_id})
        return tmpl_id

    def _product_defaults(self, vals: Values) -> None:
        if self.major <= 17:
            vals.setdefault("detailed_type", "consu")
            if vals["detailed_type"] not in ("consu", "service", "product", "combo"):
                raise OdooFault(
                    "builtins.ValueError",
                    f"Wrong value for product.product.detailed_type: {vals['detailed_type']!r}",
                )
            vals["type"] = (
                "product" if vals["detailed_type"] == "product" else vals["detailed_type"]
            )
        else:
            vals.setdefault("type", "consu")
            if vals["type"] not in ("consu", "service", "combo"):
                raise OdooFault(
                    "builtins.ValueError",
                    f"Wrong value for product.product.type: {vals['type']!r}",
                )
            vals.setdefault("is_storable", False)
        vals.setdefault("tracking", "none")
        vals.setdefault("uom_id", 1)
        if self.major <= 18:
            vals.setdefault("uom_po_id", vals["uom_id"])
        vals.setdefault("purchase_ok", True)
        vals.setdefault("standard_price", 0.0)

    def _create_product_supplierinfo(self, vals: Values) -> int:
        if vals.get("product_id") and not vals.get("product_tmpl_id"):
            product = self.record("product.product", vals["product_id"])
            vals["product_tmpl_id"] = product["product_tmpl_id"]
        return self._create_plain("product.supplierinfo", vals)

    # ---- purchase ------------------------------------------------------------------
    @property
    def _line_uom_field(self) -> str:
        return "product_uom_id" if self.major >= 19 else "product_uom"

    def _create_purchase_order(self, vals: Values) -> int:
        if not vals.get("partner_id"):
            raise OdooFault(
                "odoo.exceptions.ValidationError",
                "The operation cannot be completed: Missing required fields on "
                "purchase.order: Vendor",
            )
        self.record("res.partner", vals["partner_id"])
        vals.setdefault("state", "draft")
        vals.setdefault("date_order", _now())
        vals["name"] = f"P{self._sequence('purchase.order'):05d}"
        return self._create_plain("purchase.order", vals)

    def _create_purchase_order_line(self, vals: Values) -> int:
        order = self.record("purchase.order", vals["order_id"])
        product = self.record("product.product", vals["product_id"])
        uom_field = self._line_uom_field
        vals.setdefault(uom_field, product.get("uom_po_id") or product.get("uom_id") or 1)
        if "price_unit" not in vals:
            seller = next(
                (
                    s
                    for s in self.tables["product.supplierinfo"].values()
                    if s.get("partner_id") == order["partner_id"]
                    and s.get("product_tmpl_id") == product["product_tmpl_id"]
                ),
                None,
            )
            vals["price_unit"] = seller["price"] if seller else product.get("standard_price", 0.0)
        vals.setdefault("name", self.display_name("product.product", product["id"]))
        vals.setdefault("date_planned", order.get("date_planned") or _now())
        vals.setdefault("qty_received", 0.0)
        vals.setdefault("sequence", 10)
        line_id = self._create_plain("purchase.order.line", vals)
        return line_id

    def _compute_purchase_order_line__price_subtotal(self, line: Values) -> float:
        return round(float(line.get("product_qty", 0)) * float(line.get("price_unit", 0)), 2)

    def _compute_purchase_order_line__qty_invoiced(self, line: Values) -> float:
        total = 0.0
        for bill_line in self.tables["account.move.line"].values():
            if bill_line.get("purchase_line_id") != line["id"]:
                continue
            bill = self.tables["account.move"].get(int(bill_line.get("move_id") or 0), {})
            if bill.get("state") != "cancel":
                total += float(bill_line.get("quantity", 0))
        return total

    def _compute_purchase_order_line__state(self, line: Values) -> str:
        return str(self.tables["purchase.order"][line["order_id"]]["state"])

    def _lines(self, order_id: int) -> list[Values]:
        return [
            line
            for line in self.tables["purchase.order.line"].values()
            if line.get("order_id") == order_id
        ]

    def _compute_purchase_order__amount_untaxed(self, order: Values) -> float:
        return round(
            sum(
                self._compute_purchase_order_line__price_subtotal(x)
                for x in self._lines(order["id"])
            ),
            2,
        )

    def _compute_purchase_order__amount_total(self, order: Values) -> float:
        return round(self._compute_purchase_order__amount_untaxed(order) * (1 + TAX_RATE), 2)

    def _compute_purchase_order__invoice_ids(self, order: Values) -> list[int]:
        line_ids = {line["id"] for line in self._lines(order["id"])}
        return sorted(
            {
                bl["move_id"]
                for bl in self.tables["account.move.line"].values()
                if bl.get("purchase_line_id") in line_ids
            }
        )

    def _compute_purchase_order__invoice_status(self, order: Values) -> str:
        if order["state"] not in ("purchase", "done"):
            return "no"
        lines = self._lines(order["id"])
        pending = [
            x
            for x in lines
            if self._compute_purchase_order_line__qty_invoiced(x) < float(x.get("qty_received", 0))
        ]
        if pending:
            return "to invoice"
        if any(self._compute_purchase_order_line__qty_invoiced(x) for x in lines):
            return "invoiced"
        return "no"

    def _compute_purchase_order__receipt_status(self, order: Values) -> Any:
        lines = self._lines(order["id"])
        if order["state"] not in ("purchase", "done") or not lines:
            return False
        received = [float(x.get("qty_received", 0)) for x in lines]
        if all(r >= float(x["product_qty"]) for r, x in zip(received, lines, strict=True)):
            return "full"
        return "partial" if any(received) else "pending"

    def _write_purchase_order_line(self, line: Values, vals: Values) -> None:
        if "product_qty" in vals and line.get("state", "") != "draft":
            order = self.tables["purchase.order"][line["order_id"]]
            if order["state"] == "purchase":
                delta = float(vals["product_qty"]) - float(line["product_qty"])
                for move in self.tables["stock.move"].values():
                    if move.get("purchase_line_id") == line["id"] and move["state"] not in (
                        "done",
                        "cancel",
                    ):
                        move["product_uom_qty"] = max(0.0, float(move["product_uom_qty"]) + delta)
                        self._reserve(move)
                        break

    def _purchase_order__button_confirm(self, ids: list[int], context: Values) -> bool:
        for order_id in ids:
            order = self.record("purchase.order", order_id)
            if order["state"] not in ("draft", "sent"):
                continue
            order["state"] = "purchase"
            self._create_receipt(order)
        return True

    def _purchase_order__button_cancel(self, ids: list[int], context: Values) -> None:
        for order_id in ids:
            order = self.record("purchase.order", order_id)
            for picking in self.tables["stock.picking"].values():
                if picking.get("purchase_id") == order_id and picking["state"] == "done":
                    raise user_error(
                        f"Unable to cancel purchase order {order['name']} as some receptions have "
                        "already been done."
                    )
            order["state"] = "cancel"
            for picking in self.tables["stock.picking"].values():
                if picking.get("purchase_id") == order_id:
                    picking["state"] = "cancel"
        return None

    def _purchase_order__button_done(self, ids: list[int], context: Values) -> None:
        for order_id in ids:
            self.record("purchase.order", order_id)["state"] = "done"
        return None  # recorded: the reply then has no "result" key

    def _purchase_order__action_create_invoice(self, ids: list[int], context: Values) -> Values:
        for order_id in ids:
            self.record("purchase.order", order_id)
            lines = self._lines(order_id)
            if not any(
                float(x.get("qty_received", 0)) > self._compute_purchase_order_line__qty_invoiced(x)
                for x in lines
            ):
                raise user_error(
                    "There is no invoiceable line. If a product has a control policy based on "
                    "received quantity, please make sure that a quantity has been received."
                )
        raise user_error("action_create_invoice is not imitated beyond its refusal")

    # ---- stock ---------------------------------------------------------------------
    def _create_receipt(self, order: Values) -> int:
        picking_id = self._insert(
            "stock.picking",
            {
                "name": f"WH/IN/{self._sequence('stock.picking.in'):05d}",
                "partner_id": order["partner_id"],
                "purchase_id": order["id"],
                "picking_type_code": "incoming",
                "state": "assigned",
                "origin": order["name"],
                "backorder_id": False,
                "location_id": VENDOR_LOCATION,
                "location_dest_id": STOCK_LOCATION,
                "scheduled_date": order.get("date_planned") or _now(),
            },
        )
        for line in sorted(self._lines(order["id"]), key=lambda x: x["id"]):
            self._new_move(picking_id, line, float(line["product_qty"]))
        return picking_id

    def _new_move(self, picking_id: int, line: Values, quantity: float) -> int:
        product = self.tables["product.product"][line["product_id"]]
        values: Values = {
            "name": line.get("name", ""),
            "picking_id": picking_id,
            "product_id": line["product_id"],
            "product_uom_qty": quantity,
            "product_uom": line.get(self._line_uom_field) or 1,
            "state": "assigned",
            "purchase_line_id": line["id"],
            "location_id": VENDOR_LOCATION,
            "location_dest_id": STOCK_LOCATION,
            "has_tracking": product.get("tracking", "none"),
        }
        if self.major >= 17:
            values.update({"quantity": 0.0, "picked": False})
        else:
            values.update({"quantity_done": 0.0, "reserved_availability": 0.0})
        move_id = self._insert("stock.move", values)
        self._reserve(self.tables["stock.move"][move_id])
        return move_id

    def _reserve(self, move: Values) -> None:
        """Incoming moves are reserved at once: one move line for the whole demand."""
        for line_id in self.value("stock.move", move, "move_line_ids"):
            self.tables["stock.move.line"].pop(line_id)
        demand = float(move["product_uom_qty"])
        line: Values = {
            "move_id": move["id"],
            "picking_id": move["picking_id"],
            "product_id": move["product_id"],
            "product_uom_id": move["product_uom"],
            "location_id": move["location_id"],
            "location_dest_id": move["location_dest_id"],
            "lot_name": False,
            "lot_id": False,
            "state": "assigned",
        }
        if self.major >= 17:
            line.update({"quantity": demand, "picked": False})
            move["quantity"] = demand
        else:
            line.update({"qty_done": 0.0, "reserved_uom_qty": demand})
            move["reserved_availability"] = demand
        if demand > 0:
            self._insert("stock.move.line", line)

    def _move_lines(self, move_id: int) -> list[Values]:
        return [
            line
            for line in self.tables["stock.move.line"].values()
            if line.get("move_id") == move_id
        ]

    def _compute_stock_move__quantity(self, move: Values) -> float:
        lines = self._move_lines(move["id"])
        if not lines:
            return float(move.get("quantity", 0.0))
        return sum(float(x.get("quantity", 0.0)) for x in lines)

    def _compute_stock_move__picked(self, move: Values) -> bool:
        lines = self._move_lines(move["id"])
        if not lines:
            return bool(move.get("picked", False))
        return all(bool(x.get("picked")) for x in lines)

    def _compute_stock_move__quantity_done(self, move: Values) -> float:
        lines = self._move_lines(move["id"])
        if not lines:
            return float(move.get("quantity_done", 0.0))
        return sum(float(x.get("qty_done", 0.0)) for x in lines)

    def _write_stock_move(self, move: Values, vals: Values) -> None:
        if move["state"] in ("done", "cancel"):
            raise user_error("You cannot change a move that is done or cancelled.")
        qty_field = "quantity" if self.major >= 17 else "quantity_done"
        line_field = "quantity" if self.major >= 17 else "qty_done"
        if qty_field in vals:
            # Writing the move quantity puts it on the move's single line (as Odoo does
            # for an untracked move); a tracked move needs its lines written with lots.
            target = float(vals[qty_field])
            lines = self._move_lines(move["id"])
            if lines:
                lines[0][line_field] = target
                for extra in lines[1:]:
                    self.tables["stock.move.line"].pop(extra["id"])
            elif target:
                self._insert(
                    "stock.move.line",
                    {
                        "move_id": move["id"],
                        "picking_id": move["picking_id"],
                        "product_id": move["product_id"],
                        "product_uom_id": move["product_uom"],
                        "location_id": move["location_id"],
                        "location_dest_id": move["location_dest_id"],
                        line_field: target,
                        "state": "assigned",
                    },
                )
        if vals.get("picked") and self.major >= 17:
            for line in self._move_lines(move["id"]):
                line["picked"] = True

    def _create_stock_move_line(self, vals: Values) -> int:
        move = self.record("stock.move", vals["move_id"])
        vals.setdefault("picking_id", move["picking_id"])
        vals.setdefault("product_id", move["product_id"])
        vals.setdefault("product_uom_id", move["product_uom"])
        vals.setdefault("location_id", move["location_id"])
        vals.setdefault("location_dest_id", move["location_dest_id"])
        vals.setdefault("state", "assigned")
        return self._create_plain("stock.move.line", vals)

    def _stock_picking__button_validate(self, ids: list[int], context: Values) -> Any:
        pickings = [self.record("stock.picking", i) for i in ids]
        partial: list[int] = []
        for picking in pickings:
            if picking["state"] in ("done", "cancel"):
                raise user_error("You cannot validate a transfer that is done or cancelled.")
            moves = self._picking_moves(picking["id"])
            done = {m["id"]: self._done_quantity(m, moves) for m in moves}
            if not any(done.values()):
                raise user_error(
                    "You cannot validate a transfer if no quantities are reserved nor done. "
                    "To force the transfer, encode quantities."
                )
            for move in moves:
                if done[move["id"]] and move.get("has_tracking") in ("lot", "serial"):
                    for line in self._move_lines(move["id"]):
                        if self._line_done(line) and not (
                            line.get("lot_name") or line.get("lot_id")
                        ):
                            product = self.display_name("product.product", move["product_id"])
                            raise user_error(
                                f"You need to supply a Lot/Serial number for product:\n- {product}"
                            )
            if any(done[m["id"]] < float(m["product_uom_qty"]) for m in moves):
                partial.append(picking["id"])
        if partial and not context.get("skip_backorder"):
            return {
                "name": "Create Backorder?",
                "type": "ir.actions.act_window",
                "view_mode": "form",
                "res_model": "stock.backorder.confirmation",
                "views": [[814, "form"]],
                "view_id": 814,
                "target": "new",
                "context": {
                    "button_validate_picking_ids": list(ids),
                    "default_show_transfers": False,
                    "default_pick_ids": [[4, i] for i in partial],
                },
            }
        cancel = set(context.get("picking_ids_not_to_backorder") or [])
        for picking in pickings:
            self._action_done(picking, backorder=picking["id"] not in cancel)
        return True

    def _picking_moves(self, picking_id: int) -> list[Values]:
        return sorted(
            (m for m in self.tables["stock.move"].values() if m.get("picking_id") == picking_id),
            key=lambda m: m["id"],
        )

    def _line_done(self, line: Values) -> float:
        if self.major >= 17:
            return float(line.get("quantity", 0.0))
        return float(line.get("qty_done", 0.0))

    def _done_quantity(self, move: Values, moves: list[Values]) -> float:
        if self.major >= 17:
            # Odoo 17: once any move of the picking is picked, only picked moves count;
            # when none is picked, validating takes every reserved quantity.
            anything_picked = any(self._compute_stock_move__picked(m) for m in moves)
            if anything_picked and not self._compute_stock_move__picked(move):
                return 0.0
            return self._compute_stock_move__quantity(move)
        return self._compute_stock_move__quantity_done(move)

    def _action_done(self, picking: Values, *, backorder: bool) -> None:
        moves = self._picking_moves(picking["id"])
        done_by_move = {m["id"]: self._done_quantity(m, moves) for m in moves}
        remaining: list[tuple[Values, float]] = []
        for move in moves:
            done = done_by_move[move["id"]]
            left = float(move["product_uom_qty"]) - done
            for line in self._move_lines(move["id"]):
                if done <= 0 or self._line_done(line) <= 0:
                    self.tables["stock.move.line"].pop(line["id"])
                    continue
                tracked = move.get("has_tracking") in ("lot", "serial")
                if tracked and line.get("lot_name") and not line.get("lot_id"):
                    line["lot_id"] = self._lot(line)
                line["state"] = "done"
            if done <= 0:
                if left > 0:
                    remaining.append((move, left))
                move["state"] = "cancel"
                continue
            move["state"] = "done"
            move["product_uom_qty"] = done
            if self.major >= 17:
                move["quantity"] = done
                move["picked"] = True
            if move.get("purchase_line_id"):
                line = self.tables["purchase.order.line"][move["purchase_line_id"]]
                line["qty_received"] = float(line.get("qty_received", 0.0)) + done
            if left > 0:
                remaining.append((move, left))
        # moves with nothing done leave the picking for the backorder
        for move, _ in remaining:
            if move["state"] == "cancel":
                self.tables["stock.move"].pop(move["id"])
        picking["state"] = "done"
        picking["date_done"] = _now()
        if backorder and remaining:
            new_id = self._insert(
                "stock.picking",
                {
                    **{k: v for k, v in picking.items() if k not in ("id", "name", "date_done")},
                    "name": f"WH/IN/{self._sequence('stock.picking.in'):05d}",
                    "state": "assigned",
                    "backorder_id": picking["id"],
                },
            )
            for move, left in remaining:
                line = self.tables["purchase.order.line"][move["purchase_line_id"]]
                self._new_move(new_id, line, left)

    def _lot(self, line: Values) -> int:
        for lot in self.tables["stock.lot"].values():
            if lot["name"] == line["lot_name"] and lot["product_id"] == line["product_id"]:
                return int(lot["id"])
        return self._insert(
            "stock.lot",
            {
                "name": line["lot_name"],
                "product_id": line["product_id"],
                "expiration_date": line.get("expiration_date") or False,
            },
        )

    def _create_stock_backorder_confirmation(self, vals: Values) -> int:
        return self._create_plain("stock.backorder.confirmation", vals)

    def _stock_backorder_confirmation__process(self, ids: list[int], context: Values) -> bool:
        return self._backorder_answer(ids, context, keep=True)

    def _stock_backorder_confirmation__process_cancel_backorder(
        self, ids: list[int], context: Values
    ) -> bool:
        return self._backorder_answer(ids, context, keep=False)

    def _backorder_answer(self, ids: list[int], context: Values, *, keep: bool) -> bool:
        for wizard_id in ids:
            wizard = self.record("stock.backorder.confirmation", wizard_id)
            picking_ids = context.get("button_validate_picking_ids") or wizard.get("pick_ids", [])
            for picking_id in picking_ids:
                picking = self.record("stock.picking", picking_id)
                if picking["state"] != "done":
                    self._action_done(picking, backorder=keep)
        return True

    # ---- accounting ------------------------------------------------------------------
    def _create_account_move(self, vals: Values) -> int:
        vals.setdefault("move_type", "entry")
        vals.setdefault("state", "draft")
        if vals["move_type"] not in (
            "entry",
            "out_invoice",
            "out_refund",
            "in_invoice",
            "in_refund",
            "out_receipt",
            "in_receipt",
        ):
            raise OdooFault(
                "builtins.ValueError",
                f"Wrong value for account.move.move_type: {vals['move_type']!r}",
            )
        if vals["move_type"] == "in_invoice" and vals.get("invoice_date"):
            date = str(vals["invoice_date"])
            vals["name"] = f"BILL/{date[:4]}/{date[5:7]}/{self._sequence('bill' + date[:7]):04d}"
        else:
            vals.setdefault("name", "/")
        vals.setdefault("invoice_origin", False)
        return self._create_plain("account.move", vals)

    def _create_account_move_line(self, vals: Values) -> int:
        if vals.get("purchase_line_id"):
            po_line = self.record("purchase.order.line", vals["purchase_line_id"])
            vals.setdefault("product_id", po_line["product_id"])
            vals.setdefault("product_uom_id", po_line.get(self._line_uom_field))
            vals.setdefault("name", po_line.get("name", ""))
        return self._create_plain("account.move.line", vals)

    def _compute_account_move_line__price_subtotal(self, line: Values) -> float:
        return round(float(line.get("quantity", 0)) * float(line.get("price_unit", 0)), 2)

    def _compute_account_move__amount_untaxed(self, move: Values) -> float:
        return round(
            sum(
                self._compute_account_move_line__price_subtotal(x)
                for x in self.tables["account.move.line"].values()
                if x.get("move_id") == move["id"]
            ),
            2,
        )

    def _compute_account_move__amount_total(self, move: Values) -> float:
        return round(self._compute_account_move__amount_untaxed(move) * (1 + TAX_RATE), 2)

    def _account_move__action_post(self, ids: list[int], context: Values) -> bool:
        for move_id in ids:
            move = self.record("account.move", move_id)
            if move["state"] != "draft":
                raise user_error("Only draft journal entries can be posted.")
            if move["move_type"] == "in_invoice" and not move.get("invoice_date"):
                raise user_error("The Bill/Refund date is required to validate this document.")
            move["state"] = "posted"
        return False  # recorded: action_post answers false on success

    def _account_move__button_draft(self, ids: list[int], context: Values) -> bool:
        for move_id in ids:
            self.record("account.move", move_id)["state"] = "draft"
        return True

    def _account_move__button_cancel(self, ids: list[int], context: Values) -> bool:
        for move_id in ids:
            self.record("account.move", move_id)["state"] = "cancel"
        return True

    def snapshot(self) -> dict[str, dict[int, Values]]:
        """A deep copy of every table (for assertions)."""
        return copy.deepcopy(self.tables)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _compare(value: Any, op: str, target: Any) -> bool:
    if isinstance(value, list) and op in ("=", "!=", "in", "not in"):
        # x2many: true when any of the ids matches
        hit = any(_compare(v, op.replace("not in", "in").replace("!=", "="), target) for v in value)
        return not hit if op in ("!=", "not in") else hit
    if op == "=":
        return bool(value == target or (target is False and value in (None, False, "", 0)))
    if op == "!=":
        return not _compare(value, "=", target)
    if op == "in":
        return value in (target or [])
    if op == "not in":
        return value not in (target or [])
    if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
        if not isinstance(value, str):
            return op.startswith("not")
        text, pattern = str(value), str(target)
        if "ilike" in op:
            text, pattern = text.lower(), pattern.lower()
        if op.startswith("="):
            return fnmatch.fnmatchcase(text, pattern.replace("%", "*").replace("_", "?"))
        found = pattern in text
        return not found if op.startswith("not") else found
    if value in (None, False):
        return False
    try:
        if op == ">":
            return bool(value > target)
        if op == "<":
            return bool(value < target)
        if op == ">=":
            return bool(value >= target)
        if op == "<=":
            return bool(value <= target)
    except TypeError:
        return False
    raise OdooFault("builtins.ValueError", f"Invalid operator {op!r}")
