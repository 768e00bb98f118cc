"""Recording transport events without letting the audit trail break a transfer.

Event kinds written by this package (``detail`` is a human sentence, ``data`` the facts):

=========================== =================================================
``sftp.login``              a partner logged in to the hosted server
``sftp.login_refused``      unknown user, wrong key or password
``sftp.account_warning``    an account's key entry is unusable (file missing ...)
``sftp.upload``             an uploaded file was taken and archived
``sftp.take_failed``        the intake raised; the file stays in ``inbox/``
``sftp.upload_aborted``     a connection ended with a file still open for writing
``sftp.download``           a partner downloaded a file
``sftp.remove``             a partner removed a file from its outbox
``sftp.refused``            a path or operation was refused (escape, size, area, empty)
``sftp.poll.fetched``       the poller stored a remote file
``sftp.poll.skipped``       the poller left a remote file (too large, ...)
``sftp.poll.refused``       the poller refused an empty remote file (then removed it)
``sftp.poll.failed``        a poll of one partner failed
``sftp.poll.host_key_mismatch``  alert: the partner server's key is not the pinned one
``sftp.sent``               a file was uploaded to a partner-hosted server
=========================== =================================================
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from gateway.intake import Intake

log = logging.getLogger("gateway.sftp")


def record(
    intake: Intake,
    kind: str,
    detail: str,
    *,
    partner_id: str | None = None,
    actor: str = "system",
    message_id: int | None = None,
    data: Mapping[str, object] | None = None,
) -> None:
    """Record an event; a failing event store is logged, never raised into a session."""
    log.info("%s %s: %s", kind, partner_id or "-", detail)
    try:
        intake.record_event(
            kind, detail, partner_id=partner_id, actor=actor, message_id=message_id, data=data
        )
    except Exception:
        log.exception("could not record event %s for %s", kind, partner_id)
