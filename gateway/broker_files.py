"""The embedded default broker: kombu's filesystem transport, its messages written whole.

kombu 5.7 writes a message's file in place (create, lock, write), and its consumer moves
any file with a message's name out of the queue folder without taking that lock. A
worker polling at the moment between the create and the write took an empty file,
failed to decode it and stopped, and ``edi-gateway run`` stopped with it (the message
itself was lost; the store's stall recovery would have sent its stage again, but the
worker was gone). Here a message is written under a hidden name the consumer does not
take (a queue's files are ``<time>_<uuid>.<queue>.msg``), then renamed into place: a
rename within one folder is atomic, so a consumer sees a whole message or none.

:func:`install` makes this the transport of every ``filesystem://`` URL in the process
(kombu's alias table); :mod:`gateway.celery_app` calls it when imported, so the worker,
``run``, ``ingest --queue`` and the API's health check all use it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, _transport_cache, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

#: kombu's alias table entry for this transport
TRANSPORT = "gateway.broker_files:Transport"

log = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    """kombu's filesystem channel; a message's file appears whole or not at all."""

    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Put ``payload`` onto ``queue``: written aside, then renamed into place."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # a leading dot: not "<queue>.msg" after its first dot, so no consumer takes it
        aside = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(aside, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))  # type: ignore[no-untyped-call]
            os.replace(aside, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(aside)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        """The next message of ``queue``; a file there that is not one (dropped in by
        hand, or half-written by an older gateway) is logged and skipped, where kombu's
        own would stop the worker."""
        while True:
            try:
                return super()._get(queue)  # type: ignore[no-untyped-call]
            except ValueError as exc:  # json.JSONDecodeError, UnicodeDecodeError
                log.error(
                    "broker queue %s: a file that is not a message was skipped: %s", queue, exc
                )


class Transport(filesystem.Transport):
    """kombu's filesystem transport with :class:`Channel`."""

    Channel = Channel


def install() -> None:
    """Make ``filesystem://`` mean this transport in this process (idempotent)."""
    if TRANSPORT_ALIASES.get("filesystem") != TRANSPORT:
        TRANSPORT_ALIASES["filesystem"] = TRANSPORT
        _transport_cache.pop("filesystem", None)  # resolved before: look it up again
