"""Render state as Binance JSON: strings for decimals, ints for ids/times, same key order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.emulator.accounting import PositionView
from bot.emulator.decimals import ZERO, fmt, fmt8, plain
from bot.emulator.markets import SPECS, SymbolSpec
from bot.emulator.state import AlgoOrder, Income, Order, Position, Trade

Json = dict[str, Any]


def price_str(spec: SymbolSpec, value: Decimal) -> str:
    return fmt(value, spec.price_precision)


def qty_str(spec: SymbolSpec, value: Decimal) -> str:
    return fmt(value, spec.quantity_precision)


def order_json(order: Order, *, with_time: bool = True, with_cum_qty: bool = False) -> Json:
    spec = SPECS[order.symbol]
    body: Json = {
        "orderId": order.order_id,
        "symbol": order.symbol,
        "status": order.status,
        "clientOrderId": order.client_order_id,
        "price": price_str(spec, order.price),
        "avgPrice": fmt(order.avg_price, spec.price_precision + 3 if spec.venue == "usdm" else 8),
        "origQty": qty_str(spec, order.orig_qty),
        "executedQty": qty_str(spec, order.executed_qty),
    }
    if with_cum_qty:
        body["cumQty"] = qty_str(spec, order.executed_qty)
    if spec.venue == "usdm":
        body["cumQuote"] = fmt(order.cum_quote, 5)
    else:
        body["cumBase"] = fmt8(order.cum_quote)
        body["pair"] = spec.pair
    body.update(
        {
            "timeInForce": order.time_in_force,
            "type": order.type,
            "reduceOnly": order.reduce_only,
            "closePosition": order.close_position,
            "side": order.side,
            "positionSide": order.position_side,
            "stopPrice": price_str(spec, order.stop_price),
            "workingType": order.working_type,
            "priceProtect": order.price_protect,
            "origType": order.orig_type,
            "priceMatch": "NONE",
            "selfTradePreventionMode": "NONE",
        }
    )
    if spec.venue == "usdm":
        body["goodTillDate"] = 0
    if with_time:
        body["time"] = order.time
    body["updateTime"] = order.update_time
    return body


def algo_json(algo: AlgoOrder, *, detail: bool) -> Json:
    spec = SPECS[algo.symbol]
    body: Json = {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": algo.order_type,
        "symbol": algo.symbol,
        "side": algo.side,
        "positionSide": algo.position_side,
        "timeInForce": algo.time_in_force,
        "quantity": qty_str(spec, algo.quantity),
        "algoStatus": algo.status,
    }
    if detail:
        body.update(
            {
                "actualOrderId": "" if algo.actual_order_id is None else str(algo.actual_order_id),
                "actualPrice": fmt(algo.actual_price, 5),
                "actualType": "MARKET" if algo.order_type.endswith("MARKET") else "LIMIT",
                "actualQty": qty_str(spec, algo.quantity),
            }
        )
    body.update(
        {
            "triggerPrice": price_str(spec, algo.trigger_price),
            "price": price_str(spec, algo.price),
            "icebergQuantity": None,
            "tpTriggerPrice": "0.000",
            "tpPrice": "0.000",
            "slTriggerPrice": "0.000",
            "slPrice": "0.000",
            "tpOrderType": "",
            "selfTradePreventionMode": "NONE",
            "workingType": algo.working_type,
            "priceMatch": "NONE",
            "closePosition": algo.close_position,
            "priceProtect": algo.price_protect,
            "reduceOnly": algo.reduce_only,
            "activatePrice": "",
            "callbackRate": "",
            "createTime": algo.create_time,
            "updateTime": algo.update_time,
            "triggerTime": algo.trigger_time,
            "goodTillDate": 0,
        }
    )
    return body


def trade_json(trade: Trade) -> Json:
    spec = SPECS[trade.symbol]
    body: Json = {
        "symbol": trade.symbol,
        "id": trade.id,
        "orderId": trade.order_id,
        "side": trade.side,
        "price": price_str(spec, trade.price),
        "qty": qty_str(spec, trade.qty),
        "realizedPnl": fmt8(trade.realized_pnl),
        "marginAsset": trade.margin_asset,
        "quoteQty": fmt(trade.quote_qty, 5) if spec.venue == "usdm" else plain(trade.quote_qty),
        "baseQty": fmt8(trade.base_qty) if spec.venue == "coinm" else "0",
        "commission": fmt8(trade.commission),
        "commissionAsset": trade.commission_asset,
        "time": trade.time,
        "positionSide": trade.position_side,
        "buyer": trade.side == "BUY",
        "maker": trade.maker,
    }
    if spec.venue == "coinm":
        body["pair"] = spec.pair
    return body


def income_json(row: Income, *, tran_id_as_str: bool) -> Json:
    return {
        "symbol": row.symbol,
        "incomeType": row.income_type,
        "income": fmt8(row.income),
        "asset": row.asset,
        "info": row.info,
        "time": row.time,
        "tranId": str(row.tran_id) if tran_id_as_str else row.tran_id,
        "tradeId": row.trade_id,
    }


def position_common(view: PositionView) -> Json:
    spec, position = view.spec, view.position
    return {
        "symbol": spec.symbol,
        "positionSide": position.position_side,
        "positionAmt": qty_str(spec, position.amt),
        "entryPrice": fmt8(position.entry),
        "breakEvenPrice": fmt(view.break_even, 8),
        "markPrice": fmt8(view.mark),
        "unRealizedProfit": fmt8(view.upnl),
        "liquidationPrice": fmt8(view.liquidation_price) if position.amt else "0",
    }


def signed_notional(view: PositionView) -> Decimal:
    return view.notional if view.position.amt > 0 else -view.notional


def empty_position_view(
    spec: SymbolSpec, position_side: str, mark: Decimal, leverage: int, isolated: bool
) -> PositionView:
    return PositionView(
        spec=spec,
        position=Position(symbol=spec.symbol, position_side=position_side),
        mark=mark,
        leverage=leverage,
        isolated=isolated,
        notional=ZERO,
        upnl=ZERO,
        initial_margin=ZERO,
        maint_margin=ZERO,
        liquidation_price=ZERO,
        break_even=ZERO,
    )
