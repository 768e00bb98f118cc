"""Writing many rows of one table in one statement, without ids read back.

The stages write their transactions' states, events, documents and ledger rows in bulk
(issue 21). A plain ``executemany`` is what SQLite wants. On PostgreSQL, psycopg runs an
``executemany`` in pipeline mode, one Bind/Execute per row, handling each row's result in
Python, and SQLAlchemy prepares each row's parameters: together they cost more than the
rest of a small statement. Here PostgreSQL gets the rows as one array per column
(``INSERT ... SELECT * FROM unnest(...)``, ``UPDATE ... FROM unnest(...)``): one
statement whose text does not depend on the number of rows, so psycopg prepares it once
per connection, and the arrays travel in binary.

Values go through each column's own type (its bind processor: state enums to text, JSON
to psycopg's ``Json``), and columns a row leaves out get their Python-side ``default``
(insert) or ``onupdate`` (update), as a Core ``executemany`` does. Server-side defaults,
SQL expressions as values and ids read back are not supported: use Core for those.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Column, Table, TypeDecorator, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from gateway.store.attempts import note_write

_Processor = Callable[[Any], Any] | None


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    raw: Collection[str] = (),
) -> None:
    """INSERT ``rows`` (mappings of column name to value, all naming the same columns)
    in the session's transaction. ``raw``: columns whose values are bound as given
    (a JSON column's value already serialized)."""
    if not rows:
        return
    names = tuple(rows[0])
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        session.execute(_plain_insert(table, frozenset(raw)), list(rows))
        return
    missing = _defaults(table, names, onupdate=False)
    columns = names + tuple(name for name, _ in missing)
    sql, processors = _pg_insert(table, columns, frozenset(raw), dialect)
    arrays = _arrays(rows, names, missing, processors, per_row=True)
    _execute(session, sql, arrays)


def insert_unless_present(
    session: Session,
    table: Table,
    key: str,
    values: Mapping[str, Any],
    *,
    returning: str | None = None,
) -> Any:
    """INSERT one row unless a row with the same unique ``key`` column is there already
    (``ON CONFLICT (key) DO NOTHING``): one statement, no read first and no savepoint for
    a concurrent writer of the same row. Gives the new row's ``returning`` column, None
    when the row was there (or when nothing is asked back)."""
    statement = _unless_present(session.get_bind().dialect.name, table, key, returning)
    result = session.execute(statement, dict(values))
    return result.scalar() if returning is not None else None


@cache
def _unless_present(dialect: str, table: Table, key: str, returning: str | None) -> Insert:
    """The statement of :func:`insert_unless_present`, built once per database kind."""
    builders: dict[str, Callable[[Table], Any]] = {
        "postgresql": postgresql.insert,
        "sqlite": sqlite.insert,
    }
    build = builders.get(dialect)
    if build is None:  # the gateway's store is SQLite or PostgreSQL (Settings.database_url)
        raise ValueError(f"the message store runs on SQLite or PostgreSQL, not {dialect}")
    statement: Insert = build(table).on_conflict_do_nothing(index_elements=[key])
    if returning is not None:
        statement = statement.returning(table.c[returning])
    return statement


def update_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, key: str = "id"
) -> None:
    """UPDATE each row ``row[key]`` of ``table`` with the row's other values (every row
    naming the same columns) in the session's transaction."""
    if not rows:
        return
    names = tuple(rows[0])
    if key not in names:
        raise ValueError(f"update_rows: the rows carry no {key!r}")
    dialect = session.get_bind().dialect
    # the same row twice: PostgreSQL's UPDATE ... FROM would apply one of them, not both
    # in order as an executemany does
    if dialect.name != "postgresql" or len({row[key] for row in rows}) < len(rows):
        session.execute(_plain_update(table, names, key), [_prefixed(row) for row in rows])
        return
    missing = _defaults(table, names, onupdate=True)
    columns = names + tuple(name for name, _ in missing)
    sql, processors = _pg_update(table, columns, key, dialect)
    arrays = _arrays(rows, names, missing, processors, per_row=False)
    _execute(session, sql, arrays)


