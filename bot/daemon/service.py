"""The daemon process: start-up checks, the scheduler driving each position's cycle, and a
clean stop on SIGTERM/SIGINT (finish the running cycle, flush the journal and alerts, exit 0).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from types import FrameType

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.model import HedgePosition, Side
from bot.daemon.cycle import PositionCycle
from bot.exchange.base import Exchange
from bot.journal import Journal

log = structlog.get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnexplainedPositionError(RuntimeError):
    """The exchange holds a hedge the journal does not account for, and config says refuse."""


def unexplained_positions(
    exchange: Exchange, journal: Journal, *, symbols: Sequence[str]
) -> list[tuple[str, Decimal, Decimal]]:
    """(symbol, position on the exchange, position the journal's fills explain) per mismatch."""
    explained: dict[str, Decimal] = dict.fromkeys(symbols, Decimal(0))
    for record in journal.orders_since(0):
        outcome = record.outcome
        if outcome is None or outcome.executed_quantity == 0:
            continue
        intent = record.journaled.intent
        signed = outcome.executed_quantity * (1 if intent.side is Side.BUY else -1)
        explained[intent.symbol] = explained.get(intent.symbol, Decimal(0)) + signed
    on_exchange: dict[str, HedgePosition] = {p.symbol: p for p in exchange.positions()}
    out = []
    for symbol in sorted(set(explained) | set(on_exchange)):
        actual = on_exchange[symbol].quantity if symbol in on_exchange else Decimal(0)
        if actual != explained.get(symbol, Decimal(0)):
            out.append((symbol, actual, explained.get(symbol, Decimal(0))))
    return out


class Daemon:
    """Schedules every position's cycle; the cadence adapts after each cycle."""

    def __init__(
        self,
        cycles: Sequence[PositionCycle],
        *,
        misfire_grace_secs: float,
        clock: Callable[[], datetime] = utc_now,
        max_cycles: int | None = None,
    ) -> None:
        self._cycles = {c.settings.name: c for c in cycles}
        self._clock = clock
        self._grace = misfire_grace_secs
        self._stop = threading.Event()
        self._max_cycles = max_cycles
        self._count = 0
        self._count_lock = threading.Lock()
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._intervals: dict[str, float] = {}

    @property
    def stop_event(self) -> threading.Event:
        return self._stop

    def _run_cycle(self, name: str) -> None:
        if self._stop.is_set():
            return
        cycle = self._cycles[name]
        result = cycle.run(self._clock())
        with self._count_lock:
            self._count += 1
            if self._max_cycles is not None and self._count >= self._max_cycles:
                self._stop.set()
        interval = result.next_interval_secs
        if interval != self._intervals.get(name) and not self._stop.is_set():
            self._intervals[name] = interval
            log.info("cadence changed", position=name, interval_secs=interval)
            self._scheduler.reschedule_job(name, trigger=IntervalTrigger(seconds=interval))

    def start(self) -> None:
        for name, cycle in self._cycles.items():
            interval = cycle.settings.cadence.interval_secs
            self._intervals[name] = interval
            self._scheduler.add_job(
                self._run_cycle,
                IntervalTrigger(seconds=interval),
                args=[name],
                id=name,
                coalesce=True,
                max_instances=1,
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
        """Let a running cycle finish, then stop scheduling."""
        self._stop.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
