"""The people behind each owner group of business exceptions (the site's routing file).

``routing.yaml`` (``EDIGW_ROUTING_FILE``) names each group's e-mail addresses, the person
new exceptions are assigned to, and the Odoo user who gets an activity on the purchase
order or bill. Partner profiles only name the group (``exceptions.routes``), so people
change in one place. A group not in the file still owns its exceptions; it just has
nobody to notify.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from gateway.partners.common import StrictModel


class OwnerGroup(StrictModel):
    """One group of people who work a kind of exception."""

    email: list[str] = Field(default_factory=list)
    assignee: str | None = None  # console user (API key name) new exceptions go to
    odoo_user: str | None = None  # Odoo login of the user who gets a mail.activity


class OwnerGroups(StrictModel):
    """Every group of the site."""

    groups: dict[str, OwnerGroup] = Field(default_factory=dict)

    def get(self, name: str) -> OwnerGroup:
        """The group, or an empty one (nobody to notify) when the file does not name it."""
        return self.groups.get(name) or OwnerGroup()


class RoutingFileError(ValueError):
    """The routing file does not load or validate."""


def load_owner_groups(path: Path) -> OwnerGroups:
    """Read the routing file; a missing file means no groups (nobody is notified)."""
    if not path.is_file():
        return OwnerGroups()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return OwnerGroups.model_validate(raw)
    except UnicodeDecodeError as exc:
        raise RoutingFileError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    except (yaml.YAMLError, RecursionError) as exc:
        raise RoutingFileError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise RoutingFileError(f"{path}: {details}") from exc
