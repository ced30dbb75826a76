"""Order, algo-order, trade-history and income endpoints."""

from __future__ import annotations

from typing import Any

from bot.emulator import algo, errors, orders
from bot.emulator.markets import venue_symbols
from bot.emulator.orders import OPEN_STATUSES, symbol_spec
from bot.emulator.routing import Call, route, with_symbol
from bot.emulator.state import Order
from bot.emulator.views import algo_json, income_json, order_json, trade_json

Json = dict[str, Any]
WEEK_MS = 7 * 24 * 3600 * 1000
ALL_CANCELED: Json = {"code": 200, "msg": "The operation of cancel all open order is done."}


@route("POST", "/fapi/v1/order", "/dapi/v1/order", signed=True, weight=0, order=True)
def new_order(call: Call) -> Json:
    resp_type = call.params.get("newOrderRespType", "ACK")
    if resp_type not in ("ACK", "RESULT"):
        raise errors.invalid_value("newOrderRespType")
    accepted, final = orders.place_order(call.ctx(), call.params)
    shown = final if resp_type == "RESULT" else accepted
    return order_json(shown, with_time=False, with_cum_qty=True)


@route("GET", "/fapi/v1/order", "/dapi/v1/order", signed=True)
def query_order(call: Call) -> Json:
    found = orders.find_order(call.ctx(), call.params)
    if found is None:
        raise errors.NO_SUCH_ORDER
    return order_json(found)


@route("GET", "/fapi/v1/openOrder", "/dapi/v1/openOrder", signed=True)
def query_open_order(call: Call) -> Json:
    found = orders.find_order(call.ctx(), call.params)
    if found is None or found.status not in OPEN_STATUSES:
        raise errors.NO_SUCH_ORDER
    return order_json(found)


@route("DELETE", "/fapi/v1/order", "/dapi/v1/order", signed=True)
def cancel_order(call: Call) -> Json:
    return order_json(
        orders.cancel_order(call.ctx(), call.params), with_time=False, with_cum_qty=True
    )


@route("DELETE", "/fapi/v1/allOpenOrders", "/dapi/v1/allOpenOrders", signed=True)
def cancel_all_open(call: Call) -> Json:
    spec = symbol_spec(call.params, call.venue)
    orders.cancel_all(call.ctx(), spec.symbol)
    return dict(ALL_CANCELED)


def _orders_for(call: Call, *, open_only: bool) -> list[Order]:
    symbol = call.params.get("symbol")
    if symbol is not None:
        symbol_spec(call.params, call.venue)
    rows = [
        o
        for o in call.venue_account.orders.values()
        if (symbol is None or o.symbol == symbol) and (not open_only or o.status in OPEN_STATUSES)
    ]
    return sorted(rows, key=lambda o: o.order_id)


@route("GET", "/fapi/v1/openOrders", "/dapi/v1/openOrders", signed=True, weight=with_symbol(1, 40))
def open_orders(call: Call) -> list[Json]:
    return [order_json(o) for o in _orders_for(call, open_only=True)]


@route("GET", "/fapi/v1/allOrders", "/dapi/v1/allOrders", signed=True, weight=5)
def all_orders(call: Call) -> list[Json]:
    if call.venue == "usdm":
        call.params.req("symbol")
    limit = call.params.limit(500, 1000)
    from_id = call.params.integer("orderId")
    start, end = call.params.integer("startTime"), call.params.integer("endTime")
    rows = [
        o
        for o in _orders_for(call, open_only=False)
        if (from_id is None or o.order_id >= from_id)
        and (start is None or o.time >= start)
        and (end is None or o.time <= end)
    ]
    rows = rows[:limit] if from_id is not None or start is not None else rows[-limit:]
    return [order_json(o) for o in rows]


# --- USD-M algo (conditional) orders -------------------------------------------------------
@route("POST", "/fapi/v1/algoOrder", signed=True, weight=0, order=True)
def new_algo_order(call: Call) -> Json:
    created = algo.place_algo(call.ctx(), call.params)
    return algo_json(created, detail=False)


