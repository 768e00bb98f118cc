"""Parse once (issue 21): acknowledgements and translations from what split recorded.

Split parses a payload once and keeps rows plus a compact envelope record; acknowledge
answers from those alone (:func:`gateway.pipeline.stored.stored_interchange`) and
translate reads each transaction's own bytes. Differential checks against the path
before (parsing the stored interchange again, :func:`reparse_interchange`), over the
partner fixtures, varied generated files, the public corpus and mutants of them
(characters replaced, segments dropped or repeated): every acknowledgement the engines
build is byte for byte the same, for several policies, with the gateway's findings
merged (what the pipeline sends) and with the engine's findings alone (so the
997/999/CONTRL bodies of interchanges the gateway refuses are compared too); every
transaction read from its own bytes has the segments (text, position, offset) of the
full parse, and maps to the same canonical document (or the same refusal).
"""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.edi.model import (
    AckControlNumbers,
    EdiGroup,
    EdiInterchange,
    EdiTransaction,
    Issue,
    OwnIdentity,
    SegmentLike,
)
from gateway.edifact.segment import EdifactSegment
from gateway.engines import FixedAckPolicy, engine_for
from gateway.intake import ReceivedPayload
from gateway.mapping import DocumentError, MappingError, translate
from gateway.mapping.view import split_view
from gateway.partners.profile import PartnerProfile
from gateway.pipeline.acks import reparse_interchange
from gateway.pipeline.intake import StoreIntake
from gateway.pipeline.issues import gateway_issues
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.stored import read_transaction, stored_interchange
from gateway.store.models import FunctionalGroup, Interchange, Message, Transaction
from gateway.x12.segment import X12Segment, X12View
from tests.conftest import REPO, corpus_path, require_corpus

sys.path.insert(0, str(REPO / "bench"))
import edifact_generate
import x12_generate

FIXTURES = REPO / "tests" / "fixtures" / "partners"
POLICIES = (
    FixedAckPolicy(x12="997", ta1="always", contrl=True),
    FixedAckPolicy(x12="999", ta1="on_error", contrl=True),
    FixedAckPolicy(x12="999", ta1="when_requested", contrl=True),
)
OURS = {
    "x12": OwnIdentity(qualifier="ZZ", id="GATEWAY", group_id="GATEWAYAPP"),
    "edifact": OwnIdentity(qualifier="14", id="4000000000009", group_id="4000000000009"),
}
FIXED = datetime(2026, 12, 6, 1, 30, tzinfo=UTC)


class _FixedDatetime(datetime):
    @classmethod
    def now(cls, tz: object = None) -> _FixedDatetime:  # type: ignore[override]
        return cls.fromtimestamp(FIXED.timestamp(), UTC)


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Acknowledgements carry the time they are written: fix it to compare bytes."""
    monkeypatch.setattr("gateway.x12.acks.datetime", _FixedDatetime)
    monkeypatch.setattr(
        "gateway.edifact.writer._dt", types.SimpleNamespace(datetime=_FixedDatetime, UTC=UTC)
    )


def _generated() -> list[tuple[str, bytes]]:
    out = [
        (f"gen-{kind}", b"".join(x12_generate.generate(kind, 30_000, control=n, seed=3)))
        for n, kind in enumerate(sorted(x12_generate.KINDS), start=11)
    ]
    out += [
        (f"gen-{kind}", edifact_generate.generate(kind, 30_000, seed=3).replace(b"IC1", ic))
        for kind, ic in zip(sorted(edifact_generate.KINDS), (b"ICA", b"ICB", b"ICC"), strict=False)
    ]
    return out


def _fixtures() -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted(FIXTURES.rglob("*.edi"))]


def _corpus() -> list[tuple[str, bytes]]:
    root = corpus_path()
    if not root.is_dir():
        return []
    files = sorted(p for sub in ("x12", "edifact") for p in (root / sub).iterdir())
    return [(path.name, path.read_bytes()) for path in files if path.is_file()]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three edits: a character replaced, a segment dropped or repeated."""
    text = bytearray(data)
    terminator = b"~" if data.lstrip()[:3] == b"ISA" else b"'"
    for _ in range(rng.randint(1, 3)):
        action = rng.random()
        ends = [i for i, c in enumerate(text) if c == terminator[0]]
        if action < 0.5 or len(ends) < 6:
            at = rng.randrange(120, len(text))  # keep the ISA / UNA itself readable
            text[at] = rng.choice(b"*~:+'?A9 \n")
        else:
            k = rng.randrange(3, len(ends) - 2)
            segment = bytes(text[ends[k - 1] + 1 : ends[k] + 1])
            if action < 0.75:
                del text[ends[k - 1] + 1 : ends[k] + 1]
            else:
                text[ends[k] + 1 : ends[k] + 1] = segment
    return bytes(text)


