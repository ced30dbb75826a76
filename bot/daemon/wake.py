"""Wake the loops on each new block: one head watcher per chain of the config, shared by every
position on it; each head wakes the guards of that chain's positions, and the hedger when its
marks and account come from the exchange's streams (``hedge.streams.enabled``).

A loop that already read the head's block is not woken again (its last tick saw it). The
watchers only ever shorten a wait: the scheduler's intervals keep running whatever happens to
them, so the guard never depends on a socket. While a watcher streams, the loops that follow it
skip the chain read of a tick that comes with no new block (``bot.daemon.snapshot_reuse``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import structlog

from bot.chain.head_fanout import Head
from bot.chain.head_sources import block_time_secs, derived_ws_urls, stall_secs, unique
from bot.chain.heads import HeadTiming, HeadWatcher
from bot.chain.rpc import RpcPool
from bot.config.models import HedgebotConfig, PositionConfig
from bot.daemon.loops import Loop
from bot.daemon.snapshot_reuse import HeadConfirmations

log = structlog.get_logger(__name__)


@runtime_checkable
class ReadsBlocks(Protocol):
    def last_block_on(self, chain_id: int) -> int: ...


@runtime_checkable
class FollowsHeads(Protocol):
    """A loop that reuses its last snapshot while the chain's watcher confirms its block."""

    def follow_heads(self, chain_id: int, heads: HeadConfirmations) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WakeTarget:
    name: str  # the scheduler's job id
    seen: Callable[[int], int]  # chain id -> the newest block the loop read there (-1: none)


class BlockWake:
    """``wake(name)`` for every target of a head's chain whose loop has not read that block."""

    def __init__(
        self,
        watchers: Sequence[HeadWatcher],
        targets: Mapping[int, Sequence[WakeTarget]],
        wake: Callable[[str], None],
    ) -> None:
        self._watchers = tuple(watchers)
        self._targets = {chain: tuple(t) for chain, t in targets.items()}
        self._wake = wake
        for watcher in self._watchers:
            watcher.subscribe(self.on_head)

    @property
    def watchers(self) -> tuple[HeadWatcher, ...]:
        return self._watchers

    def on_head(self, head: Head) -> None:
        for target in self._targets.get(head.chain_id, ()):
            if head.number > target.seen(head.chain_id):
                self._wake(target.name)

    def start(self) -> None:
        for watcher in self._watchers:
            watcher.start()

    def stop(self) -> None:
        for watcher in self._watchers:
            watcher.stop()


def build_block_wake(
    config: HedgebotConfig, loops: Sequence[Loop], wake: Callable[[str], None]
) -> BlockWake:
    by_chain: dict[int, list[PositionConfig]] = defaultdict(list)
    for position in config.positions:
        by_chain[position.chain_id].append(position)
    by_name = {loop.name: loop for loop in loops}
    # The hedger reads marks and the account: on REST a cycle per BNB Chain block (2.2 a
    # second) costs more request weight than its cadence; on the streams it costs none.
    hedgers = (
        [loop for loop in loops if loop.name.endswith(":hedger")]
        if config.hedge.streams.enabled
        else []
    )
    targets = {
        chain: [
            *(_target(by_name.get(f"{p.name}:guard")) for p in positions),
            *(_target(h) for h in hedgers),
        ]
        for chain, positions in by_chain.items()
    }
    watchers = [head_watcher(chain, positions) for chain, positions in by_chain.items()]
    for loop in loops:
        if isinstance(loop, FollowsHeads):
            for watcher in watchers:
                loop.follow_heads(watcher.chain_id, watcher)
    return BlockWake(
        watchers, {c: [t for t in ts if t is not None] for c, ts in targets.items()}, wake
    )


def head_watcher(chain_id: int, positions: Sequence[PositionConfig]) -> HeadWatcher:
    """The chain's watcher: every position's sockets and RPCs on it, in config order; the
    shortest block time and stall limit any of them sets."""
    ws = unique(
        str(u)
        for p in positions
        for u in (p.ws_urls if p.ws_urls is not None else derived_ws_urls(map(str, p.rpc_urls)))
    )
    block = min(block_time_secs(chain_id, p.block_time_secs) for p in positions)
    stall = min(stall_secs(block, p.head_stall_secs) for p in positions)
    # Its own pool (a pool is one thread's), no retries: the next poll is one block away.
    rpc = RpcPool(
        unique(str(u) for p in positions for u in p.rpc_urls),
        chain_id,
        timeout_secs=min(p.rpc_timeout_secs for p in positions),
        retries=0,
    )
    log.info(
        "chain heads",
        chain_id=chain_id,
        sockets=len(ws),
        block_time_secs=block,
        stall_secs=stall,
    )
    return HeadWatcher(
        chain_id=chain_id,
        ws_urls=ws,
        rpc=rpc,
        timing=HeadTiming(block_time_secs=block, stall_secs=stall),
    )


def _target(loop: Loop | None) -> WakeTarget | None:
    if loop is None:
        return None
    if isinstance(loop, ReadsBlocks):
        return WakeTarget(name=loop.name, seen=loop.last_block_on)
    return WakeTarget(name=loop.name, seen=lambda _chain: -1)


__all__ = ["BlockWake", "WakeTarget", "build_block_wake", "head_watcher"]
