"""The mapping package's exception tree.

::

    TranslationError                 anything that stops a transaction becoming a document
    ├── MappingError                 our side: a broken map or a bug (operator alert, never
    │                                a reject sent to the partner)
    └── DocumentError                partner data: a mandatory field absent, a bad date or
        │                            number; names the canonical field and segment position
        └── UnsupportedDocument      the partner sent a set/version its profile or the map
                                     library does not cover
    MapLoadError                     a map file does not load (file, line, field, reason)

``DocumentError`` carries ``code``, the X12 AK4/IK4 element error code the
acknowledgement would report (``1`` mandatory element missing, ``6`` invalid character,
``7`` invalid code value, ``8`` invalid date), with the segment position and element,
so the pipeline can turn it into an ``Issue``. ``UnsupportedDocument`` uses ``1`` in the
AK5/IK5 sense: transaction set not supported. For EDIFACT the equivalent CONTRL
codes are 13 (missing) and 12 (invalid value); the caller translates.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path


class TranslationError(Exception):
    """Base class: a transaction could not be translated into a canonical document."""


class MappingError(TranslationError):
    """Our fault: the map is broken or the engine hit a bug. Alert an operator."""


class DocumentError(TranslationError):
    """The partner's data cannot become a canonical document.

    ``field`` is the canonical field path (``lines[2].quantity``); ``segment_tag`` and
    ``segment_position`` say where in the transaction the engine was looking.
    """

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        segment_tag: str | None = None,
        segment_position: int | None = None,
        element: int | None = None,
        code: str = "7",  # X12 AK4 "invalid code value"; "8" = invalid date, "6" = bad char
    ) -> None:
        self.reason = reason
        self.field = field
        self.segment_tag = segment_tag
        self.segment_position = segment_position
        self.element = element
        self.code = code
        super().__init__(str(self))

    def __str__(self) -> str:
        parts: list[str] = []
        if self.field:
            parts.append(f"field {self.field}")
        if self.segment_position is not None:
            tag = f" ({self.segment_tag})" if self.segment_tag else ""
            parts.append(f"segment {self.segment_position}{tag}")
        elif self.segment_tag:
            parts.append(f"segment {self.segment_tag}")
        if self.element is not None:
            parts.append(f"element {self.element}")
        where = ", ".join(parts)
        return f"{where}: {self.reason}" if where else self.reason


class UnsupportedDocument(DocumentError):
    """No map for this partner, syntax, version and transaction set (or no partner):
    ``code`` "1" is AK5/IK5 "transaction set not supported"."""


@dataclass
class MapLoadError(Exception):
    """A map file that does not load: which file, which line, which field and why."""

    file: Path | None
    line: int | None
    field: str
    reason: str
    # the map's other errors, when it has several
    more: list[MapLoadError] = dataclasses.field(default_factory=list, compare=False)

    def every(self) -> list[MapLoadError]:
        """This error and the map's other ones."""
        return [self, *self.more]

    def __str__(self) -> str:
        where = str(self.file) if self.file else "<map>"
        if self.line is not None:
            where += f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.reason}"