def _mutants(count: int) -> list[tuple[str, bytes]]:
    rng = random.Random(21)
    bases = _fixtures() + _generated()[::2]
    return [(f"mutant-{n}", _mutate(rng.choice(bases)[1], rng)) for n in range(count)]


def _engine_only(edi: EdiInterchange, added: list[Issue]) -> EdiInterchange:
    """The same interchange without the gateway's findings (engine findings only)."""
    edi.issues = [i for i in edi.issues if i not in added]
    for group in edi.groups:
        group.issues = [i for i in group.issues if i not in added]
        for tx in group.transactions:
            tx.issues = [i for i in tx.issues if i not in added]
    return edi


def _acks(edi: EdiInterchange) -> list[tuple[str, bytes, str, str, str]]:
    engine = engine_for(edi.syntax)
    out = []
    for policy in POLICIES:
        for built in engine.build_acks(
            edi,
            policy=policy,
            ours=OURS[edi.syntax.value],
            numbers=lambda: AckControlNumbers(interchange=7, group=8, transaction=9),
        ):
            out.append(
                (built.kind, built.data, built.control_number, built.acknowledges, built.status)
            )
    return out


def _ingest(runtime: Runtime, payloads: list[tuple[str, bytes]]) -> None:
    intake = StoreIntake(runtime)
    for name, data in payloads:
        intake.receive(ReceivedPayload(data=data, transport="cli", filename=name))
        runtime.dispatcher.drain()  # type: ignore[attr-defined]


def _gateway_issues(session: Session, ic: Interchange) -> list[Issue]:
    stored = list(ic.issues)
    for group in session.scalars(
        select(FunctionalGroup).where(FunctionalGroup.interchange_id == ic.id)
    ):
        stored += group.issues
    for txn in session.scalars(select(Transaction).where(Transaction.interchange_id == ic.id)):
        stored += txn.issues
    return gateway_issues(stored)


def _compare_acks(runtime: Runtime) -> int:
    """Compare every interchange's acknowledgements both ways; return how many built."""
    built = 0
    with runtime.sessions() as session:
        for ic in session.scalars(select(Interchange).order_by(Interchange.id)):
            new = stored_interchange(session, ic)
            assert new is not None, ic.id
            old = reparse_interchange(runtime, session, ic)
            old_acks, new_acks = _acks(old), _acks(new)
            assert new_acks == old_acks, (ic.id, ic.control_number)
            built += len(new_acks)
            if ic.state in ("duplicate", "duplicate_rejected"):
                continue  # a refused duplicate's content is not recorded, only answered
            # without the gateway's findings: the bodies of refused interchanges too
            added = _gateway_issues(session, ic)
            assert _acks(_engine_only(new, added)) == _acks(_engine_only(old, added)), ic.id
    return built


def _payload_sets() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    yield "fixtures", _fixtures()
    yield "generated", _generated()
    yield "mutants", _mutants(60)


@pytest.mark.parametrize("name", ["fixtures", "generated", "mutants"])
def test_acks_from_rows_equal_acks_from_a_second_parse(
    make_runtime: Callable[..., Runtime], name: str
) -> None:
    payloads = dict(_payload_sets())[name]
    runtime = make_runtime()
    _ingest(runtime, payloads)
    assert _compare_acks(runtime) >= len(payloads)


def test_acks_from_rows_equal_acks_from_a_second_parse_corpus(
    make_runtime: Callable[..., Runtime],
) -> None:
    require_corpus()
    runtime = make_runtime()
    _ingest(runtime, _corpus())
    assert _compare_acks(runtime) > 50


