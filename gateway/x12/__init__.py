"""The X12 engine: tokenizer, envelopes, set specs, validation, acknowledgements, writer.

Pure code (bytes in, objects or bytes out). The pipeline calls the functions exported
here; everything else is internal.

Exceptions (the one tree of this package):

* :class:`~gateway.x12.errors.X12Error` - base.
* :class:`~gateway.x12.errors.X12BuildError` - *our* fault: a builder or writer was
  given something it cannot serialize (bad delimiters, a value containing a
  delimiter). An operator alert, never a rejection sent to a partner.

Bad partner data never raises: it comes back as :class:`gateway.edi.Issue` objects
carrying the TA1 / AK9 / AK5 / AK3 / AK4 (IK5 / IK3 / IK4) code and position.
"""

from __future__ import annotations

from gateway.x12.acks import build_acknowledgement, build_ta1, is_acknowledgement_group, needs_ta1
from gateway.x12.envelope import X12Envelope, envelope_of
from gateway.x12.errors import X12BuildError, X12Error
from gateway.x12.inbound import read_acknowledgement, read_ta1
from gateway.x12.isa import Delimiters
from gateway.x12.reader import StreamSummary, iter_segments, parse_payload, validate_stream
from gateway.x12.segment import X12Segment
from gateway.x12.writer import DocumentBuilder, write_interchange, write_payload

__all__ = [
    "Delimiters",
    "DocumentBuilder",
    "StreamSummary",
    "X12BuildError",
    "X12Envelope",
    "X12Error",
    "X12Segment",
    "build_acknowledgement",
    "build_ta1",
    "envelope_of",
    "is_acknowledgement_group",
    "iter_segments",
    "needs_ta1",
    "parse_payload",
    "read_acknowledgement",
    "read_ta1",
    "validate_stream",
    "write_interchange",
    "write_payload",
]
