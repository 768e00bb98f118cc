"""The business key of a transaction read straight from its bytes, before translation.

The tracker finds documents by PO, shipment or invoice number. Translation sets the
canonical key; until then (and for documents that never translate) the number the
envelope carries is recorded at split from the set's key segment: X12 850 BEG03, 855
BAK03, 856 BSN02, 810 BIG02; EDIFACT BGM 1004 (C106 first component). Pure: bytes in,
text out.
"""

from __future__ import annotations

import mmap

# set -> (segment tag, element position, component position)
_KEYS: dict[str, tuple[str, int, int]] = {
    "850": ("BEG", 3, 1),
    "855": ("BAK", 3, 1),
    "856": ("BSN", 2, 1),
    "810": ("BIG", 2, 1),
    "ORDERS": ("BGM", 2, 1),
    "ORDRSP": ("BGM", 2, 1),
    "DESADV": ("BGM", 2, 1),
    "INVOIC": ("BGM", 2, 1),
}
MAX_KEY = 64
SCAN_BYTES = 4096  # the key segment is in the first few segments of a transaction


def envelope_key(
    data: bytes | mmap.mmap, interchange_start: int, start: int, end: int, set_id: str, syntax: str
) -> str | None:
    """The key of the transaction at ``data[start:end]``, or None when it has none."""
    wanted = _KEYS.get(set_id)
    if wanted is None or start < 0 or end <= start:
        return None
    tag, position, component = wanted
    element_sep, segment_sep, component_sep = _separators(data, interchange_start, syntax)
    if not element_sep or not segment_sep:
        return None
    text = data[start : min(end, start + SCAN_BYTES)].decode("latin-1")
    for raw in text.split(segment_sep):
        segment = raw.strip()
        parts = segment.split(element_sep)
        if parts[0] != tag:
            continue
        if len(parts) <= position:
            return None
        value = parts[position]
        if component_sep:
            pieces = value.split(component_sep)
            value = pieces[component - 1] if len(pieces) >= component else ""
        value = value.strip()
        return value[:MAX_KEY] or None
    return None


def _separators(data: bytes | mmap.mmap, start: int, syntax: str) -> tuple[str, str, str]:
    """(element, segment, component) separators of the interchange at ``start``."""
    head = data[start : start + 128].decode("latin-1")
    if syntax == "x12":
        if not head.startswith("ISA") or len(head) < 106:
            return "", "", ""
        return head[3], head[105], head[104]
    if head.startswith("UNA") and len(head) >= 9:
        return head[4], head[8], head[3]
    return "+", "'", ":"