@route("GET", "/fapi/v1/algoOrder", signed=True)
def query_algo_order(call: Call) -> Json:
    found = algo.find_algo(call.ctx(), call.params)
    if found is None:
        raise errors.NO_SUCH_ORDER
    return algo_json(found, detail=True)


@route("DELETE", "/fapi/v1/algoOrder", signed=True)
def cancel_algo_order(call: Call) -> Json:
    canceled = algo.cancel_algo(call.ctx(), call.params)
    return {
        "algoId": canceled.algo_id,
        "clientAlgoId": canceled.client_algo_id,
        "code": "200",
        "msg": "success",
    }


@route("GET", "/fapi/v1/openAlgoOrders", signed=True, weight=with_symbol(1, 40))
def open_algo_orders(call: Call) -> list[Json]:
    symbol = call.params.get("symbol")
    return [
        algo_json(a, detail=True)
        for a in call.venue_account.algo_orders.values()
        if a.status in algo.ALGO_OPEN and (symbol is None or a.symbol == symbol)
    ]


@route("GET", "/fapi/v1/allAlgoOrders", signed=True, weight=5)
def all_algo_orders(call: Call) -> list[Json]:
    symbol = call.params.req("symbol")
    limit = call.params.limit(500, 1000)
    rows = [a for a in call.venue_account.algo_orders.values() if a.symbol == symbol]
    return [algo_json(a, detail=True) for a in rows[-limit:]]


@route("DELETE", "/fapi/v1/algoOpenOrders", signed=True)
def cancel_all_algo(call: Call) -> Json:
    symbol = symbol_spec(call.params, "usdm").symbol
    for a in call.venue_account.algo_orders.values():
        if a.symbol == symbol and a.status in algo.ALGO_OPEN:
            a.status, a.update_time = "CANCELED", call.now
    return dict(ALL_CANCELED)


# --- history ------------------------------------------------------------------------------
def _window(call: Call) -> tuple[int, int]:
    start, end = call.params.integer("startTime"), call.params.integer("endTime")
    if start is None and end is None:
        return call.now - WEEK_MS, call.now
    if start is None:
        assert end is not None
        return end - WEEK_MS, end
    return start, end if end is not None else start + WEEK_MS * 13


@route("GET", "/fapi/v1/userTrades", signed=True, weight=5)
@route("GET", "/dapi/v1/userTrades", signed=True, weight=20)
def user_trades(call: Call) -> list[Json]:
    symbol = call.params.get("symbol")
    pair = call.params.get("pair")
    if symbol is None and (call.venue == "usdm" or pair is None):
        raise errors.mandatory("symbol")
    if symbol is not None:
        symbol_spec(call.params, call.venue)
    symbols = (
        {symbol} if symbol else {s.symbol for s in venue_symbols(call.venue) if s.pair == pair}
    )
    order_id, from_id = call.params.integer("orderId"), call.params.integer("fromId")
    limit = call.params.limit(500, 1000)
    start, end = _window(call)
    rows = [
        t
        for t in call.venue_account.trades
        if t.symbol in symbols
        and (order_id is None or t.order_id == order_id)
        and (
            (from_id is not None and t.id >= from_id)
            or (from_id is None and start <= t.time <= end)
        )
    ]
    rows = rows[:limit] if from_id is not None else rows[-limit:]
    return [trade_json(t) for t in rows]


@route("GET", "/fapi/v1/income", signed=True, weight=30)
@route("GET", "/dapi/v1/income", signed=True, weight=20)
def income_history(call: Call) -> list[Json]:
    symbol, income_type = call.params.get("symbol"), call.params.get("incomeType")
    limit = call.params.limit(100, 1000)
    start, end = _window(call)
    rows = [
        r
        for r in call.venue_account.income
        if (symbol is None or r.symbol == symbol)
        and (income_type is None or r.income_type == income_type)
        and start <= r.time <= end
    ]
    rows = rows[:limit] if call.params.has("startTime") else rows[-limit:]
    return [income_json(r, tran_id_as_str=call.venue == "coinm") for r in rows]
