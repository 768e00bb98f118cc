"""Streaming: validate_stream's summary, bounded memory, and the SegmentLike contract."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

from gateway import x12
from gateway.edi import SegmentLike
from tests.x12.helpers import build, only_interchange


def test_segments_satisfy_segment_like() -> None:
    tx = only_interchange(build(version="00501", gs_version="005010")).transactions[0]
    po1 = tx.segments[7]
    assert isinstance(po1, SegmentLike)
    assert (po1.tag, po1.position, po1.element_count()) == ("PO1", 8, 9)
    assert po1.value(7) == "GLV-100" and po1.value(99) == "" and po1.components(99) == ()
    composite = x12.X12Segment("MEA*PD*WT*10*OZ>1.5^LB>2", 3, ">", "^")
    assert composite.components(4) == ("OZ", "1.5") and composite.value(4, 2, 2) == "2"


def test_validate_stream_summarises_without_keeping_segments() -> None:
    data = build(sets=4) + build(control=2).replace(b"SE*12*0001", b"SE*11*0001")
    summary = x12.validate_stream(io.BytesIO(data), chunk_size=64)
    assert (summary.interchanges, summary.groups, summary.transactions) == (2, 2, 5)
    assert summary.rejected_transactions == 1 and summary.bytes_read == len(data)
    assert [i.code for i in summary.issues] == ["4"]


def test_validate_stream_memory_stays_bounded() -> None:
    # given ~40 MB of 850s streamed in 1 MB chunks (in a fresh process, to read its RSS)
    script = textwrap.dedent("""
        import io, resource, sys
        sys.path.insert(0, "bench")
        from x12_generate import generate
        from gateway import x12

        class Stream(io.RawIOBase):
            def __init__(self):
                self.pieces = generate("850", 40_000_000)
                self.buffer = b""
            def readable(self):
                return True
            def readinto(self, target):
                while len(self.buffer) < len(target):
                    piece = next(self.pieces, None)
                    if piece is None:
                        break
                    self.buffer += piece
                n = min(len(target), len(self.buffer))
                target[:n] = self.buffer[:n]
                self.buffer = self.buffer[n:]
                return n

        summary = x12.validate_stream(io.BufferedReader(Stream(), 1 << 20))
        # VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork + exec
        hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
        peak = int(hwm.split()[1]) / 1024
        print(summary.transactions, summary.issue_count, round(peak))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=240
    ).stdout.split()
    transactions, issues, peak_mb = (int(x) for x in out)
    # then every set was checked, nothing was wrong, and memory stayed far below the input
    assert transactions > 5000 and issues == 0
    assert peak_mb < 100
