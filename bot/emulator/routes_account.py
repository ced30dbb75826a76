"""Account, balance and position endpoints (USD-M v2/v3 and COIN-M v1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.emulator import errors, withdrawable
from bot.emulator.accounting import (
    MarginTotals,
    PositionView,
    VenueView,
    leverage_of,
    venue_view,
)
from bot.emulator.decimals import ZERO, fmt8, plain
from bot.emulator.markets import COINM_ASSETS, SPECS, USDM_ASSETS, SymbolSpec, venue_symbols
from bot.emulator.routing import Call, route
from bot.emulator.views import empty_position_view, position_common, qty_str, signed_notional

Json = dict[str, Any]
ALIAS = "SgsR"


def _sides(call: Call) -> tuple[str, ...]:
    return ("LONG", "SHORT") if call.account.dual_side else ("BOTH",)


def _all_views(call: Call, view: VenueView, specs: list[SymbolSpec]) -> list[PositionView]:
    """One row per symbol and side, flat ones included (v2 account / positionRisk)."""
    live = {(v.spec.symbol, v.position.position_side): v for v in view.positions}
    rows = []
    venue_account = call.venue_account
    for spec in specs:
        for side in _sides(call):
            found = live.get((spec.symbol, side))
            rows.append(
                found
                or empty_position_view(
                    spec,
                    side,
                    call.ex.state.markets[spec.symbol].mark,
                    leverage_of(venue_account, spec.symbol),
                    venue_account.isolated.get(spec.symbol, False),
                )
            )
    return rows


def _usdm_asset_rows(call: Call, view: VenueView, *, v2: bool) -> list[Json]:
    rows = []
    pool = view.pools["USD"]
    markets = call.ex.state.markets
    wallets = call.venue_account.wallets
    multi = call.account.multi_assets
    caps = withdrawable.usdm_asset_caps(call.account, view, markets)
    for asset in USDM_ASSETS:
        wallet = wallets.get(asset, ZERO)
        is_usdt = asset == "USDT"
        if is_usdt or multi:
            available = pool.available / withdrawable.usd_price(asset, markets)
        else:
            available = wallet
        withdraw = caps[asset]
        upnl = pool.upnl if is_usdt else ZERO
        cross_upnl = pool.cross_upnl if is_usdt else ZERO
        row: Json = {
            "asset": asset,
            "walletBalance": fmt8(wallet),
            "unrealizedProfit": fmt8(upnl),
            "marginBalance": fmt8(wallet + upnl),
            "maintMargin": fmt8(pool.maint if is_usdt else ZERO),
            "initialMargin": fmt8(pool.position_im + pool.order_im if is_usdt else ZERO),
            "positionInitialMargin": fmt8(pool.position_im if is_usdt else ZERO),
            "openOrderInitialMargin": fmt8(pool.order_im if is_usdt else ZERO),
            "crossWalletBalance": fmt8(
                wallet - (pool.wallet - pool.cross_wallet if is_usdt else ZERO)
            ),
            "crossUnPnl": fmt8(cross_upnl),
            "availableBalance": fmt8(available),
            "maxWithdrawAmount": fmt8(withdraw),
        }
        if v2:
            row["marginAvailable"] = True
        row["updateTime"] = call.venue_account.update_time
        rows.append(row)
    return rows


def _usdm_totals(call: Call, view: VenueView) -> Json:
    pool = view.pools["USD"]
    return {
        "totalInitialMargin": fmt8(pool.position_im + pool.order_im),
        "totalMaintMargin": fmt8(pool.maint),
        "totalWalletBalance": fmt8(pool.wallet),
        "totalUnrealizedProfit": fmt8(pool.upnl),
        "totalMarginBalance": fmt8(pool.margin_balance),
        "totalPositionInitialMargin": fmt8(pool.position_im),
        "totalOpenOrderInitialMargin": fmt8(pool.order_im),
        "totalCrossWalletBalance": fmt8(pool.cross_wallet),
        "totalCrossUnPnl": fmt8(pool.cross_upnl),
        "availableBalance": fmt8(pool.available),
        "maxWithdrawAmount": fmt8(withdrawable.usdm_pool_cap(call.account, view)),
    }


def _order_im(view: VenueView, symbol: str) -> Decimal:
    return view.order_im.get(symbol, ZERO)


@route("GET", "/fapi/v2/account", signed=True, weight=5)
def account_v2(call: Call) -> Json:
    view = venue_view(call.account, "usdm", call.ex.state.markets)
    body: Json = {
        "feeTier": 0,
        "feeBurn": False,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "multiAssetsMargin": call.account.multi_assets,
        "tradeGroupId": -1,
    }
    body.update(_usdm_totals(call, view))
    body["assets"] = _usdm_asset_rows(call, view, v2=True)
    body["positions"] = [
        {
            "symbol": v.spec.symbol,
            "initialMargin": fmt8(v.initial_margin),
            "maintMargin": fmt8(v.maint_margin),
            "unrealizedProfit": fmt8(v.upnl),
            "positionInitialMargin": fmt8(v.initial_margin),
            "openOrderInitialMargin": fmt8(_order_im(view, v.spec.symbol)),
            "leverage": str(v.leverage),
            "isolated": v.isolated,
            "entryPrice": fmt8(v.position.entry),
            "breakEvenPrice": fmt8(v.break_even),
            "maxNotional": plain(v.spec.max_notional_at(v.leverage)),
            "bidNotional": "0",
            "askNotional": "0",
            "positionSide": v.position.position_side,
            "positionAmt": qty_str(v.spec, v.position.amt),
            "updateTime": v.position.update_time,
        }
        for v in _all_views(call, view, venue_symbols("usdm"))
    ]
    return body


@route("GET", "/fapi/v3/account", signed=True, weight=5)
def account_v3(call: Call) -> Json:
    view = venue_view(call.account, "usdm", call.ex.state.markets)
    body = _usdm_totals(call, view)
    body["assets"] = _usdm_asset_rows(call, view, v2=False)
    body["positions"] = [
        {
            "symbol": v.spec.symbol,
            "positionSide": v.position.position_side,
            "positionAmt": qty_str(v.spec, v.position.amt),
            "unrealizedProfit": fmt8(v.upnl),
            "isolatedMargin": fmt8(v.position.isolated_wallet + v.upnl if v.isolated else ZERO),
            "notional": fmt8(signed_notional(v)),
            "isolatedWallet": fmt8(v.position.isolated_wallet),
            "initialMargin": fmt8(v.initial_margin),
            "maintMargin": fmt8(v.maint_margin),
            "updateTime": v.position.update_time,
        }
        for v in view.positions
    ]
    return body


@route("GET", "/fapi/v2/balance", "/fapi/v3/balance", signed=True, weight=5)
def balance_usdm(call: Call) -> list[Json]:
    view = venue_view(call.account, "usdm", call.ex.state.markets)
    rows = _usdm_asset_rows(call, view, v2=True)
    return [
        {
            "accountAlias": ALIAS,
            "asset": r["asset"],
            "balance": r["walletBalance"],
            "crossWalletBalance": r["crossWalletBalance"],
            "crossUnPnl": r["crossUnPnl"],
            "availableBalance": r["availableBalance"],
            "maxWithdrawAmount": r["maxWithdrawAmount"],
            "marginAvailable": True,
            "updateTime": r["updateTime"],
        }
        for r in rows
    ]


def _position_row(call: Call, view: VenueView, v: PositionView, *, v2: bool) -> Json:
    row = position_common(v)
    isolated_margin = v.position.isolated_wallet + v.upnl if v.isolated else ZERO
    if v2:
        row.update(
            {
                "marginType": "isolated" if v.isolated else "cross",
                "isAutoAddMargin": "false",
                "leverage": str(v.leverage),
                "maxNotionalValue": plain(v.spec.max_notional_at(v.leverage)),
            }
        )
    row.update(
        {
            "isolatedMargin": fmt8(isolated_margin),
            "notional": fmt8(signed_notional(v)),
            "isolatedWallet": fmt8(v.position.isolated_wallet),
        }
    )
    if not v2:
        order_im = _order_im(view, v.spec.symbol)
        row.update(
            {
                "marginAsset": v.spec.margin_asset,
                "initialMargin": fmt8(v.initial_margin + order_im),
                "maintMargin": fmt8(v.maint_margin),
                "positionInitialMargin": fmt8(v.initial_margin),
                "openOrderInitialMargin": fmt8(order_im),
                "adl": 0 if v.position.amt == 0 else 2,
                "bidNotional": "0",
                "askNotional": "0",
            }
        )
    row["updateTime"] = v.position.update_time
    return row


def _symbol_filter(call: Call) -> list[SymbolSpec]:
    symbol = call.params.get("symbol")
    specs = venue_symbols(call.venue)
    if symbol is None:
        return specs
    chosen = [s for s in specs if s.symbol == symbol]
    if not chosen:
        raise errors.INVALID_SYMBOL
    return chosen


@route("GET", "/fapi/v3/positionRisk", signed=True, weight=5)
def position_risk_v3(call: Call) -> list[Json]:
    view = venue_view(call.account, "usdm", call.ex.state.markets)
    wanted = {s.symbol for s in _symbol_filter(call)}
    with_orders = {s for s in view.order_im if s in wanted}
    rows = [
        v
        for v in _all_views(call, view, [SPECS[s] for s in sorted(wanted)])
        if v.position.amt != 0 or v.spec.symbol in with_orders
    ]
    return [_position_row(call, view, v, v2=False) for v in rows]


@route("GET", "/fapi/v2/positionRisk", signed=True, weight=5)
def position_risk_v2(call: Call) -> list[Json]:
    view = venue_view(call.account, "usdm", call.ex.state.markets)
    return [
        _position_row(call, view, v, v2=True) for v in _all_views(call, view, _symbol_filter(call))
    ]


def _coinm_specs(call: Call) -> list[SymbolSpec]:
    specs = _symbol_filter(call) if call.params.has("symbol") else venue_symbols("coinm")
    pair, asset = call.params.get("pair"), call.params.get("marginAsset")
    return [
        s
        for s in specs
        if (pair is None or s.pair == pair) and (asset is None or s.margin_asset == asset)
    ]


@route("GET", "/dapi/v1/positionRisk", signed=True, weight=1)
def position_risk_coinm(call: Call) -> list[Json]:
    view = venue_view(call.account, "coinm", call.ex.state.markets)
    rows = []
    for v in _all_views(call, view, _coinm_specs(call)):
        row = position_common(v)
        row.update(
            {
                "leverage": str(v.leverage),
                "maxQty": plain(v.spec.max_notional_at(v.leverage)),
                "marginType": "isolated" if v.isolated else "cross",
                "isolatedMargin": fmt8(v.position.isolated_wallet + v.upnl if v.isolated else ZERO),
                "isAutoAddMargin": "false",
                "notionalValue": fmt8(signed_notional(v)),
                "isolatedWallet": fmt8(v.position.isolated_wallet),
                "updateTime": v.position.update_time,
            }
        )
        rows.append(row)
    return rows


def _coin_pool(view: VenueView, asset: str) -> MarginTotals:
    return view.pools.get(asset) or MarginTotals(
        wallet=ZERO,
        cross_wallet=ZERO,
        upnl=ZERO,
        cross_upnl=ZERO,
        position_im=ZERO,
        order_im=ZERO,
        maint=ZERO,
        cross_maint=ZERO,
        available=ZERO,
    )


@route("GET", "/dapi/v1/account", signed=True, weight=5)
def account_coinm(call: Call) -> Json:
    view = venue_view(call.account, "coinm", call.ex.state.markets)
    assets = []
    for asset in COINM_ASSETS:
        p = _coin_pool(view, asset)
        cap = withdrawable.coinm_asset_cap(call.account, view, asset, p)
        assets.append(
            {
                "asset": asset,
                "walletBalance": fmt8(p.wallet),
                "unrealizedProfit": fmt8(p.upnl),
                "marginBalance": fmt8(p.margin_balance),
                "maintMargin": fmt8(p.maint),
                "initialMargin": fmt8(p.position_im + p.order_im),
                "positionInitialMargin": fmt8(p.position_im),
                "openOrderInitialMargin": fmt8(p.order_im),
                "maxWithdrawAmount": fmt8(cap),
                "crossWalletBalance": fmt8(p.cross_wallet),
                "crossUnPnl": fmt8(p.cross_upnl),
                "availableBalance": fmt8(p.available),
                "updateTime": call.venue_account.update_time,
            }
        )
    positions = [
        {
            "symbol": v.spec.symbol,
            "positionAmt": qty_str(v.spec, v.position.amt),
            "initialMargin": fmt8(v.initial_margin),
            "maintMargin": fmt8(v.maint_margin),
            "unrealizedProfit": fmt8(v.upnl),
            "positionInitialMargin": fmt8(v.initial_margin),
            "openOrderInitialMargin": fmt8(_order_im(view, v.spec.symbol)),
            "leverage": str(v.leverage),
            "isolated": v.isolated,
            "positionSide": v.position.position_side,
            "entryPrice": fmt8(v.position.entry),
            "breakEvenPrice": fmt8(v.break_even),
            "maxQty": plain(v.spec.max_notional_at(v.leverage)),
            "updateTime": v.position.update_time,
            "notionalValue": fmt8(signed_notional(v)),
        }
        for v in _all_views(call, view, venue_symbols("coinm"))
    ]
    return {
        "assets": assets,
        "positions": positions,
        "canDeposit": True,
        "canTrade": True,
        "canWithdraw": True,
        "feeTier": 0,
        "updateTime": 0,
    }


@route("GET", "/dapi/v1/balance", signed=True, weight=1)
def balance_coinm(call: Call) -> list[Json]:
    view = venue_view(call.account, "coinm", call.ex.state.markets)
    rows = []
    for asset in COINM_ASSETS:
        p = _coin_pool(view, asset)
        cap = withdrawable.coinm_asset_cap(call.account, view, asset, p)
        rows.append(
            {
                "accountAlias": ALIAS,
                "asset": asset,
                "balance": fmt8(p.wallet),
                "withdrawAvailable": fmt8(cap),
                "crossWalletBalance": fmt8(p.cross_wallet),
                "crossUnPnl": fmt8(p.cross_upnl),
                "availableBalance": fmt8(p.available),
                "updateTime": call.venue_account.update_time,
            }
        )
    return rows
