"""A position's last snapshot, given again instead of a chain read while its block is provably
still the chain's head.

Every value of a snapshot comes from one block, and a block's state never changes: a read at
the same head returns the same snapshot. Only its staleness depends on the time of the read
(the block's age against ``max_block_age_secs``), and that is checked again here. So while the
chain's head watcher streams and has recently confirmed that no newer block exists, a loop that
ticks faster than blocks come (the guard at 0.45 s on a quiet chain, or between Ethereum's 12 s
slots) learns nothing from another read: this returns the snapshot it already has.

What it does not cover, by design: a reorg that replaces the head at the same height is seen
with the next block (the head fanout does not deliver a height twice either); a block hidden by
a socket that went silent is seen within the watcher's stall limit, when it falls back to
polling. Without a watcher (not started, or off) nothing is reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.chain.freshness import stale_reason
from bot.core.model import PositionSnapshot


class HeadConfirmations(Protocol):
    def head_confirmed_at(self, block: int) -> float | None:
        """When (monotonic seconds) ``block`` was last confirmed the chain's head, if that may
        be trusted now; None otherwise."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Reused:
    snapshot: PositionSnapshot
    confirmed_at: float  # monotonic: when its block was last known to be the head


class SnapshotReuse:
    """One position's last read snapshot; ``current`` gives it again while that is safe."""

    def __init__(self, *, chain_id: int, max_block_age_secs: int) -> None:
        self._chain_id = chain_id
        self._max_block_age_secs = max_block_age_secs
        self._heads: HeadConfirmations | None = None
        self._last: PositionSnapshot | None = None

    def follow(self, chain_id: int, heads: HeadConfirmations) -> None:
        """``chain_id``'s head watcher; another chain's says nothing of this position's block
        (every watcher is offered to every loop)."""
        if chain_id == self._chain_id:
            self._heads = heads

    def keep(self, snapshot: PositionSnapshot) -> None:
        """The snapshot a read just returned; a stale one is never given again."""
        self._last = None if snapshot.is_stale else snapshot

    def current(self, now: datetime) -> Reused | None:
        """The last snapshot, if its block is still the confirmed head and it would not be
        stale at ``now``; None: read the chain."""
        last, heads = self._last, self._heads
        if last is None or heads is None:
            return None
        confirmed_at = heads.head_confirmed_at(last.block_number)
        if confirmed_at is None:
            return None
        aged = stale_reason(
            block_number=last.block_number,
            block_timestamp=last.block_timestamp,
            now=int(now.timestamp()),
            max_block_age_secs=self._max_block_age_secs,
            last_block_number=None,
        )
        if aged is not None:
            return None  # a read says so, with its alert, as it always has
        return Reused(snapshot=last, confirmed_at=confirmed_at)


__all__ = ["HeadConfirmations", "Reused", "SnapshotReuse"]
