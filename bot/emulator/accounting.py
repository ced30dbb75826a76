"""Account valuation: per-position metrics and per-venue totals from state + marks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from bot.emulator import margin
from bot.emulator.decimals import ZERO
from bot.emulator.markets import COLLATERAL_BUFFERS, SPECS, STABLE_ASSETS, SymbolSpec, Venue
from bot.emulator.state import Account, MarketState, Order, Position, VenueAccount

DEFAULT_LEVERAGE = 20
_OPEN = ("NEW", "PARTIALLY_FILLED")


@dataclass(frozen=True, kw_only=True)
class PositionView:
    spec: SymbolSpec
    position: Position
    mark: Decimal
    leverage: int
    isolated: bool
    notional: Decimal  # unsigned; USD (USD-M) or coin (COIN-M)
    upnl: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    liquidation_price: Decimal
    break_even: Decimal


@dataclass(frozen=True, kw_only=True)
class MarginTotals:
    """Totals for one margin pool: USD for USD-M, one coin for COIN-M."""

    wallet: Decimal
    cross_wallet: Decimal
    upnl: Decimal
    cross_upnl: Decimal
    position_im: Decimal
    order_im: Decimal
    maint: Decimal
    cross_maint: Decimal
    available: Decimal

    @property
    def margin_balance(self) -> Decimal:
        return self.wallet + self.upnl

    @property
    def cross_margin_balance(self) -> Decimal:
        return self.cross_wallet + self.cross_upnl


@dataclass(frozen=True, kw_only=True)
class VenueView:
    positions: list[PositionView]
    pools: dict[str, MarginTotals]  # "USD" for USD-M; coin for COIN-M
    order_im: dict[str, Decimal]  # by symbol


def leverage_of(venue_account: VenueAccount, symbol: str) -> int:
    return venue_account.leverage.get(symbol, DEFAULT_LEVERAGE)


def collateral_value(asset: str, amount: Decimal, markets: Mapping[str, MarketState]) -> Decimal:
    """USD value in Multi-Assets Mode: stables 1:1; others at index·(1∓buffer)."""
    if asset in STABLE_ASSETS or amount == 0:
        return amount
    index = markets[f"{asset}USDT"].index
    buffer = COLLATERAL_BUFFERS.get(asset, Decimal("0.1"))
    rate = 1 - buffer if amount > 0 else 1 + buffer
    return amount * index * rate


def order_margin(spec: SymbolSpec, order: Order, leverage: int) -> Decimal:
    if order.reduce_only or order.close_position or order.status not in ("NEW", "PARTIALLY_FILLED"):
        return ZERO
    remaining = order.orig_qty - order.executed_qty
    return margin.notional(spec, qty=remaining, price=order.price) / leverage


def _position_view(
    spec: SymbolSpec, position: Position, venue_account: VenueAccount, mark: Decimal
) -> PositionView:
    size = margin.notional(spec, qty=position.amt, price=mark)
    leverage = leverage_of(venue_account, spec.symbol)
    pnl = margin.upnl(spec, amt=position.amt, entry=position.entry, mark=mark)
    view = PositionView(
        spec=spec,
        position=position,
        mark=mark,
        leverage=leverage,
        isolated=venue_account.isolated.get(spec.symbol, False),
        notional=size,
        upnl=pnl,
        initial_margin=margin.initial_margin(size, leverage),
        maint_margin=margin.maintenance(spec, size),
        liquidation_price=ZERO,
        break_even=margin.break_even(spec, amt=position.amt, entry=position.entry),
    )
    return view


def venue_view(account: Account, venue: Venue, markets: Mapping[str, MarketState]) -> VenueView:
    venue_account = account.venue(venue)
    views: list[PositionView] = []
    for position in venue_account.positions.values():
        if position.amt == 0:
            continue
        spec = SPECS[position.symbol]
        view = _position_view(spec, position, venue_account, markets[spec.symbol].mark)
        views.append(view)
    order_im: dict[str, Decimal] = {}
    for order in venue_account.orders.values():
        if order.status not in _OPEN:
            continue
        spec = SPECS[order.symbol]
        im = order_margin(spec, order, leverage_of(venue_account, order.symbol))
        if im:
            order_im[order.symbol] = order_im.get(order.symbol, ZERO) + im
    pools = _pools(account, venue, views, order_im, markets)
    views = [_with_liquidation(v, views, pools, account, venue) for v in views]
    return VenueView(positions=views, pools=pools, order_im=order_im)


def pool_of(spec: SymbolSpec) -> str:
    """The cross pool a contract margins from: USD-M shares one, COIN-M one per coin."""
    return "USD" if spec.venue == "usdm" else spec.margin_asset


def _pools(
    account: Account,
    venue: Venue,
    views: list[PositionView],
    order_im: dict[str, Decimal],
    markets: Mapping[str, MarketState],
) -> dict[str, MarginTotals]:
    venue_account = account.venue(venue)
    wallets: dict[str, Decimal] = {}
    if venue == "usdm":
        if account.multi_assets:
            wallets["USD"] = sum(
                (collateral_value(a, v, markets) for a, v in venue_account.wallets.items()), ZERO
            )
        else:
            wallets["USD"] = venue_account.wallets.get("USDT", ZERO)
    else:
        for asset, amount in venue_account.wallets.items():
            wallets[asset] = amount
        for view in views:
            wallets.setdefault(view.spec.margin_asset, ZERO)
    pools: dict[str, MarginTotals] = {}
    for pool, wallet in wallets.items():
        mine = [v for v in views if pool_of(v.spec) == pool]
        cross = [v for v in mine if not v.isolated]
        isolated_wallets = sum((v.position.isolated_wallet for v in mine if v.isolated), ZERO)
        o_im = sum((im for s, im in order_im.items() if pool_of(SPECS[s]) == pool), ZERO)
        cross_wallet = wallet - isolated_wallets
        cross_upnl = sum((v.upnl for v in cross), ZERO)
        position_im = sum((v.initial_margin for v in mine), ZERO)
        cross_im = sum((v.initial_margin for v in cross), ZERO)
        pools[pool] = MarginTotals(
            wallet=wallet,
            cross_wallet=cross_wallet,
            upnl=sum((v.upnl for v in mine), ZERO),
            cross_upnl=cross_upnl,
            position_im=position_im,
            order_im=o_im,
            maint=sum((v.maint_margin for v in mine), ZERO),
            cross_maint=sum((v.maint_margin for v in cross), ZERO),
            available=cross_wallet + cross_upnl - cross_im - o_im,
        )
    return pools


def _with_liquidation(
    view: PositionView,
    views: list[PositionView],
    pools: dict[str, MarginTotals],
    account: Account,
    venue: Venue,
) -> PositionView:
    position = view.position
    spec = view.spec
    if view.isolated:
        wb, other_mm, other_upnl = position.isolated_wallet, ZERO, ZERO
    else:
        pool = pools[pool_of(spec)]
        others = [
            v
            for v in views
            if v is not view and not v.isolated and pool_of(v.spec) == pool_of(spec)
        ]
        wb = pool.cross_wallet
        other_mm = sum((v.maint_margin for v in others), ZERO)
        other_upnl = sum((v.upnl for v in others), ZERO)
    if venue == "usdm":
        price = margin.linear_liquidation_price(
            spec,
            wb=wb,
            other_mm=other_mm,
            other_upnl=other_upnl,
            amt=position.amt,
            entry=position.entry,
        )
    else:
        price = margin.inverse_liquidation_price(
            spec, wb=wb - other_mm + other_upnl, amt=position.amt, entry=position.entry
        )
    return replace(view, liquidation_price=max(ZERO, price))
