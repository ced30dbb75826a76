"""Futures contract math, linear (USD-M) and inverse (COIN-M), driven by ``ContractSpec`` data.

Quantities are signed (negative = short): base units for linear contracts, contracts of
``contract_size`` USD for inverse ones. Formulas follow Binance's (binance-futures.md §5.1-5.2).
"""

from __future__ import annotations

from decimal import Decimal

from bot.core.model import INFINITE_HF, ONE, ZERO, ContractSpec, MarginType

__all__ = [
    "INFINITE_DISTANCE",
    "estimated_liquidation_price",
    "hedge_delta_usd",
    "hedge_pnl_usd",
    "initial_margin_usd",
    "inverse_pnl_coin",
    "liquidation_distance",
    "margin_for_liquidation_distance",
    "notional_usd",
    "quantity_for_usd",
]

INFINITE_DISTANCE = INFINITE_HF  # Decimal("Infinity"): a position that cannot be liquidated


def _positive(name: str, value: Decimal) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def notional_usd(spec: ContractSpec, quantity: Decimal, mark: Decimal) -> Decimal:
    """Unsigned USD size: |q| x mark (linear) or |N| x face value (inverse)."""
    if spec.inverse:
        return abs(quantity) * spec.contract_size
    return abs(quantity) * mark


def hedge_delta_usd(
    spec: ContractSpec, quantity: Decimal, mark: Decimal, entry: Decimal | None = None
) -> Decimal:
    """USD delta of the position: ``q * mark`` (linear) or ``N * F * mark / entry`` (inverse,
    whose USD value grows with the price it was opened at). Negative for shorts."""
    if not spec.inverse:
        return quantity * mark
    if entry is None:
        raise ValueError(f"{spec.symbol}: an inverse position needs its entry price")
    _positive(f"{spec.symbol} entry price", entry)
    return quantity * spec.contract_size * mark / entry


def hedge_pnl_usd(spec: ContractSpec, quantity: Decimal, mark: Decimal, entry: Decimal) -> Decimal:
    """Unrealised PnL in USD: ``q * (mark - entry)`` (linear) or ``q * F * (mark/entry - 1)``
    (inverse; a short of N contracts earns ``N * F * (1 - mark/entry)``)."""
    if not spec.inverse:
        return quantity * (mark - entry)
    _positive(f"{spec.symbol} entry price", entry)
    return quantity * spec.contract_size * (mark / entry - ONE)


def inverse_pnl_coin(
    spec: ContractSpec, quantity: Decimal, mark: Decimal, entry: Decimal
) -> Decimal:
    """Unrealised PnL of an inverse position in coin: ``q * F * (1/entry - 1/mark)``; for a short
    of N contracts that is ``N * F * (1/mark - 1/entry)``."""
    if not spec.inverse:
        raise ValueError(f"{spec.symbol} is linear: its PnL is paid in {spec.margin_asset}")
    _positive(f"{spec.symbol} entry price", entry)
    _positive(f"{spec.symbol} mark price", mark)
    return quantity * spec.contract_size * (ONE / entry - ONE / mark)


def quantity_for_usd(spec: ContractSpec, usd: Decimal, mark: Decimal) -> Decimal:
    """Unrounded quantity worth ``usd`` at ``mark``; keeps the sign of ``usd``."""
    if spec.inverse:
        return usd / spec.contract_size
    _positive(f"{spec.symbol} mark price", mark)
    return usd / mark


def initial_margin_usd(notional: Decimal, leverage: int) -> Decimal:
    if leverage < 1:
        raise ValueError(f"leverage must be >= 1, got {leverage}")
    return abs(notional) / leverage


def estimated_liquidation_price(
    spec: ContractSpec,
    quantity: Decimal,
    entry: Decimal,
    leverage: int,
    margin_type: MarginType,
    wallet_margin: Decimal | None = None,
    maint_margin_rate: Decimal | None = None,
    *,
    maint_amount: Decimal = ZERO,
    other_maint_margin: Decimal = ZERO,
    other_unrealized_pnl: Decimal = ZERO,
) -> Decimal | None:
    """Binance's one-way liquidation price for one position; None when it cannot be liquidated.

    ``wallet_margin`` is what backs the position: the isolated wallet, or the cross wallet
    balance (USD for linear, coin for inverse). By default an isolated position funded with
    exactly its initial margin at ``leverage``. ``other_*`` (cross only) are the maintenance
    margin and uPnL of the account's other positions, in the same unit.
    """
    if quantity == 0:
        return None
    _positive(f"{spec.symbol} entry price", entry)
    mmr = spec.maint_margin_rate if maint_margin_rate is None else maint_margin_rate
    side = ONE if quantity > 0 else -ONE
    size = abs(quantity)
    if margin_type is MarginType.ISOLATED:
        other_maint_margin = other_unrealized_pnl = ZERO
    if spec.inverse:
        usd = size * spec.contract_size
        wallet = usd / (entry * leverage) if wallet_margin is None else wallet_margin
        wallet += other_unrealized_pnl - other_maint_margin
        denominator = wallet + maint_amount + side * usd / entry
        price = None if denominator == 0 else (usd * mmr + side * usd) / denominator
    else:
        wallet = size * entry / leverage if wallet_margin is None else wallet_margin
        numerator = (
            wallet - other_maint_margin + other_unrealized_pnl + maint_amount - side * size * entry
        )
        denominator = size * mmr - side * size
        price = numerator / denominator
    return price if price is not None and price > 0 else None


def liquidation_distance(quantity: Decimal, mark: Decimal, liquidation: Decimal | None) -> Decimal:
    """Fraction the mark must move against the position to hit ``liquidation``: up for a short,
    down for a long. ``Infinity`` when there is no liquidation price; negative when past it."""
    _positive("mark price", mark)
    if liquidation is None or quantity == 0:
        return INFINITE_DISTANCE
    move = liquidation - mark if quantity < 0 else mark - liquidation
    return move / mark


def margin_for_liquidation_distance(
    spec: ContractSpec,
    quantity: Decimal,
    mark: Decimal,
    distance: Decimal,
    maint_margin_rate: Decimal | None = None,
) -> Decimal:
    """USD of margin a position opened at ``mark`` needs so its liquidation price is
    ``distance`` away (solving the liquidation formula for the wallet balance; 0 if none)."""
    if quantity == 0:
        return ZERO
    _positive(f"{spec.symbol} mark price", mark)
    mmr = spec.maint_margin_rate if maint_margin_rate is None else maint_margin_rate
    side = ONE if quantity > 0 else -ONE
    target = mark * (ONE - side * distance)
    if target <= 0:
        # A long cannot be 100 % away: it needs its whole notional in margin.
        return notional_usd(spec, quantity, mark)
    usd = notional_usd(spec, quantity, mark)
    if spec.inverse:
        # LP = usd(mmr + side) / (W + side usd/mark), solved for W (coin), valued at mark.
        wallet_coin = usd * (mmr + side) / target - side * usd / mark
        needed = wallet_coin * mark
    else:
        size = abs(quantity)
        # LP = (W - side size mark) / (size mmr - side size), solved for W.
        needed = target * (size * mmr - side * size) + side * size * mark
    return max(needed, ZERO)
