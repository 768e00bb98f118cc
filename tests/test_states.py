"""The state machines: every table walked through the code that enforces it, no bare
state strings left in the package, the documented tables generated from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from gateway import states
from gateway.outbound.cycle import advance
from gateway.pipeline.stages import claim
from gateway.pipeline.transitions import set_state
from gateway.states import (
    MACHINES,
    TRANSACTIONS,
    By,
    IllegalTransition,
    Machine,
    OrderCycle,
    TransactionState,
)
from gateway.store.db import make_engine, migrate
from gateway.store.models import FunctionalGroup, Interchange, Message, Payload, Transaction

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "gateway"


@pytest.fixture
def session(tmp_path: Path) -> Session:
    engine = make_engine(f"sqlite:///{tmp_path / 'states.db'}")
    migrate(engine)
    return Session(engine)


def _transaction(session: Session, state: TransactionState) -> Transaction:
    session.add(Payload(sha256="0" * 64, size=0, storage="database", data=b""))
    session.flush()
    message = Message(transport="cli", payload_sha256="0" * 64, correlation_id="c")
    session.add(message)
    session.flush()
    ic = Interchange(
        message_id=message.id, syntax="x12", sender_id="S", receiver_id="R", control_number="1"
    )
    session.add(ic)
    session.flush()
    group = FunctionalGroup(interchange_id=ic.id)
    session.add(group)
    session.flush()
    txn = Transaction(
        group_id=group.id,
        interchange_id=ic.id,
        message_id=message.id,
        set_id="850",
        control_number="0001",
        correlation_id="c",
    )
    session.add(txn)
    session.flush()
    # put it in the state under test directly in the database (the table is what we test)
    session.execute(
        Transaction.__table__.update().where(Transaction.id == txn.id).values(state=state.value)
    )
    session.expire(txn)
    return txn


@pytest.mark.parametrize("current", list(TransactionState), ids=str)
def test_set_state_walks_the_transaction_table(session: Session, current: TransactionState) -> None:
    for target in TransactionState:
        txn = _transaction(session, current)
        assert txn.state is current  # read back as the enum
        if TRANSACTIONS.allows(current, target):
            set_state(session, txn, target, "walk")
            session.flush()
            session.expire(txn)
            assert txn.state is target
        else:
            with pytest.raises(IllegalTransition):
                set_state(session, txn, target, "walk")
            assert txn.state is current
        session.rollback()


@pytest.mark.parametrize("current", list(TransactionState), ids=str)
def test_claim_walks_the_transaction_table(session: Session, current: TransactionState) -> None:
    for target in TransactionState:
        txn = _transaction(session, current)
        if TRANSACTIONS.allows(current, target):
            assert claim(session, txn.id, current, target)
            assert not claim(session, txn.id, current, target) or current == target
        else:
            with pytest.raises(IllegalTransition):
                claim(session, txn.id, current, target)
        session.rollback()


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_every_machine_checks_every_pair(machine: Machine[states.S]) -> None:
    class Row:
        state: object

    for current in machine.states:
        for target in machine.states:
            row = Row()
            row.state = current
            if (current, target) in machine.moves:
                assert machine.move(row, target) is current and row.state is target
            else:
                with pytest.raises(IllegalTransition, match=machine.name):
                    machine.move(row, target)
                assert row.state is current
    for target in machine.states:
        assert machine.allows(None, target) == (target in machine.initial)
    with pytest.raises(ValueError):
        machine.check(next(iter(machine.states)), "no-such-state")


def test_the_order_cycle_only_advances_along_the_table() -> None:
    for current in OrderCycle:
        for reached in OrderCycle:
            after = advance(current, reached)
            assert after == current or states.OUTBOUND_ORDERS.allows(current, after), (
                current,
                reached,
                after,
            )


def test_replay_and_final_come_from_the_table() -> None:
    assert {
        TransactionState.REJECTED,
        TransactionState.DELIVERED,
        TransactionState.ACKNOWLEDGED,
        TransactionState.BUSINESS_EXCEPTION,
        TransactionState.FAILED,
        TransactionState.CANCELLED,
    } == states.FINAL_TRANSACTION_STATES
    in_flight = {TransactionState.RECEIVED, TransactionState.DELIVERING}
    for state in TransactionState:
        assert states.can_replay(state) == (state not in in_flight)
        assert states.can_replay(state) == (
            TransactionState.PARSED in TRANSACTIONS.exits(state, By.OPERATOR)
        )
    assert not states.can_replay("rejected", [{"fatal": True}])
    assert states.can_replay("rejected", [{"fatal": False}])
    assert not states.can_cancel("delivered") and not states.can_cancel("delivering")
    assert states.can_cancel("failed")


# A bare state string (a value some machine has) compared with, or written to, a state
# column or variable. Odoo's own record states (gateway/odoo: "draft", "installed" ...)
# are not the store's.
_VALUE = "(" + "|".join(sorted({s.value for m in MACHINES for s in m.states})) + ")"
_LIT = rf"""["']{_VALUE}["']"""
_BARE = [
    re.compile(rf"\bstate\s*(==|!=|is|is not)\s*{_LIT}"),
    re.compile(rf"{_LIT}\s*(==|!=)\s*[\w.]*\bstate\b"),
    re.compile(rf"\bstate\s*(:\s*[\w\[\]| ]+)?=\s*{_LIT}"),
    re.compile(rf"\bstate\.(in_|notin_)\(\s*[(\[]\s*{_LIT}"),
    re.compile(rf"\bstate\s+(not\s+)?in\s*[(\[{{]\s*{_LIT}"),
    re.compile(rf"\bstate\b.*=\s*{_LIT}\s*,"),  # x.state, y = "retried", ...
    re.compile(rf"(_finish\w*|finish|_move)\(.*{_LIT}"),  # state-setting helpers
]


def test_no_bare_state_strings_in_the_package() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "odoo"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if any(p.search(code) for p in _BARE):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "bare state strings (use gateway.states):\n" + "\n".join(found)


def test_the_documented_tables_are_generated_from_the_code() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    start, end = doc.index(states.START), doc.index(states.END)
    block = doc[start + len(states.START) : end].strip()
    assert block == states.tables_markdown().strip(), (
        "docs/architecture.md state tables are stale: run `python -m gateway.states` and "
        "paste its output over the block"
    )
