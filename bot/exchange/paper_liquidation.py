"""Liquidation of the paper book as the venue does it: a cross-margin pool whose maintenance
margin reaches its margin balance (wallet + unrealised PnL) loses every position it backs,
closed at the mark with the clearance fee charged (Binance's liquidation fee; the emulator
does the same in ``bot.emulator.risk``). Pure: state, specs and marks in, the closes out.

USD-M is one USD pool (stablecoins at par, other coins at mark x collateral ratio in
Multi-Assets Mode); each COIN-M margin coin is its own pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import ZERO, ContractSpec, Venue
from bot.exchange.paper_book import apply_fill, notional, unrealized_pnl
from bot.exchange.paper_margin import MarkSource, wallet_margin
from bot.exchange.paper_state import PaperState

# Binance's clearance fee on the majors' first bracket (BTCUSDT 1.25 %, others up to 1.5 %).
DEFAULT_LIQUIDATION_FEE = Decimal("0.0125")


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperLiquidation:
    """One position the venue would have closed."""

    symbol: str
    asset: str  # the margin asset the PnL and fee are in
    quantity: Decimal  # the position closed (signed, as it was held)
    mark: Decimal  # closed at
    realized_pnl: Decimal  # in the margin asset
    fee: Decimal  # clearance fee, in the margin asset
    margin_balance: Decimal  # the pool's, when it was liquidated
    maintenance: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class _Pool:
    symbols: tuple[str, ...]
    balance: Decimal
    maintenance: Decimal


def _pools(state: PaperState, specs: Mapping[str, ContractSpec], marks: MarkSource) -> list[_Pool]:
    held: dict[tuple[Venue, str], list[str]] = {}
    for symbol, book in sorted(state.positions.items()):
        if book.quantity == ZERO:
            continue
        spec = specs[symbol]
        key = (spec.venue, "USD" if spec.venue is Venue.USDM else spec.margin_asset)
        held.setdefault(key, []).append(symbol)
    pools = []
    for (venue, asset), symbols in sorted(held.items()):
        balance = wallet_margin(state, venue, asset, specs, marks)
        maintenance = ZERO
        for symbol in symbols:
            spec, book, mark = specs[symbol], state.positions[symbol], marks(symbol)
            balance += unrealized_pnl(spec, book, mark)
            maintenance += notional(spec, book.quantity, mark) * spec.maint_margin_rate
        pools.append(_Pool(symbols=tuple(symbols), balance=balance, maintenance=maintenance))
    return pools


def liquidate_underwater(
    state: PaperState,
    specs: Mapping[str, ContractSpec],
    marks: MarkSource,
    *,
    fee_rate: Decimal = DEFAULT_LIQUIDATION_FEE,
) -> list[PaperLiquidation]:
    """Close every position of each pool at or past its maintenance margin; ``state`` is
    changed in place (the caller saves it and records the closes)."""
    closed: list[PaperLiquidation] = []
    for pool in _pools(state, specs, marks):
        if pool.maintenance <= ZERO or pool.maintenance < pool.balance:
            continue
        for symbol in pool.symbols:
            spec, book, mark = specs[symbol], state.positions[symbol], marks(symbol)
            fill = apply_fill(spec, book, -book.quantity, mark, fee_rate)
            state.book_fill(symbol, spec.venue, spec.margin_asset, fill)
            closed.append(
                PaperLiquidation(
                    symbol=symbol,
                    asset=spec.margin_asset,
                    quantity=book.quantity,
                    mark=mark,
                    realized_pnl=fill.realized_pnl,
                    fee=fill.fee,
                    margin_balance=pool.balance,
                    maintenance=pool.maintenance,
                )
            )
    return closed
