"""The Odoo package's exception tree and the one place Odoo faults are mapped to it.

::

    OdooError                      anything that went wrong talking to Odoo
    ├── OdooTransientError         retry with backoff: unreachable, timeout, HTTP 5xx,
    │                              database serialization conflict
    └── OdooPermanentError         retrying will not help
        ├── OdooConfigurationError an operator must fix the setup: login, access rights,
        │                          missing model / method / field, missing vendor
        └── OdooBusinessError      Odoo refused the business operation (UserError,
                                   ValidationError): a person must look at the document

Every error keeps Odoo's own message verbatim in ``odoo_message`` and the exception class
name Odoo reported (``odoo.exceptions.UserError`` ...) in ``odoo_name`` so the console can
show exactly what Odoo said.
"""

from __future__ import annotations


class OdooError(Exception):
    """Base of every error raised by :mod:`gateway.odoo`."""

    #: short machine code the console and the pipeline show next to the message
    code: str = "odoo_error"

    def __init__(self, message: str, *, odoo_name: str = "", odoo_message: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.odoo_name = odoo_name
        self.odoo_message = odoo_message or message


class OdooTransientError(OdooError):
    """Odoo could not be reached or asked us to try again; the pipeline retries."""

    code = "odoo_unavailable"


class OdooPermanentError(OdooError):
    """Retrying the same call will fail the same way."""

    code = "odoo_refused"


class OdooConfigurationError(OdooPermanentError):
    """Odoo or the partner profile is set up wrongly (login, rights, module, field, vendor)."""

    code = "odoo_configuration"


class OdooBusinessError(OdooPermanentError):
    """Odoo refused the operation for a business reason (UserError / ValidationError)."""

    code = "odoo_business"


# Odoo exception names (as in ``error.data.name``) and what they mean for us.
_BUSINESS_NAMES = frozenset(
    {
        "odoo.exceptions.UserError",
        "odoo.exceptions.ValidationError",
        "odoo.exceptions.RedirectWarning",
        "odoo.exceptions.Warning",
        "odoo.exceptions.except_orm",
    }
)
_CONFIGURATION_NAMES = frozenset(
    {
        "odoo.exceptions.AccessDenied",
        "odoo.exceptions.AccessError",
        "odoo.exceptions.MissingError",
        "werkzeug.exceptions.Unauthorized",
        "werkzeug.exceptions.Forbidden",
        "werkzeug.exceptions.NotFound",
        "werkzeug.exceptions.UnprocessableEntity",
        "builtins.AttributeError",
        "builtins.KeyError",
        "builtins.ValueError",
        "builtins.TypeError",
    }
)
_TRANSIENT_NAMES = frozenset(
    {
        "psycopg2.errors.SerializationFailure",
        "psycopg2.extensions.TransactionRollbackError",
        "psycopg2.errors.DeadlockDetected",
        "psycopg2.errors.LockNotAvailable",
        "psycopg2.OperationalError",
        "psycopg.errors.SerializationFailure",
        "odoo.exceptions.ConcurrencyError",
        "werkzeug.exceptions.ServiceUnavailable",
    }
)
_TRANSIENT_MESSAGES = (
    "could not serialize access",
    "concurrent update",
    "deadlock detected",
    "could not obtain lock",
)
# A UserError that really says the model does not exist is a setup problem, not a
# business one (recorded: "Object no.such.model doesn't exist").
_MISSING_MODEL_MARKERS = ("doesn't exist", "does not exist")


def error_from_fault(name: str, message: str, *, context: str = "") -> OdooError:
    """Map one Odoo fault (exception name + message) to the gateway's exception tree.

    ``context`` says which call failed (``purchase.order.create``); it is prefixed to the
    message while ``odoo_message`` keeps Odoo's words untouched.
    """
    lowered = message.lower()
    text = f"{context}: {message}" if context else message
    if "database" in lowered and "does not exist" in lowered:
        # psycopg2.OperationalError for a wrong EDIGW_ODOO_DB: retrying cannot help
        return OdooConfigurationError(text, odoo_name=name, odoo_message=message)
    if name in _TRANSIENT_NAMES or any(marker in lowered for marker in _TRANSIENT_MESSAGES):
        return OdooTransientError(text, odoo_name=name, odoo_message=message)
    if name in _BUSINESS_NAMES:
        if lowered.startswith("object ") and any(m in lowered for m in _MISSING_MODEL_MARKERS):
            return OdooConfigurationError(text, odoo_name=name, odoo_message=message)
        return OdooBusinessError(text, odoo_name=name, odoo_message=message)
    if name in _CONFIGURATION_NAMES:
        return OdooConfigurationError(text, odoo_name=name, odoo_message=message)
    # Unknown Python exceptions inside Odoo are bugs or setup problems on the Odoo side;
    # retrying the same call will not fix them.
    return OdooConfigurationError(text, odoo_name=name, odoo_message=message)


def error_from_http_status(status: int, body: str, *, context: str = "") -> OdooError:
    """Map an HTTP failure without an Odoo fault body (proxy page, HTML 400 ...)."""
    snippet = " ".join(body.split())[:200]
    text = f"{context}: HTTP {status} {snippet}".strip()
    if status >= 500 or status in (408, 425, 429):
        return OdooTransientError(text)
    return OdooConfigurationError(text)