def _execute(session: Session, sql: str, arrays: list[list[Any]]) -> None:
    note_write(session)  # the stage's attempt row goes into this transaction
    session.connection().exec_driver_sql(sql, {f"p{i}": values for i, values in enumerate(arrays)})


def _arrays(
    rows: Sequence[Mapping[str, Any]],
    names: tuple[str, ...],
    missing: tuple[tuple[str, Callable[[], Any]], ...],
    processors: tuple[_Processor, ...],
    *,
    per_row: bool,
) -> list[list[Any]]:
    """One list per column: the rows' values, then the defaults of the columns they left
    out (evaluated per row for an insert, as ``default=dict`` must give each row its own
    dict; once for an update's ``onupdate`` timestamp)."""
    arrays = [[row[name] for row in rows] for name in names]
    for _, default in missing:
        arrays.append([default() for _ in rows] if per_row else [default()] * len(rows))
    for i, process in enumerate(processors):
        if process is not None:
            arrays[i] = [process(value) for value in arrays[i]]
    return arrays


@cache
def _defaults(
    table: Table, names: tuple[str, ...], *, onupdate: bool
) -> tuple[tuple[str, Callable[[], Any]], ...]:
    """The columns ``names`` leaves out that have a Python-side default (or onupdate)."""
    out = []
    for column in table.columns:
        if column.name in names:
            continue
        default = column.onupdate if onupdate else column.default
        if default is None:
            continue
        if not (default.is_scalar or default.is_callable):
            raise ValueError(f"{table.name}.{column.name}: only Python-side defaults")
        out.append((column.name, _default_value(default)))
    return tuple(out)


def _default_value(default: Any) -> Callable[[], Any]:
    if default.is_scalar:
        value = default.arg
        return lambda: value
    fn = default.arg  # SQLAlchemy wraps a no-argument callable to take the context
    return lambda: fn(None)


@cache
def _pg_insert(
    table: Table, columns: tuple[str, ...], raw: frozenset[str], dialect: Dialect
) -> tuple[str, tuple[_Processor, ...]]:
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    arrays = ", ".join(
        f"%(p{i})b::{_sql_type(table.c[name], dialect)}[]" for i, name in enumerate(columns)
    )
    sql = (
        f"INSERT INTO {target} ({', '.join(quote(name) for name in columns)}) "  # noqa: S608 - names from the table, quoted
        f"SELECT * FROM unnest({arrays})"
    )
    return sql, tuple(
        None if name in raw else _processor(table.c[name], dialect) for name in columns
    )


@cache
def _pg_update(
    table: Table, columns: tuple[str, ...], key: str, dialect: Dialect
) -> tuple[str, tuple[_Processor, ...]]:
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    arrays = ", ".join(
        f"%(p{i})b::{_sql_type(table.c[name], dialect)}[]" for i, name in enumerate(columns)
    )
    alias = ", ".join(quote(name) for name in columns)
    sets = ", ".join(f"{quote(name)} = u.{quote(name)}" for name in columns if name != key)
    sql = (
        f"UPDATE {target} SET {sets} FROM unnest({arrays}) AS u({alias}) "  # noqa: S608 - names from the table, quoted
        f"WHERE {target}.{quote(key)} = u.{quote(key)}"
    )
    return sql, tuple(_processor(table.c[name], dialect) for name in columns)


def _sql_type(column: Column[Any], dialect: Dialect) -> str:
    return column.type.compile(dialect=dialect)


def _processor(column: Column[Any], dialect: Dialect) -> _Processor:
    return column.type.dialect_impl(dialect).bind_processor(dialect)


class _AsGiven(TypeDecorator[Any]):
    """A value bound as it is (a JSON column's value already serialized)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


@cache
def _plain_insert(table: Table, raw: frozenset[str]) -> Any:
    statement = insert(table)
    if raw:
        statement = statement.values({name: bindparam(name, type_=_AsGiven()) for name in raw})
    return statement


@cache
def _plain_update(table: Table, names: tuple[str, ...], key: str) -> Any:
    return (
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({name: bindparam(f"b_{name}") for name in names if name != key})
    )


def _prefixed(row: Mapping[str, Any]) -> dict[str, Any]:
    return {f"b_{name}": value for name, value in row.items()}
