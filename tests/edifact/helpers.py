"""Small builders for hand-written EDIFACT test data."""

from __future__ import annotations


def interchange(
    *messages: str,
    una: str = "",
    unb_ref: str = "REF1",
    count: int | None = None,
    syntax: str = "UNOC:3",
    unz_ref: str | None = None,
) -> bytes:
    """Wrap message texts (each ``UNH...UNT'``) in UNB/UNZ with default service chars."""
    body = "".join(messages)
    n = len(messages) if count is None else count
    text = (
        f"{una}UNB+{syntax}+SENDER:14+RECEIVER:14+240115:1200+{unb_ref}'"
        f"{body}UNZ+{n}+{unz_ref if unz_ref is not None else unb_ref}'"
    )
    return text.encode("latin-1")


def message(
    ref: str,
    *segments: str,
    mtype: str = "ORDERS:D:96A:UN:EAN008",
    count: int | None = None,
    unt_ref: str | None = None,
) -> str:
    """A UNH..UNT message from segment texts without terminators."""
    segs = [f"UNH+{ref}+{mtype}", *segments]
    n = len(segs) + 1 if count is None else count
    segs.append(f"UNT+{n}+{unt_ref if unt_ref is not None else ref}")
    return "".join(s + "'" for s in segs)


VALID_ORDERS_BODY = (
    "BGM+220+PO4711+9",
    "DTM+137:20240115:102",
    "NAD+BY+5412345000013::9",
    "NAD+SU+4012345500004::9",
    "LIN+1++4000862141404:SRV",
    "PIA+1+ABC123:SA",
    "QTY+21:48:PCE",
    "UNS+S",
    "CNT+2:1",
)
