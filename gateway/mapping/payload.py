"""Translate every transaction of a parsed payload: partner lookup, map choice, mapping.

Used by ``edi-gateway translate`` and by tests; the pipeline may use it too or call
:meth:`MapLibrary.map_for` and :func:`translate` per transaction itself. Pure: the
partner lookup is a callable passed in (the registry's ``find_for_interchange`` in
production, a dict in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.edi.model import (
    EdiGroup,
    EdiInterchange,
    EdiPayload,
    EdiTransaction,
    TransactionStatus,
)
from gateway.mapping.engine import Translation, translate
from gateway.mapping.errors import TranslationError, UnsupportedDocument
from gateway.mapping.library import MapLibrary
from gateway.partners.profile import PartnerProfile

FindPartner = Callable[[EdiInterchange], PartnerProfile | None]


@dataclass
class TransactionResult:
    """One transaction's outcome: a translation, or the error that stopped it."""

    interchange: EdiInterchange
    group: EdiGroup
    transaction: EdiTransaction
    profile: PartnerProfile | None
    translation: Translation | None = None
    error: TranslationError | None = None
    skipped: str | None = None  # why the transaction was not translated (rejected by the engine)

    @property
    def ok(self) -> bool:
        """True when a canonical document was produced."""
        return self.translation is not None


def translate_payload(
    payload: EdiPayload,
    *,
    library: MapLibrary,
    find_partner: FindPartner,
    explain: bool = False,
    include_rejected: bool = False,
    partner: PartnerProfile | None = None,
) -> list[TransactionResult]:
    """Translate every transaction the engine accepted (with or without errors).

    A transaction the engine rejected is returned with ``skipped`` set, unless
    ``include_rejected`` asks to try it anyway (useful when testing a map). ``partner``
    forces the profile instead of looking it up from the envelope.
    """
    results: list[TransactionResult] = []
    for interchange in payload.interchanges:
        profile = partner if partner is not None else find_partner(interchange)
        for group in interchange.groups:
            for tx in group.transactions:
                result = TransactionResult(interchange, group, tx, profile)
                results.append(result)
                if profile is None:
                    result.error = UnsupportedDocument(
                        f"unknown partner: no profile for {interchange.syntax.value.upper()} "
                        f"sender {interchange.sender_qualifier}/{interchange.sender_id}",
                        code="1",
                    )
                    continue
                rejected = interchange.rejected or tx.status is TransactionStatus.REJECTED
                if rejected and not include_rejected:
                    issues = [*interchange.issues, *tx.issues]
                    first = next((i for i in issues if i.fatal), None)
                    result.skipped = "rejected by validation" + (
                        f": {first.describe()}" if first else ""
                    )
                    continue
                try:
                    map_ = library.map_for(
                        profile, interchange.syntax.value, tx.version or group.version, tx.set_id
                    )
                    result.translation = translate(
                        tx,
                        interchange=interchange,
                        group=group,
                        map=map_,
                        profile=profile,
                        explain=explain,
                    )
                except TranslationError as exc:
                    result.error = exc
    return results
