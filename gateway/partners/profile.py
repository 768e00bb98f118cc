"""The partner profile: everything the gateway knows about one trading partner.

One YAML file per partner in ``partner_profiles/`` (and the site's own directories
named in ``EDIGW_PROFILES_DIR``). Transport and Odoo sections live in their own modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, PrivateAttr, field_validator, model_validator

from gateway.partners.as2 import As2Settings
from gateway.partners.common import StrictModel
from gateway.partners.exceptions import ExceptionSettings
from gateway.partners.odoo import OdooPartnerSettings
from gateway.partners.outbound import Expectations, OutboundSettings
from gateway.partners.sftp import SftpSettings


def _quoted(value: Any) -> Any:
    """Identifiers and versions are text: an unquoted ``004010`` or GLN reaches us as a
    number (YAML reads leading-zero digits as octal), which cannot be turned back."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            "write this value in quotes (YAML read it as the number "
            f'{value}; e.g. version: "004010", unb_id: "4045678000002")'
        )
    return value


# The X12 releases we have specs and maps for (gateway.x12.specs.sets.VERSIONS).
X12Version = Literal["004010", "004030", "004060", "005010"]


class X12Ids(StrictModel):
    """The partner's X12 envelope identifiers and the releases it sends.

    ``version`` is the partner's one release (the default); ``versions`` lists several,
    either for every set (``["004010", "005010"]``) or per set
    (``{"855": ["004010"], "856": ["005010"]}``; a set it does not name uses
    ``version``). The partner is identified by its ISA/GS ids alone; the version of each
    group then picks the specs and the map. A set in a version not listed is rejected in
    the 997/999 (AK5/IK5 code 1), never accepted and then dropped.
    """

    isa_qualifier: str = Field(min_length=2, max_length=2)
    isa_id: str = Field(min_length=1, max_length=15)
    gs_id: str | None = None  # defaults to isa_id
    version: X12Version = "004010"
    versions: list[X12Version] | dict[str, list[X12Version]] | None = None

    _text = field_validator("isa_qualifier", "isa_id", "gs_id", "version", mode="before")(_quoted)

    @field_validator("versions", mode="before")
    @classmethod
    def _version_texts(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_quoted(v) for v in value]
        if isinstance(value, dict):
            # YAML reads `855:` as an int; set ids are text
            return {
                str(k): [_quoted(v) for v in v_list] if isinstance(v_list, list) else v_list
                for k, v_list in value.items()
            }
        return value

    @field_validator("versions")
    @classmethod
    def _not_empty(
        cls, value: list[str] | dict[str, list[str]] | None
    ) -> list[str] | dict[str, list[str]] | None:
        lists = [value] if isinstance(value, list) else list((value or {}).values())
        if any(not versions for versions in lists):
            raise ValueError("list at least one version (or leave versions out)")
        return value

    @property
    def group_id(self) -> str:
        """GS02/GS03 application code."""
        return self.gs_id or self.isa_id

    def versions_for(self, set_id: str) -> tuple[str, ...]:
        """The releases this partner sends a set in (``version`` when none are listed)."""
        if self.versions is None:
            return (self.version,)
        if isinstance(self.versions, list):
            return tuple(self.versions)
        return tuple(self.versions.get(set_id, [self.version]))

    @property
    def all_versions(self) -> tuple[str, ...]:
        """Every release this partner is set up for, for any set."""
        if isinstance(self.versions, dict):
            found = {self.version} | {v for vs in self.versions.values() for v in vs}
            return tuple(sorted(found))
        return self.versions_for("")

    def accepts(self, set_id: str, version: str) -> bool:
        """Whether a set in this release (GS08/ST03, suffixes ignored) is listed."""
        return version.strip()[:6] in self.versions_for(set_id)


# The EDIFACT directories we have maps for. D93A messages are validated against the
# nearest directory we have specs for (D96A, findings as warnings) and mapped by maps
# that extend the D96A ones.
EdifactDirectory = Literal["D93A", "D96A", "D01B"]


class EdifactIds(StrictModel):
    """The partner's EDIFACT envelope identifiers."""

    unb_id: str = Field(min_length=1, max_length=35)
    unb_qualifier: str = ""  # e.g. "14" (GLN), "ZZZ"
    syntax: str = "UNOC:3"  # syntax identifier and version for what we send
    directory: EdifactDirectory = "D96A"
    # several directories (a partner moving from D93A to D96A, say), like x12.versions;
    # default: [directory]. A message in a directory not listed is rejected (CONTRL 17)
    directories: list[EdifactDirectory] | None = Field(default=None, min_length=1)

    _text = field_validator("unb_id", "unb_qualifier", mode="before")(_quoted)

    def accepts(self, directory: str) -> bool:
        """Whether messages of this directory (``D93A``, ``D:96A``...) are listed."""
        return directory.strip().upper().replace(":", "") in (self.directories or [self.directory])


