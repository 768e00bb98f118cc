"""The partner profile's ``exceptions`` section: who owns which kind of business exception."""

from __future__ import annotations

from pydantic import Field

from gateway.exception_policy import DEFAULT_GROUP, DEFAULT_ROUTES
from gateway.partners.common import StrictModel


class ExceptionSettings(StrictModel):
    """``exceptions.routes: {price_mismatch: ap-team, unknown_item: purchasing, ...}``.

    Kinds not named fall back to :data:`gateway.exception_policy.DEFAULT_ROUTES`, then to
    ``default_group``, then to ``operations``.
    """

    routes: dict[str, str] = Field(default_factory=dict)
    default_group: str | None = None

    def group_for(self, kind: str) -> str:
        """The owner group of an exception kind for this partner."""

        return (
            self.routes.get(kind) or DEFAULT_ROUTES.get(kind) or self.default_group or DEFAULT_GROUP
        )
