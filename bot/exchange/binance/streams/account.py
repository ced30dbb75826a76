"""Positions and balances kept from the user data stream, seeded by a REST read.

``ACCOUNT_UPDATE`` rows carry absolute values (position amount, wallet balance), so applying
the same event twice is a no-op and an event older than the one applied for that position or
wallet (by ``E``) is ignored. Events are not replayed after a gap: the state is then unsynced
until a REST read seeds it again; events arriving while that read is in flight are applied
again on top of it (absolute values: correct whichever of the two is newer). A fill also
leaves the state unsynced: the margin it locks is in no event (see ``_apply_position``), so
the streams save the steady state's reads, and a cycle after a fill reads REST once.

Written by the socket thread, read by the hedger's thread: every access holds the lock.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from bot.core.futures import estimated_liquidation_price
from bot.core.model import (
    STABLECOIN_ASSETS,
    ZERO,
    ContractSpec,
    HedgePosition,
    MarginBalance,
    MarginType,
    Venue,
)
from bot.exchange.binance.schemas.streams import (
    AccountUpdate,
    BalanceUpdate,
    LeverageUpdate,
    OrderTradeUpdate,
    PositionUpdate,
)

_ORDER_KEYS_KEPT = 4096
# An order's statuses in the order they can follow each other (a final one last).
_STATUS_RANK = {"NEW": 0, "PARTIALLY_FILLED": 1}


def _rank(status: str) -> int:
    return _STATUS_RANK.get(status, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountView:
    positions: tuple[HedgePosition, ...]
    balances: tuple[MarginBalance, ...]


class AccountStreamState:
    def __init__(self, specs: Mapping[str, ContractSpec] | None = None) -> None:
        # The specs may come with the first REST seed: a daemon must start (its guard runs)
        # while the exchange cannot be reached.
        self._specs = dict(specs or {})
        self._lock = threading.Lock()
        self._synced = False
        self._generation = 0
        self._seeding: list[tuple[Venue, AccountUpdate]] | None = None
        self._positions: dict[str, HedgePosition] = {}
        self._balances: dict[tuple[Venue, str], MarginBalance] = {}
        self._cross_wallets: dict[tuple[Venue, str], Decimal] = {}
        self._leverage: dict[str, int] = {}
        self._event_ms: dict[tuple[object, ...], int] = {}
        self._order_keys: deque[tuple[int, str, Decimal, int]] = deque(maxlen=_ORDER_KEYS_KEPT)
        self._order_progress: dict[int, tuple[int, Decimal, int]] = {}
        self.order_status: dict[str, str] = {}
        self.duplicates = 0
        self.out_of_order = 0

    # -- sync --------------------------------------------------------------------------------

    @property
    def synced(self) -> bool:
        with self._lock:
            return self._synced

    def gap(self) -> None:
        """Events may have been missed: answer from REST until the next seed."""
        with self._lock:
            self._synced = False
            self._generation += 1
            self._seeding = None

    def begin_seed(self) -> int:
        with self._lock:
            self._seeding = []
            return self._generation

    def finish_seed(
        self,
        token: int,
        positions: Sequence[HedgePosition],
        balances: Sequence[MarginBalance],
        *,
        specs: Mapping[str, ContractSpec] | None = None,
    ) -> bool:
        """Install a REST read begun at ``token``; False (nothing installed) when a gap came
        in between."""
        with self._lock:
            if specs is not None:
                self._specs = dict(specs)
            if token != self._generation or self._seeding is None:
                return False
            replay, self._seeding = self._seeding, None
            # The REST read is the new baseline: event times order updates within one
            # connection, not against events from before the gap.
            replayed = {
                k: self._event_ms[k] for k in self._event_ms if k in self._replay_keys(replay)
            }
            self._event_ms = {k: v for k, v in self._event_ms.items() if k[0] == "leverage"}
            self._event_ms |= replayed
            self._positions = {p.symbol: p for p in positions if p.quantity != ZERO}
            self._leverage |= {p.symbol: p.leverage for p in positions}
            self._balances = {(b.venue, b.asset): b for b in balances}
            self._cross_wallets = {k: b.wallet_balance for k, b in self._balances.items()}
            self._synced = True
            for venue, event in replay:
                self._apply_account(venue, event, replay=True)
            return self._synced

    @staticmethod
    def _replay_keys(replay: list[tuple[Venue, AccountUpdate]]) -> set[tuple[object, ...]]:
        keys: set[tuple[object, ...]] = set()
        for venue, event in replay:
            keys |= {("balance", venue, b.asset) for b in event.balances}
            keys |= {("position", p.symbol) for p in event.positions}
        return keys

    def set_leverage(self, symbol: str, leverage: int) -> None:
        with self._lock:
            self._leverage[symbol] = leverage

    def view(self) -> AccountView | None:
        with self._lock:
            if not self._synced:
                return None
            return AccountView(
                positions=tuple(sorted(self._positions.values(), key=lambda p: p.symbol)),
                balances=tuple(self._balances.values()),
            )

    # -- events ------------------------------------------------------------------------------

    def apply_account(self, venue: Venue, event: AccountUpdate) -> None:
        with self._lock:
            if self._seeding is not None:
                self._seeding.append((venue, event))
            self._apply_account(venue, event)

    def apply_leverage(self, event: LeverageUpdate) -> None:
        with self._lock:
            if self._newer(("leverage", event.symbol), event.event_time_ms):
                self._leverage[event.symbol] = event.leverage
                held = self._positions.get(event.symbol)
                if held is not None:
                    self._positions[event.symbol] = replace(held, leverage=event.leverage)

    def apply_order(self, event: OrderTradeUpdate) -> bool:
        """Record an order update; False for a duplicate or one older than the order's last."""
        with self._lock:
            if event.key in self._order_keys:
                self.duplicates += 1
                return False
            progress = (event.event_time_ms, event.cumulative_filled_qty, _rank(event.status))
            held = self._order_progress.get(event.order_id)
            if held is not None and progress <= held:
                self.out_of_order += 1
                return False
            self._order_progress[event.order_id] = progress
            self._order_keys.append(event.key)
            self.order_status[event.client_order_id] = event.status
            return True

    def _newer(self, key: tuple[object, ...], event_ms: int) -> bool:
        held = self._event_ms.get(key)
        if held is not None and event_ms <= held:
            if event_ms < held:
                self.out_of_order += 1
            else:
                self.duplicates += 1
            return False
        self._event_ms[key] = event_ms
        return True

    def _apply_account(self, venue: Venue, event: AccountUpdate, *, replay: bool = False) -> None:
        # A replay (after a seed) applies again only what is still the newest for its key.
        def take(key: tuple[object, ...]) -> bool:
            if replay:
                return self._event_ms.get(key) == event.event_time_ms
            return self._newer(key, event.event_time_ms)

        for balance in event.balances:
            if take(("balance", venue, balance.asset)):
                self._apply_balance(venue, balance)
                self._reprice_cross(venue, balance.asset)
        for position in event.positions:
            wanted = position.symbol in self._specs and position.position_side == "BOTH"
            if wanted and take(("position", position.symbol)):
                self._apply_position(venue, position)

    def _apply_balance(self, venue: Venue, update: BalanceUpdate) -> None:
        key = (venue, update.asset)
        self._cross_wallets[key] = update.cross_wallet_balance
        held = self._balances.get(key)
        if held is None or held.wallet_balance == ZERO:
            if update.asset not in STABLECOIN_ASSETS:
                self._synced = False  # a new non-stable wallet: its USD value needs a REST read
                return
            unit = Decimal(1)
            available = update.wallet_balance
        else:
            unit = held.usd_value / held.wallet_balance
            # Margin locked by positions is not in the event: keep what REST said was locked.
            available = held.available_balance + update.wallet_balance - held.wallet_balance
        self._balances[key] = MarginBalance(
            asset=update.asset,
            wallet_balance=update.wallet_balance,
            available_balance=available,
            usd_value=update.wallet_balance * unit,
            venue=venue,
        )

    def _reprice_cross(self, venue: Venue, asset: str) -> None:
        """A cross position's liquidation price moves with the wallet behind it (a transfer
        out, a fee, funding) though its amount does not: estimate it again, or leave the state
        unsynced. Kept, the old price would show a short far from a liquidation it is near."""
        for symbol, held in list(self._positions.items()):
            spec = self._specs[symbol]
            if spec.venue is not venue or spec.margin_asset != asset:
                continue
            if held.margin_type is not MarginType.CROSS:
                continue
            repriced = self._with_liquidation(venue, held)
            if repriced is None:
                return  # the state is unsynced: REST tells
            self._positions[symbol] = repriced

    def _apply_position(self, venue: Venue, update: PositionUpdate) -> None:
        before = self._positions.get(update.symbol)
        if update.amount != (before.quantity if before else ZERO):
            # A fill locks or frees margin, and no event says how much: the available balance
            # (what the planner sizes a short on) and the liquidation price come from REST's
            # next read. Left as it was, the balance would let the next cycle short again.
            self._synced = False
        if update.amount == ZERO:
            self._positions.pop(update.symbol, None)
            return
        leverage = self._leverage.get(update.symbol)
        if leverage is None:
            self._synced = False  # no leverage known for this symbol: REST tells
            return
        held = self._positions.get(update.symbol)
        position = HedgePosition(
            symbol=update.symbol,
            quantity=update.amount,
            entry_price=update.entry_price,
            mark_price=held.mark_price if held else update.entry_price,
            unrealized_pnl=update.unrealized_pnl,
            leverage=leverage,
            margin_type=update.margin_type,
            liquidation_price=held.liquidation_price if held else None,
            isolated_margin=update.isolated_wallet,
        )
        moved = held is None or (held.quantity, held.entry_price) != (
            update.amount,
            update.entry_price,
        )
        estimated = self._with_liquidation(venue, position) if moved else position
        if estimated is not None:
            self._positions[update.symbol] = estimated

    def _with_liquidation(self, venue: Venue, position: HedgePosition) -> HedgePosition | None:
        """No event carries the liquidation price: estimate it as Binance computes it, or
        leave the state unsynced (REST tells) when the estimate would be a guess."""
        if position.margin_type is MarginType.ISOLATED:
            return replace(position, liquidation_price=None)  # the engine estimates it from iw
        spec = self._specs[position.symbol]
        sharing = [
            p
            for p in self._positions.values()
            if p.symbol != position.symbol
            and self._specs[p.symbol].margin_asset == spec.margin_asset
            and p.margin_type is MarginType.CROSS
        ]
        wallet = self._cross_wallets.get((venue, spec.margin_asset))
        # Multi-Assets Mode pools every wallet of the venue behind the position (at haircut
        # prices no event carries): only a lone margin asset makes the estimate exact.
        pooled = any(
            v is venue and asset != spec.margin_asset and held.wallet_balance != ZERO
            for (v, asset), held in self._balances.items()
        )
        if sharing or pooled or wallet is None:
            self._synced = False
            return None
        liquidation = estimated_liquidation_price(
            spec,
            position.quantity,
            position.entry_price,
            position.leverage,
            MarginType.CROSS,
            wallet_margin=wallet,
        )
        return replace(position, liquidation_price=liquidation)
