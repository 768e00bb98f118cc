"""Outbound documents: canonical documents written as X12 or EDIFACT for a partner.

Public API::

    library = OutboundLibrary.load([Path("maps")])
    map_ = library.get("x12/004010/850")
    rendered = render(map_, purchase_order)        # segments + where each came from
    written = write(map_, rendered, envelope)      # bytes, validated by our own engine

Pure codecs only: choosing the partner's map, control numbers from the store's counters,
and sending over the partner's transport happen in the pipeline.
"""

from gateway.outbound.build import OutboundEnvelope, OutboundInvalid, Written, write
from gateway.outbound.render import Rendered, RenderError, SegmentTrace, render
from gateway.outbound.template import OutboundLibrary, OutboundMap, OutboundMapError

__all__ = [
    "OutboundEnvelope",
    "OutboundInvalid",
    "OutboundLibrary",
    "OutboundMap",
    "OutboundMapError",
    "RenderError",
    "Rendered",
    "SegmentTrace",
    "Written",
    "render",
    "write",
]
