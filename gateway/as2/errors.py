"""The AS2 package's exception tree.

Every error raised while unpacking a partner's message carries the MDN disposition
modifier (RFC 4130 section 7.5.3) the partner will see, so the MDN builder only reads
``disposition_modifier``::

    As2Error                         base of everything raised by gateway.as2
      As2RemoteError                 the partner's message is at fault (answered by MDN)
        PartnerNotFound              unknown-trading-partner
        DecryptionFailed             decryption-failed
        AuthenticationFailed         authentication-failed (no certificate verifies)
        IntegrityCheckFailed         integrity-check-failed (digest/MIC mismatch, truncated)
        DecompressionFailed          decompression-failed (corrupt or over the size cap)
        InsufficientSecurity         insufficient-message-security (policy not met)
        MalformedMessage             unexpected-processing-error (not parseable)
      As2LocalError                  our side is at fault (missing key, broken config):
                                     an operator alert, answered unexpected-processing-error
      MdnError                       an MDN we received cannot be read or verified
"""

from __future__ import annotations


class As2Error(Exception):
    """Base of every error raised by the AS2 package."""

    disposition_modifier = "unexpected-processing-error"


class As2RemoteError(As2Error):
    """The partner's message is at fault; the MDN reports ``disposition_modifier``."""


class PartnerNotFound(As2RemoteError):
    """No partner profile for the AS2-From/AS2-To pair."""

    disposition_modifier = "unknown-trading-partner"


class DecryptionFailed(As2RemoteError):
    """The enveloped data cannot be decrypted with any of our keys."""

    disposition_modifier = "decryption-failed"


class AuthenticationFailed(As2RemoteError):
    """The signature does not verify with any valid certificate of the partner."""

    disposition_modifier = "authentication-failed"


class IntegrityCheckFailed(As2RemoteError):
    """The signed content does not match its digest, or the message is cut short."""

    disposition_modifier = "integrity-check-failed"


class DecompressionFailed(As2RemoteError):
    """The compressed data is corrupt or expands beyond the size cap."""

    disposition_modifier = "decompression-failed"


class InsufficientSecurity(As2RemoteError):
    """The message is not signed/encrypted although the partner's profile requires it."""

    disposition_modifier = "insufficient-message-security"


class MalformedMessage(As2RemoteError):
    """The request is not a readable AS2 message (headers, MIME or CMS structure)."""

    disposition_modifier = "unexpected-processing-error"


class As2LocalError(As2Error):
    """Our configuration or code failed (missing key file, bad certificate path)."""

    disposition_modifier = "unexpected-processing-error"


class MdnError(As2Error):
    """An MDN we received cannot be parsed or its signature does not verify."""
