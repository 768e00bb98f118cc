"""Reading the files an operator feeds in (``edi-gateway ingest``): regular files only,
never more than the payload cap.

A FIFO or a device would block the command or never end; a file over the cap is
refused before its bytes are read, as the API and SFTP refuse one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class InputRefused(ValueError):
    """A file that cannot be fed in: ``reason`` says why; ``size`` is set when it is a
    regular file (refused for its size) and None when it is not a file at all."""

    def __init__(self, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.size = size


def read_input_file(path: Path, limit: int) -> bytes:
    """The bytes of ``path``; raises :class:`InputRefused` for anything but a regular
    file of at most ``limit`` bytes (opened without blocking: a FIFO never hangs)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputRefused(f"cannot open: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputRefused("not a regular file (a FIFO, socket or device is never read)")
        if info.st_size > limit:
            raise InputRefused(f"file of {info.st_size} bytes exceeds {limit}", info.st_size)
        data = handle.read(limit + 1)  # a file growing while read stops at the cap too
    if len(data) > limit:
        raise InputRefused(f"file of more than {limit} bytes exceeds {limit}", len(data))
    return data
