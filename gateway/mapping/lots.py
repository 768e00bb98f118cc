"""Every lot a ship notice line names ends up in its ``lots`` list, once.

A line can name its lots in three ways the map reads separately: the ``lots:`` list
loop (856 REF*LT with DTM and CLD, DESADV PCI groups), the line's ``lot_number`` field
(the first REF*LT, every GIN+BX of the LIN group when its rule reads ``all:``) and its
``ids`` rules (every LIN ``LT`` pair, PIA ``NB``). The ship notice builder calls
:func:`settle_lots` once per line, after its fields, ids and lists are read:

* a ``lots`` entry whose ``lot_number`` read several numbers (a GIN+BX with several
  C208 identity numbers in one PCI group) becomes one entry per number, each with the
  group's dates but none with the group's quantity: which number got how many is not
  known, and a lot without a quantity among several is ``lot_quantity_mismatch`` at
  receipt, never the whole quantity under the first number;
* each number the line's ``lot_number`` field or ids name that no entry names is added
  as an entry of its own (after the list's entries); a lot named both ways is listed
  once, as the list read it (with its quantity and expiry);
* the line's ``lot_number`` stays the first number it read.

Sans-IO like the rest of the engine: dicts in, dicts out, and the ``--explain`` traces
moved to the entries they now describe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from gateway.mapping.resolve import FieldTrace

_QUANTITY = "quantity"  # the field a group of several numbers cannot give any of them


def settle_lots(
    line: dict[str, Any],
    path: str,
    *,
    named: Sequence[FieldTrace] = (),
    traces: list[FieldTrace] | None = None,
    mark: int = 0,
) -> None:
    """Settle ``line["lots"]`` as the module docstring says.

    ``path`` is the line's trace prefix (``orders[0].lines[1].``); ``named`` the lot
    numbers its ids rules filed (each as a trace of where it was read); ``traces`` the
    reader's trace list, whose items from ``mark`` on are this line's.
    """
    own = line.get("lot_number")
    entries_in = line.get("lots") or []
    if (
        not named
        and not isinstance(own, list)
        and not any(isinstance(entry.get("lot_number"), list) for entry in entries_in)
        and (own is None or any(entry.get("lot_number") == own for entry in entries_in))
    ):
        return  # every number is listed once already (a lot per item, as most send)
    first_values = own if isinstance(own, list) else ([own] if own is not None else [])
    if isinstance(own, list):
        if own:
            line["lot_number"] = own[0]
        else:
            del line["lot_number"]
    entries: list[dict[str, Any]] = []
    # old entry index -> {lot number (or None for every field): new entry indexes}
    moved: dict[int, dict[str | None, list[int]]] = {}
    for old, entry in enumerate(entries_in):
        numbers = entry.get("lot_number")
        if not isinstance(numbers, list):
            moved[old] = {None: [len(entries)]}
            entries.append(entry)
            continue
        distinct = list(dict.fromkeys(numbers))
        if len(distinct) <= 1:
            kept = dict(entry)
            if distinct:
                kept["lot_number"] = distinct[0]
            else:
                del kept["lot_number"]
            moved[old] = {None: [len(entries)]}
            entries.append(kept)
            continue
        targets: dict[str | None, list[int]] = {None: []}
        for number in distinct:
            split = {k: v for k, v in entry.items() if k != _QUANTITY}
            split["lot_number"] = number
            targets[number] = [len(entries)]
            targets[None].append(len(entries))
            entries.append(split)
        moved[old] = targets
    listed = {entry.get("lot_number") for entry in entries}
    line_traces = [t for t in (traces or [])[mark:] if t.field_path == f"{path}lot_number"]
    sources: list[tuple[str, FieldTrace | None]] = [
        (value, next((t for t in line_traces if t.raw_value.strip() == value), None))
        for value in first_values
        if isinstance(value, str)
    ]
    sources += [(trace.raw_value, trace) for trace in named]
    added: list[tuple[int, FieldTrace | None]] = []
    for value, trace in sources:
        if value in listed:
            continue
        listed.add(value)
        added.append((len(entries), trace))
        entries.append({"lot_number": value})
    if entries:
        line["lots"] = entries
    if traces is not None:
        _retrace(traces, mark, path, moved, added, own)


def _retrace(
    traces: list[FieldTrace],
    mark: int,
    path: str,
    moved: dict[int, dict[str | None, list[int]]],
    added: list[tuple[int, FieldTrace | None]],
    own: Any,
) -> None:
    """Point this line's traces (``traces[mark:]``) at the entries settled above: a
    split entry's lot numbers each at its own entry, its other fields at every one of
    them (its quantity at none), an added lot at the trace it was read by, and the
    line's ``lot_number`` at its first value only."""
    head = f"{path}lots["
    out: list[FieldTrace] = []
    kept_own = False
    for trace in traces[mark:]:
        name = trace.field_path
        if name == f"{path}lot_number" and isinstance(own, list):
            if not kept_own:
                out.append(trace)
                kept_own = True
            continue
        if not name.startswith(head):
            out.append(trace)
            continue
        index_text, _, rest = name[len(head) :].partition("].")
        targets = moved.get(int(index_text)) if index_text.isdigit() else None
        if targets is None:
            out.append(trace)
            continue
        if rest == "lot_number" and len(targets) > 1:
            to = targets.get(trace.raw_value.strip(), [])
        elif rest == _QUANTITY and len(targets) > 1:
            to = []
        else:
            to = targets[None]
        out += [replace(trace, field_path=f"{head}{n}].{rest}") for n in to]
    for n, read_by in added:
        if read_by is not None:
            out.append(replace(read_by, field_path=f"{head}{n}].lot_number"))
    traces[mark:] = out
