"""The hedger's reads: every position of the account (one chain call each) and the exchange's
view of the account.

Each read is timed, for the cycle's log line (the reaction benchmark splits latency by it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from bot.chain.protocol import LendingProtocol
from bot.core.hedger import MarketView
from bot.core.model import PositionSnapshot
from bot.daemon.board import MarketBoard
from bot.daemon.snapshot_reuse import HeadConfirmations, SnapshotReuse
from bot.exchange.base import Exchange
from bot.journal import Journal
from bot.metrics import HedgebotMetrics

HOUR_MS = 3_600_000
REALISE_MAX_AGE_SECS = 60.0


@dataclass(slots=True)
class CycleTimes:
    """Where a cycle's time went, for its log line."""

    rpc_s: float = 0.0
    exchange_s: float = 0.0
    plan_s: float = 0.0
    orders_s: float = 0.0


@dataclass(slots=True)
class LoanSource:
    """Where one position's snapshot comes from, and the last block it was read at."""

    name: str
    wallet: str
    reader: LendingProtocol
    last_block: int = -1
    reuse: SnapshotReuse | None = None  # the last snapshot, while its block is the head


class HedgerReads:
    def __init__(
        self,
        *,
        loans: Sequence[LoanSource],
        exchange: Exchange,
        journal: Journal,
        metrics: HedgebotMetrics,
        symbols: Sequence[str],
        invalidate: Callable[[], None] = lambda: None,
        board: MarketBoard | None = None,
    ) -> None:
        self._board = board
        self.account_fresh_for: datetime | None = None  # the latest fresh-account request met
        self._loans = list(loans)
        self._exchange = exchange
        self._journal = journal
        self._metrics = metrics
        self._symbols = sorted(set(symbols))
        self._invalidate = invalidate  # drops the account cache: the next read asks the venue

    def last_block_on(self, chain_id: int) -> int:
        """The oldest of the blocks last read for the positions on ``chain_id`` (-1: none yet):
        a head above it is news for at least one of them."""
        blocks = [loan.last_block for loan in self._loans if loan.reader.info.chain_id == chain_id]
        return min(blocks, default=-1)

    def follow(self, chain_id: int, heads: HeadConfirmations) -> None:
        """``chain_id``'s head watcher: a cycle with no new block there reuses the snapshots
        of the positions on it instead of reading them again."""
        for loan in self._loans:
            if loan.reuse is not None:
                loan.reuse.follow(chain_id, heads)

    def realise_wanted(self, now: datetime) -> Decimal:
        """Profit the capital loop asked to realise; a request older than a minute was sized
        on balances that have moved since."""
        if self._board is None:
            return Decimal(0)
        return self._board.take_realise(now, max_age_secs=REALISE_MAX_AGE_SECS)

    def snapshots(self, now: datetime, times: CycleTimes) -> Mapping[str, PositionSnapshot]:
        """Every position at the head, by name, in config order."""
        started = time.perf_counter()
        found = {loan.name: self._snapshot(loan, now) for loan in self._loans}
        times.rpc_s = time.perf_counter() - started
        return found

    def _snapshot(self, loan: LoanSource, now: datetime) -> PositionSnapshot:
        """A block number that went backwards makes the snapshot stale."""
        reused = None if loan.reuse is None else loan.reuse.current(now)
        if reused is not None:
            return reused.snapshot
        started = time.perf_counter()
        snapshot = loan.reader.snapshot(loan.wallet, now=int(now.timestamp()))
        self._metrics.observe_rpc(method="snapshot", seconds=time.perf_counter() - started)
        if snapshot.block_number < loan.last_block:
            reason = f"block number went backwards: {snapshot.block_number} after {loan.last_block}"
            snapshot = replace(snapshot, stale_reason=reason)
        elif not snapshot.is_stale:
            loan.last_block = snapshot.block_number
        if loan.reuse is not None:
            loan.reuse.keep(snapshot)
        return snapshot

    def market(self, now: datetime, times: CycleTimes) -> MarketView:
        request = None if self._board is None else self._board.take_fresh_account_request()
        if request is not None:
            self._invalidate()  # in this thread, before the read: the read is the venue's
        started = time.perf_counter()
        specs = self._exchange.contract_specs()
        marks = {symbol: self._exchange.mark_price(symbol) for symbol in self._symbols}
        lap = self._lap("mark_price", started)
        hedges = tuple(self._exchange.positions())
        lap = self._lap("positions", lap)
        balances = tuple(self._exchange.balances())
        self._lap("balances", lap)
        times.exchange_s = time.perf_counter() - started
        if request is not None:
            self.account_fresh_for = request
        since = int(now.timestamp() * 1000) - HOUR_MS
        return MarketView(
            specs=specs,
            marks=marks,
            hedges=hedges,
            balances=balances,
            # Every order on the account counts, whichever name a past run journaled it under.
            orders_last_hour=self._journal.order_count_since(since),
        )

    def market_again(self, now: datetime, times: CycleTimes) -> MarketView:
        """The same reads, straight from the venue (no cached account rows)."""
        self._invalidate()
        return self.market(now, times)

    def _lap(self, endpoint: str, since: float) -> float:
        now = time.perf_counter()
        self._metrics.observe_exchange(endpoint=endpoint, seconds=now - since)
        return now


__all__ = ["CycleTimes", "HedgerReads", "LoanSource"]
