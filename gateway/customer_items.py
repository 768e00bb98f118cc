"""Customers' own item numbers for our products: the gateway's cross-reference table.

Odoo Community has no ``product.customerinfo`` (the customer-side twin of
``product.supplierinfo``), so a customer's part number is kept here, per partner, and an
inbound customer order line that names only that number is found through it.

``edi-gateway xref import PARTNER FILE.csv`` reads a CSV file with two columns, the
customer's part number and our item (our ``default_code``, or our GTIN), and an optional
third naming which one the second column is (``default_code`` or ``gtin``; without it, a
value of 8, 12, 13 or 14 digits with a correct GS1 check digit is a GTIN, anything else a
``default_code``). A first row whose first cell is ``customer_part`` is a header. Every
row is checked before anything is stored; any error (each named with its line number)
stores nothing; an import without errors replaces the partner's whole table.

:func:`parse_csv` is pure (text in, rows and errors out); :func:`replace_items`,
:func:`list_items` and :func:`lookup_table` are the store side.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.identifiers import IdentifierError, parse_gtin
from gateway.store.models import CustomerItem

ItemKind = Literal["default_code", "gtin"]
KINDS: tuple[ItemKind, ...] = ("default_code", "gtin")
HEADER = "customer_part"
MAX_LENGTH = 64


@dataclass(frozen=True)
class CustomerItemRef:
    """Our item a customer's part number stands for."""

    customer_part: str
    our_item: str
    kind: ItemKind
    line_number: int = 0


@dataclass
class ParsedFile:
    """What :func:`parse_csv` found: the rows, and the errors by line number."""

    items: list[CustomerItemRef] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _kind_of(value: str) -> ItemKind:
    if value.isdigit() and len(value) in (8, 12, 13, 14):
        try:
            parse_gtin(value)
        except IdentifierError:
            return "default_code"
        return "gtin"
    return "default_code"


def parse_csv(text: str) -> ParsedFile:
    """The rows of an xref CSV file, or the errors (line N: what is wrong)."""
    out = ParsedFile()
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        number = reader.line_num  # the physical line the row ended on
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() == HEADER:
            continue
        if len(cells) not in (2, 3):
            out.errors.append(
                f"line {number}: {len(cells)} columns; expected customer part number, "
                "our item (default_code or GTIN) and optionally its kind"
            )
            continue
        part, ours = cells[0], cells[1]
        problems: list[str] = []
        if not part:
            problems.append("the customer part number is empty")
        if not ours:
            problems.append("our item is empty")
        if len(part) > MAX_LENGTH or len(ours) > MAX_LENGTH:
            problems.append(f"a value is longer than {MAX_LENGTH} characters")
        kind: ItemKind
        if len(cells) == 3 and cells[2]:
            wanted = cells[2].lower()
            if wanted not in KINDS:
                problems.append(f"kind {cells[2]!r} is not default_code or gtin")
                kind = "default_code"
            else:
                kind = "gtin" if wanted == "gtin" else "default_code"
        else:
            kind = _kind_of(ours)
        if kind == "gtin" and ours:
            try:
                ours = parse_gtin(ours)
            except IdentifierError as exc:
                problems.append(f"GTIN {ours!r} {exc.reason}")
        if part in seen:
            problems.append(f"customer part {part!r} is already on line {seen[part]}")
        if problems:
            out.errors.append(f"line {number}: " + "; ".join(problems))
            continue
        seen[part] = number
        out.items.append(CustomerItemRef(part, ours, kind, number))
    if not out.items and not out.errors:
        out.errors.append("the file has no rows")
    return out


def replace_items(session: Session, partner_id: str, items: list[CustomerItemRef]) -> int:
    """Replace the partner's whole table with ``items``; returns how many are stored."""
    session.execute(delete(CustomerItem).where(CustomerItem.partner_id == partner_id))
    session.add_all(
        CustomerItem(
            partner_id=partner_id,
            customer_part=item.customer_part,
            our_item=item.our_item,
            kind=item.kind,
            line_number=item.line_number,
        )
        for item in items
    )
    session.flush()
    return len(items)


def list_items(
    session: Session, partner_id: str, parts: Collection[str] | None = None
) -> list[CustomerItemRef]:
    """The partner's cross-references (only those for ``parts`` when given), by customer
    part number."""
    query = select(CustomerItem).where(CustomerItem.partner_id == partner_id)
    if parts is not None:
        query = query.where(CustomerItem.customer_part.in_(sorted(set(parts))))
    rows = session.scalars(query.order_by(CustomerItem.customer_part))
    return [
        CustomerItemRef(
            r.customer_part,
            r.our_item,
            "gtin" if r.kind == "gtin" else "default_code",
            r.line_number,
        )
        for r in rows
    ]


def lookup_table(
    session: Session, partner_id: str, parts: Collection[str] | None = None
) -> Mapping[str, CustomerItemRef]:
    """The partner's cross-references keyed by the customer's part number (what the
    delivery's resolver is handed); ``parts`` limits it to the numbers a document names."""
    return {item.customer_part: item for item in list_items(session, partner_id, parts)}
