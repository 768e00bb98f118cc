"""Our own identities: who we are in envelopes and AS2, configured once for all partners.

A site may have several (one per business unit); each partner profile names the one it
trades with (``our_identity``), or gets the default. Loaded from the YAML file named by
``EDIGW_IDENTITIES_FILE`` (default ``identities.yaml`` in the project directory).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from gateway.partners.common import SecretRef, StrictModel


class As2KeyPair(StrictModel):
    """One of our AS2 key pairs; several allow rollover (newest valid one signs)."""

    certificate: Path
    private_key: SecretRef
    passphrase: SecretRef | None = None


class OurIdentity(StrictModel):
    """One identity of ours."""

    name: str = Field(min_length=1)
    x12_qualifier: str = Field(default="ZZ", min_length=2, max_length=2)
    x12_id: str = Field(min_length=1, max_length=15)
    gs_id: str | None = None
    edifact_qualifier: str = ""
    edifact_id: str = Field(min_length=1, max_length=35)
    as2_id: str = Field(min_length=1, max_length=128)
    as2_keys: list[As2KeyPair] = Field(default_factory=list)

    @property
    def group_id(self) -> str:
        """GS02/GS03 application code."""
        return self.gs_id or self.x12_id


class Identities(StrictModel):
    """All our identities, and which one is the default."""

    default: str
    identities: list[OurIdentity] = Field(min_length=1)
    _base_dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _default_exists(self) -> Identities:
        names = [i.name for i in self.identities]
        if len(set(names)) != len(names):
            raise ValueError("identity names must be unique")
        if self.default not in names:
            raise ValueError(f"default identity {self.default!r} is not one of {names}")
        return self

    @property
    def base_dir(self) -> Path | None:
        """Directory relative key paths are resolved against."""
        return self._base_dir

    def get(self, name: str | None = None) -> OurIdentity:
        """The named identity, or the default one. Raises ``KeyError`` if unknown."""
        wanted = name or self.default
        for ident in self.identities:
            if ident.name == wanted:
                return ident
        raise KeyError(f"no identity named {wanted!r}")

    def resolve_path(self, path: Path) -> Path:
        """A key/certificate path made absolute against the identities file."""
        if path.is_absolute() or self._base_dir is None:
            return path
        return self._base_dir / path


class IdentityError(ValueError):
    """The identities file is missing or does not validate."""


def load_identities(path: Path) -> Identities:
    """Load and validate the identities file; errors name the file and field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IdentityError(f"{path}: cannot read identities file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise IdentityError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    except (yaml.YAMLError, RecursionError) as exc:
        raise IdentityError(f"{path}: not valid YAML: {exc}") from exc
    try:
        identities = Identities.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise IdentityError(f"{path}: {details}") from exc
    identities._base_dir = path.resolve().parent
    return identities
