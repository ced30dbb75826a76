"""The capital loop's reads, put together as one ``CapitalView``: the reserve wallet (the
chain), the hedges and balances (the hedger's board, never a second exchange read), what can
leave the futures wallet and the coin's network rules (the treasury), the transfers of the
last day and the one in flight (the journal)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.core.capital_account import AccountMargin, account_margin
from bot.core.capital_model import CapitalView, CoinNetwork, Direction, PendingTransfer
from bot.core.model import ZERO, Venue
from bot.daemon.board import MarketBoard, MarketNote
from bot.daemon.guard.read import ReserveWallet
from bot.exchange import treasury as venue_wallet
from bot.journal import Journal, MoveKind, MoveRecord

DAY = timedelta(hours=24)
# Binance reports withdrawIntegerMultiple "0" for coins without a step: any 1e-8 amount goes.
SMALLEST_STEP = Decimal("0.00000001")
UNLIMITED = Decimal(10) ** 12


@dataclass(frozen=True, slots=True, kw_only=True)
class CapitalTargets:
    account: str
    coin: str
    network: str
    reserve_target_usd: Decimal
    reserve_floor_usd: Decimal
    restore_distance: Decimal  # hedge.min_short_liq_distance


@dataclass(frozen=True, slots=True, kw_only=True)
class CapitalReading:
    view: CapitalView
    margin: AccountMargin
    open_moves: tuple[MoveRecord, ...]


def core_network(found: venue_wallet.CoinNetwork) -> CoinNetwork:
    """The venue's rules as the policy reads them; a network that cannot withdraw any amount
    (``withdrawMax`` 0) is a closed one."""
    return CoinNetwork(
        coin=found.coin,
        network=found.network,
        withdraw_fee=found.withdraw_fee,
        withdraw_min=found.withdraw_min,
        withdraw_max=found.withdraw_max if found.withdraw_max > 0 else UNLIMITED,
        withdraw_multiple=found.withdraw_multiple if found.withdraw_multiple > 0 else SMALLEST_STEP,
        deposit_min=found.deposit_dust,
        withdraw_enabled=found.withdraw_enabled and found.withdraw_max > 0,
        deposit_enabled=found.deposit_enabled,
    )


def unknown_network(coin: str, network: str) -> CoinNetwork:
    """Where the venue has no wallet API the rules cannot be read: the alert's amounts are
    then before fees."""
    return CoinNetwork(
        coin=coin,
        network=network,
        withdraw_fee=ZERO,
        withdraw_min=ZERO,
        withdraw_max=UNLIMITED,
        withdraw_multiple=Decimal("0.01"),
        deposit_min=ZERO,
    )


class CapitalReads:
    def __init__(
        self,
        *,
        targets: CapitalTargets,
        reserve: ReserveWallet,
        board: MarketBoard,
        treasury: venue_wallet.Treasury,
        journal: Journal,
        max_age_secs: float,
        ms: Callable[[datetime], int],
    ) -> None:
        self.targets = targets
        self._reserve = reserve
        self._board = board
        self.treasury = treasury
        self._journal = journal
        self._max_age_secs = max_age_secs
        self._ms = ms

    def open_moves(self) -> tuple[MoveRecord, ...]:
        return tuple(self._journal.open_moves(self.targets.account))

    def read(self, now: datetime) -> CapitalReading | None:
        """None while the hedger has posted no fresh view of the account, or none read from
        the venue after the last move settled: a view from before it (the hedger's account
        cache) would move the same money again; such a read is asked for."""
        note = self._board.fresh(now, max_age_secs=self._max_age_secs)
        if note is None:
            return None
        settled = self._last_settled()
        if settled is not None and (
            note.account_fresh_for is None or note.account_fresh_for < settled
        ):
            self._board.ask_fresh_account(settled)
            return None
        t = self.targets
        margin = account_margin(
            hedges=note.hedges,
            specs=note.specs,
            balances=note.balances,
            marks=note.symbol_marks,
            restore_distance=t.restore_distance,
        )
        held = {b.symbol: b.balance for b in self._reserve.balances()}
        movable = self._movable(note)
        moves = self.open_moves()
        view = CapitalView(
            read_ms=self._ms(min(note.at, now)),
            reserve_usd=sum(held.values(), ZERO),
            coin_held=held.get(t.coin, ZERO),
            reserve_target_usd=t.reserve_target_usd,
            reserve_floor_usd=t.reserve_floor_usd,
            movable_usd=movable,
            margin_needed_usd=margin.must_stay_usd(movable),
            unrealized_pnl_usd=margin.unrealized_pnl_usd,
            short_liq_distance=margin.nearest_distance,
            margin_to_restore_usd=margin.to_restore_usd,
            in_flight=_pending(moves[0], self._ms) if moves else None,
            withdrawn_today_usd=self._moved(MoveKind.WITHDRAW, now),
            deposited_today_usd=self._moved(MoveKind.DEPOSIT, now),
            can_move=self.treasury.can_move,
            network=self._network(),
        )
        return CapitalReading(view=view, margin=margin, open_moves=moves)

    def _last_settled(self) -> datetime | None:
        latest = self._journal.latest_settled_move(self.targets.account)
        return None if latest is None else latest.updated_at

    def _movable(self, note: MarketNote) -> Decimal:
        if self.treasury.can_move:
            return self.treasury.futures_movable(self.targets.coin, Venue.USDM)
        # No wallet API: the futures wallet's available balance is the nearest estimate.
        return sum(
            (
                b.available_balance
                for b in note.balances
                if b.venue is Venue.USDM and b.asset == self.targets.coin
            ),
            ZERO,
        )

    def _network(self) -> CoinNetwork:
        t = self.targets
        if not self.treasury.can_move:
            return unknown_network(t.coin, t.network)
        return core_network(self.treasury.coin_network(t.coin, t.network))

    def _moved(self, kind: MoveKind, now: datetime) -> Decimal:
        return self._journal.moved_since(kind, now - DAY, account=self.targets.account)


def _pending(record: MoveRecord, ms: Callable[[datetime], int]) -> PendingTransfer:
    direction = Direction.WITHDRAW if record.intent.kind is MoveKind.WITHDRAW else Direction.DEPOSIT
    return PendingTransfer(
        direction=direction, amount=record.intent.amount, started_ms=ms(record.created_at)
    )


__all__ = ["CapitalReading", "CapitalReads", "CapitalTargets", "core_network"]
