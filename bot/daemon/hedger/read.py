"""The hedger's reads: the position (one chain call) and the exchange's view of the account.

Each read is timed, for the cycle's log line (the reaction benchmark splits latency by it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.chain.protocol import LendingProtocol
from bot.core.hedger import MarketView
from bot.core.model import PositionSnapshot
from bot.exchange.base import Exchange
from bot.journal import Journal
from bot.metrics import HedgebotMetrics

HOUR_MS = 3_600_000


@dataclass(slots=True)
class CycleTimes:
    """Where a cycle's time went, for its log line."""

    rpc_s: float = 0.0
    exchange_s: float = 0.0
    plan_s: float = 0.0
    orders_s: float = 0.0


class HedgerReads:
    def __init__(
        self,
        *,
        position: str,
        wallet: str,
        reader: LendingProtocol,
        exchange: Exchange,
        journal: Journal,
        metrics: HedgebotMetrics,
        symbols: Sequence[str],
        invalidate: Callable[[], None] = lambda: None,
    ) -> None:
        self._position = position
        self._wallet = wallet
        self._reader = reader
        self._exchange = exchange
        self._journal = journal
        self._metrics = metrics
        self._symbols = sorted(set(symbols))
        self._invalidate = invalidate  # drops the account cache: the next read asks the venue
        self._last_block = -1

    def snapshot(self, now: datetime, times: CycleTimes) -> PositionSnapshot:
        """The position at the head; a block number that went backwards makes it stale."""
        started = time.perf_counter()
        snapshot = self._reader.snapshot(self._wallet, now=int(now.timestamp()))
        times.rpc_s = time.perf_counter() - started
        self._metrics.observe_rpc(method="snapshot", seconds=times.rpc_s)
        if snapshot.block_number < self._last_block:
            reason = (
                f"block number went backwards: {snapshot.block_number} after {self._last_block}"
            )
            return replace(snapshot, stale_reason=reason)
        if not snapshot.is_stale:
            self._last_block = snapshot.block_number
        return snapshot

    def market(self, now: datetime, times: CycleTimes) -> MarketView:
        started = time.perf_counter()
        specs = self._exchange.contract_specs()
        marks = {symbol: self._exchange.mark_price(symbol) for symbol in self._symbols}
        lap = self._lap("mark_price", started)
        hedges = tuple(self._exchange.positions())
        lap = self._lap("positions", lap)
        balances = tuple(self._exchange.balances())
        self._lap("balances", lap)
        times.exchange_s = time.perf_counter() - started
        since = int(now.timestamp() * 1000) - HOUR_MS
        return MarketView(
            specs=specs,
            marks=marks,
            hedges=hedges,
            balances=balances,
            orders_last_hour=self._journal.order_count_since(since, position=self._position),
        )

    def market_again(self, now: datetime, times: CycleTimes) -> MarketView:
        """The same reads, straight from the venue (no cached account rows)."""
        self._invalidate()
        return self.market(now, times)

    def _lap(self, endpoint: str, since: float) -> float:
        now = time.perf_counter()
        self._metrics.observe_exchange(endpoint=endpoint, seconds=now - since)
        return now


__all__ = ["CycleTimes", "HedgerReads"]
