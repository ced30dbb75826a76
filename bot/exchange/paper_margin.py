"""How much margin a paper account has: wallet value and free margin, per venue. Pure.

USD-M margin is one USD pool: stablecoins at par, and in Multi-Assets Mode other coins at
mark x collateral ratio. COIN-M margin is the coin wallet of the contract's margin asset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from bot.core.model import ONE, STABLECOIN_ASSETS, ZERO, ContractSpec, Venue
from bot.exchange.paper_book import notional, unrealized_pnl
from bot.exchange.paper_state import PaperState

MarkSource = Callable[[str], Decimal]  # symbol -> mark price (USD per unit)

STABLECOINS = STABLECOIN_ASSETS
MULTI_ASSETS_COLLATERAL_RATIO = Decimal("0.95")  # BNB/BTC/ETH in Multi-Assets Mode
DEFAULT_LEVERAGE = 20  # Binance's default for a symbol never configured


def usd_price(asset: str, specs: Mapping[str, ContractSpec], marks: MarkSource) -> Decimal:
    """USD per unit of ``asset``; 0 for an asset no configured contract prices."""
    if asset in STABLECOINS:
        return ONE
    for symbol, spec in specs.items():
        if spec.underlying == asset:
            return marks(symbol)
    return ZERO


def wallet_margin(
    state: PaperState,
    venue: Venue,
    asset: str,
    specs: Mapping[str, ContractSpec],
    marks: MarkSource,
) -> Decimal:
    """Wallet margin: USD for the shared USD-M pool, coin units for a COIN-M wallet."""
    if venue is not Venue.USDM:
        return state.balances.get((venue, asset), ZERO)
    wallet = ZERO
    for (v, a), amount in state.balances.items():
        if v is Venue.USDM and a in STABLECOINS:
            wallet += amount
        elif v is Venue.USDM and state.multi_assets:
            wallet += amount * usd_price(a, specs, marks) * MULTI_ASSETS_COLLATERAL_RATIO
    return wallet


def free_margin(
    state: PaperState,
    venue: Venue,
    asset: str,
    specs: Mapping[str, ContractSpec],
    marks: MarkSource,
) -> Decimal:
    """Wallet margin + unrealised PnL − initial margin of the open positions it backs."""
    free = wallet_margin(state, venue, asset, specs, marks)
    for symbol, book in state.positions.items():
        spec = specs[symbol]
        if book.quantity == ZERO or spec.venue is not venue:
            continue
        if venue is Venue.COINM and spec.margin_asset != asset:
            continue
        mark = marks(symbol)
        free += unrealized_pnl(spec, book, mark)
        free -= notional(spec, book.quantity, mark) / state.leverage.get(symbol, DEFAULT_LEVERAGE)
    return free
