"""With ``ha`` on, the loops that act (each position's guard, the hedger, the capital loop)
tick only while this replica leads. A follower's tick does nothing but say so: no read that
could lead to an action, no journal write, no order, transaction or transfer.

On each new epoch won, the loop's ``on_lead`` runs before its first tick: the hedger forgets
that its venue was ready (the next cycle settles every pending intent by client order id and
checks the positions again), the guard settles the journal's pending transactions by nonce
before it repays; the capital loop settles open money moves at the start of every pass anyway.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.daemon.loops import Loop, LoopResult
from bot.daemon.snapshot_reuse import HeadConfirmations
from bot.daemon.wake import FollowsHeads, ReadsBlocks
from bot.journal import EpochHolder, FencedOut
from bot.metrics import HealthTracker


@runtime_checkable
class LeadAware(Protocol):
    def on_lead(self) -> None:
        """A new epoch was won: settle what a previous leader may have left in flight."""
        ...


class LeaderOnly:
    """``inner`` while this replica leads; a no-op tick (a healthy follower) otherwise."""

    def __init__(self, inner: Loop, *, leadership: EpochHolder, health: HealthTracker) -> None:
        self._inner = inner
        self._leadership = leadership
        self._health = health
        self._epoch: int | None = None

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def interval_secs(self) -> float:
        return self._inner.interval_secs

    def last_block_on(self, chain_id: int) -> int:
        inner = self._inner
        return inner.last_block_on(chain_id) if isinstance(inner, ReadsBlocks) else -1

    def follow_heads(self, chain_id: int, heads: HeadConfirmations) -> None:
        # The guard's and the hedger's reuse of a snapshot while no new block came.
        if isinstance(self._inner, FollowsHeads):
            self._inner.follow_heads(chain_id, heads)

    def tick(self, now: datetime) -> LoopResult:
        try:
            epoch = self._leadership.acting_epoch()
        except FencedOut as exc:
            self._follow(now)
            return LoopResult(
                ok=True, skipped=True, next_interval_secs=self._inner.interval_secs, note=str(exc)
            )
        if epoch != self._epoch:
            if isinstance(self._inner, LeadAware):
                self._inner.on_lead()
            self._epoch = epoch
            self._set_health_state("")
        return self._inner.tick(now)

    def stop(self, *, wait: bool) -> None:
        self._inner.stop(wait=wait)

    def _follow(self, now: datetime) -> None:
        # A follower is healthy: /healthz says so rather than reporting stalled loops.
        self._epoch = None
        self._set_health_state("follower")
        with contextlib.suppress(KeyError):  # a loop that never registered for health
            self._health.record_success(self.name, now)

    def _set_health_state(self, state: str) -> None:
        with contextlib.suppress(KeyError):
            self._health.set_state(self.name, state)


__all__ = ["LeadAware", "LeaderOnly"]
