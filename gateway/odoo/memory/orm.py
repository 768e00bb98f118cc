"""The generic ORM of the imitated Odoo: storage, reads, domains, create/write commands.

Business behaviours (purchase, stock, accounting) are subclasses in their own modules;
:class:`gateway.odoo.memory.MemoryOdoo` puts them together.
"""

from __future__ import annotations

import fnmatch
import operator
import time
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any, Self

from gateway.odoo.memory.schema import (
    ADMIN_USER,
    COMPANY,
    CURRENCIES,
    REQUIRED_MODULES,
    STOCK_LOCATION,
    TAX_RATE,
    VENDOR_LOCATION,
    F,
    _schema,
)
from gateway.odoo.memory.table import Record, Table, Tables

Values = dict[str, Any]


class OdooFault(Exception):
    """An error as Odoo reports it: the Python exception's qualified name and message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def user_error(message: str) -> OdooFault:
    return OdooFault("odoo.exceptions.UserError", message)


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


#: the ORM methods every model has (the rest are a model's business methods)
_GENERIC = frozenset(
    {
        "search_read",
        "search",
        "search_count",
        "read",
        "create",
        "write",
        "unlink",
        "fields_get",
        "check_access_rights",
        "has_access",
        "message_post",
    }
)

#: the time :func:`now_text` answers while set (see :func:`clock_at`)
_clock: ContextVar[str | None] = ContextVar("memory_odoo_clock", default=None)

#: the domain operators :func:`_compare` knows
_OPERATORS = frozenset(
    {"=", "!=", "in", "not in", "like", "ilike", "=like", "=ilike", "not like", "not ilike",
     ">", "<", ">=", "<="}
)  # fmt: skip


#: :meth:`MemoryOrm._stored_default`'s answer for a field that is not a plain stored one
_NOT_STORED = object()
_UNKNOWN = object()

#: the last whole second :func:`now_text` formatted, and its text
_second: list[tuple[int, str]] = [(-1, "")]


def now_text() -> str:
    """The time a write is stamped with (``%Y-%m-%d %H:%M:%S``, UTC): now, or the time
    :func:`clock_at` set."""
    at = _clock.get()
    if at:
        return at
    second = int(time.time())
    last, text = _second[0]  # (one tuple: threads see a second and its text together)
    if second != last:  # formatted once a second, not once per call
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
        _second[0] = (second, text)
    return text


class clock_at:
    """Every timestamp written inside is ``at`` (``%Y-%m-%d %H:%M:%S``, UTC): the dry run
    replays its journal of calls with the time each call was first made. (A class, not
    a generator: the dry run enters one per call.)"""

    __slots__ = ("_at", "_token")

    def __init__(self, at: str) -> None:
        self._at = at

    def __enter__(self) -> None:
        self._token = _clock.set(self._at)

    def __exit__(self, *_: object) -> None:
        _clock.reset(self._token)


class _Either(list[Any]):
    """The branches of a ``|`` in a domain, for :meth:`MemoryOrm._narrow`."""


def _and_terms(domain: list[Any]) -> list[Any] | None:
    """A domain's top-level ANDed terms (a leaf, or an :class:`_Either` of terms for a
    ``|``); None for what is not narrowed: ``!``, ``&``, a leaf of an unknown operator,
    a malformed domain."""

    def term(at: int) -> tuple[Any, int]:
        item = domain[at]  # IndexError: an operator without its operands
        if item == "|":
            left, at = term(at + 1)
            right, at = term(at)
            branches = _Either()
            for side in (left, right):
                branches.extend(side if isinstance(side, _Either) else [side])
            return branches, at
        if not isinstance(item, list | tuple) or len(item) != 3 or item[1] not in _OPERATORS:
            raise ValueError(item)
        return item, at + 1

    terms: list[Any] = []
    at = 0
    try:
        while at < len(domain):
            found, at = term(at)
            terms.append(found)
    except (IndexError, ValueError, TypeError):
        return None
    return terms


class MemoryOrm:
    """The records of one imitated Odoo database and its generic ORM methods."""

    def __init__(self, major: int = 17, *, modules: Sequence[str] = REQUIRED_MODULES) -> None:
        self.major = major
        self.modules = tuple(modules)
        self.schema = _schema(major, self.modules)
        self.tables = Tables()  # each model's records, indexed on demand (memory.table)
        self.tables.update({model: {} for model in self.schema})
        self.sequences: dict[str, int] = {}
        self.denied_models: set[str] = set()  # check_access_rights answers False for these
        self._defaults: dict[tuple[str, str], Any] = {}  # _stored_default's answers
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
        for code, active in CURRENCIES:
            self._insert("res.currency", {"name": code, "active": active})
        self._insert(
            "account.tax",
            {"name": f"{TAX_RATE:.0%}", "amount": TAX_RATE * 100, "type_tax_use": "purchase"},
        )
        for location_id, name in (
            (VENDOR_LOCATION, "Partners/Vendors"),
            (STOCK_LOCATION, "WH/Stock"),
        ):
            self.tables["stock.location"][location_id] = {"id": location_id, "name": name}
        self._seed_company()

    def _seed_company(self) -> None:
        """The company, its address, warehouse and receipts type, and the admin user."""
        country_name, country_code = COMPANY["country"]
        country = self._insert("res.country", {"name": country_name, "code": country_code})
        state_name, state_code = COMPANY["state"]
        state = self._insert(
            "res.country.state", {"name": state_name, "code": state_code, "country_id": country}
        )
        partner = self._insert(
            "res.partner",
            {"name": COMPANY["name"], "is_company": True, "street": COMPANY["street"],
             "city": COMPANY["city"], "zip": COMPANY["zip"], "state_id": state,
             "country_id": country, "active": True},
        )  # fmt: skip
        company = self._insert(
            "res.company", {"name": COMPANY["name"], "partner_id": partner, "currency_id": 1}
        )
        admin = self._insert(
            "res.partner",
            {"name": "Administrator", "email": "admin@example.com", "active": True},
        )
        self.tables["res.users"][ADMIN_USER] = {
            "id": ADMIN_USER, "name": "Administrator", "login": "admin",
            "email": "admin@example.com", "company_id": company, "partner_id": admin,
        }  # fmt: skip
        warehouse = self._insert("stock.warehouse", {"name": "WH", "partner_id": partner})
        self._insert(
            "stock.picking.type",
            {"name": "Receipts", "code": "incoming", "warehouse_id": warehouse},
        )

    # ---- persistence (the dry run keeps its state between documents) -------------------
    def dump(self) -> Values:
        return {
            "major": self.major,
            "modules": list(self.modules),
            "tables": self.tables,
            "sequences": self.sequences,
        }

    @classmethod
    def load(cls, data: Values) -> Self:
        modules = data.get("modules")
        odoo = cls(int(data["major"]), **({"modules": tuple(modules)} if modules else {}))
        # a state saved before a model was imitated keeps that model's fresh records
        odoo.tables.update(
            {model: {int(k): v for k, v in rows.items()} for model, rows in data["tables"].items()}
        )
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
        if method in _GENERIC:
            handler: Callable[..., Any] = getattr(self, method)
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
        return self.tables[model].top() + 1

    def _insert(self, model: str, values: Values) -> int:
        record_id = self._next_id(model)
        record = Record(id=record_id)  # a table's own record: stored as it is
        dict.update(record, values)
        if "write_date" in self.schema[model]:
            dict.__setitem__(record, "write_date", now_text())
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

    def _one2many(self, model: str, name: str) -> tuple[str, str]:
        """The comodel and inverse field of a one2many field."""
        _, relation, inverse = self._field(model, name)
        if relation is None or inverse is None:
            raise OdooFault(
                "builtins.ValueError", f"Field {name!r} on model {model!r} is not a one2many"
            )
        return relation, inverse

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
            relation, inverse = self._one2many(model, name)
            return self._children(relation, inverse, record["id"])
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
            elif op == "child_of":
                return _compare(value, "in", self._with_children(relation or model, target))
        return _compare(value, op, target)

    def _with_children(self, model: str, target: Any) -> list[int]:
        """``target`` ids and every record under them by ``parent_id`` (``child_of``)."""
        found = {int(t) for t in (target if isinstance(target, list | tuple) else [target])}
        if "parent_id" not in self.schema.get(model, {}):
            return sorted(found)
        grew = True
        while grew:
            more = {rid for rid, row in self.tables[model].items() if row.get("parent_id") in found}
            grew = not more <= found
            found |= more
        return sorted(found)

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
        # as Odoo's active_test: archived records only when the domain names ``active``
        names_active = any(
            isinstance(leaf, list | tuple) and leaf and leaf[0] == "active" for leaf in domain
        )
        rows = [
            r
            for r in self._narrow(model, self.tables[model].values(), domain)
            if names_active or r.get("active", True) is not False
        ]
        found = [r["id"] for r in rows if self._match(model, r, domain)]
        found.sort(reverse=bool(order and "desc" in order.lower()))
        found = found[offset:]
        return found[:limit] if limit else found

    def _narrow(self, model: str, rows: Iterable[Values], domain: list[Any]) -> Iterable[Values]:
        """The rows (``model``'s records) that can match ``domain``: a cheap first pass
        on its equality leaves.

        The domain's top level is a list of ANDed terms, each a leaf or a ``|`` of terms
        (``["|", A, B, C]`` is (A or B) and C); a domain with ``!`` or ``&``, a leaf of
        an unknown operator or a malformed one is not narrowed. A leaf narrows when it is
        ``[field, "=", value]`` (a value other than ``False``) or ``[field, "in",
        [values]]`` on a stored field (no dotted path, not computed, not x2many): the
        table's index on that field (:mod:`gateway.odoo.memory.table`) gives every record
        holding one of the values, and the ones holding a list (compared as x2many); an
        ``|`` narrows to the union of its branches when each of them narrows. A row left
        out is one :meth:`_match` rejects too, so matching the rest gives the same
        answer - without testing every record (searches by reference were the dry run's
        cost, growing with every record it made; a purchase order is looked up by its
        reference or its name in one search).
        """
        terms = _and_terms(domain)
        if terms is None:
            return rows  # the full match decides
        table = self.tables[model]
        ids: set[int] | None = None
        for term in terms:
            found = self._candidates(model, table, term)
            if found is not None:
                ids = found if ids is None else ids & found
        if ids is None:
            return rows
        return [table[i] for i in sorted(ids)]

    def _candidates(self, model: str, table: Table, term: Any) -> set[int] | None:
        """The ids of the records that can meet one term of :meth:`_narrow`; None when
        the term does not narrow."""
        if isinstance(term, _Either):
            union: set[int] = set()
            for branch in term:
                found = self._candidates(model, table, branch)
                if found is None:
                    return None
                union |= found
            return union
        name, op, target = term
        if op == "=" and target is not False:
            values: Sequence[Any] = (target,)
        elif op == "in" and isinstance(target, list):
            values = target
        else:
            return None
        if name == "id":
            if op != "=" or not isinstance(target, int) or isinstance(target, bool):
                return None
            return {target} if target in table else set()
        default = self._stored_default(model, name)
        if default is _NOT_STORED:
            return None
        # the index's own set (or a new one): only read by _narrow, never changed
        return table.candidates(name, default, values)

    def _stored_default(self, model: str, name: str) -> Any:
        """What a record without the plain stored field ``name`` holds; ``_NOT_STORED``
        for a field that is not one (missing, computed, x2many, ``display_name``)."""
        key = (model, name)
        known = self._defaults.get(key, _UNKNOWN)
        if known is not _UNKNOWN:
            return known
        spec = self.schema[model].get(name)
        if (
            spec is None
            or spec[0] in ("one2many", "many2many")
            or name == "display_name"
            or hasattr(self, f"_compute_{model.replace('.', '_')}__{name}")
        ):
            known = _NOT_STORED
        else:
            known = 0 if spec[0] in ("integer", "float") else False
        self._defaults[key] = known
        return known

    def _children(self, model: str, inverse: str, parent_id: int) -> list[int]:
        """The ids of ``model``'s records whose ``inverse`` is ``parent_id`` (a one2many's
        records), through the table's index on ``inverse``."""
        table = self.tables[model]
        found = table.candidates(inverse, False, (parent_id,))
        if found is None:  # pragma: no cover - an int is always hashable
            found = set(table)
        return sorted(rid for rid in found if table[rid].get(inverse) == parent_id)

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
        fields = self.schema[model]
        for name, value in vals.items():
            spec = fields.get(name)
            kind = (spec or self._field(model, name))[0]  # (an unknown field raises)
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
            relation, inverse = self._one2many(model, name)
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
            if "write_date" in self.schema[model]:
                record["write_date"] = now_text()
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
        body_is_html: bool = False,
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
                "body": body if body_is_html and self.major >= 17 else f"<p>{_escape(body)}</p>",
                "message_type": message_type,
                "date": now_text(),
            },
        )

    @property
    def _line_uom_field(self) -> str:
        return "product_uom_id" if self.major >= 19 else "product_uom"

    def _lines(self, order_id: int) -> list[Values]:
        table = self.tables["purchase.order.line"]
        return [table[i] for i in self._children("purchase.order.line", "order_id", order_id)]

    def snapshot(self) -> dict[str, dict[int, Values]]:
        """A deep copy of every table (for assertions): plain dicts."""
        return self.tables.__deepcopy__({})


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
    if op in _LIKES:
        return _like(value, op, target)
    if value in (None, False):
        return False
    ordering = _ORDERINGS.get(op)
    if ordering is None:
        raise OdooFault("builtins.ValueError", f"Invalid operator {op!r}")
    try:
        return bool(ordering(value, target))
    except TypeError:
        return False


_LIKES = ("like", "ilike", "=like", "=ilike", "not like", "not ilike")
_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _like(value: Any, op: str, target: Any) -> bool:
    """Odoo's (i)like family: ``%`` and ``_`` wildcards for ``=like``, substring else."""
    if not isinstance(value, str):
        return op.startswith("not")
    text, pattern = str(value), str(target)
    if "ilike" in op:
        text, pattern = text.lower(), pattern.lower()
    if op.startswith("="):
        return fnmatch.fnmatchcase(text, pattern.replace("%", "*").replace("_", "?"))
    found = pattern in text
    return not found if op.startswith("not") else found
