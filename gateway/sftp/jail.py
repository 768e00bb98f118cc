"""A partner's view of the hosted server: its own root and nothing else.

The partner sees ``/`` as ``<sftp root>/<partner id>`` holding three areas: ``inbox/``
(it uploads), ``outbox/`` (it downloads acknowledgements and documents) and ``archive/``
(files already taken). Every path a client sends is resolved here first; a path that
climbs above ``/`` with ``..``, names anything outside the three areas (which is where
an absolute server path such as ``/etc/passwd`` lands), or follows a symlink out of its
area is refused with :class:`~gateway.sftp.errors.PathRefused`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gateway.sftp.errors import PathRefused

Area = Literal["inbox", "outbox", "archive"]
AREAS: tuple[Area, ...] = ("inbox", "outbox", "archive")
# private folders of the gateway inside a partner's directory, never visible to it
STAGING = ".staging"  # outbox files being written
TAKING = ".taking"  # inbox files being handed to the intake
UPLOADING = ".uploading"  # one marker per inbox file open for writing under its final name
MAX_NAME_BYTES = 255  # the file system's own limit (NAME_MAX): longer fails there anyway
QUARANTINE = "quarantine"  # files an upload left unfinished (crash): for an operator


@dataclass(frozen=True, slots=True)
class Resolved:
    """A partner path resolved against its root."""

    virtual: str  # normalised path as the partner sees it ("/inbox/x.edi")
    real: Path  # the file on our disk (symlinks resolved)
    area: Area | None  # None for the root itself

    @property
    def is_root(self) -> bool:
        """True for ``/``."""
        return self.area is None


def partner_dir(root: Path, partner_id: str) -> Path:
    """The directory holding one partner's areas."""
    if not partner_id or "/" in partner_id or partner_id in (".", "..") or "\x00" in partner_id:
        raise ValueError(f"unusable partner id {partner_id!r}")
    return root / partner_id


def ensure_partner_dirs(root: Path, partner_id: str) -> Path:
    """Create the partner's ``inbox/``, ``outbox/``, ``archive/`` (and private) folders.

    Returns the partner's directory. Safe to call again and from several threads.
    """
    base = partner_dir(root, partner_id)
    for name in (*AREAS, STAGING, TAKING, UPLOADING, QUARANTINE):
        (base / name).mkdir(parents=True, exist_ok=True, mode=0o750)
    return base


class PartnerJail:
    """Resolves partner paths inside one partner's directory."""

    def __init__(self, base: Path) -> None:
        self.base = Path(os.path.realpath(base))

    def resolve(self, path: str) -> Resolved:
        """Resolve a client path (absolute or relative to ``/``). Raises ``PathRefused``."""
        if "\x00" in path:
            raise PathRefused(path, "contains a NUL byte")
        parts: list[str] = []
        for part in path.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise PathRefused(path, "leaves the partner root")
                parts.pop()
                continue
            if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
                raise PathRefused(path, f"a name longer than {MAX_NAME_BYTES} bytes")
            parts.append(part)
        if not parts:
            return Resolved("/", self.base, None)
        area = parts[0]
        if area not in AREAS:
            raise PathRefused(path, "outside inbox/, outbox/ and archive/")
        lexical = self.base.joinpath(*parts)
        real = Path(os.path.realpath(lexical))
        # a symlink (put there by anyone) must not lead out of its area
        if not real.is_relative_to(self.base / area):
            raise PathRefused(path, "a symlink leads out of the partner's area")
        return Resolved("/" + "/".join(parts), real, area)
