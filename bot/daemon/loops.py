"""What every scheduled loop (a position's guard, a position's hedger) gives the scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopResult:
    ok: bool
    next_interval_secs: float
    skipped: bool = False  # nothing to do this time (paused, stale data): not a failure
    note: str = ""
    orders_sent: int = 0


class Loop(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def interval_secs(self) -> float:
        """The first interval; each result says when the next tick is due."""
        ...

    def tick(self, now: datetime) -> LoopResult:
        """One pass at ``now``; never raises."""
        ...

    def stop(self, *, wait: bool) -> None:
        """Release what the loop runs beside the scheduler (the guard's wallet thread)."""
        ...


__all__ = ["Loop", "LoopResult"]
