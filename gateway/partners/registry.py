"""The partner registry: every loaded profile, found by id or by envelope identifiers.

Built from profile directories (and the map directories, so a profile that names a
map that does not exist is refused at load). :meth:`PartnerRegistry.reload` re-reads
the directories: onboarding a partner is adding one file and reloading, no code change
and no restart. A reload that finds errors keeps the good profiles and reports the
bad files in :attr:`PartnerRegistry.errors`.

Lookups are plain dictionary reads, so the AS2 receiver, the SFTP server and the
pipeline can call them on every message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from gateway.edi.model import EdiInterchange, Syntax
from gateway.partners.loader import (
    ProfileError,
    YamlReadError,
    identifier_keys,
    line_of,
    load_profiles,
    read_yaml,
)
from gateway.partners.profile import PartnerProfile


def _norm(value: str) -> str:
    return value.strip().upper()


class PartnerRegistry:
    """Profiles by id, X12 ISA id, EDIFACT UNB id, AS2 id and SFTP username."""

    def __init__(
        self,
        profile_dirs: Sequence[Path],
        map_dirs: Sequence[Path] = (),
        *,
        check_maps: bool = True,
        load: bool = True,
    ) -> None:
        self.profile_dirs = list(profile_dirs)
        self.map_dirs = list(map_dirs)
        self.check_maps = check_maps and bool(self.map_dirs)
        self._lock = threading.Lock()
        self._profiles: dict[str, PartnerProfile] = {}
        self._x12: dict[str, list[PartnerProfile]] = {}
        self._edifact: dict[str, list[PartnerProfile]] = {}
        self._as2: dict[str, PartnerProfile] = {}
        self._sftp: dict[str, PartnerProfile] = {}
        self.errors: list[ProfileError] = []
        if load:
            self.reload()

    @classmethod
    def from_dirs(
        cls, profile_dirs: Sequence[Path], map_dirs: Sequence[Path] = ()
    ) -> PartnerRegistry:
        """Load the registry from profile directories (and check map names against maps)."""
        return cls(profile_dirs, map_dirs)

    @classmethod
    def from_profiles(
        cls,
        profiles: dict[str, PartnerProfile],
        errors: Sequence[ProfileError],
        profile_dirs: Sequence[Path],
        map_dirs: Sequence[Path] = (),
    ) -> PartnerRegistry:
        """A registry of profiles loaded elsewhere (:mod:`gateway.partner_config`)."""
        registry = cls(profile_dirs, map_dirs, load=False)
        registry._index(dict(profiles), list(errors))
        return registry

    # ---- loading ------------------------------------------------------------------
    def reload(self) -> list[ProfileError]:
        """Re-read every directory; returns (and keeps in ``errors``) what did not load."""
        result = load_profiles(self.profile_dirs)
        errors = list(result.errors)
        profiles = dict(result.profiles)
        if self.check_maps:
            errors.extend(map_errors(profiles, self.map_dirs))
        self._index(profiles, errors)
        return errors

    def _index(self, profiles: dict[str, PartnerProfile], errors: list[ProfileError]) -> None:
        x12: dict[str, list[PartnerProfile]] = {}
        edifact: dict[str, list[PartnerProfile]] = {}
        as2: dict[str, PartnerProfile] = {}
        sftp: dict[str, PartnerProfile] = {}
        for profile in profiles.values():
            if profile.x12 is not None:
                x12.setdefault(_norm(profile.x12.isa_id), []).append(profile)
            if profile.edifact is not None:
                edifact.setdefault(_norm(profile.edifact.unb_id), []).append(profile)
            if profile.as2 is not None:
                as2[_norm(profile.as2.as2_id)] = profile
            if profile.sftp is not None and profile.sftp.hosted is not None:
                sftp[profile.sftp.hosted.username] = profile
        with self._lock:
            self._profiles, self._x12, self._edifact = profiles, x12, edifact
            self._as2, self._sftp, self.errors = as2, sftp, errors

    # ---- lookups ------------------------------------------------------------------
    def get(self, partner_id: str) -> PartnerProfile | None:
        """The profile with this id, or None."""
        return self._profiles.get(partner_id)

    def all(self) -> list[PartnerProfile]:
        """Every profile, sorted by id."""
        return [self._profiles[k] for k in sorted(self._profiles)]

    def __len__(self) -> int:
        return len(self._profiles)

    def find_x12(self, isa_qualifier: str | None, isa_id: str) -> PartnerProfile | None:
        """The partner with this ISA id (stripped, case-insensitive); the qualifier must
        match when given and the partner's qualifier is one of several with that id."""
        candidates = self._x12.get(_norm(isa_id), [])
        return _pick(candidates, isa_qualifier, lambda p: p.x12.isa_qualifier if p.x12 else "")

    def find_edifact(self, unb_id: str, qualifier: str | None = None) -> PartnerProfile | None:
        """The partner with this UNB sender id (and qualifier, when given)."""
        candidates = self._edifact.get(_norm(unb_id), [])
        return _pick(candidates, qualifier, lambda p: p.edifact.unb_qualifier if p.edifact else "")

    def find_as2(self, as2_from: str) -> PartnerProfile | None:
        """The partner with this AS2-From id (RFC 4130 ids compare case-sensitively in
        theory; partners mix case in practice, so this compares case-insensitively).
        Quotes around the id, as some AS2 products send, are ignored."""
        return self._as2.get(_norm(as2_from.strip().strip('"')))

    def find_sftp_user(self, username: str) -> PartnerProfile | None:
        """The partner that owns this hosted SFTP account."""
        return self._sftp.get(username)

    def find_for_interchange(self, interchange: EdiInterchange) -> PartnerProfile | None:
        """The partner that sent an interchange, from its sender id and qualifier."""
        if interchange.syntax is Syntax.X12:
            return self.find_x12(interchange.sender_qualifier, interchange.sender_id)
        return self.find_edifact(interchange.sender_id, interchange.sender_qualifier)


