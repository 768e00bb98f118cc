"""The EDIFACT reader reads a file in chunks: same findings as from bytes, bounded memory."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

from gateway.edifact import read_payload
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from edifact_generate import generate, write


def _items(source: object) -> list[object]:
    return list(read_payload(source))  # type: ignore[arg-type]


def test_a_file_gives_what_its_bytes_give(edifact_corpus: Path, tmp_path: Path) -> None:
    # given every corpus file, and a payload of two generated interchanges with garbage
    # between them, each read from bytes, from the open file and from a pipe-like stream
    payloads = {p.name: p.read_bytes() for p in sorted(edifact_corpus.iterdir()) if p.is_file()}
    payloads["two.edi"] = generate("DESADV", 300_000) + b"\r\nnoise" + generate("ORDERS", 3_000)
    payloads["empty.edi"] = b""
    for name, data in payloads.items():
        path = tmp_path / name
        path.write_bytes(data)
        expected = _items(data)
        with path.open("rb") as stream:
            # then the findings, messages and interchanges are the same
            assert _items(stream) == expected, name
        assert _items(io.BufferedReader(io.BytesIO(data))) == expected, name  # type: ignore[arg-type]


def test_reading_a_file_keeps_memory_bounded(tmp_path: Path) -> None:
    # given a 60 MB EDIFACT file, read in a fresh process (to read its own VmHWM)
    path = write(tmp_path / "big.edi", "ORDERS", 60_000_000)
    script = textwrap.dedent(f"""
        from gateway.edi import EdiTransaction
        from gateway.edifact import read_payload
        with open({str(path)!r}, "rb") as stream:
            items = read_payload(stream, keep_segments=False)
            messages = sum(1 for i in items if isinstance(i, EdiTransaction) and not i.issues)
        hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
        print(messages, round(int(hwm.split()[1]) / 1024))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    messages, peak_mb = (int(x) for x in out)
    # then every message was read clean, and the peak stayed far below the file's size
    assert messages > 15_000
    assert peak_mb < 50, peak_mb
