"""A Dask scheduler plugin that reports the workshop's progress as log lines.

Loaded with ``dask scheduler --preload workshop_progress`` (the module must be on the
scheduler's ``PYTHONPATH``: ``/opt/dask-workshop`` in the image, ``docker/`` locally).
It writes one line through the scheduler's own logger when the cluster's work changes
meaningfully, so the line travels wherever the scheduler's log goes (the ECS awslogs
stream, the local provider's log file) and the portal reads progress from the log it
already streams, without any network path to the scheduler::

    dask-workshop-progress {"v":1,"tasks":1520,"bytes":3087007744,"workers":2,"pins":"3f9a0c21b7de"}

- ``tasks``: tasks the scheduler has seen computed (processing -> memory) since it started.
- ``bytes``: bytes the scheduler knows the workers hold for it now (its managed memory).
- ``workers``: workers connected now.
- ``pins``: ``DASK_WORKSHOP_PINS`` from the environment (the hash of the pins the image or
  the local .venv was built from), or null.

Every ``DASK_WORKSHOP_PROGRESS_INTERVAL`` seconds (default 5) the plugin compares what it
would write with the last line it wrote and writes only when something changed enough:
the worker count, any newly computed task, memory going to or coming from zero, or memory
moving by more than a small share. A notebook run so writes tens of lines, however many
tasks it computes. The format is described in docs/architecture.md ("Progress lines") and
parsed by lib/labs/progress-line.ts; change the three together.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin
from tornado.ioloop import PeriodicCallback

PREFIX = "dask-workshop-progress"
VERSION = 1
DEFAULT_INTERVAL_S = 5.0
#: Memory changes smaller than this share of the last reported figure are not news...
RELATIVE_BYTES = 0.05
#: ...nor are changes below this many bytes.
ABSOLUTE_BYTES = 16 * 1024 * 1024

logger = logging.getLogger("distributed.workshop_progress")


@dataclass(frozen=True)
class Progress:
    tasks: int
    bytes: int
    workers: int


def worth_reporting(last: Progress | None, now: Progress) -> bool:
    """Whether ``now`` differs from the last reported figures enough for a new line."""
    if last is None:
        return True
    if now.workers != last.workers or now.tasks != last.tasks:
        return True
    if (now.bytes == 0) != (last.bytes == 0):
        return True
    return abs(now.bytes - last.bytes) > max(ABSOLUTE_BYTES, RELATIVE_BYTES * last.bytes)


def progress_line(progress: Progress, pins: str | None) -> str:
    """The line as the portal parses it: the prefix, a space, compact JSON."""
    body = {"v": VERSION, **asdict(progress), "pins": pins}
    return f"{PREFIX} {json.dumps(body, separators=(',', ':'))}"


def interval_from_env() -> float:
    raw = os.environ.get("DASK_WORKSHOP_PROGRESS_INTERVAL")
    if raw is None:
        return DEFAULT_INTERVAL_S
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"DASK_WORKSHOP_PROGRESS_INTERVAL must be a number of seconds, not {raw!r}") from None
    if not 0.1 <= seconds <= 3600:
        raise ValueError(f"DASK_WORKSHOP_PROGRESS_INTERVAL must be between 0.1 and 3600 seconds, not {raw!r}")
    return seconds


class WorkshopProgress(SchedulerPlugin):
    """Counts computed tasks as they finish; samples memory and workers on a timer."""

    name = "workshop-progress"
    idempotent = True

    def __init__(self, interval_s: float, pins: str | None) -> None:
        self.interval_s = interval_s
        self.pins = pins or None
        self.tasks = 0
        self.last: Progress | None = None
        self.scheduler: Any = None
        self.timer: PeriodicCallback | None = None

    async def start(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self.timer = PeriodicCallback(self.report, self.interval_s * 1000)
        self.timer.start()
        self.report()

    async def close(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None

    def restart(self, scheduler: Any) -> None:
        # A client's restart() forgets every result; the count goes on (it is cumulative).
        self.report()

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        # On the scheduler's hot path: count and nothing else.
        if start == "processing" and finish == "memory":
            self.tasks += 1

    def current(self) -> Progress:
        workers = self.scheduler.workers.values()
        return Progress(tasks=self.tasks, bytes=sum(ws.nbytes for ws in workers), workers=len(workers))

    def report(self) -> None:
        now = self.current()
        if worth_reporting(self.last, now):
            self.last = now
            logger.info("%s", progress_line(now, self.pins))


def dask_setup(scheduler: Any) -> None:
    """The preload hook: ``dask scheduler --preload workshop_progress``."""
    plugin = WorkshopProgress(interval_from_env(), os.environ.get("DASK_WORKSHOP_PINS"))
    scheduler.add_plugin(plugin, name=plugin.name, idempotent=True)
