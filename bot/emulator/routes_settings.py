"""Account configuration: position mode, Multi-Assets, leverage, margin type, brackets, fees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.emulator import errors
from bot.emulator.accounting import leverage_of
from bot.emulator.decimals import plain
from bot.emulator.markets import VENUES, SymbolSpec, venue_symbols
from bot.emulator.orders import OPEN_STATUSES, symbol_spec
from bot.emulator.routing import Call, route

Json = dict[str, Any]
SUCCESS: Json = {"code": 200, "msg": "success"}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _has_orders(call: Call, symbol: str | None = None, venues: tuple[str, ...] = VENUES) -> bool:
    for venue in venues:
        va = call.account.venue(venue)  # type: ignore[arg-type]
        if any(
            o.status in OPEN_STATUSES and (symbol is None or o.symbol == symbol)
            for o in va.orders.values()
        ):
            return True
        if any(
            a.status == "NEW" and (symbol is None or a.symbol == symbol)
            for a in va.algo_orders.values()
        ):
            return True
    return False


def _has_position(call: Call, symbol: str | None = None, venues: tuple[str, ...] = VENUES) -> bool:
    return any(
        p.amt != 0 and (symbol is None or p.symbol == symbol)
        for venue in venues
        for p in call.account.venue(venue).positions.values()  # type: ignore[arg-type]
    )


@route("GET", "/fapi/v1/accountConfig", signed=True, weight=5)
def account_config(call: Call) -> Json:
    return {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "dualSidePosition": call.account.dual_side,
        "updateTime": 0,
        "multiAssetsMargin": call.account.multi_assets,
        "tradeGroupId": -1,
    }


@route("GET", "/fapi/v1/symbolConfig", signed=True, weight=5)
def symbol_config(call: Call) -> list[Json]:
    specs = (
        [symbol_spec(call.params, "usdm")] if call.params.has("symbol") else venue_symbols("usdm")
    )
    va = call.venue_account
    return [
        {
            "symbol": s.symbol,
            "marginType": "ISOLATED" if va.isolated.get(s.symbol, False) else "CROSSED",
            "isAutoAddMargin": False,
            "leverage": leverage_of(va, s.symbol),
            "maxNotionalValue": plain(s.max_notional_at(leverage_of(va, s.symbol))),
        }
        for s in specs
    ]


@route("GET", "/fapi/v1/positionSide/dual", "/dapi/v1/positionSide/dual", signed=True, weight=30)
def get_position_mode(call: Call) -> Json:
    return {"dualSidePosition": call.account.dual_side}


@route("POST", "/fapi/v1/positionSide/dual", "/dapi/v1/positionSide/dual", signed=True)
def change_position_mode(call: Call) -> Json:
    wanted = call.params.flag("dualSidePosition")
    call.params.req("dualSidePosition")
    if wanted == call.account.dual_side:
        raise errors.POSITION_SIDE_SAME
    if _has_orders(call):
        raise errors.POSITION_SIDE_OPEN_ORDERS
    if _has_position(call):
        raise errors.POSITION_SIDE_POSITION
    call.account.dual_side = wanted
    return dict(SUCCESS)


@route("GET", "/fapi/v1/multiAssetsMargin", signed=True, weight=30)
def get_multi_assets(call: Call) -> Json:
    return {"multiAssetsMargin": call.account.multi_assets}


@route("POST", "/fapi/v1/multiAssetsMargin", signed=True)
def change_multi_assets(call: Call) -> Json:
    call.params.req("multiAssetsMargin")
    wanted = call.params.flag("multiAssetsMargin")
    if wanted == call.account.multi_assets:
        raise errors.MULTI_ASSETS_SAME
    if wanted and any(call.account.usdm.isolated.values()):
        raise errors.MULTI_ASSETS_ISOLATED_EXISTS
    if _has_orders(call, venues=("usdm",)):
        raise errors.MULTI_ASSETS_OPEN_ORDERS
    call.account.multi_assets = wanted
    return dict(SUCCESS)


@route("POST", "/fapi/v1/leverage", "/dapi/v1/leverage", signed=True)
def change_leverage(call: Call) -> Json:
    spec = symbol_spec(call.params, call.venue)
    raw = call.params.req("leverage")
    try:
        leverage = int(raw)
    except ValueError:
        raise errors.invalid_leverage(raw) from None
    if not 1 <= leverage <= spec.max_leverage:
        raise errors.invalid_leverage(raw)
    va = call.venue_account
    current = leverage_of(va, spec.symbol)
    open_position = _has_position(call, spec.symbol, (call.venue,))
    if va.isolated.get(spec.symbol, False) and open_position and leverage < current:
        raise errors.LEVERAGE_REDUCTION_ISOLATED
    cap = spec.max_notional_at(leverage)
    for position in va.positions.values():
        if position.symbol == spec.symbol and position.amt != 0:
            mark = call.ex.state.markets[spec.symbol].mark
            size = (
                abs(position.amt) * mark
                if spec.contract_size is None
                else abs(position.amt) * spec.contract_size / mark
            )
            if size > cap:
                raise errors.MAX_POSITION
    va.leverage[spec.symbol] = leverage
    body: Json = {"leverage": leverage}
    body["maxNotionalValue" if call.venue == "usdm" else "maxQty"] = plain(cap)
    body["symbol"] = spec.symbol
    return body


@route("POST", "/fapi/v1/marginType", "/dapi/v1/marginType", signed=True)
def change_margin_type(call: Call) -> Json:
    spec = symbol_spec(call.params, call.venue)
    margin_type = call.params.req("marginType")
    if margin_type not in ("ISOLATED", "CROSSED"):
        raise errors.invalid_value("marginType")
    wanted = margin_type == "ISOLATED"
    va = call.venue_account
    if va.isolated.get(spec.symbol, False) == wanted:
        raise errors.MARGIN_TYPE_SAME
    if wanted and call.venue == "usdm" and call.account.multi_assets:
        raise errors.ISOLATED_IN_MULTI_ASSETS
    if _has_orders(call, spec.symbol, (call.venue,)):
        raise errors.MARGIN_TYPE_OPEN_ORDERS
    if _has_position(call, spec.symbol, (call.venue,)):
        raise errors.MARGIN_TYPE_POSITION
    va.isolated[spec.symbol] = wanted
    return dict(SUCCESS)


def _brackets(spec: SymbolSpec) -> list[Json]:
    rows = []
    for b in spec.brackets:
        row: Json = {"bracket": b.bracket, "initialLeverage": b.initial_leverage}
        if spec.venue == "usdm":
            row.update({"notionalCap": _number(b.cap), "notionalFloor": _number(b.floor)})
        else:
            row.update({"qtyCap": _number(b.cap), "qtylFloor": _number(b.floor)})
        row.update({"maintMarginRatio": _number(b.mmr), "cum": _number(b.cum)})
        rows.append(row)
    return rows


@route("GET", "/fapi/v1/leverageBracket", "/dapi/v2/leverageBracket", signed=True)
def leverage_bracket(call: Call) -> list[Json]:
    specs = (
        [symbol_spec(call.params, call.venue)]
        if call.params.has("symbol")
        else (venue_symbols(call.venue))
    )
    return [{"symbol": s.symbol, "notionalCoef": 1.0, "brackets": _brackets(s)} for s in specs]


@route("GET", "/dapi/v1/leverageBracket", signed=True)
def leverage_bracket_pair(call: Call) -> list[Json]:
    pair = call.params.get("pair")
    specs = [s for s in venue_symbols("coinm") if pair is None or s.pair == pair]
    return [{"pair": s.pair, "brackets": _brackets(s)} for s in specs]


@route("GET", "/fapi/v1/commissionRate", "/dapi/v1/commissionRate", signed=True, weight=20)
def commission_rate(call: Call) -> Json:
    spec = symbol_spec(call.params, call.venue)
    body: Json = {
        "symbol": spec.symbol,
        "makerCommissionRate": plain(spec.maker_fee),
        "takerCommissionRate": plain(spec.taker_fee),
    }
    if call.venue == "usdm":
        body["rpiCommissionRate"] = "0.00005"
    return body