def test_rows_without_a_record_are_parsed_again(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    _ingest(runtime, _fixtures()[:1])
    with runtime.sessions() as session:
        ic = session.scalars(select(Interchange)).first()
        assert ic is not None
        ic.envelope = None
        assert stored_interchange(session, ic) is None


BENCH_PROFILE = PartnerProfile.model_validate(
    {
        "id": "bench",
        "name": "Bench",
        "x12": {"isa_qualifier": "ZZ", "isa_id": "HOSPITALGROUP"},
        "edifact": {"unb_id": "5412345000013", "unb_qualifier": "14"},
    }
)


def _translation(
    runtime: Runtime,
    profile: PartnerProfile,
    edi: EdiInterchange,
    group: EdiGroup,
    tx: EdiTransaction,
) -> object:
    try:
        map_ = runtime.maps.map_for(profile, edi.syntax.value, tx.version, tx.set_id)
        result = translate(tx, interchange=edi, group=group, map=map_, profile=profile)
    except (DocumentError, MappingError) as exc:
        return ("refused", type(exc).__name__, str(exc))
    return result.document.model_dump(mode="json")


def _compare_translations(runtime: Runtime) -> int:
    """Every transaction both ways; return how many became documents."""
    documents = 0
    with runtime.sessions() as session:
        for ic in session.scalars(select(Interchange).order_by(Interchange.id)):
            if ic.state in ("duplicate", "duplicate_rejected"):
                continue
            new = stored_interchange(session, ic)
            assert new is not None
            old = reparse_interchange(runtime, session, ic)
            profile = runtime.registry.get(ic.partner_id) if ic.partner_id else BENCH_PROFILE
            assert profile is not None
            message = session.get(Message, ic.message_id)
            assert message is not None
            pairs = [
                (og, ot, ng, nt)
                for og, ng in zip(old.groups, new.groups, strict=True)
                for ot, nt in zip(og.transactions, ng.transactions, strict=True)
            ]
            with runtime.payloads.open(session, message.payload_sha256) as data:
                for old_group, old_tx, new_group, new_tx in pairs:
                    assert new_tx.start == old_tx.start + ic.start
                    read_transaction(data, new, new_tx)
                    assert _described(new_tx, ic.start) == _described(old_tx, 0), new_tx.start
                    assert (new_tx.set_id, new_tx.control_number, new_tx.version) == (
                        old_tx.set_id,
                        old_tx.control_number,
                        old_tx.version,
                    )
                    before = _translation(runtime, profile, old, old_group, old_tx)
                    after = _translation(runtime, profile, new, new_group, new_tx)
                    assert after == before, (ic.id, new_tx.control_number)
                    documents += isinstance(after, dict)
                    # read as the translate stage reads it: split once, straight from the
                    # bytes, the very views the mapping engine makes of the segments
                    segments = new_tx.segments
                    read_transaction(data, new, new_tx, split=True)
                    assert _views(new_tx.segments) == _views(split_view(segments))
                    split_after = _translation(runtime, profile, new, new_group, new_tx)
                    assert split_after == before, (ic.id, new_tx.control_number)
    return documents


def _views(segments: Sequence[SegmentLike]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for segment in segments:
        if isinstance(segment, X12View):
            out.append(
                (
                    segment.tag,
                    segment._parts,
                    segment.plain,
                    segment._component,
                    segment._repetition,
                    segment.position,
                )
            )
        else:
            assert isinstance(segment, EdifactSegment)
            out.append((segment.tag, segment.elements, segment.position, segment.offset))
    return out


def _described(tx: EdiTransaction, shift: int) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for segment in tx.segments:
        if isinstance(segment, X12Segment):
            out.append((segment.text, segment.position))
        else:
            assert isinstance(segment, EdifactSegment)
            out.append((segment.tag, segment.elements, segment.position, segment.offset - shift))
    return out


@pytest.mark.parametrize("name", ["fixtures", "generated", "mutants"])
def test_transactions_read_alone_translate_as_from_a_full_parse(
    make_runtime: Callable[..., Runtime], name: str
) -> None:
    payloads = dict(_payload_sets())[name]
    runtime = make_runtime()
    _ingest(runtime, payloads)
    assert _compare_translations(runtime) >= {"fixtures": 8, "generated": 30, "mutants": 10}[name]


def test_transactions_read_alone_translate_as_from_a_full_parse_corpus(
    make_runtime: Callable[..., Runtime],
) -> None:
    require_corpus()
    runtime = make_runtime()
    _ingest(runtime, _corpus())
    _compare_translations(runtime)
