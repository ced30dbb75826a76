"""The daemon process: the scheduler driving every loop (each position's guard and hedger, each
on its own cadence), and a clean stop on SIGTERM/SIGINT (finish the running ticks, flush the
journal and alerts, exit 0).

A loop can also be woken (a new block): its tick starts now, or, when one is running, once more
right after it. The interval stays the safety net whatever wakes it or fails to.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import FrameType

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.daemon.loops import Loop

log = structlog.get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Daemon:
    """Schedules every loop; a loop's result says when its next tick is due.

    ``max_cycles`` counts hedger cycles (tests and rehearsals stop after N of them); guard
    ticks are not counted: the guard runs while the daemon runs.
    """

    def __init__(
        self,
        loops: Sequence[Loop],
        *,
        misfire_grace_secs: float,
        clock: Callable[[], datetime] = utc_now,
        max_cycles: int | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        self._loops = {loop.name: loop for loop in loops}
        self._clock = clock
        self._grace = misfire_grace_secs
        self._stop = stop_event or threading.Event()
        self._max_cycles = max_cycles
        self._count = 0
        self._count_lock = threading.Lock()
        # One thread per loop: a slow exchange never delays a guard tick. Twice that: a run
        # that finds its loop already ticking (and returns at once) never takes another's.
        workers = ThreadPoolExecutor(max_workers=max(2, 2 * len(self._loops)))
        self._scheduler = BackgroundScheduler(timezone=UTC, executors={"default": workers})
        self._intervals: dict[str, float] = {}
        self._runs_lock = threading.Lock()
        self._running: set[str] = set()
        self._woken: set[str] = set()  # woken while running: one more tick right after

    @property
    def stop_event(self) -> threading.Event:
        return self._stop

    def wake(self, name: str) -> None:
        """Tick loop ``name`` now (a new block); if a tick is running, once more after it."""
        if self._stop.is_set():
            return
        with self._runs_lock:
            if name in self._running:
                self._woken.add(name)
                return
            # not started yet, or shut down: the first tick comes anyway
            with contextlib.suppress(JobLookupError):
                self._scheduler.modify_job(name, next_run_time=self._clock())

    def _run(self, name: str) -> None:
        with self._runs_lock:
            if name in self._running:
                return  # an interval run during a tick: coalesced into it, as before wakes
            self._running.add(name)
        again = True
        try:
            while again:
                self._tick(name)
                again = self._again(name)
        except BaseException:
            with self._runs_lock:
                self._running.discard(name)
            raise

    def _again(self, name: str) -> bool:
        with self._runs_lock:
            if name in self._woken and not self._stop.is_set():
                self._woken.discard(name)
                return True
            self._running.discard(name)
            return False

    def _tick(self, name: str) -> None:
        if self._stop.is_set():
            return
        result = self._loops[name].tick(self._clock())
        if name.endswith(":hedger"):
            self._count_cycle()
        interval = result.next_interval_secs
        if interval != self._intervals.get(name) and not self._stop.is_set():
            self._intervals[name] = interval
            log.info("cadence changed", loop=name, interval_secs=interval)
            self._scheduler.reschedule_job(name, trigger=IntervalTrigger(seconds=interval))

    def _count_cycle(self) -> None:
        with self._count_lock:
            self._count += 1
            if self._max_cycles is not None and self._count >= self._max_cycles:
                self._stop.set()

    def start(self) -> None:
        """Every loop's first tick now, at once: none waits for another to start."""
        for name, loop in self._loops.items():
            self._intervals[name] = loop.interval_secs
            self._scheduler.add_job(
                self._run,
                IntervalTrigger(seconds=loop.interval_secs),
                args=[name],
                id=name,
                coalesce=True,
                # two: a wake just after a tick ended may start before the scheduler has
                # counted that tick finished; ``_run`` itself never overlaps two ticks
                max_instances=2,
                misfire_grace_time=max(1, int(self._grace)),
                next_run_time=self._clock(),
            )
        self._scheduler.start()

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("stop requested", signal=signal.Signals(signum).name)
            self._stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def wait(self) -> None:
        while not self._stop.wait(0.2):
            pass

    def shutdown(self) -> None:
        """Let running ticks finish, stop scheduling, then let the wallet threads settle."""
        self._stop.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        for loop in self._loops.values():
            loop.stop(wait=False)
