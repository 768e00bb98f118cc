"""Small types shared by every section of a partner profile."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator


class StrictModel(BaseModel):
    """Base for configuration models: unknown keys are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(StrictModel):
    """Where a secret lives: a file path or an environment variable, never inline.

    Relative file paths are resolved against the directory of the profile that names
    them (done by the loader, which sets ``base_dir``).
    """

    file: Path | None = None
    env: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.file is None) == (self.env is None):
            raise ValueError("give exactly one of 'file' or 'env'")
        return self

    def resolve(self, base_dir: Path | None = None) -> bytes:
        """Read the secret. Raises ``LookupError`` naming what is missing."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise LookupError(f"environment variable {self.env} is not set")
            return value.encode()
        if self.file is None:  # the validator requires one of the two
            raise LookupError("secret reference names neither a file nor an env variable")
        path = self.file if self.file.is_absolute() or base_dir is None else base_dir / self.file
        try:
            return path.read_bytes()
        except OSError as exc:
            raise LookupError(f"cannot read secret file {path}: {exc.strerror}") from exc

    def describe(self) -> str:
        """Where the secret is, for messages (never the secret itself)."""
        return f"env:{self.env}" if self.env else f"file:{self.file}"
