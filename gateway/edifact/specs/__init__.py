"""Declarative EDIFACT specs: segment layouts, message structures and code lists.

The data lives in :mod:`.segments` (segment dictionary per directory),
:mod:`.messages` (segment-group structure per message and directory) and
:mod:`.codelists` (the code lists the gateway relies on); :mod:`.model` compiles it
into the frozen objects the validator walks.
"""

from gateway.edifact.specs.model import (
    ComponentSpec,
    ElementSpec,
    GroupNode,
    MessageSpec,
    SegmentNode,
    find_message_spec,
    nearest_directory,
)

__all__ = [
    "ComponentSpec",
    "ElementSpec",
    "GroupNode",
    "MessageSpec",
    "SegmentNode",
    "find_message_spec",
    "nearest_directory",
]
