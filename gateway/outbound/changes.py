"""What changed in a purchase order since we sent it: the change order to send (860/ORDCHG).

Pure: the order as the supplier knows it (what we sent, with every change sent since) and
the order as Odoo has it now go in; :func:`compare` returns an :class:`OrderChange` - the
change document to write (``purpose`` change or cancel, only the lines that changed, each
with its :class:`~gateway.canonical.LineChange`), the order as the supplier will know it
once the change is sent (the baseline of the next comparison), and one line of text per
change for the order's timeline and the chatter - or ``None`` when nothing the supplier
was told has changed (Odoo touched the record for a receipt or a bill).

Lines are matched by item (vendor part, our part, GTIN, NDC, HIBCC, UPC; the same item
twice pairs in order), never by position: the reader numbers Odoo's lines 1..n as they
stand, so deleting line 2 renumbers line 3. A change keeps the numbers the supplier was
given (POC01 / LIN 1082 point at the original PO1 / LIN), an added line gets the next
number never used for this order, and a deleted line stays in the baseline (as deleted)
so its number is not given to another item later.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.canonical import LineChange, PurchaseOrder, PurchaseOrderLine, Purpose
from gateway.edi.numbers import plain

# Header fields that are not "what the supplier was told" (or are handled on their own).
_NOT_COMPARED = {"lines", "source", "purpose", "document_type"}
_ITEM_KEYS = ("vendor_part", "buyer_part", "gtin", "ndc", "hibcc", "upc")


@dataclass(frozen=True)
class OrderChange:
    """A change order to send, and the order as the supplier knows it after it."""

    document: PurchaseOrder  # purpose change/cancel; only the changed lines
    known: PurchaseOrder  # the new baseline (every line, deleted ones marked so)
    summary: list[str] = field(default_factory=list)  # one line of text per change

    @property
    def purpose(self) -> Purpose:
        return self.document.purpose


def _item_key(line: PurchaseOrderLine) -> tuple[str, ...]:
    ids = line.item
    key = tuple(str(getattr(ids, name, None) or "") for name in _ITEM_KEYS)
    if not any(key):  # an item without any id: only its description tells it apart
        return ("description", str(ids.description or ""))
    return key


def _label(line: PurchaseOrderLine) -> str:
    ids = line.item
    name = ids.vendor_part or ids.buyer_part or ids.gtin or ids.ndc or ids.description
    return f"line {line.line_number}" + (f" ({name})" if name else "")


def _number(value: Decimal | None) -> str:
    return "-" if value is None else plain(value)


def _line_change(
    before: PurchaseOrderLine, after: PurchaseOrderLine
) -> tuple[LineChange | None, list[str]]:
    """How ``after`` differs from ``before`` (same item), in one code and in words."""
    kinds: list[LineChange] = []
    words: list[str] = []
    if after.quantity != before.quantity:
        up = after.quantity > before.quantity
        kinds.append(LineChange.QUANTITY_INCREASE if up else LineChange.QUANTITY_DECREASE)
        words.append(f"quantity {_number(before.quantity)} -> {_number(after.quantity)}")
    if (after.unit_price or Decimal(0)) != (before.unit_price or Decimal(0)):
        kinds.append(LineChange.PRICE)
        words.append(f"price {_number(before.unit_price)} -> {_number(after.unit_price)}")
    if after.requested_date != before.requested_date:
        kinds.append(LineChange.DATE)
        words.append(f"requested date {before.requested_date} -> {after.requested_date}")
    if after.uom != before.uom:
        kinds.append(LineChange.REPLACE)
        words.append(f"unit {before.uom} -> {after.uom}")
    if not kinds:
        return None, []
    return (kinds[0] if len(kinds) == 1 else LineChange.REPLACE), words


def _header_changes(sent: PurchaseOrder, current: PurchaseOrder) -> list[str]:
    before = sent.model_dump(mode="json", exclude=_NOT_COMPARED)
    after = current.model_dump(mode="json", exclude=_NOT_COMPARED)
    return [
        f"{name.replace('_', ' ')} changed"
        + (f": {before[name]} -> {after[name]}" if not isinstance(after[name], dict) else "")
        for name in after
        if before.get(name) != after[name]
    ]


Lines = list[PurchaseOrderLine]
Pairs = list[tuple[PurchaseOrderLine, PurchaseOrderLine]]


def _pair(sent: Lines, current: Lines) -> tuple[Pairs, Lines, Lines]:
    """(matched pairs, sent lines gone, current lines new), matching by item in order."""
    waiting: dict[tuple[str, ...], list[PurchaseOrderLine]] = defaultdict(list)
    for line in sent:
        waiting[_item_key(line)].append(line)
    pairs: list[tuple[PurchaseOrderLine, PurchaseOrderLine]] = []
    added: list[PurchaseOrderLine] = []
    for line in current:
        queue = waiting.get(_item_key(line))
        if queue:
            pairs.append((queue.pop(0), line))
        else:
            added.append(line)
    gone = [line for queue in waiting.values() for line in queue]
    gone.sort(key=sent.index)
    return pairs, gone, added


def _next_number(lines: list[PurchaseOrderLine]) -> int:
    numbers = [int(n) for line in lines if (n := line.line_number).isdigit()]
    return max(numbers, default=0) + 1


def compare(sent: PurchaseOrder, current: PurchaseOrder, *, cancelled: bool) -> OrderChange | None:
    """The change order that tells the supplier about ``current``, or ``None``.

    ``sent`` is the order as the supplier knows it (its deleted lines carry
    ``change=deleted``); ``current`` is the order read from Odoo now; ``cancelled`` says
    the order was cancelled in Odoo (the whole order is cancelled, whatever its lines).
    """
    if sent.purpose is Purpose.CANCEL:
        return None  # the supplier was told it is cancelled; nothing follows a cancellation
    live = [line for line in sent.lines if line.change is not LineChange.DELETED]
    if cancelled:
        document = sent.model_copy(update={"purpose": Purpose.CANCEL, "lines": []})
        known = sent.model_copy(update={"purpose": Purpose.CANCEL})
        return OrderChange(document, known, [f"order {sent.po_number} cancelled"])
    pairs, gone, added = _pair(live, current.lines)
    summary = _header_changes(sent, current)
    changed: list[PurchaseOrderLine] = []
    known_lines: list[PurchaseOrderLine] = []
    for before, after in pairs:
        kept = after.model_copy(update={"line_number": before.line_number, "change": None})
        kind, words = _line_change(before, after)
        if kind is not None:
            changed.append(kept.model_copy(update={"change": kind}))
            summary.append(f"{_label(kept)}: {', '.join(words)}")
        known_lines.append(kept)
    for line in gone:
        deleted = line.model_copy(update={"quantity": Decimal(0), "change": LineChange.DELETED})
        changed.append(deleted)
        known_lines.append(deleted)
        summary.append(f"{_label(line)} deleted (was {_number(line.quantity)} {line.uom or ''})")
    # deleted lines of earlier changes keep their numbers out of reuse
    known_lines += [line for line in sent.lines if line.change is LineChange.DELETED]
    number = _next_number([*sent.lines, *known_lines])
    for line in added:
        new = line.model_copy(update={"line_number": str(number), "change": LineChange.ADDED})
        number += 1
        changed.append(new)
        known_lines.append(new.model_copy(update={"change": None}))
        summary.append(f"{_label(new)} added ({_number(new.quantity)} {new.uom or ''})".strip())
    if not summary:
        return None
    order = {line.line_number: n for n, line in enumerate(sent.lines)}
    known_lines.sort(key=lambda line: (order.get(line.line_number, len(order)), line.line_number))
    changed.sort(key=lambda line: (order.get(line.line_number, len(order)), line.line_number))
    header = current.model_dump(exclude={"lines", "source", "purpose"})
    document = PurchaseOrder.model_validate(
        {**header, "purpose": Purpose.CHANGE, "lines": changed, "source": None}
    )
    known = PurchaseOrder.model_validate(
        {**header, "purpose": sent.purpose, "lines": known_lines, "source": sent.source}
    )
    return OrderChange(document, known, summary)
