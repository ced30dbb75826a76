"""Order validation, placement, matching against the emulator's last price, cancels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from bot.emulator import errors, fills, margin
from bot.emulator.accounting import leverage_of, venue_view
from bot.emulator.decimals import ZERO, decimals_of, is_multiple
from bot.emulator.markets import SPECS, SymbolSpec, Venue, spec_for
from bot.emulator.params import Params
from bot.emulator.state import Account, EmulatorState, Order

CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
STOP_TYPES = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")
PERCENT_UP, PERCENT_DOWN = Decimal("1.05"), Decimal("0.95")


@dataclass(kw_only=True)
class OrderContext:
    state: EmulatorState
    account: Account
    venue: Venue
    now: int
    partial_ratio: Decimal | None = None  # fault "partial_fill": fill only this share
    allow_stop_orders: bool = False


def symbol_spec(params: Params, venue: Venue) -> SymbolSpec:
    spec = spec_for(params.req("symbol"), venue)
    if spec is None:
        raise errors.INVALID_SYMBOL
    return spec


def check_price(spec: SymbolSpec, price: Decimal) -> None:
    if price <= 0:
        raise errors.invalid_value("price")
    if decimals_of(price) > decimals_of(spec.tick_size):
        raise errors.PRECISION
    if price < spec.min_price:
        raise errors.PRICE_BELOW_MIN
    if price > spec.max_price:
        raise errors.PRICE_ABOVE_MAX
    if not is_multiple(price, spec.min_price, spec.tick_size):
        raise errors.PRICE_TICK


def check_qty(spec: SymbolSpec, qty: Decimal, *, market: bool) -> None:
    if qty <= 0:
        raise errors.QTY_NOT_POSITIVE
    if decimals_of(qty) > decimals_of(spec.step_size):
        raise errors.PRECISION
    if qty < spec.min_qty:
        raise errors.QTY_BELOW_MIN
    if qty > (spec.market_max_qty if market else spec.max_qty):
        raise errors.QTY_ABOVE_MAX
    if not is_multiple(qty, spec.min_qty, spec.step_size):
        raise errors.QTY_STEP


def resolve_position_side(params: Params, account: Account) -> str:
    position_side = params.get("positionSide", "BOTH")
    if account.dual_side:
        if position_side not in ("LONG", "SHORT"):
            raise errors.POSITION_SIDE_MISMATCH
        if params.has("reduceOnly"):
            raise errors.not_required("reduceOnly")
    elif position_side != "BOTH":
        raise errors.POSITION_SIDE_MISMATCH
    return position_side


def check_client_id(ctx: OrderContext, client_id: str) -> None:
    if not CLIENT_ID.match(client_id):
        raise errors.CLIENT_ID_INVALID
    orders = ctx.account.venue(ctx.venue).orders.values()
    if any(o.status in OPEN_STATUSES and o.client_order_id == client_id for o in orders):
        raise errors.CLIENT_ID_DUPLICATED


def reducible(ctx: OrderContext, spec: SymbolSpec, side: str, position_side: str) -> Decimal:
    """How much of the current position an order on ``side`` can reduce."""
    amt = fills.get_position(ctx.account.venue(ctx.venue), spec.symbol, position_side).amt
    if position_side == "LONG" or (position_side == "BOTH" and amt > 0):
        return abs(amt) if side == "SELL" else ZERO
    if position_side == "SHORT" or amt < 0:
        return abs(amt) if side == "BUY" else ZERO
    return ZERO


def check_margin(
    ctx: OrderContext,
    spec: SymbolSpec,
    *,
    side: str,
    position_side: str,
    qty: Decimal,
    price: Decimal,
) -> None:
    increase = max(ZERO, qty - reducible(ctx, spec, side, position_side))
    if increase == 0:
        return
    venue_account = ctx.account.venue(ctx.venue)
    leverage = leverage_of(venue_account, spec.symbol)
    position = fills.get_position(venue_account, spec.symbol, position_side)
    after = margin.notional(spec, qty=abs(position.amt) + increase, price=price)
    if after > spec.max_notional_at(leverage):
        raise errors.MAX_POSITION
    view = venue_view(ctx.account, ctx.venue, ctx.state.markets)
    pool = view.pools.get("USD" if ctx.venue == "usdm" else spec.margin_asset)
    available = pool.available if pool is not None else ZERO
    size = margin.notional(spec, qty=increase, price=price)
    if size / leverage + size * spec.taker_fee > available:
        raise errors.MARGIN_INSUFFICIENT


def place_order(ctx: OrderContext, params: Params) -> tuple[Order, Order]:
    """Validate and place; returns (order as accepted, order after matching)."""
    spec = symbol_spec(params, ctx.venue)
    side = params.req("side")
    if side not in ("BUY", "SELL"):
        raise errors.INVALID_SIDE
    order_type = params.req("type")
    if order_type in STOP_TYPES and not ctx.allow_stop_orders:
        raise errors.ALGO_ONLY
    if order_type not in ("LIMIT", "MARKET"):
        raise errors.INVALID_ORDER_TYPE
    position_side = resolve_position_side(params, ctx.account)
    reduce_only = params.flag("reduceOnly")
    client_id = params.get("newClientOrderId") or f"emu-{ctx.state.next_id + 1}"
    check_client_id(ctx, client_id)
    qty = params.req_decimal("quantity")
    check_qty(spec, qty, market=order_type == "MARKET")
    market_state = ctx.state.markets[spec.symbol]
    tif = "GTC"
    if order_type == "LIMIT":
        tif = params.req("timeInForce")
        if tif not in ("GTC", "IOC", "FOK", "GTX"):
            raise errors.INVALID_TIF
        price = params.req_decimal("price")
        check_price(spec, price)
        if side == "BUY" and price > market_state.mark * PERCENT_UP:
            raise errors.PRICE_ABOVE_CAP
        if side == "SELL" and price < market_state.mark * PERCENT_DOWN:
            raise errors.PRICE_BELOW_FLOOR
    else:
        if params.has("price"):
            raise errors.not_required("price")
        price = ZERO
    reference = price if order_type == "LIMIT" else market_state.mark
    if spec.min_notional is not None and not reduce_only and qty * reference < spec.min_notional:
        raise errors.min_notional(str(spec.min_notional))
    closable = reducible(ctx, spec, side, position_side)
    reducing = reduce_only or (ctx.account.dual_side and _closes(side, position_side))
    if reducing:
        if closable == 0 or (ctx.account.dual_side and qty > closable):
            raise errors.REDUCE_ONLY_REJECTED
        qty = min(qty, closable)
    else:
        check_margin(
            ctx,
            spec,
            side=side,
            position_side=position_side,
            qty=qty,
            price=price if order_type == "LIMIT" else market_state.last,
        )
    crosses = order_type == "MARKET" or (
        price >= market_state.last if side == "BUY" else price <= market_state.last
    )
    if tif == "GTX" and crosses:
        raise errors.GTX_REJECTED
    if tif == "FOK" and not crosses:
        raise errors.FOK_REJECTED
    order = Order(
        order_id=fills.next_id(ctx.state),
        client_order_id=client_id,
        symbol=spec.symbol,
        side=side,
        position_side=position_side,
        type=order_type,
        orig_type=order_type,
        time_in_force=tif,
        price=price,
        orig_qty=qty,
        reduce_only=reduce_only,
        time=ctx.now,
        update_time=ctx.now,
    )
    ctx.account.venue(ctx.venue).orders[order.order_id] = order
    accepted = order.model_copy()
    if crosses:
        fill_qty = _partial(spec, qty, ctx.partial_ratio) if tif != "FOK" else qty
        fills.execute(
            ctx.state,
            ctx.account,
            ctx.venue,
            spec,
            order,
            qty=fill_qty,
            price=market_state.last,
            maker=False,
            now=ctx.now,
        )
        if order_type == "MARKET" and order.status == "PARTIALLY_FILLED":
            order.status = "EXPIRED"
    if tif == "IOC" and order.status in OPEN_STATUSES:
        order.status = "EXPIRED"
    return accepted, order


def _closes(side: str, position_side: str) -> bool:
    return (position_side == "LONG" and side == "SELL") or (
        position_side == "SHORT" and side == "BUY"
    )


def _partial(spec: SymbolSpec, qty: Decimal, ratio: Decimal | None) -> Decimal:
    if ratio is None:
        return qty
    part = (qty * ratio / spec.step_size).to_integral_value(rounding=ROUND_DOWN) * spec.step_size
    return max(spec.step_size, min(qty, part))


def find_order(ctx: OrderContext, params: Params) -> Order | None:
    spec = symbol_spec(params, ctx.venue)
    order_id = params.integer("orderId")
    client_id = params.get("origClientOrderId")
    if order_id is None and client_id is None:
        raise errors.mandatory("orderId")
    orders = ctx.account.venue(ctx.venue).orders
    if order_id is not None:
        found = orders.get(order_id)
        return found if found is not None and found.symbol == spec.symbol else None
    matches = [
        o for o in orders.values() if o.client_order_id == client_id and o.symbol == spec.symbol
    ]
    return matches[-1] if matches else None


def cancel_order(ctx: OrderContext, params: Params) -> Order:
    order = find_order(ctx, params)
    if order is None or order.status not in OPEN_STATUSES:
        raise errors.UNKNOWN_ORDER
    order.status, order.update_time = "CANCELED", ctx.now
    return order


def cancel_all(ctx: OrderContext, symbol: str) -> None:
    for order in ctx.account.venue(ctx.venue).orders.values():
        if order.symbol == symbol and order.status in OPEN_STATUSES:
            order.status, order.update_time = "CANCELED", ctx.now


def match_resting(state: EmulatorState, account: Account, venue: Venue, now: int) -> None:
    """Resting LIMIT orders fill as maker at their price once the last price reaches them."""
    for order in list(account.venue(venue).orders.values()):
        if order.status not in OPEN_STATUSES or order.type != "LIMIT":
            continue
        last = state.markets[order.symbol].last
        if (order.side == "BUY" and last <= order.price) or (
            order.side == "SELL" and last >= order.price
        ):
            spec = SPECS[order.symbol]
            qty = order.orig_qty - order.executed_qty
            if order.reduce_only:
                ctx = OrderContext(state=state, account=account, venue=venue, now=now)
                qty = min(qty, reducible(ctx, spec, order.side, order.position_side))
                if qty == 0:
                    order.status, order.update_time = "EXPIRED", now
                    continue
            fills.execute(
                state,
                account,
                venue,
                spec,
                order,
                qty=qty,
                price=order.price,
                maker=True,
                now=now,
            )
