"""The imitated Odoo's tables: records by id, with equality indexes that stay right.

A search by reference (``[["partner_ref", "=", "PO-1"], ...]``) used to test every
record of the model, a cost that grew with every order the dry run made. A
:class:`Table` answers "which records can hold this value in this field" from an index
built on the first such question, and keeps it right on every change: records are
:class:`Record` dicts that tell their table before and after any change to them, and the
table sees records added, replaced and removed. Code and tests change records in place
(``order["state"] = "purchase"``, ``line.update(...)``, ``record.pop(...)``) exactly as
with plain dicts.

An index narrows and never decides: it answers a superset (values it cannot hash, and
lists, which domains compare as x2many, are always candidates), and the full domain
match still runs on every candidate (``MemoryOrm._search_ids``).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

Values = dict[str, Any]

_T = TypeVar("_T")


class _Index:
    """The ids of one table's records by the value of one field."""

    __slots__ = ("by_value", "default", "odd")

    def __init__(self, default: Any) -> None:
        self.default = default  # the value a record without the field holds
        self.by_value: dict[Any, set[int]] = {}
        self.odd: set[int] = set()  # lists and unhashable values: always candidates

    def add(self, key: int, record: Values, field: str) -> None:
        value = record.get(field, self.default)
        if isinstance(value, list):
            self.odd.add(key)
            return
        try:
            self.by_value.setdefault(value, set()).add(key)
        except TypeError:  # unhashable
            self.odd.add(key)

    def remove(self, key: int, record: Values, field: str) -> None:
        value = record.get(field, self.default)
        self.odd.discard(key)
        if isinstance(value, list):
            return
        try:
            ids = self.by_value.get(value)
        except TypeError:
            return
        if ids is not None:
            ids.discard(key)
            if not ids:
                del self.by_value[value]


def _reindexed(method: Callable[..., _T]) -> Callable[..., _T]:
    """A dict method of :class:`Record` that may change indexed fields."""

    def changing(self: Record, *args: Any, **kwargs: Any) -> _T:
        table = self._table
        if table is None:
            return method(self, *args, **kwargs)
        table.version += 1
        if not table._indexes:
            return method(self, *args, **kwargs)
        table._unindex(self._key, self)
        try:
            return method(self, *args, **kwargs)
        finally:
            table._index(self._key, self)

    changing.__name__ = method.__name__
    return changing


class Record(dict[str, Any]):
    """One record's values: a dict that keeps its table's indexes right."""

    __slots__ = ("_key", "_table")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._table: Table | None = None
        self._key = 0

    def __setitem__(self, name: str, value: Any) -> None:
        table = self._table
        if table is None:
            dict.__setitem__(self, name, value)
            return
        table.version += 1
        index = table._indexes.get(name)
        if index is None:
            dict.__setitem__(self, name, value)
            return
        index.remove(self._key, self, name)
        try:
            dict.__setitem__(self, name, value)
        finally:
            index.add(self._key, self, name)

    __delitem__ = _reindexed(dict.__delitem__)
    update = _reindexed(dict.update)
    pop = _reindexed(dict.pop)
    popitem = _reindexed(dict.popitem)
    setdefault = _reindexed(dict.setdefault)
    clear = _reindexed(dict.clear)
    __ior__ = _reindexed(dict.__ior__)

    # copies are plain dicts, owned by no table
    def __copy__(self) -> Values:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Values:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


