"""Partner profiles: models, loading and lookup by envelope identifiers."""

from gateway.partners.profile import PartnerProfile

__all__ = ["PartnerProfile"]
