"""The engine protocol (gateway/engines.py): one engine per syntax, looked up by syntax,
and no caller choosing between X12 and EDIFACT by itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gateway import edifact, x12
from gateway.edi.model import AckControlNumbers, Level, OwnIdentity, Syntax
from gateway.engines import (
    ENGINES,
    FixedAckPolicy,
    OutboundEnvelope,
    OutgoingDocument,
    detect_syntax,
    engine_for,
    parse_payload,
)

FIXTURES = Path(__file__).parent / "fixtures" / "partners"
X12_FILE = FIXTURES / "summit-medical" / "850_purchase_order.edi"
EDIFACT_FILE = FIXTURES / "nordlicht-medtech" / "ORDERS_purchase_order.edi"
OURS = OwnIdentity(qualifier="ZZ", id="US", group_id="US")
GATEWAY = Path(__file__).resolve().parents[1] / "gateway"


class Numbers:
    """Hands out control numbers and counts how often it was asked."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> AckControlNumbers:
        self.calls += 1
        return AckControlNumbers(interchange=self.calls, group=self.calls, transaction=1)


def test_engine_for_by_enum_and_by_stored_string() -> None:
    assert engine_for(Syntax.X12) is engine_for("x12") is ENGINES[Syntax.X12]
    assert engine_for("edifact").syntax is Syntax.EDIFACT
    assert set(ENGINES) == set(Syntax)
    with pytest.raises(ValueError):
        engine_for("tradacoms")


def test_each_engine_parses_its_own_syntax_like_the_engine_package() -> None:
    for path, syntax, package in (
        (X12_FILE, Syntax.X12, x12),
        (EDIFACT_FILE, Syntax.EDIFACT, edifact),
    ):
        data = path.read_bytes()
        assert detect_syntax(data) is syntax
        via_engine = engine_for(syntax).parse_payload(data)
        direct = package.parse_payload(data)
        assert via_engine.syntax is syntax
        assert [ic.control_number for ic in via_engine.interchanges] == [
            ic.control_number for ic in direct.interchanges
        ]
        assert parse_payload(data).interchanges[0].transactions[0].set_id in ("850", "ORDERS")


def test_x12_acks_follow_the_policy_and_take_numbers_only_when_writing() -> None:
    ic = parse_payload(X12_FILE.read_bytes()).interchanges[0]
    engine = engine_for(Syntax.X12)
    numbers = Numbers()
    none = engine.build_acks(
        ic, policy=FixedAckPolicy(x12="none", ta1="never"), ours=OURS, numbers=numbers
    )
    assert none == [] and numbers.calls == 0
    built = engine.build_acks(
        ic, policy=FixedAckPolicy(x12="997", ta1="always"), ours=OURS, numbers=numbers
    )
    assert [a.kind for a in built] == ["TA1", "997"]
    assert numbers.calls == 2
    assert built[0].data.startswith(b"ISA") and b"TA1*" in built[0].data
    # the 997 acknowledges the group, and reading it back gives the group and status
    ack_ic = parse_payload(built[1].data).interchanges[0]
    read = engine.read_ack(ack_ic.transactions[0])
    assert read is not None and read.kind == "997"
    assert read.group_control_number == ic.groups[0].control_number
    assert read.status == "accepted"
    # a TA1 travels in the envelope: the envelope reader finds it, EDIFACT has none
    ta1 = engine.read_envelope_ack(parse_payload(built[0].data).interchanges[0])
    assert ta1 is not None and ta1.interchange_control_number == ic.control_number
    assert engine_for(Syntax.EDIFACT).read_envelope_ack(ic) is None


def test_edifact_contrl_only_when_asked_and_readable_back() -> None:
    ic = parse_payload(EDIFACT_FILE.read_bytes()).interchanges[0]
    engine = engine_for(Syntax.EDIFACT)
    numbers = Numbers()
    assert (
        engine.build_acks(ic, policy=FixedAckPolicy(contrl=False), ours=OURS, numbers=numbers) == []
    )
    assert numbers.calls == 0
    (contrl,) = engine.build_acks(ic, policy=FixedAckPolicy(), ours=OURS, numbers=numbers)
    assert contrl.kind == "CONTRL" and numbers.calls == 1
    read = engine.read_ack(parse_payload(contrl.data).interchanges[0].transactions[0])
    assert read is not None and read.interchange_control_number == ic.control_number