class Table(dict[int, Values]):
    """One model's records by id, indexed on demand (see the module docstring)."""

    __slots__ = ("_indexes", "_top", "version")

    def __init__(self, rows: Mapping[int, Values] | Iterable[tuple[int, Values]] = ()) -> None:
        super().__init__()
        self._indexes: dict[str, _Index] = {}
        #: counts every change to the table and its records (answers kept by the dry run
        #: are good while the tables they were read from have not changed)
        self.version = 0
        self._top: int | None = 0  # the highest id; None: to be found again (see top)
        for key, record in dict(rows).items():
            self[key] = record

    def top(self) -> int:
        """The highest id (0 when empty), without reading every id each time a record
        is added (new ids are ``top() + 1``)."""
        if self._top is None:
            self._top = max(self, default=0)
        return self._top

    # ---- the index -----------------------------------------------------------------
    def candidates(self, field: str, default: Any, values: Iterable[Any]) -> set[int] | None:
        """The ids of every record whose ``field`` (``default`` when missing) may equal
        one of ``values`` (more can come back, never fewer); None for a value that
        cannot be looked up (unhashable)."""
        index = self._indexes.get(field)
        if index is None or index.default != default or type(index.default) is not type(default):
            index = _Index(default)
            for key, record in self.items():
                index.add(key, record, field)
            self._indexes[field] = index
        found = set(index.odd)
        for value in values:
            try:
                ids = index.by_value.get(value)
            except TypeError:
                return None
            if ids:
                found |= ids
        return found

    def _index(self, key: int, record: Values) -> None:
        for field, index in self._indexes.items():
            index.add(key, record, field)

    def _unindex(self, key: int, record: Values) -> None:
        for field, index in self._indexes.items():
            index.remove(key, record, field)

    def _own(self, key: int, record: Values) -> Record:
        """``record`` as this table's record under ``key`` (a copy when it is another
        table's, or a plain dict)."""
        if type(record) is not Record or record._table is not None:
            record = Record(record)
        record._table = self
        record._key = key
        return record

    def _release(self, key: int) -> None:
        self.version += 1
        if key == self._top:
            self._top = None  # the highest went: found again when asked
        old = dict.get(self, key)
        if isinstance(old, Record):
            if self._indexes:
                self._unindex(key, old)
            old._table = None

    # ---- dict methods that add or remove records -----------------------------------
    def __setitem__(self, key: int, record: Values) -> None:
        owned = self._own(key, record)
        self._release(key)  # (and counts the change)
        dict.__setitem__(self, key, owned)
        if self._top is not None and key > self._top:
            self._top = key
        if self._indexes:
            self._index(key, owned)

    def __delitem__(self, key: int) -> None:
        self._release(key)
        dict.__delitem__(self, key)

    def pop(self, key: int, *default: Any) -> Any:
        if key in self:
            self._release(key)
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[int, Values]:
        key = next(reversed(self.keys()))
        return key, self.pop(key)

    def setdefault(self, key: int, default: Values | None = None) -> Values:
        if key not in self:
            self[key] = default if default is not None else {}
        return dict.__getitem__(self, key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, record in dict(*args, **kwargs).items():
            self[key] = record

    def __ior__(self, other: Any) -> Table:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        for key in list(self):
            self._release(key)
        dict.clear(self)

    # copies are plain dicts of plain dicts
    def __copy__(self) -> dict[int, Values]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[int, Values]:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self) -> Any:
        return (dict, ({k: dict(v) for k, v in self.items()},))


#: every ``Tables``' generations, from one count
_GENERATIONS = itertools.count(1)


class Tables(dict[str, Table]):
    """Every model's :class:`Table` (a plain dict of records put in becomes one).

    ``generation`` changes whenever a table is put in or taken out (not with the changes
    of their records: each table counts its own), to a number no other ``Tables`` has
    had: one that held these tables, and their change counts, knows they are the same."""

    generation = 0

    def __setitem__(self, model: str, rows: Mapping[int, Values]) -> None:
        self.generation = next(_GENERATIONS)
        dict.__setitem__(self, model, rows if type(rows) is Table else Table(rows))

    def __delitem__(self, model: str) -> None:
        self.generation = next(_GENERATIONS)
        dict.__delitem__(self, model)

    def pop(self, model: str, *default: Any) -> Any:
        self.generation = next(_GENERATIONS)
        return dict.pop(self, model, *default)

    def popitem(self) -> tuple[str, Table]:
        self.generation = next(_GENERATIONS)
        return dict.popitem(self)

    def clear(self) -> None:
        self.generation = next(_GENERATIONS)
        dict.clear(self)

    def __ior__(self, other: Any) -> Tables:  # type: ignore[override,misc]
        self.update(other)
        return self

    def setdefault(self, model: str, rows: Mapping[int, Values] | None = None) -> Table:
        if model not in self:
            self[model] = rows if rows is not None else {}
        return dict.__getitem__(self, model)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for model, rows in dict(*args, **kwargs).items():
            self[model] = rows

    def __copy__(self) -> dict[str, dict[int, Values]]:
        return {m: dict(t) for m, t in self.items()}

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, dict[int, Values]]:
        return {m: t.__deepcopy__(memo) for m, t in self.items()}
