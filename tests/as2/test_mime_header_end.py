"""Where a MIME entity's headers end: the shortcut search against the plain one."""

from __future__ import annotations

import itertools

import pytest

from gateway.as2 import mime


def _reference(data: bytes, limit_cap: int) -> tuple[int, int] | None:
    """The earliest of the three blank-line forms, each searched through the whole block
    (what ``_header_end`` did before it searched the bare-LF forms only up to a CRLF one)."""
    if data.startswith(b"\r\n"):
        return 0, 2
    if data.startswith(b"\n"):
        return 0, 1
    limit = min(len(data), limit_cap)
    best: tuple[int, int] | None = None
    for sep in (b"\r\n\r\n", b"\n\n", b"\n\r\n"):
        pos = data.find(sep, 0, limit + len(sep))
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, pos + len(sep))
    return best


@pytest.mark.parametrize("cap", [mime.MAX_HEADER_BYTES, 4])
def test_header_end_equals_the_three_separator_search(
    cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every string of up to 9 bytes over 'a', CR and LF, with the real cap and a tiny one
    (so that separators at and just past the cap are covered)."""
    monkeypatch.setattr(mime, "MAX_HEADER_BYTES", cap)
    for n in range(10):
        for chars in itertools.product(b"a\r\n", repeat=n):
            data = bytes(chars)
            assert mime._header_end(data) == _reference(data, cap), data
