"""User-data events derived from what one locked operation changed in an account.

The engine's functions (orders, fills, risk, wallet) change the pydantic state and know nothing
of sockets. Every change happens under ``ex.lock``, and every change leaves a trace in an
append-only journal: orders get increasing ids and are never removed, trades, income rows and
margin calls are appended. So a ``Capture`` taken when the lock is entered and compared when it
is left gives the events in the order the state changed, without threading a sink through the
engine.
Only accounts with an open user socket are captured, so plain REST traffic pays nothing.
Limit: several fills of one symbol inside one operation share one ACCOUNT_UPDATE (final values).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.emulator.decimals import ZERO
from bot.emulator.markets import SPECS, Venue
from bot.emulator.state import EmulatorState, Order, Trade, VenueAccount
from bot.emulator.streams import payloads
from bot.emulator.streams.payloads import Json

TERMINAL = ("CANCELED", "EXPIRED")
TRANSFER_REASONS = {True: "DEPOSIT", False: "WITHDRAW"}


@dataclass(frozen=True, kw_only=True)
class _OrderMark:
    status: str
    filled: Decimal
    size: Decimal  # cum quote (USD-M) or cum base (COIN-M) so far


@dataclass(frozen=True, kw_only=True)
class VenueCapture:
    orders: int
    open_orders: dict[int, _OrderMark]
    trades: int
    income: int
    margin_calls: int

    @classmethod
    def of(cls, venue_account: VenueAccount) -> VenueCapture:
        open_orders = {
            o.order_id: _OrderMark(status=o.status, filled=o.executed_qty, size=o.cum_quote)
            for o in venue_account.orders.values()
            if o.status not in ("FILLED", *TERMINAL)
        }
        return cls(
            orders=len(venue_account.orders),
            open_orders=open_orders,
            trades=len(venue_account.trades),
            income=len(venue_account.income),
            margin_calls=len(venue_account.margin_calls),
        )


def _average(order: Order, filled: Decimal, size: Decimal) -> Decimal:
    if filled == 0 or size == 0:
        return ZERO
    contract = SPECS[order.symbol].contract_size
    return size / filled if contract is None else filled * contract / size


def _trade_size(trade: Trade) -> Decimal:
    return trade.base_qty if SPECS[trade.symbol].contract_size is not None else trade.quote_qty


class _OrderEvents:
    """Replays one venue's new orders and trades in id order."""

    def __init__(self, venue_account: VenueAccount, before: VenueCapture, now_ms: int) -> None:
        self.account = venue_account
        self.now_ms = now_ms
        self.marks = dict(before.open_orders)
        self.events: list[Json] = []

    def new_order(self, order: Order) -> None:
        self.marks[order.order_id] = _OrderMark(status="NEW", filled=ZERO, size=ZERO)
        self.events.append(
            payloads.order_update(
                order,
                now_ms=self.now_ms,
                execution="NEW",
                status="NEW",
                filled=ZERO,
                average=ZERO,
            )
        )

    def trade(self, trade: Trade) -> None:
        order = self.account.orders[trade.order_id]
        mark = self.marks.get(order.order_id) or _OrderMark(status="NEW", filled=ZERO, size=ZERO)
        filled, size = mark.filled + trade.qty, mark.size + _trade_size(trade)
        status = "FILLED" if filled >= order.orig_qty else "PARTIALLY_FILLED"
        self.marks[order.order_id] = _OrderMark(status=status, filled=filled, size=size)
        self.events.append(
            payloads.order_update(
                order,
                now_ms=self.now_ms,
                execution="TRADE",
                status=status,
                filled=filled,
                average=_average(order, filled, size),
                trade=trade,
            )
        )

    def terminal(self, order: Order) -> None:
        mark = self.marks.get(order.order_id)
        if mark is None or mark.status == order.status or order.status not in TERMINAL:
            return
        self.events.append(
            payloads.order_update(
                order,
                now_ms=self.now_ms,
                execution=order.status,
                status=order.status,
                filled=order.executed_qty,
                average=order.avg_price,
            )
        )


def venue_events(
    state: EmulatorState, venue_account: VenueAccount, before: VenueCapture, now_ms: int
) -> list[Json]:
    """Every user-data event for the changes since ``before``, in the order they happened
    (a margin call first: it is made before the liquidation the same mark move may cause)."""
    calls = venue_account.margin_calls[before.margin_calls :]
    replay = _OrderEvents(venue_account, before, now_ms)
    replay.events.extend(payloads.margin_call(call, now_ms) for call in calls)
    new_orders = list(venue_account.orders.values())[before.orders :]
    new_trades = venue_account.trades[before.trades :]
    steps: list[tuple[int, Order | Trade]] = [(o.order_id, o) for o in new_orders]
    steps += [(t.id, t) for t in new_trades]
    for _, item in sorted(steps, key=lambda step: step[0]):
        if isinstance(item, Order):
            replay.new_order(item)
        else:
            replay.trade(item)
    events = replay.events
    if new_trades:
        events.append(_fills_update(state, venue_account, new_trades, now_ms))
    for order_id in [*before.open_orders, *(o.order_id for o in new_orders)]:
        replay.terminal(venue_account.orders[order_id])
    events.extend(_income_updates(venue_account, before.income, now_ms))
    return events


def _fills_update(
    state: EmulatorState, venue_account: VenueAccount, trades: list[Trade], now_ms: int
) -> Json:
    assets = sorted({t.commission_asset for t in trades})
    balances = [payloads.balance_entry(venue_account, a, ZERO) for a in assets]
    touched = sorted({(t.symbol, t.position_side) for t in trades})
    positions = []
    for symbol, side in touched:
        position = venue_account.positions.get(f"{symbol}:{side}")
        if position is not None:
            entry = payloads.position_entry(venue_account, position, state.markets[symbol])
            positions.append(entry)
    return payloads.account_update("ORDER", balances, positions, now_ms, trades[-1].time)


def _income_updates(venue_account: VenueAccount, start: int, now_ms: int) -> list[Json]:
    events = []
    for row in venue_account.income[start:]:
        if row.income_type == "FUNDING_FEE":
            reason, change = "FUNDING_FEE", ZERO
        elif row.income_type == "TRANSFER":
            reason, change = TRANSFER_REASONS[row.income > 0], row.income
        elif row.income_type == "INSURANCE_CLEAR":
            reason, change = "INSURANCE_CLEAR", ZERO
        else:
            continue  # REALIZED_PNL and COMMISSION travel with their fill
        balance = payloads.balance_entry(venue_account, row.asset, change)
        event = payloads.account_update(reason, [balance], [], now_ms, row.time)
        if reason == "FUNDING_FEE":
            event["a"]["S"] = row.symbol
        events.append(event)
    return events


def capture(
    state: EmulatorState, owners: set[tuple[str, Venue]]
) -> dict[tuple[str, Venue], VenueCapture]:
    found = {}
    for api_key, venue in owners:
        account = state.accounts.get(api_key)
        if account is not None:
            found[(api_key, venue)] = VenueCapture.of(account.venue(venue))
    return found
