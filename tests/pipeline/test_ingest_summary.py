"""What ``edi-gateway ingest`` prints at the end: per-file lines, totals, exit code."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.cli.main import app
from gateway.pipeline.runtime import Runtime
from gateway.queries import message_detail, message_outcomes
from gateway.settings import get_settings
from tests.pipeline.conftest import fixture_bytes
from tests.pipeline.test_ingest import ingest, mixed_file


def _stranger() -> bytes:
    return fixture_bytes("summit-medical", "856_ship_notice.edi").replace(
        b"SUMMITMED      ", b"STRANGER       ", 1
    )


def _projection(detail: dict[str, Any]) -> dict[str, Any]:
    """The part of a message's detail the summary carries."""
    return {
        "id": detail["id"],
        "filename": detail["filename"],
        "state": detail["state"],
        "error": detail["error"],
        "transaction_list": [{"state": t["state"]} for t in detail["transaction_list"]],
    }


def test_outcomes_are_the_details_states(make_runtime: Callable[..., Runtime]) -> None:
    # given files that end every way: delivered, a duplicate, a file rejected whole, an
    # interchange rejected (unknown sender) and one cut short
    runtime = make_runtime()
    whole = fixture_bytes("summit-medical", "856_ship_notice.edi")
    ids = [
        ingest(runtime, mixed_file(), "mixed.edi"),
        ingest(runtime, mixed_file(), "again.edi"),
        ingest(runtime, b"not EDI at all", "junk.txt"),
        ingest(runtime, _stranger(), "stranger.edi"),
        ingest(runtime, whole[: len(whole) // 2], "truncated.edi"),
    ]
    # when the summary is read for them, in another order, one twice and one unknown id
    asked = [ids[3], ids[0], 999_999, *ids, ids[0]]
    with runtime.sessions() as session:
        outcomes = message_outcomes(session, asked)
        details = [message_detail(session, i) for i in asked]
    # then it says what their details say, in the order asked, the unknown one left out
    assert outcomes == [_projection(d) for d in details if d is not None]
    states = [(o["filename"], o["state"]) for o in outcomes]
    assert ("again.edi", "duplicate") in states and ("junk.txt", "rejected") in states
    assert {t["state"] for o in outcomes for t in o["transaction_list"]} >= {
        "delivered",
        "rejected",
    }


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    monkeypatch.setenv("EDIGW_DATA_DIR", str(tmp_path / "var"))
    for name in ("EDIGW_PROFILES_DIR", "EDIGW_MAPS_DIR", "EDIGW_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_ingest_prints_a_line_per_file_and_the_totals(cli: CliRunner, tmp_path: Path) -> None:
    # given an 850, the same file again and a file from an unknown sender
    order = tmp_path / "po.edi"
    order.write_bytes(fixture_bytes("keystone-pharma", "850_purchase_order.edi"))
    stranger = tmp_path / "stranger.edi"
    stranger.write_bytes(_stranger())
    # when they are ingested
    result = cli.invoke(app, ["ingest", str(order), str(order), str(stranger)])
    # then each file has its line, the totals follow, and the exit code says one failed
    assert result.stdout.splitlines() == [
        "message 1 po.edi: split; 1 delivered",
        "message 2 po.edi: duplicate",
        "message 3 stranger.edi: split; 1 rejected",
        "total: 3 file(s): 1 duplicate, 2 split; 2 transaction(s): 1 delivered, 1 rejected",
    ], result.stdout
    assert result.exit_code == 1
    # and --quiet prints the totals only
    again = cli.invoke(app, ["ingest", "--quiet", str(order)])
    assert again.stdout.splitlines() == ["total: 1 file(s): 1 duplicate; 0 transaction(s): none"]
    assert again.exit_code == 0


def test_ingest_refuses_an_oversized_file_and_skips_a_fifo_then_goes_on(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a payload cap of 4 KB, a file over it, a FIFO (reading it would block for
    # ever) and two good orders around them
    monkeypatch.setenv("EDIGW_MAX_PAYLOAD_BYTES", "4096")
    get_settings.cache_clear()
    order = fixture_bytes("keystone-pharma", "850_purchase_order.edi")
    assert len(order) < 4096
    first, last = tmp_path / "first.edi", tmp_path / "last.edi"
    first.write_bytes(order)
    last.write_bytes(order)
    big = tmp_path / "big.edi"
    big.write_bytes(b"ISA" + b"x" * 5000)
    fifo = tmp_path / "pipe.edi"
    os.mkfifo(fifo)
    # when they are ingested in one command
    result = cli.invoke(app, ["ingest", str(first), str(big), str(fifo), str(last)])
    # then both orders went in (the second as a duplicate of the first), the big file is
    # a refused message naming the cap, the FIFO is named as skipped, and the exit code
    # says something was wrong
    lines = result.stdout.splitlines()
    assert lines[0] == "message 1 first.edi: split; 1 delivered", result.stdout
    assert lines[1] == "message 2 big.edi: refused - file of 5003 bytes exceeds 4096"
    assert lines[2] == "message 3 last.edi: duplicate"
    assert "pipe.edi: not a regular file" in result.stderr.replace("\n", "")
    assert result.exit_code == 1
