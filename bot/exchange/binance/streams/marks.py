"""The latest streamed mark per symbol, and how old it is.

Written by the socket thread, read by the hedger's thread. A mark's age is measured on this
host's monotonic clock from when it arrived, so a host whose wall clock is off cannot make an
old mark look fresh; its event time ``E`` only orders the updates (a duplicate or an older one
is dropped, and so cannot refresh the arrival time).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal

from bot.exchange.binance.schemas.streams import MarkPriceUpdate


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamedMark:
    price: Decimal
    event_time_ms: int
    received_at: float  # monotonic seconds


class MarkBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._marks: dict[str, StreamedMark] = {}
        self._newest_event_ms = 0
        self.dropped = 0  # duplicates and out-of-order updates

    def apply(self, update: MarkPriceUpdate, *, received_at: float, max_lag_ms: int) -> bool:
        """Keep ``update`` if it is newer than the symbol's mark; False when it was dropped.

        An update more than ``max_lag_ms`` behind the newest event seen on any symbol is a
        replay (a stalled socket flushing its backlog): it is dropped too.
        """
        with self._lock:
            held = self._marks.get(update.symbol)
            too_old = update.event_time_ms < self._newest_event_ms - max_lag_ms
            if too_old or (held is not None and update.event_time_ms <= held.event_time_ms):
                self.dropped += 1
                return False
            self._marks[update.symbol] = StreamedMark(
                price=update.mark_price,
                event_time_ms=update.event_time_ms,
                received_at=received_at,
            )
            self._newest_event_ms = max(self._newest_event_ms, update.event_time_ms)
            return True

    def fresh(self, symbol: str, *, now: float, max_age_secs: float) -> Decimal | None:
        """The mark if it arrived less than ``max_age_secs`` ago, else None (never a stale one)."""
        with self._lock:
            held = self._marks.get(symbol)
        if held is None or not 0 <= now - held.received_at < max_age_secs:
            return None
        return held.price

    def age_secs(self, symbol: str, *, now: float) -> float | None:
        with self._lock:
            held = self._marks.get(symbol)
        return None if held is None else now - held.received_at
