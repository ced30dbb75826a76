"""How much can leave a futures wallet (reference §1.8): Binance's transfer-out cap.

Binance lets out "the available margin ... but no more than the wallet balance": profit not yet
realised stays, losses and margin in use reduce the amount. Per margin pool (USD for USD-M, each
coin for COIN-M), from the blog's terms:

    cap = max(0, min(crossWallet − crossMM − isolatedOpenOrderIM,
                     crossWallet + crossUPnL − crossIM − openOrderIM))

The second term is the pool's ``available``. The same figure is reported as
``maxWithdrawAmount`` (``/fapi/v2|v3/account``, ``/fapi/v3/balance``, ``/dapi/v1/account``,
``withdrawAvailable``) and enforced by ``POST /sapi/v1/asset/transfer``, so what a client reads is
exactly what it may move.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from bot.emulator.accounting import MarginTotals, VenueView
from bot.emulator.decimals import ZERO
from bot.emulator.markets import SPECS, STABLE_ASSETS, USDM_ASSETS
from bot.emulator.state import Account, MarketState


def pool_cap(pool: MarginTotals, isolated_order_im: Decimal) -> Decimal:
    return max(ZERO, min(pool.cross_wallet - pool.cross_maint - isolated_order_im, pool.available))


def isolated_order_im(account: Account, view: VenueView, pool: str) -> Decimal:
    """Open-order margin of isolated symbols in ``pool`` ("USD" or a coin)."""
    total = ZERO
    for symbol, im in view.order_im.items():
        spec = SPECS[symbol]
        venue_account = account.venue(spec.venue)
        in_pool = (spec.venue == "usdm" and pool == "USD") or spec.margin_asset == pool
        if in_pool and venue_account.isolated.get(symbol, False):
            total += im
    return total


def usd_price(asset: str, markets: Mapping[str, MarketState]) -> Decimal:
    return Decimal(1) if asset in STABLE_ASSETS else markets[f"{asset}USDT"].index


def usdm_pool_cap(account: Account, view: VenueView) -> Decimal:
    """The account-level figure: USDT in single-asset mode, USD in Multi-Assets Mode."""
    return pool_cap(view.pools["USD"], isolated_order_im(account, view, "USD"))


def usdm_asset_caps(
    account: Account, view: VenueView, markets: Mapping[str, MarketState]
) -> dict[str, Decimal]:
    """Per-asset cap in the asset's units. Outside Multi-Assets Mode only USDT is margin, so
    the other assets may leave whole."""
    cap = usdm_pool_cap(account, view)
    wallets = account.usdm.wallets
    caps: dict[str, Decimal] = {}
    for asset in USDM_ASSETS:
        wallet = wallets.get(asset, ZERO)
        if asset == "USDT" or account.multi_assets:
            caps[asset] = max(ZERO, min(cap / usd_price(asset, markets), wallet))
        else:
            caps[asset] = max(ZERO, wallet)
    return caps


def coinm_asset_cap(account: Account, view: VenueView, asset: str, pool: MarginTotals) -> Decimal:
    return pool_cap(pool, isolated_order_im(account, view, asset))
