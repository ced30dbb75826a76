"""Every reader's stale-data guard and its per-wallet request cache (protocol-neutral)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.chain.multicall import Call, encode_aggregate3

__all__ = ["BlockGuard", "EncodedRequests", "stale_reason"]

log = logging.getLogger(__name__)


def stale_reason(
    *,
    block_number: int,
    block_timestamp: int,
    now: int,
    max_block_age_secs: int,
    last_block_number: int | None,
) -> str | None:
    """Why a snapshot must not be traded on, or None. Pure: ``now`` is given."""
    age = now - block_timestamp
    if age > max_block_age_secs:
        return f"block {block_number} is {age}s old (max_block_age_secs={max_block_age_secs})"
    if last_block_number is not None and block_number < last_block_number:
        return f"block number went backwards: {block_number} < {last_block_number} seen before"
    return None


class BlockGuard:
    """Marks a snapshot whose block is too old, or older than one already read: the reason
    travels with the snapshot and nothing is traded on it."""

    def __init__(self, max_block_age_secs: int) -> None:
        self.max_block_age_secs = max_block_age_secs
        self._last_block: int | None = None

    def check(
        self, *, block: int, timestamp: int, now: int, wallet: str, chain_id: int
    ) -> str | None:
        reason = stale_reason(
            block_number=block, block_timestamp=timestamp, now=now,
            max_block_age_secs=self.max_block_age_secs, last_block_number=self._last_block,
        )  # fmt: skip
        if reason is not None:
            log.warning("stale snapshot for %s on chain %d: %s", wallet, chain_id, reason)
        self._last_block = max(block, self._last_block or 0)
        return reason


Layout = dict[str, int]


class EncodedRequests:
    """A snapshot's calls and their encoding per wallet: the same for every block, so built
    once per wallet and market description (``source``, compared by identity: a new one after
    a re-read of the market). The guard reads every block; encoding was a third of its CPU."""

    def __init__(self) -> None:
        self._by_wallet: dict[str, tuple[object, list[Call], Layout, bytes]] = {}

    def get(
        self, source: object, wallet: str, build: Callable[[], tuple[list[Call], Layout]]
    ) -> tuple[list[Call], Layout, bytes]:
        cached = self._by_wallet.get(wallet)
        if cached is None or cached[0] is not source:
            calls, layout = build()
            cached = (source, calls, layout, encode_aggregate3(calls))
            self._by_wallet[wallet] = cached
        return cached[1], cached[2], cached[3]
