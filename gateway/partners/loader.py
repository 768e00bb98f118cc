"""Load partner profiles from YAML directories, refusing bad files with file, line and field.

Profiles are read with ``yaml.safe_load`` and validated by :class:`PartnerProfile`
(``extra="forbid"``). A file that does not validate becomes a :class:`ProfileError`
naming the file, the line of the offending key (found through yaml's composed node
marks), the field path and pydantic's reason. Directories are read in order and a later
directory's profile replaces an earlier one with the same ``id`` (a site's own
directory overrides a shipped sample).

The YAML helpers here (:func:`read_yaml`, :func:`line_of`, :func:`describe_validation`)
are shared with the map library, which refuses bad maps the same way.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.partners.profile import PartnerProfile

MAX_FILE_BYTES = 1024 * 1024  # a profile or map is a few kB; refuse anything absurd
MAX_DEPTH = 64  # profiles and maps nest a dozen levels; deeper is a mistake or an attack


@dataclass
class ProfileError(Exception):
    """A profile file that does not load."""

    file: Path | None
    line: int | None
    field: str
    reason: str
    # the file's other errors, when it has several (each with its own line and field)
    more: list[ProfileError] = dataclasses.field(default_factory=list, compare=False)

    def every(self) -> list[ProfileError]:
        """This error and the file's other ones."""
        return [self, *self.more]

    def __str__(self) -> str:
        where = str(self.file) if self.file else "<profile>"
        if self.line is not None:
            where += f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.reason}"


@dataclass
class YamlDocument:
    """A parsed YAML file: its data and its node tree (for line numbers)."""

    path: Path
    data: Any
    root: yaml.Node | None


class YamlReadError(Exception):
    """A YAML file that cannot be read or parsed (carries the line when yaml knows it)."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")


class CodesLoader(yaml.SafeLoader):
    """``SafeLoader`` that keeps numbers as text: EDI codes such as ``004010`` or ``00``
    would otherwise become (octal!) integers. Pydantic turns text back into ints where a
    field is numeric. Used for maps, where nearly every scalar is a code."""


# YAML 1.1 also reads ON, OFF, YES, NO, Y, N as booleans ("ON" is the purchase order
# qualifier): only true/false stay booleans.
_TRUE_FALSE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
CodesLoader.yaml_implicit_resolvers = {
    first: [
        (tag, _TRUE_FALSE if tag == "tag:yaml.org,2002:bool" else regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path, *, codes: bool = False) -> YamlDocument:
    """Read one YAML file safely; raises :class:`YamlReadError`.

    ``codes=True`` reads numbers as text (:class:`CodesLoader`).
    """
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise YamlReadError(path, None, f"file larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise YamlReadError(path, None, f"cannot read file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise YamlReadError(path, None, f"not UTF-8 text: {exc.reason}") from exc
    try:
        # CodesLoader is a SafeLoader (plain data only, no object construction)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        _check_depth(path, root)
        data = yaml.load(text, Loader=CodesLoader) if codes else yaml.safe_load(text)  # noqa: S506
    except RecursionError as exc:  # PyYAML composes recursively: thousands of levels
        raise YamlReadError(path, None, f"nested deeper than {MAX_DEPTH} levels") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlReadError(path, line, f"not valid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise YamlReadError(path, None, f"not valid YAML: {exc}") from exc
    return YamlDocument(path=path, data=data, root=root)


def _check_depth(path: Path, root: yaml.Node | None) -> None:
    """Refuse a document nested deeper than :data:`MAX_DEPTH` (named by its line)."""
    stack: list[tuple[yaml.Node, int]] = [(root, 1)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise YamlReadError(
                path, node.start_mark.line + 1, f"nested deeper than {MAX_DEPTH} levels"
            )
        if isinstance(node, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)


def line_of(root: yaml.Node | None, loc: Iterable[str | int]) -> int | None:
    """The 1-based line of the deepest node on ``loc`` that exists in the YAML tree.

    Location parts that are not keys or indexes (pydantic adds union branch names such
    as ``FieldRule`` or ``function-after[...]``) are skipped.
    """
    node = root
    if node is None:
        return None
    best = node.start_mark.line + 1
    for part in loc:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    nxt = value
                    best = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            nxt = node.value[part]
            best = nxt.start_mark.line + 1
        if nxt is None:
            continue
        node = nxt
    return best


def _loc_text(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or part[:1].isupper():
            continue  # pydantic union/validator branch names, not user-visible keys
        else:
            out += f".{part}" if out else part
    return out


def describe_validation(
    exc: ValidationError, roots: Sequence[tuple[Path, yaml.Node | None]]
) -> list[tuple[Path, int | None, str, str]]:
    """Turn pydantic errors into ``(file, line, field, reason)``, first file that has the key.

    ``roots`` lists the YAML trees the data came from, most specific first (a map and
    then the maps it extends), so an error is reported where the key was written.
    """
    found: list[tuple[Path, int | None, str, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path, line = roots[0][0], None
        for file, root in roots:
            candidate = line_of(root, loc)
            if candidate is not None and _has_key(root, loc):
                path, line = file, candidate
                break
        else:
            line = line_of(roots[0][1], loc)
        reason = err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown field (not allowed here; check the spelling)"
        found.append((path, line, _loc_text(loc), reason))
    return found


def _has_key(root: yaml.Node | None, loc: tuple[str | int, ...]) -> bool:
    """True when the first key of ``loc`` is present in this YAML tree."""
    if not isinstance(root, yaml.MappingNode) or not loc:
        return False
    return any(isinstance(k, yaml.ScalarNode) and k.value == str(loc[0]) for k, _ in root.value)


def load_profile_file(path: Path) -> PartnerProfile:
    """Load and validate one profile file; raises :class:`ProfileError`."""
    try:
        doc = read_yaml(path)
    except YamlReadError as exc:
        raise ProfileError(path, exc.line, "", exc.reason) from exc
    if not isinstance(doc.data, dict):
        raise ProfileError(path, 1, "", "a profile must be a YAML mapping (key: value)")
    try:
        profile = PartnerProfile.model_validate(doc.data)
    except ValidationError as exc:
        found = [ProfileError(*item) for item in describe_validation(exc, [(path, doc.root)])]
        first = found[0]
        first.more = found[1:]
        raise first from exc
    profile._source = path.resolve()
    return profile


@dataclass
class LoadResult:
    """Profiles that loaded (by id) and the errors of those that did not."""

    profiles: dict[str, PartnerProfile] = field(default_factory=dict)
    errors: list[ProfileError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file loaded."""
        return not self.errors


