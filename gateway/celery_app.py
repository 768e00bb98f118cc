"""The Celery application: broker from the settings, reliable delivery options, beat schedule.

Reliability choices: ``acks_late`` with ``task_reject_on_worker_lost`` so a message whose
worker dies is delivered again; prefetch of one so a killed worker loses at most the
task it was running; results ignored (the store is the result). The embedded default
broker is kombu's filesystem transport (no server, files an operator can look at); it
does not redeliver unacknowledged messages, which is why the beat schedule also runs
``gateway.recover_stalled`` — the store, not the broker, is the source of truth.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery

from gateway import broker_files, lifeline, tasks
from gateway.partners.registry import PartnerRegistry
from gateway.settings import Settings, get_settings
from gateway.sftp import beat_schedule

log = logging.getLogger(__name__)

broker_files.install()  # filesystem://: messages written whole (gateway/broker_files.py)


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery configuration for the given settings."""
    url = settings.resolved_broker_url
    config: dict[str, Any] = {
        "broker_url": url,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "result_backend": None,
        "task_default_queue": settings.queue_name,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "beat_schedule": {
            "recover-stalled": {
                "task": "gateway.recover_stalled",
                "schedule": max(5.0, settings.stalled_after_seconds / 4),
            },
            "outbound-poll": {
                "task": "gateway.outbound.poll",
                "schedule": settings.outbound_poll_seconds,
            },
        },
    }
    if settings.reconcile_every_seconds > 0:
        config["beat_schedule"]["reconcile"] = {
            "task": "gateway.reconcile",
            "schedule": settings.reconcile_every_seconds,
        }
    if url.startswith("filesystem"):
        folder = settings.broker_dir
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        config["broker_transport_options"] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            # fanout/broadcast exchange tables; kombu's default is ./control (the cwd)
            "control_folder": str(folder / "control"),
            "store_processed": False,
            # an idle consumer looks for new files this often (kombu's default: 1 s)
            "polling_interval": 0.1,
        }
    elif url.startswith(("redis", "rediss")):
        # an unacknowledged task comes back after this long (worker killed mid-task)
        config["broker_transport_options"] = {
            "visibility_timeout": settings.broker_visibility_timeout
        }
    return config


def poll_schedule(settings: Settings) -> dict[str, Any]:
    """Beat entries polling each partner-hosted SFTP server at its interval."""
    try:
        registry = PartnerRegistry.from_dirs(settings.profile_dirs(), settings.map_dirs())
    except Exception as exc:  # a broken profile must not stop the workers starting
        log.error("no SFTP poll schedule: profiles did not load: %s", exc)
        return {}
    return beat_schedule(registry.all())


def make_celery(settings: Settings | None = None) -> Celery:
    """Create the Celery app and register the gateway's tasks on it."""
    settings = settings or get_settings()
    app = Celery("gateway")
    config = celery_config(settings)
    config["beat_schedule"].update(poll_schedule(settings))
    app.conf.update(config)

    tasks.register(app)
    lifeline.connect()  # a worker started by `run`, and its scheduler, die with it
    return app


app = make_celery()  # `celery -A gateway.celery_app worker`
