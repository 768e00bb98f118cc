"""What both syntaxes keep of an interchange beyond its rows (parse once).

The syntax-neutral part of :mod:`gateway.x12.stored` and :mod:`gateway.edifact.stored`:
the interchange's date, time and acknowledgement request, and each group's date and
time, as JSON, and putting them back on an interchange rebuilt from its rows.
"""

from __future__ import annotations

from typing import Any

from gateway.edi.model import EdiInterchange

Record = dict[str, Any]


def dates_record(interchange: EdiInterchange) -> Record:
    """The interchange's and its groups' dates and times, and its acknowledgement request."""
    return {
        "date": interchange.date,
        "time": interchange.time,
        "ack_requested": interchange.ack_requested,
        "groups": [{"date": g.date, "time": g.time} for g in interchange.groups],
    }


def restore_dates(interchange: EdiInterchange, record: Record) -> None:
    """Put :func:`dates_record`'s fields back (groups in order)."""
    interchange.date = record["date"]
    interchange.time = record["time"]
    interchange.ack_requested = record["ack_requested"]
    for group, stored in zip(interchange.groups, record["groups"], strict=False):
        group.date = stored["date"]
        group.time = stored["time"]
