"""What an EDIFACT interchange envelope carries, beyond the syntax-neutral model.

:class:`EdifactEnvelope` goes into :attr:`gateway.edi.EdiInterchange.envelope`; the
CONTRL writer reads the service characters, syntax identifier and UNB parties from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.edifact.service_chars import ServiceChars


@dataclass(frozen=True, slots=True)
class EdifactEnvelope:
    """Service characters, character set and the UNB fields of one interchange."""

    chars: ServiceChars
    una: bool  # the interchange started with a UNA service string advice
    syntax_id: str  # UNB S001 0001, e.g. "UNOC"
    syntax_version: str  # UNB S001 0002, e.g. "3" (as used when it was missing: "3")
    codec: str  # the Python codec the text was decoded with
    sender: tuple[str, ...]  # UNB S002 components as sent (id, qualifier, routing)
    recipient: tuple[str, ...]  # UNB S003 components as sent
    application_reference: str = ""  # UNB 0026
    recipient_reference: str = ""  # UNB S005 0022
    agreement_id: str = ""  # UNB 0032
