"""Reloading partner profiles and maps in every process of a running gateway.

A reload is asked for in one process — ``POST /api/v1/partners/reload`` (also behind
``edi-gateway partners reload`` and the console's partner editor), ``SIGHUP`` to ``run``,
or a file changing in a profiles/maps directory. That process reloads, and records a
``partners_reloaded`` event with every problem found. The event's id is the reload
*generation*: every other process (workers, SFTP, other API servers, on any machine
sharing the store) compares it with the one it applied, at most once per
``EDIGW_RELOAD_CHECK_SECONDS``, and reloads from its own directories when it moved.
The store is already shared by every process, so no broker feature (broadcast, which
the embedded broker does not do well) is needed.

Long-running processes also watch their profile and map directories with
``watchfiles`` (inotify on Linux), so an edited file is picked up within a second.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from gateway.store.audit import add_event
from gateway.store.db import session_scope
from gateway.store.models import Event

if TYPE_CHECKING:
    from gateway.partner_config import PartnerConfig
    from gateway.pipeline.runtime import Runtime

log = logging.getLogger(__name__)
RELOAD_EVENT = "partners_reloaded"


@dataclass
class ReloadReport:
    """What a reload found: counts, disabled partners and every file that did not load."""

    generation: int
    partners: int
    maps: int
    problems: list[dict[str, Any]] = field(default_factory=list)
    disabled: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every file loaded."""
        return not self.problems

    def summary(self) -> str:
        """One line for logs and the CLI."""
        head = f"reloaded: {self.partners} partner(s), {self.maps} map(s)"
        if self.ok:
            return head
        return f"{head}; {len(self.problems)} file(s) did not load"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the API's answer)."""
        return {
            "ok": self.ok,
            "generation": self.generation,
            "partners": self.partners,
            "maps": self.maps,
            "problems": self.problems,
            "disabled": self.disabled,
        }


def latest_generation(runtime: Runtime) -> int:
    """The newest reload request recorded in the store (0 when there was none)."""
    with session_scope(runtime.sessions) as session:
        value = session.scalar(select(func.max(Event.id)).where(Event.kind == RELOAD_EVENT))
    return int(value or 0)


def report_of(config: PartnerConfig, generation: int) -> ReloadReport:
    """The report of a loaded configuration."""
    return ReloadReport(
        generation=generation,
        partners=len(config.registry),
        maps=len(config.maps.maps),
        problems=[p.as_dict() for p in config.problems],
        disabled=dict(config.disabled),
    )


def reload_everywhere(runtime: Runtime, *, actor: str, reason: str = "") -> ReloadReport:
    """Reload here, then record the reload so every other process follows."""
    config = runtime.reload()
    report = report_of(config, 0)
    detail = report.summary() + (f" ({reason})" if reason else "")
    with session_scope(runtime.sessions) as session:
        event = add_event(
            session,
            RELOAD_EVENT,
            detail,
            actor=actor,
            data={
                "partners": report.partners,
                "maps": report.maps,
                "problems": report.problems,
                "disabled": report.disabled,
            },
        )
        session.flush()
        report.generation = int(event.id)
    runtime.mark_generation(report.generation)
    if report.ok:
        log.info("%s", detail)
    else:
        log.warning("%s: %s", detail, "; ".join(p["text"] for p in report.problems))
    return report


def watched_dirs(runtime: Runtime) -> list[Path]:
    """The profile and map directories that exist."""
    dirs = [*runtime.settings.profile_dirs(), *runtime.settings.map_dirs()]
    seen: list[Path] = []
    for directory in dirs:
        resolved = directory.resolve()
        if resolved.is_dir() and resolved not in seen:
            seen.append(resolved)
    return seen


def _yaml_only(_change: Any, path: str) -> bool:
    return path.endswith((".yaml", ".yml"))


def start_file_watcher(
    runtime: Runtime, stop: threading.Event | None = None, *, announce: bool = True
) -> threading.Thread | None:
    """Watch the profile and map directories and reload when a YAML file changes.

    ``announce`` records the reload in the store (the process that serves HTTP does);
    other processes only reload themselves. Returns the thread, or None when watching
    is turned off (``EDIGW_WATCH_CONFIG=false``) or there is nothing to watch.
    """
    if not runtime.settings.watch_config:
        return None
    dirs = watched_dirs(runtime)
    if not dirs:
        return None
    stop = stop or threading.Event()

    def loop() -> None:
        import watchfiles

        try:
            for changes in watchfiles.watch(
                *dirs, watch_filter=_yaml_only, stop_event=stop, debounce=400, recursive=True
            ):
                names = sorted({Path(p).name for _, p in changes})
                try:
                    if announce:
                        reload_everywhere(
                            runtime, actor="file-watch", reason="changed: " + ", ".join(names)
                        )
                    else:
                        runtime.reload()
                        log.info("profiles/maps reloaded after a change to %s", ", ".join(names))
                except Exception:  # a reload problem must never kill the watcher
                    log.exception("reload after a file change failed")
        except Exception:
            log.exception("watching %s stopped", ", ".join(map(str, dirs)))

    thread = threading.Thread(target=loop, name="config-watch", daemon=True)
    thread.start()
    return thread
