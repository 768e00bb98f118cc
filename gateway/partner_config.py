"""The partner configuration a process runs with: profiles and maps, loaded together.

Loading never fails as a whole. Each profile file and each map file stands on its own:

* a file that does not load is reported (file, line, field, reason) and, when the
  previous configuration had a good version of it, that version is kept — a reload
  that goes wrong never takes away what worked;
* a partner whose profile does not load (and had no good version), or whose profile
  names an override map that does not load, is **disabled**: its traffic is held with
  that reason as a business exception, the other partners carry on;
* a shared base map that does not load (and had no good version) stops only the
  documents that need it, with the map's error as the reason.

:func:`load_config` is pure apart from reading the directories; the runtime swaps the
result in atomically (:meth:`gateway.pipeline.runtime.Runtime.reload`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gateway.mapping import MapLibrary
from gateway.mapping.errors import MapLoadError
from gateway.partners.loader import ProfileError, load_profiles
from gateway.partners.profile import PartnerProfile
from gateway.partners.registry import PartnerRegistry, map_errors


@dataclass(frozen=True)
class ConfigProblem:
    """One file of the configuration that does not load, and what was done about it."""

    file: str
    line: int | None
    field: str
    reason: str
    kind: str  # "profile" or "map"
    partner_id: str | None = None  # the partner it disables, when known
    kept_previous: bool = False  # the previous good version stays in use

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        field_text = f" {self.field}:" if self.field else ""
        return f"{where}:{field_text} {self.reason}"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (API, events)."""
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "reason": self.reason,
            "kind": self.kind,
            "partner_id": self.partner_id,
            "kept_previous": self.kept_previous,
            "text": str(self),
        }


@dataclass
class PartnerConfig:
    """Profiles (:class:`PartnerRegistry`), maps (:class:`MapLibrary`) and what is broken."""

    registry: PartnerRegistry
    maps: MapLibrary
    problems: list[ConfigProblem] = field(default_factory=list)
    disabled: dict[str, str] = field(default_factory=dict)  # partner id -> reason
    broken_maps: dict[str, str] = field(default_factory=dict)  # map name -> reason
    # identifiers of partners disabled without a loadable profile: "x12:ID" -> partner id
    disabled_identifiers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every file loaded."""
        return not self.problems

    def disabled_reason(self, partner_id: str | None) -> str | None:
        """Why this partner is disabled, or None."""
        return self.disabled.get(partner_id) if partner_id else None

    def disabled_sender(self, syntax: str, sender_id: str) -> str | None:
        """The disabled partner (no loadable profile) behind an envelope sender id."""
        return self.disabled_identifiers.get(f"{syntax.lower()}:{sender_id.strip().upper()}")


def load_config(
    profile_dirs: Sequence[Path],
    map_dirs: Sequence[Path],
    previous: PartnerConfig | None = None,
) -> PartnerConfig:
    """Load profiles and maps with per-file isolation (see the module docstring)."""
    problems: list[ConfigProblem] = []
    disabled: dict[str, str] = {}
    disabled_ids: dict[str, str] = {}

    # ---- maps ---------------------------------------------------------------------
    library = MapLibrary.load(map_dirs, collect=True)
    maps = dict(library.maps)
    broken: dict[str, str] = {}
    for error in library.errors:
        name = _map_name(error, map_dirs)
        kept = False
        if previous is not None and name and name in previous.maps.maps:
            if name not in library.maps:  # one entry per map, however many errors it has
                maps[name] = previous.maps.maps[name]
            kept = True
        elif name:
            broken.setdefault(name, str(error))
        problems.append(
            ConfigProblem(
                str(error.file) if error.file else name or "<map>",
                error.line,
                error.field,
                error.reason,
                "map",
                kept_previous=kept,
            )
        )
    maps_out = MapLibrary(maps, list(library.errors), map_dirs)
    maps_out.broken = broken

    # ---- profiles -----------------------------------------------------------------
    result = load_profiles(profile_dirs)
    profiles = dict(result.profiles)
    errors: list[ProfileError] = list(result.errors)
    errors.extend(map_errors(profiles, map_dirs))
    previous_by_file = _by_source(previous)
    for perror in errors:
        source = perror.file.resolve() if perror.file else None
        old = previous_by_file.get(source) if source else None
        raw_id, identifiers = _raw_identity(perror.file)
        partner_id = old.id if old is not None else raw_id
        kept = False
        if old is not None and old.id not in profiles:
            profiles[old.id] = old
            kept = True
        elif partner_id and partner_id not in profiles:
            disabled[partner_id] = f"its profile does not load: {perror}"
            for key in identifiers:
                disabled_ids[key] = partner_id
        problems.extend(
            ConfigProblem(
                str(one.file) if one.file else "<profile>",
                one.line,
                one.field,
                one.reason,
                "profile",
                partner_id=partner_id,
                kept_previous=kept,
            )
            for one in perror.every()
        )

    # a partner whose own (override) map is broken is disabled, not half-working
    for profile in profiles.values():
        for set_id, name in profile.maps.items():
            clean = name.removesuffix(".yaml").removesuffix(".yml")
            if clean in broken:
                disabled[profile.id] = f"its {set_id} map {clean!r} does not load: {broken[clean]}"
                break
    for problem in list(problems):
        if problem.kind == "map" and not problem.kept_previous:
            name = _map_name_of_file(problem.file, map_dirs)
            users = sorted(
                p.id
                for p in profiles.values()
                if name in {n.removesuffix(".yaml").removesuffix(".yml") for n in p.maps.values()}
            )
            if users:
                index = problems.index(problem)
                problems[index] = ConfigProblem(
                    problem.file,
                    problem.line,
                    problem.field,
                    problem.reason,
                    "map",
                    partner_id=",".join(users),
                )

    registry = PartnerRegistry.from_profiles(profiles, errors, profile_dirs, map_dirs)
    return PartnerConfig(
        registry=registry,
        maps=maps_out,
        problems=problems,
        disabled=disabled,
        broken_maps=broken,
        disabled_identifiers=disabled_ids,
    )


def _by_source(previous: PartnerConfig | None) -> dict[Path, PartnerProfile]:
    if previous is None:
        return {}
    return {p.source.resolve(): p for p in previous.registry.all() if p.source is not None}


def _map_name(error: MapLoadError, map_dirs: Sequence[Path]) -> str | None:
    return _map_name_of_file(str(error.file), map_dirs) if error.file else None


def _map_name_of_file(file: str, map_dirs: Sequence[Path]) -> str | None:
    path = Path(file).resolve()
    for directory in reversed(list(map_dirs)):
        try:
            return path.relative_to(directory.resolve()).with_suffix("").as_posix()
        except ValueError:
            continue
    return None


def _raw_identity(path: Path | None) -> tuple[str | None, list[str]]:
    """Best effort: the ``id`` and envelope ids a broken profile file declares."""
    if path is None or not path.is_file():
        return None, []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return path.stem, []
    if not isinstance(data, dict):
        return path.stem, []
    partner_id = str(data.get("id") or path.stem)
    keys: list[str] = []
    x12 = data.get("x12")
    if isinstance(x12, dict) and x12.get("isa_id"):
        keys.append(f"x12:{str(x12['isa_id']).strip().upper()}")
    edifact = data.get("edifact")
    if isinstance(edifact, dict) and edifact.get("unb_id"):
        keys.append(f"edifact:{str(edifact['unb_id']).strip().upper()}")
    return partner_id, keys