def test_acknowledgements_are_never_acknowledged() -> None:
    """A partner's 997 or CONTRL gets no 997/CONTRL back (that loops with a partner
    who does the same); a group of orders beside a 997 group is still answered."""
    x12_engine, edifact_engine = engine_for(Syntax.X12), engine_for(Syntax.EDIFACT)
    ic = parse_payload(X12_FILE.read_bytes()).interchanges[0]
    policy = FixedAckPolicy(x12="997", ta1="never")
    (ack,) = x12_engine.build_acks(ic, policy=policy, ours=OURS, numbers=Numbers())
    their_997 = parse_payload(ack.data).interchanges[0]
    assert their_997.groups[0].functional_id == "FA"
    numbers = Numbers()
    assert x12_engine.build_acks(their_997, policy=policy, ours=OURS, numbers=numbers) == []
    assert numbers.calls == 0
    # the 997's group put after the order's group in one interchange: one AK1, for PO
    text = X12_FILE.read_bytes().decode()
    fa_group = ack.data.decode()
    fa_group = fa_group[fa_group.index("GS*") : fa_group.index("IEA*")]
    iea = text.index("IEA*")
    mixed = text[:iea] + fa_group + text[iea:].replace("IEA*1*", "IEA*2*", 1)
    mixed_ic = parse_payload(mixed.encode()).interchanges[0]
    assert [g.functional_id for g in mixed_ic.groups] == ["PO", "FA"]
    (answer,) = x12_engine.build_acks(mixed_ic, policy=policy, ours=OURS, numbers=Numbers())
    answered = parse_payload(answer.data).interchanges[0]
    ak1 = [list(s.parts) for t in answered.transactions for s in t.segments if s.parts[0] == "AK1"]
    assert ak1 == [["AK1", "PO", ic.groups[0].control_number]]
    # EDIFACT: a CONTRL interchange is not answered by a CONTRL
    eic = parse_payload(EDIFACT_FILE.read_bytes()).interchanges[0]
    (contrl,) = edifact_engine.build_acks(
        eic, policy=FixedAckPolicy(), ours=OURS, numbers=Numbers()
    )
    their_contrl = parse_payload(contrl.data).interchanges[0]
    assert [t.set_id for t in their_contrl.transactions] == ["CONTRL"]
    numbers = Numbers()
    assert (
        edifact_engine.build_acks(their_contrl, policy=FixedAckPolicy(), ours=OURS, numbers=numbers)
        == []
    )
    assert numbers.calls == 0


@pytest.mark.parametrize(
    ("syntax", "set_id", "version", "segments", "controls"),
    [
        (
            "x12",
            "850",
            "004010",
            [("BEG", ["00", "SA", "PO-1", "", "20240101"])],
            ("7", "3", "0005"),
        ),
        (
            "edifact",
            "ORDERS",
            "D96A",
            [("BGM", [("220",), "PO-1", "9"]), ("DTM", [("137", "20240101", "102")])],
            ("7", "", "5"),
        ),
    ],
)
def test_writer_output_parses_back_clean(
    syntax: str,
    set_id: str,
    version: str,
    segments: list[tuple[str, list[str | tuple[str, ...]]]],
    controls: tuple[str, str, str],
) -> None:
    engine = engine_for(syntax)
    env = OutboundEnvelope(
        sender_id="US",
        receiver_id="THEM",
        interchange_control=7,
        group_control=3,
        transaction_control=5,
    )
    data = engine.write(OutgoingDocument(set_id, version, segments), env)
    payload = parse_payload(data)
    assert payload.syntax is Syntax(syntax)
    (ic,) = payload.interchanges
    assert ic.control_number == "7" or ic.control_number.lstrip("0") == "7"
    assert ic.transactions[0].set_id == set_id
    stored = engine.stored_controls(env)
    assert (stored.interchange, stored.group, stored.transaction) == controls
    assert not [i for i in ic.issues if i.level is Level.INTERCHANGE and i.fatal]


def test_refusal_codes_and_tags_are_the_engines() -> None:
    x, e = engine_for("x12"), engine_for("edifact")
    assert (x.envelope_tag, x.message_tag, x.file_suffix) == ("ISA", "ST", "x12")
    assert (e.envelope_tag, e.message_tag, e.file_suffix) == ("UNB", "UNH", "edi")
    assert (x.refusals.duplicate, e.refusals.duplicate) == ("025", "26")
    assert (x.refusals.set_not_supported, e.refusals.set_not_supported) == ("1", "17")


# Modules that still choose by syntax, and why it is not an engine call: each decides on
# partner-profile data (which ids the profile has, which of our maps exists), which the
# engines must not see. Shrink this list; never grow it.
_PROFILE_CHOICES = {
    "gateway/pipeline/advice.py",  # which 824 / APERAK map a release or directory uses
    "gateway/pipeline/outbound_kinds.py",  # which map: the profile's x12 or edifact ids
    "gateway/pipeline/outbound_records.py",  # the profile's x12 or edifact ids in the envelope
    "gateway/partners/registry.py",  # the partner looked up by X12 or EDIFACT ids
    "gateway/mapping/library.py",  # map names per release / directory
    "gateway/mapping/segments.py",  # segment layouts from the X12 or EDIFACT specs
    "gateway/edi/keys.py",  # delimiters read before any engine runs (the split stage)
    "gateway/documents.py",  # the registry's X12 sets or EDIFACT messages
}
_ENGINE_HOMES = ("gateway/engines.py", "gateway/x12/", "gateway/edifact/")


def _syntax_choices(path: Path) -> list[int]:
    """Lines comparing a value to one syntax (``== "x12"``, ``is Syntax.EDIFACT`` ...)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Compare):
            continue
        for op, right in zip(node.ops, node.comparators, strict=True):
            if not isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot):
                continue
            text = ast.unparse(right)
            if text in ("'x12'", "'edifact'", "Syntax.X12", "Syntax.EDIFACT"):
                lines.append(node.lineno)
    return lines


def test_no_syntax_choice_outside_the_engines() -> None:
    found = {}
    for path in sorted(GATEWAY.rglob("*.py")):
        rel = path.relative_to(GATEWAY.parent).as_posix()
        if rel.startswith(_ENGINE_HOMES) or rel in _PROFILE_CHOICES:
            continue
        lines = _syntax_choices(path)
        if lines:
            found[rel] = lines
    assert found == {}, "choose the engine with gateway.engines.engine_for(syntax) instead"
    # and the allow-list names only files that still need it
    for rel in _PROFILE_CHOICES:
        assert _syntax_choices(GATEWAY.parent / rel), f"{rel} no longer chooses: drop it"
