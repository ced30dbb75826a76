"""One position's guard: read -> ``decide_guard`` -> hand a repay to the wallet -> publish.

A tick never raises and never waits for a transaction: the wallet's worker thread sends and
follows it, and the next tick reads the worker's state before deciding again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.guard import (
    GuardDecision,
    GuardInputs,
    GuardMemory,
    GuardSettings,
    GuardVerdict,
    decide_guard,
)
from bot.daemon.guard.act import DeskState, RepayDesk
from bot.daemon.guard.publish import GuardPublisher
from bot.daemon.guard.read import GuardReads
from bot.daemon.loops import LoopResult
from bot.daemon.snapshot_reuse import HeadConfirmations

# What a tick without a new block may decide on the last snapshot; see ``GuardLoop._quiet``.
QUIET_VERDICTS = frozenset({GuardVerdict.HEALTHY, GuardVerdict.WATCH_ONLY})


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardTiming:
    interval_secs: float  # a read per block is the aim
    stall_blocks: int  # no completed read for this many blocks: critical alert
    block_time_secs: float
    # a tick with no new block may decide on a switch read up to this long ago
    switch_recheck_secs: float = 1.0

    @property
    def stall_secs(self) -> float:
        return self.stall_blocks * self.block_time_secs


class GuardLoop:
    def __init__(
        self,
        settings: GuardSettings,
        *,
        reads: GuardReads,
        desk: RepayDesk | None,
        publisher: GuardPublisher,
        timing: GuardTiming,
    ) -> None:
        self.settings = settings
        self.name = f"{settings.name}:guard"
        self.timing = timing
        self._reads = reads
        self._desk = desk
        self._publisher = publisher
        self._memory = GuardMemory()
        self._last_read = time.monotonic()
        self._reserve_noted = False
        self._last_block = -1

    def last_block_on(self, chain_id: int) -> int:
        """The newest block a tick read (-1 before the first): a head at or below it is news
        this guard already has. One chain per guard, so ``chain_id`` is not consulted."""
        return self._last_block

    @property
    def interval_secs(self) -> float:
        return self.timing.interval_secs

    def follow_heads(self, chain_id: int, heads: HeadConfirmations) -> None:
        """Each chain's watcher is offered: the position's own is followed."""
        self._reads.follow(chain_id, heads)

    def tick(self, now: datetime) -> LoopResult:
        """One read and decision at ``now``; never raises."""
        try:
            decision, block, known_at = self._step(now)
        except Exception as exc:  # the next tick tries again; a long silence is alerted
            silent = time.monotonic() - self._last_read
            self._publisher.failed(
                exc,
                now=now,
                silent_secs=silent,
                stall_secs=self.timing.stall_secs,
                blocks=self.timing.stall_blocks,
            )
            return LoopResult(ok=False, next_interval_secs=self.interval_secs, note=str(exc))
        self._last_read = max(self._last_read, known_at)
        self._last_block = max(self._last_block, block)
        self._publisher.decided(decision, block=block, now=now)
        return LoopResult(ok=True, next_interval_secs=self.interval_secs, note=decision.reason)

    def stop(self, *, wait: bool) -> None:
        if self._desk is not None:
            self._desk.close()

    def on_lead(self) -> None:
        """This replica leads a new epoch (ha): settle the journal's pending transactions by
        nonce before the next repay (another replica may have sent one)."""
        if self._desk is not None:
            self._desk.recheck()

    def _step(self, now: datetime) -> tuple[GuardDecision, int, float]:
        """The decision, its block, and when (monotonic) the chain was last known at it."""
        desk = self._desk_state(now)
        quiet = self._quiet(now, desk)
        if quiet is not None:
            return quiet
        snapshot = self._reads.snapshot(now)
        read_at = time.monotonic()
        if self._desk is not None and self._reads.reorged(snapshot.block_number):
            self._desk.recheck()
        desk = self._recovering(desk)
        switch = self._reads.switch()
        inputs = GuardInputs(
            snapshot=snapshot,
            stopped_reason=switch.reason if switch.stopped else None,
            in_flight=desk.running if desk else None,
            settled_block=desk.settled_block if desk else 0,
            marks=self._reads.marks(now),
        )
        decision = self._decide(inputs, now)
        if decision.verdict is GuardVerdict.NEEDS_RESERVE:
            first = decision  # its alerts (an HF level crossed) are not raised again
            with_reserve = replace(
                inputs,
                reserves=self._reads.reserves(),
                spent_today_usd=self._reads.spent_today_usd(now),
            )
            decision = self._decide(with_reserve, now)
            decision = replace(decision, alerts=first.alerts + decision.alerts)
        if decision.verdict is GuardVerdict.REPAY and decision.action is not None:
            assert self._desk is not None  # no desk means watch only: never REPAY
            if self._desk.send(decision.action):
                self._publisher.handed_over(decision.action, dry_run=self._desk.dry_run)
        return decision, snapshot.block_number, read_at

    def _quiet(
        self, now: datetime, desk: DeskState | None
    ) -> tuple[GuardDecision, int, float] | None:
        """The decision of a tick that has nothing new to read, or None: read.

        The guard ticks every block time whether or not a block came; on a quiet chain (or
        between Ethereum's slots, or between two BNB Chain heads) most reads returned the
        block already read, and they were half the idle daemon's CPU. The decision's inputs
        besides the chain are all still looked at, every tick: the worker's state (a repay in
        flight or just settled, a recovery due: read), the exchange marks of the shadow HF
        (decided on as they are now), the block's age (a snapshot that would be stale is read
        again, and the read reports it), and the operator's switch. The switch alone may be a
        read up to ``switch_recheck_secs`` old, and only here: a quiet tick decides nothing but
        HEALTHY or WATCH_ONLY (anything else is decided again on fresh reads), so a stop can
        delay its acknowledgement by that long, never let a repay through. The silence that
        raises the stall alert counts from when the watcher last confirmed the head, not from
        this tick.
        """
        if desk is not None and (desk.running is not None or desk.finished):
            return None
        if self._desk is not None and self._desk.recovery_due:
            return None
        reused = self._reads.reused_snapshot(now)
        if reused is None:
            return None
        switch = self._reads.switch(max_age_secs=self.timing.switch_recheck_secs)
        if switch.stopped:
            return None
        inputs = GuardInputs(
            snapshot=reused.snapshot,
            settled_block=desk.settled_block if desk else 0,
            marks=self._reads.marks(now),
        )
        decision = decide_guard(inputs, settings=self.settings, memory=self._memory, now=now)
        if decision.verdict not in QUIET_VERDICTS:
            return None  # decided again on fresh reads, from the memory before this one
        self._memory = decision.memory
        return decision, reused.snapshot.block_number, reused.confirmed_at

    def _decide(self, inputs: GuardInputs, now: datetime) -> GuardDecision:
        decision = decide_guard(inputs, settings=self.settings, memory=self._memory, now=now)
        self._memory = decision.memory
        return decision

    def _desk_state(self, now: datetime) -> DeskState | None:
        """The worker's state; settled jobs are published here."""
        if self._desk is None:
            return None
        state = self._desk.state()
        self._publisher.settled(state.finished, now)
        if state.finished or not self._reserve_noted:
            self._reserve_noted = True
            self._publisher.reserve_seen(
                self._reads.reserves(), self._reads.hedge_profit_usd(now), now
            )
        return state

    def _recovering(self, state: DeskState | None) -> DeskState | None:
        """A pending transaction left by a failed job (or a previous process, or reopened by a
        reorg) is handed to the worker to settle; meanwhile it counts as one in flight."""
        if self._desk is None or state is None or state.running is not None:
            return state
        if self._desk.recover_if_needed():
            return DeskState(running="recover", finished=(), settled_block=state.settled_block)
        return state


__all__ = ["GuardLoop", "GuardTiming"]