def _pick(
    candidates: list[PartnerProfile],
    qualifier: str | None,
    get: Callable[[PartnerProfile], str],
) -> PartnerProfile | None:
    if not candidates:
        return None
    wanted = _norm(qualifier or "")
    if wanted:
        for profile in candidates:
            if _norm(get(profile)) == wanted:
                return profile
        # a partner configured without a qualifier matches any qualifier
        for profile in candidates:
            if not _norm(get(profile)):
                return profile
        return None
    return candidates[0] if len(candidates) == 1 else None


def check_identifiers(
    profile: PartnerProfile, others: Iterable[PartnerProfile]
) -> list[ProfileError]:
    """Errors for a profile reusing a partner id or an envelope/transport identifier of
    one of ``others`` (what loading it into the configured set would refuse)."""
    errors: list[ProfileError] = []
    taken = {key: other for other in others for key in identifier_keys(other)}
    for key in identifier_keys(profile):
        other = taken.get(key)
        if other is not None:
            field_name, value = key
            line = None
            if profile.source is not None:
                try:
                    line = line_of(read_yaml(profile.source).root, field_name.split("."))
                except YamlReadError:
                    line = None
            errors.append(
                ProfileError(
                    profile.source,
                    line,
                    field_name,
                    f"{value} is already used by partner {other.id!r} in {other.source}",
                )
            )
    return errors


def map_errors(profiles: dict[str, PartnerProfile], map_dirs: Sequence[Path]) -> list[ProfileError]:
    """Profiles naming a map that no map directory has (dropped from the registry)."""
    names: set[str] = set()
    for directory in map_dirs:
        if directory.is_dir():
            for path in [*directory.rglob("*.yaml"), *directory.rglob("*.yml")]:
                names.add(path.relative_to(directory).with_suffix("").as_posix())
    errors: list[ProfileError] = []
    for pid in list(profiles):
        profile = profiles[pid]
        for set_id, name in profile.maps.items():
            clean = name.removesuffix(".yaml").removesuffix(".yml")
            if clean not in names:
                line = None
                if profile.source is not None:
                    try:
                        line = line_of(read_yaml(profile.source).root, ["maps", set_id])
                    except YamlReadError:
                        line = None
                errors.append(
                    ProfileError(
                        profile.source,
                        line,
                        f"maps.{set_id}",
                        f"no map named {clean!r} in {', '.join(map(str, map_dirs))}",
                    )
                )
                del profiles[pid]
                break
    return errors
