"""The exception tree of :mod:`gateway.edifact`.

``EdifactError``
    the root; catch it to handle anything this package raises on purpose.
``EdifactDataError`` (their fault)
    partner data that cannot be read. Carries the CONTRL syntax error code
    (data element 0085) the partner will see. The parser itself never raises it to
    callers of :func:`gateway.edifact.parse_payload`; findings become ``Issue`` objects.
``EdifactWriteError`` (our fault)
    we were asked to write something EDIFACT cannot express (a service character
    inside a tag, an unknown character set, a value the charset cannot encode, a
    character outside the UNOA/UNOB repertoire or a control character in data). An
    operator alert, never a reject sent to a partner.
"""

from __future__ import annotations


class EdifactError(Exception):
    """Root of every error raised on purpose by :mod:`gateway.edifact`."""


class EdifactDataError(EdifactError):
    """Partner data that cannot be read, with the CONTRL code (0085) to report."""

    def __init__(self, message: str, *, code: str, byte_offset: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.byte_offset = byte_offset


class EdifactWriteError(EdifactError):
    """We were asked to write something that is not valid EDIFACT (our side's fault)."""
