"""USD-M conditional (algo) orders: /fapi/v1/algoOrder, triggered on mark or last price."""

from __future__ import annotations

from decimal import Decimal

from bot.emulator import errors, fills
from bot.emulator.decimals import ZERO
from bot.emulator.markets import SPECS
from bot.emulator.orders import (
    CLIENT_ID,
    OrderContext,
    check_price,
    check_qty,
    reducible,
    resolve_position_side,
    symbol_spec,
)
from bot.emulator.params import Params
from bot.emulator.state import Account, AlgoOrder, EmulatorState, Order

ALGO_TYPES = ("STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT")
ALGO_OPEN = ("NEW",)


def is_triggered(order_type: str, side: str, price: Decimal, trigger: Decimal) -> bool:
    if order_type.startswith("STOP"):
        return price >= trigger if side == "BUY" else price <= trigger
    return price <= trigger if side == "BUY" else price >= trigger


def _reference(state: EmulatorState, symbol: str, working_type: str) -> Decimal:
    market = state.markets[symbol]
    return market.mark if working_type == "MARK_PRICE" else market.last


def place_algo(ctx: OrderContext, params: Params) -> AlgoOrder:
    if params.req("algoType") != "CONDITIONAL":
        raise errors.invalid_value("algoType")
    spec = symbol_spec(params, ctx.venue)
    side = params.req("side")
    if side not in ("BUY", "SELL"):
        raise errors.INVALID_SIDE
    order_type = params.req("type")
    if order_type not in ALGO_TYPES:
        raise errors.INVALID_ORDER_TYPE
    position_side = resolve_position_side(params, ctx.account)
    close_position = params.flag("closePosition")
    reduce_only = params.flag("reduceOnly")
    if close_position and params.has("quantity"):
        raise errors.QTY_WITH_CLOSE_POSITION
    if close_position and params.has("reduceOnly"):
        raise errors.not_required("reduceOnly")
    quantity = ZERO if close_position else params.req_decimal("quantity")
    if not close_position:
        check_qty(spec, quantity, market=order_type.endswith("MARKET"))
    trigger = params.req_decimal("triggerPrice")
    check_price(spec, trigger)
    price = ZERO
    if order_type in ("STOP", "TAKE_PROFIT"):
        price = params.req_decimal("price")
        check_price(spec, price)
    working_type = params.get("workingType", "CONTRACT_PRICE")
    if working_type not in ("MARK_PRICE", "CONTRACT_PRICE"):
        raise errors.invalid_value("workingType")
    client_id = params.get("clientAlgoId") or f"emu-algo-{ctx.state.next_id + 1}"
    if not CLIENT_ID.match(client_id):
        raise errors.CLIENT_ID_INVALID
    venue_account = ctx.account.venue(ctx.venue)
    if any(
        a.client_algo_id == client_id and a.status in ALGO_OPEN
        for a in venue_account.algo_orders.values()
    ):
        raise errors.CLIENT_ID_DUPLICATED
    if is_triggered(order_type, side, _reference(ctx.state, spec.symbol, working_type), trigger):
        raise errors.WOULD_TRIGGER
    algo = AlgoOrder(
        algo_id=fills.next_id(ctx.state),
        client_algo_id=client_id,
        symbol=spec.symbol,
        side=side,
        position_side=position_side,
        order_type=order_type,
        time_in_force=params.get("timeInForce", "GTC") or "GTC",
        quantity=quantity,
        trigger_price=trigger,
        price=price,
        working_type=working_type,
        close_position=close_position,
        price_protect=params.flag("priceProtect"),
        reduce_only=reduce_only,
        create_time=ctx.now,
        update_time=ctx.now,
    )
    venue_account.algo_orders[algo.algo_id] = algo
    return algo


def find_algo(ctx: OrderContext, params: Params) -> AlgoOrder | None:
    algo_id = params.integer("algoId")
    client_id = params.get("clientAlgoId")
    if algo_id is None and client_id is None:
        raise errors.mandatory("algoId")
    algos = ctx.account.venue(ctx.venue).algo_orders
    if algo_id is not None:
        return algos.get(algo_id)
    matches = [a for a in algos.values() if a.client_algo_id == client_id]
    return matches[-1] if matches else None


def cancel_algo(ctx: OrderContext, params: Params) -> AlgoOrder:
    algo = find_algo(ctx, params)
    if algo is None or algo.status not in ALGO_OPEN:
        raise errors.UNKNOWN_ORDER
    algo.status, algo.update_time = "CANCELED", ctx.now
    return algo


def trigger_algos(state: EmulatorState, account: Account, now: int) -> None:
    """Fire conditional orders whose trigger has been crossed; market legs fill at last."""
    venue_account = account.usdm
    for algo in list(venue_account.algo_orders.values()):
        if algo.status not in ALGO_OPEN:
            continue
        reference = _reference(state, algo.symbol, algo.working_type)
        if not is_triggered(algo.order_type, algo.side, reference, algo.trigger_price):
            continue
        spec = SPECS[algo.symbol]
        ctx = OrderContext(state=state, account=account, venue="usdm", now=now)
        qty = algo.quantity
        if algo.close_position or algo.reduce_only:
            closable = reducible(ctx, spec, algo.side, algo.position_side)
            qty = closable if algo.close_position else min(qty, closable)
        algo.trigger_time, algo.update_time = now, now
        if qty == 0:
            algo.status = "EXPIRED"
            continue
        market = algo.order_type.endswith("MARKET")
        order = Order(
            order_id=fills.next_id(state),
            client_order_id=algo.client_algo_id,
            symbol=algo.symbol,
            side=algo.side,
            position_side=algo.position_side,
            type="MARKET" if market else "LIMIT",
            orig_type=algo.order_type,
            time_in_force=algo.time_in_force,
            price=algo.price,
            stop_price=algo.trigger_price,
            orig_qty=qty,
            reduce_only=algo.reduce_only or algo.close_position,
            close_position=algo.close_position,
            working_type=algo.working_type,
            time=now,
            update_time=now,
        )
        venue_account.orders[order.order_id] = order
        algo.actual_order_id = order.order_id
        algo.status = "TRIGGERED"
        last = state.markets[algo.symbol].last
        if market or (last <= algo.price if algo.side == "BUY" else last >= algo.price):
            fills.execute(
                state, account, "usdm", spec, order, qty=qty, price=last, maker=False, now=now
            )
            algo.actual_price = order.avg_price
            algo.status = "FINISHED"
