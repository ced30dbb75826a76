"""Public market-data endpoints (and the spot ping python-binance's constructor calls)."""

from __future__ import annotations

from typing import Any

from bot.emulator import errors
from bot.emulator.decimals import fmt8, plain
from bot.emulator.markets import (
    COLLATERAL_BUFFERS,
    USDM_ASSETS,
    SymbolSpec,
    spec_for,
    venue_symbols,
)
from bot.emulator.risk import next_funding_time
from bot.emulator.routing import Call, route, with_symbol
from bot.emulator.views import price_str

Json = dict[str, Any]
ORDER_TYPES = [
    "LIMIT",
    "MARKET",
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]


@route("GET", "/api/v3/ping", "/fapi/v1/ping", "/dapi/v1/ping")
def ping(call: Call) -> Json:
    return {}


@route("GET", "/fapi/v1/time", "/dapi/v1/time")
def server_time(call: Call) -> Json:
    return {"serverTime": call.ex.server_ms()}


def _filters(spec: SymbolSpec) -> list[Json]:
    rows: list[Json] = [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": plain(spec.min_price),
            "maxPrice": plain(spec.max_price),
            "tickSize": plain(spec.tick_size),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": plain(spec.min_qty),
            "stepSize": plain(spec.step_size),
            "maxQty": plain(spec.max_qty),
        },
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": plain(spec.min_qty),
            "stepSize": plain(spec.step_size),
            "maxQty": plain(spec.market_max_qty),
        },
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
    ]
    if spec.min_notional is not None:
        rows.append({"filterType": "MIN_NOTIONAL", "notional": plain(spec.min_notional)})
    else:
        rows.append({"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 20})
    rows.append(
        {
            "filterType": "PERCENT_PRICE",
            "multiplierUp": "1.0500",
            "multiplierDown": "0.9500",
            "multiplierDecimal": "4",
        }
    )
    return rows


def _symbol_info(spec: SymbolSpec) -> Json:
    body: Json = {
        "symbol": spec.symbol,
        "pair": spec.pair,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": spec.onboard_date,
    }
    body["status" if spec.venue == "usdm" else "contractStatus"] = "TRADING"
    body.update(
        {
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": spec.base_asset,
            "quoteAsset": spec.quote_asset,
            "marginAsset": spec.margin_asset,
            "pricePrecision": spec.price_precision,
            "quantityPrecision": spec.quantity_precision,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "underlyingSubType": list(spec.sub_type),
            "triggerProtect": "0.0500",
            "liquidationFee": f"{spec.liquidation_fee:.6f}",
            "marketTakeBound": "0.05",
            "maxMoveOrderLimit": 10000,
        }
    )
    if spec.venue == "usdm":
        body["settlePlan"] = 0
    else:
        body["contractSize"] = spec.contract_size
        body["equalQtyPrecision"] = 4
    body["filters"] = _filters(spec)
    body["orderTypes"] = ORDER_TYPES
    body["timeInForce"] = ["GTC", "IOC", "FOK", "GTX"] + (["GTD"] if spec.venue == "usdm" else [])
    body["permissionSets"] = ["GRID", "COPY"]
    return body


RATE_LIMITS = "rateLimits"


@route("GET", "/fapi/v1/exchangeInfo", "/dapi/v1/exchangeInfo")
def exchange_info(call: Call) -> Json:
    limits = call.ex.config.limits
    body: Json = {
        "timezone": "UTC",
        "serverTime": call.ex.server_ms(),
    }
    if call.venue == "usdm":
        body["futuresType"] = "U_MARGINED"
    body[RATE_LIMITS] = [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": limits.weight_per_minute,
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": limits.orders_per_minute,
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": limits.orders_per_10s,
        },
    ]
    body["exchangeFilters"] = []
    if call.venue == "usdm":
        body["assets"] = [
            {"asset": asset, "marginAvailable": True, "autoAssetExchange": "-10000"}
            for asset in USDM_ASSETS
        ]
    body["symbols"] = [_symbol_info(spec) for spec in venue_symbols(call.venue)]
    return body


def _selected(call: Call) -> list[SymbolSpec]:
    symbol = call.params.get("symbol")
    pair = call.params.get("pair")
    if symbol is not None:
        spec = spec_for(symbol, call.venue)
        if spec is None:
            raise errors.INVALID_SYMBOL
        return [spec]
    specs = venue_symbols(call.venue)
    if pair is not None:
        specs = [s for s in specs if s.pair == pair]
    return specs


def _premium(call: Call, spec: SymbolSpec) -> Json:
    market = call.ex.state.markets[spec.symbol]
    body: Json = {"symbol": spec.symbol}
    if call.venue == "coinm":
        body["pair"] = spec.pair
    body.update(
        {
            "markPrice": fmt8(market.mark),
            "indexPrice": fmt8(market.index),
            "estimatedSettlePrice": fmt8(market.index),
            "lastFundingRate": fmt8(market.funding_rate),
            "interestRate": fmt8(market.interest_rate),
            "nextFundingTime": next_funding_time(call.now),
            "time": call.now,
        }
    )
    return body


@route("GET", "/fapi/v1/premiumIndex", weight=with_symbol(1, 10))
def premium_index(call: Call) -> Json | list[Json]:
    rows = [_premium(call, spec) for spec in _selected(call)]
    return rows[0] if call.params.has("symbol") else rows


@route("GET", "/dapi/v1/premiumIndex", weight=10)
def premium_index_coinm(call: Call) -> list[Json]:
    return [_premium(call, spec) for spec in _selected(call)]


def _ticker(call: Call, spec: SymbolSpec) -> Json:
    body: Json = {"symbol": spec.symbol}
    if call.venue == "coinm":
        body["ps"] = spec.pair
    body["price"] = price_str(spec, call.ex.state.markets[spec.symbol].last)
    body["time"] = call.now
    return body


@route("GET", "/fapi/v1/ticker/price", "/fapi/v2/ticker/price", weight=with_symbol(1, 2))
def ticker_price(call: Call) -> Json | list[Json]:
    rows = [_ticker(call, spec) for spec in _selected(call)]
    return rows[0] if call.params.has("symbol") else rows


@route("GET", "/dapi/v1/ticker/price", weight=with_symbol(1, 2))
def ticker_price_coinm(call: Call) -> list[Json]:
    return [_ticker(call, spec) for spec in _selected(call)]


@route("GET", "/fapi/v1/fundingRate", "/dapi/v1/fundingRate")
def funding_rate_history(call: Call) -> list[Json]:
    symbols = {s.symbol for s in _selected(call)}
    limit = call.params.limit(100, 1000)
    start, end = call.params.integer("startTime"), call.params.integer("endTime")
    rows = [
        r
        for r in call.ex.state.funding_history
        if r.symbol in symbols
        and (start is None or r.funding_time >= start)
        and (end is None or r.funding_time <= end)
    ]
    # Binance: from startTime on, the first `limit` rows; otherwise the latest `limit`.
    rows = rows[:limit] if start is not None else rows[-limit:]
    return [
        {
            "symbol": r.symbol,
            "fundingTime": r.funding_time,
            "fundingRate": fmt8(r.funding_rate),
            "markPrice": fmt8(r.mark),
            "rateType": "Regular",
        }
        for r in rows
    ]


@route("GET", "/fapi/v1/fundingInfo", "/dapi/v1/fundingInfo")
def funding_info(call: Call) -> list[Json]:
    return [
        {
            "symbol": spec.symbol,
            "adjustedFundingRateCap": "0.02000000",
            "adjustedFundingRateFloor": "-0.02000000",
            "fundingIntervalHours": 8,
            "disclaimer": False,
        }
        for spec in venue_symbols(call.venue)
    ]


@route("GET", "/fapi/v1/assetIndex", weight=with_symbol(1, 10))
def asset_index(call: Call) -> Json | list[Json]:
    rows = []
    for asset, buffer in COLLATERAL_BUFFERS.items():
        index = call.ex.state.markets[f"{asset}USDT"].index
        half = buffer / 2
        rows.append(
            {
                "symbol": f"{asset}USD",
                "time": call.now,
                "index": fmt8(index),
                "bidBuffer": fmt8(buffer),
                "askBuffer": fmt8(buffer),
                "bidRate": fmt8(index * (1 - buffer)),
                "askRate": fmt8(index * (1 + buffer)),
                "autoExchangeBidBuffer": fmt8(half),
                "autoExchangeAskBuffer": fmt8(half),
                "autoExchangeBidRate": fmt8(index * (1 - half)),
                "autoExchangeAskRate": fmt8(index * (1 + half)),
            }
        )
    symbol = call.params.get("symbol")
    if symbol is None:
        return rows
    for row in rows:
        if row["symbol"] == symbol:
            return row
    raise errors.INVALID_SYMBOL
