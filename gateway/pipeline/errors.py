"""Errors of the pipeline, split by what the runner does with them.

* :class:`TransientError` — may succeed later (Odoo or a partner's server unreachable,
  database deadlock): retried with exponential backoff, then dead-lettered.
* :class:`PermanentError` — will not succeed by retrying (missing configuration, a
  refused send): the subject goes to its failed state at once, visible to operators.

Adapters map third-party errors into these once (``raise ... from exc``).
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of pipeline errors."""


class TransientError(PipelineError):
    """Retry later.

    ``max_retries`` overrides ``EDIGW_TASK_MAX_RETRIES`` for this failure (e.g. a
    partner's own AS2 retry policy).
    """

    def __init__(self, message: str, *, max_retries: int | None = None) -> None:
        super().__init__(message)
        self.max_retries = max_retries


class PermanentError(PipelineError):
    """Do not retry; an operator must act."""