def profile_files(dirs: Sequence[Path]) -> list[Path]:
    """The ``*.yaml`` / ``*.yml`` files of each directory, directory order then name order."""
    files: list[Path] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        files.extend(sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]))
    return files


def load_profiles(dirs: Sequence[Path]) -> LoadResult:
    """Load every profile of ``dirs`` in order; later directories override by ``id``.

    Two files in the same directory with one ``id``, and two partners claiming the
    same envelope or transport identifier, are errors naming both files.
    """
    result = LoadResult()
    origin: dict[str, Path] = {}  # id -> directory it came from
    for directory in dirs:
        if not directory.is_dir():
            if directory.exists():
                result.errors.append(ProfileError(directory, None, "", "not a directory"))
            continue
        for path in profile_files([directory]):
            try:
                profile = load_profile_file(path)
            except ProfileError as exc:
                result.errors.append(exc)
                continue
            previous = result.profiles.get(profile.id)
            if previous is not None and origin[profile.id] == directory:
                result.errors.append(
                    ProfileError(
                        path,
                        None,
                        "id",
                        f"partner id {profile.id!r} is also used by {previous.source}",
                    )
                )
                continue
            result.profiles[profile.id] = profile
            origin[profile.id] = directory
    result.errors.extend(_duplicate_identifiers(result.profiles))
    return result


def identifier_keys(profile: PartnerProfile) -> list[tuple[str, str]]:
    """The identifiers by which a partner is found, as ``(field, normalised value)``."""
    keys: list[tuple[str, str]] = []
    if profile.x12 is not None:
        keys.append(
            ("x12.isa_id", f"{profile.x12.isa_qualifier}/{profile.x12.isa_id.strip()}".upper())
        )
    if profile.edifact is not None:
        keys.append(
            ("edifact.unb_id", f"{profile.edifact.unb_qualifier}/{profile.edifact.unb_id}".upper())
        )
    if profile.as2 is not None:
        keys.append(("as2.as2_id", profile.as2.as2_id.strip().upper()))
    if profile.sftp is not None and profile.sftp.hosted is not None:
        keys.append(("sftp.hosted.username", profile.sftp.hosted.username))
    return keys


def _duplicate_identifiers(profiles: dict[str, PartnerProfile]) -> list[ProfileError]:
    """Errors for two partners claiming one identifier (the later one is dropped)."""
    seen: dict[tuple[str, str], PartnerProfile] = {}
    errors: list[ProfileError] = []
    for pid in list(profiles):
        profile = profiles[pid]
        clashes = [key for key in identifier_keys(profile) if key in seen]
        if clashes:
            field_name, value = clashes[0]
            other = seen[clashes[0]]
            errors.append(
                ProfileError(
                    profile.source,
                    None,
                    field_name,
                    f"{value} is already used by partner {other.id!r} in {other.source}",
                )
            )
            del profiles[pid]
            continue
        for key in identifier_keys(profile):
            seen[key] = profile
    return errors
