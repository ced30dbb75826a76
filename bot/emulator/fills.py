"""Applying executions to an account: position, wallet, fees, trades, income rows."""

from __future__ import annotations

from decimal import Decimal

from bot.emulator import margin
from bot.emulator.decimals import ZERO
from bot.emulator.markets import SymbolSpec, Venue
from bot.emulator.state import Account, EmulatorState, Income, Order, Position, Trade, VenueAccount


def next_id(state: EmulatorState) -> int:
    state.next_id += 1
    return state.next_id


def settle_asset(spec: SymbolSpec) -> str:
    """Asset PnL and fees settle in: USDT for USD-M, the coin for COIN-M."""
    return spec.quote_asset if spec.venue == "usdm" else spec.margin_asset


def position_key(symbol: str, position_side: str) -> str:
    return f"{symbol}:{position_side}"


def get_position(venue_account: VenueAccount, symbol: str, position_side: str) -> Position:
    key = position_key(symbol, position_side)
    position = venue_account.positions.get(key)
    if position is None:
        position = Position(symbol=symbol, position_side=position_side)
        venue_account.positions[key] = position
    return position


def add_income(
    state: EmulatorState,
    venue_account: VenueAccount,
    *,
    symbol: str,
    income_type: str,
    amount: Decimal,
    asset: str,
    now: int,
    trade_id: str = "",
    info: str | None = None,
) -> None:
    venue_account.income.append(
        Income(
            tran_id=next_id(state),
            symbol=symbol,
            income_type=income_type,
            income=amount,
            asset=asset,
            info=info if info is not None else income_type,
            time=now,
            trade_id=trade_id,
        )
    )


def credit(venue_account: VenueAccount, asset: str, amount: Decimal) -> None:
    venue_account.wallets[asset] = venue_account.wallets.get(asset, ZERO) + amount


def execute(
    state: EmulatorState,
    account: Account,
    venue: Venue,
    spec: SymbolSpec,
    order: Order,
    *,
    qty: Decimal,
    price: Decimal,
    maker: bool,
    now: int,
    fee_rate: Decimal | None = None,
) -> Decimal:
    """Fill ``qty`` of ``order`` at ``price``; returns the realised PnL."""
    venue_account = account.venue(venue)
    position = get_position(venue_account, spec.symbol, order.position_side)
    delta = qty if order.side == "BUY" else -qty
    old_amt = position.amt
    fill = margin.apply_fill(spec, amt=old_amt, entry=position.entry, delta=delta, price=price)
    size = margin.notional(spec, qty=qty, price=price)
    if venue_account.isolated.get(spec.symbol, False):
        _move_isolated_margin(
            venue_account,
            spec=spec,
            position=position,
            old_amt=old_amt,
            new_amt=fill.amt,
            price=price,
        )
    position.amt, position.entry, position.update_time = fill.amt, fill.entry, now
    rate = fee_rate if fee_rate is not None else (spec.maker_fee if maker else spec.taker_fee)
    commission = size * rate
    asset = settle_asset(spec)
    credit(venue_account, asset, fill.realized - commission)
    venue_account.update_time = now
    trade_id = next_id(state)
    venue_account.trades.append(
        Trade(
            id=trade_id,
            order_id=order.order_id,
            symbol=spec.symbol,
            side=order.side,
            position_side=order.position_side,
            price=price,
            qty=qty,
            quote_qty=qty * price if spec.contract_size is None else qty * spec.contract_size,
            base_qty=ZERO if spec.contract_size is None else size,
            realized_pnl=fill.realized,
            commission=commission,
            commission_asset=asset,
            margin_asset=spec.margin_asset,
            maker=maker,
            time=now,
        )
    )
    if fill.realized != 0:
        add_income(
            state,
            venue_account,
            symbol=spec.symbol,
            income_type="REALIZED_PNL",
            amount=fill.realized,
            asset=asset,
            now=now,
            trade_id=str(trade_id),
        )
    if commission != 0:
        add_income(
            state,
            venue_account,
            symbol=spec.symbol,
            income_type="COMMISSION",
            amount=-commission,
            asset=asset,
            now=now,
            trade_id=str(trade_id),
        )
    _update_order(spec, order, qty=qty, price=price, size=size, now=now)
    return fill.realized


def _move_isolated_margin(
    venue_account: VenueAccount,
    *,
    spec: SymbolSpec,
    position: Position,
    old_amt: Decimal,
    new_amt: Decimal,
    price: Decimal,
) -> None:
    """Isolated margin follows the position: allocated at fill/leverage, released pro rata."""
    leverage = venue_account.leverage.get(spec.symbol, 20)
    if old_amt != 0 and margin.sign(new_amt) != margin.sign(old_amt):
        position.isolated_wallet = ZERO
        old_amt = ZERO
    if abs(new_amt) > abs(old_amt):
        added = abs(new_amt) - abs(old_amt)
        position.isolated_wallet += margin.notional(spec, qty=added, price=price) / leverage
    elif old_amt != 0:
        position.isolated_wallet = position.isolated_wallet * abs(new_amt) / abs(old_amt)


def _update_order(
    spec: SymbolSpec, order: Order, *, qty: Decimal, price: Decimal, size: Decimal, now: int
) -> None:
    order.executed_qty += qty
    if spec.contract_size is None:
        order.cum_quote += qty * price
        order.avg_price = order.cum_quote / order.executed_qty
    else:
        order.cum_quote += size  # cumBase, in coin
        order.avg_price = order.executed_qty * spec.contract_size / order.cum_quote
    order.status = "FILLED" if order.executed_qty >= order.orig_qty else "PARTIALLY_FILLED"
    order.update_time = now