class Acknowledgements(StrictModel):
    """Which acknowledgements this partner wants from us."""

    x12: Literal["997", "999", "none"] = "997"
    ta1: Literal["never", "on_error", "when_requested", "always"] = "on_error"
    contrl: bool = False
    # an 824 Application Advice (X12) or APERAK (EDIFACT) for each transaction the
    # partner sent that passed validation but cannot be translated (its data is wrong)
    application_advice: bool = False
    # where acknowledgements go: the transport the document came in on, or a fixed one
    transport: Literal["inbound", "as2", "sftp", "none"] = "inbound"


class DuplicatePolicy(StrictModel):
    """What to do when an interchange control number comes again from this partner."""

    policy: Literal["reject", "ignore"] = "ignore"


class Mode(StrictModel):
    """Test or production, and what a mismatch with the envelope's indicator does."""

    usage: Literal["test", "production"] = "production"
    on_mismatch: Literal["reject", "accept", "warn"] = "reject"


Role = Literal["supplier", "customer"]


class PartnerProfile(StrictModel):
    """One trading partner.

    ``role`` says what the partner is to us: a ``supplier`` (the default: their 855, 856
    and 810 come in, our 850 goes out) or a ``customer`` (their 850/ORDERS come in and
    become sale orders), or both (``role: [supplier, customer]``; ``roles:`` is the same
    key). Which role a document travels in is decided per document type by the registry
    (:meth:`gateway.documents.DocumentType.sender_role`).
    """

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    enabled: bool = True
    x12: X12Ids | None = None
    edifact: EdifactIds | None = None
    as2: As2Settings | None = None
    sftp: SftpSettings | None = None
    our_identity: str | None = None  # name of one of our identities; None = default
    role: Role | list[Role] = Field(
        default="supplier", validation_alias=AliasChoices("role", "roles")
    )
    # our identity when we sell to this partner (role customer); None = our_identity
    customer_identity: str | None = None
    acknowledgements: Acknowledgements = Field(default_factory=Acknowledgements)
    duplicates: DuplicatePolicy = Field(default_factory=DuplicatePolicy)
    mode: Mode = Field(default_factory=Mode)
    odoo: OdooPartnerSettings | None = None
    # documents we send this partner (our purchase orders ...) and how long we wait for
    # each answer before the order is overdue
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)
    expect: Expectations = Field(default_factory=Expectations)
    # who owns each kind of business exception (docs/operations.md)
    exceptions: ExceptionSettings = Field(default_factory=ExceptionSettings)
    # transaction set ("850", "DESADV", ...) -> map name ("x12/004010/850") or override
    # file relative to the maps directories ("overrides/acme/856.yaml")
    maps: dict[str, str] = Field(default_factory=dict)
    # the partner's unit codes -> the canonical code, applied before the map's uom table
    # (e.g. {"BX": "BOX", "PCE": "EA"}); odoo.uom then names the Odoo unit per code
    uom_codes: dict[str, str] = Field(default_factory=dict)

    # set by the loader: the file the profile came from (for relative secret paths)
    _source: Path | None = PrivateAttr(default=None)

    @field_validator("maps", "uom_codes", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        # YAML reads `850:` as an int; set ids and codes are text
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @field_validator("role")
    @classmethod
    def _roles_listed(cls, value: Role | list[Role]) -> Role | list[Role]:
        if isinstance(value, list):
            if not value:
                raise ValueError("list at least one role (supplier, customer)")
            if len(set(value)) != len(value):
                raise ValueError("a role is listed twice")
        return value

    @model_validator(mode="after")
    def _has_identifiers(self) -> PartnerProfile:
        if self.x12 is None and self.edifact is None:
            raise ValueError("a partner needs x12 or edifact identifiers (or both)")
        return self

    @model_validator(mode="after")
    def _odoo_partner_for_each_role(self) -> PartnerProfile:
        if self.odoo is not None and "supplier" in self.roles and not self.odoo.names_vendor:
            raise ValueError(
                "a supplier's odoo section needs vendor_ref or vendor_id "
                "(customer_ref/customer_id only name the partner as a customer)"
            )
        return self

    @property
    def roles(self) -> tuple[Role, ...]:
        """The partner's roles, as a tuple (``role`` may be one or a list)."""
        return tuple(self.role) if isinstance(self.role, list) else (self.role,)

    @property
    def is_customer(self) -> bool:
        """Whether we sell to this partner (its orders become sale orders)."""
        return "customer" in self.roles

    def identity_for(self, role: Role) -> str | None:
        """The name of our identity for documents exchanged with this partner in ``role``
        (None = our default identity)."""
        if role == "customer" and self.customer_identity:
            return self.customer_identity
        return self.our_identity

    @property
    def source(self) -> Path | None:
        """The YAML file this profile was loaded from."""
        return self._source

    @property
    def base_dir(self) -> Path | None:
        """Directory relative paths in this profile are resolved against."""
        return self._source.parent if self._source else None
