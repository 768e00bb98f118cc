"""Declarative maps from X12/EDIFACT transactions to canonical documents.

Public API::

    library = MapLibrary.load([Path("maps")])
    map_ = library.map_for(profile, "x12", "004010", "850")
    result = translate(tx, interchange=ic, group=grp, map=map_, profile=profile)
    result.document  # a gateway.canonical model; result.explain: list[FieldTrace]

Errors: :class:`MappingError` (our side, operator alert) and :class:`DocumentError`
(partner data), both :class:`TranslationError`; :class:`MapLoadError` for map files.
"""

from gateway.mapping.engine import Translation, translate
from gateway.mapping.errors import (
    DocumentError,
    MapLoadError,
    MappingError,
    TranslationError,
    UnsupportedDocument,
)
from gateway.mapping.library import MapLibrary, normalize_version
from gateway.mapping.payload import TransactionResult, translate_payload
from gateway.mapping.resolve import FieldTrace
from gateway.mapping.schema import Map

__all__ = [
    "DocumentError",
    "FieldTrace",
    "Map",
    "MapLibrary",
    "MapLoadError",
    "MappingError",
    "TransactionResult",
    "Translation",
    "TranslationError",
    "UnsupportedDocument",
    "normalize_version",
    "translate",
    "translate_payload",
]
