"""Pure position math of the paper exchange, linear and inverse alike (``ContractSpec`` says which).

Linear (USD-M): PnL = q·(exit − entry) in the margin asset; notional = |q|·price.
Inverse (COIN-M): PnL = q·size·(1/entry − 1/exit) in coin; notional = |q|·size/price in coin.
Increases average the entry (arithmetic linear, harmonic inverse); reductions keep it and
realise PnL on the closed part; a flip restarts the entry at the fill price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import ZERO, ContractSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class BookPosition:
    quantity: Decimal = ZERO  # signed: + long, − short; base units or contracts
    entry_price: Decimal = ZERO


@dataclass(frozen=True, slots=True, kw_only=True)
class FillResult:
    position: BookPosition
    realized_pnl: Decimal  # in the margin asset; before fees
    fee: Decimal  # in the margin asset; positive = paid


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


def notional(spec: ContractSpec, quantity: Decimal, price: Decimal) -> Decimal:
    """Unsigned notional in the margin asset's terms: USD (linear) or coin (inverse)."""
    if spec.inverse:
        return abs(quantity) * spec.contract_size / price
    return abs(quantity) * price


def unrealized_pnl(spec: ContractSpec, position: BookPosition, mark: Decimal) -> Decimal:
    q, entry = position.quantity, position.entry_price
    if ZERO in (q, entry):
        return ZERO
    if spec.inverse:
        return q * spec.contract_size * (1 / entry - 1 / mark)
    return q * (mark - entry)


def apply_fill(
    spec: ContractSpec, position: BookPosition, delta: Decimal, price: Decimal, fee_rate: Decimal
) -> FillResult:
    """The position after a signed fill ``delta`` at ``price``, its realised PnL and fee."""
    q, entry = position.quantity, position.entry_price
    fee = notional(spec, delta, price) * fee_rate
    if q == ZERO or _sign(q) == _sign(delta):
        new_q = q + delta
        if spec.inverse:
            weight = (abs(q) / entry if q != ZERO else ZERO) + abs(delta) / price
            new_entry = abs(new_q) / weight
        else:
            new_entry = (abs(q) * entry + abs(delta) * price) / abs(new_q)
        return FillResult(
            position=BookPosition(quantity=new_q, entry_price=new_entry),
            realized_pnl=ZERO,
            fee=fee,
        )
    closed = min(abs(delta), abs(q))
    realized = unrealized_pnl(
        spec, BookPosition(quantity=closed * _sign(q), entry_price=entry), price
    )
    new_q = q + delta
    if new_q == ZERO:
        after = BookPosition()
    elif _sign(new_q) == _sign(q):
        after = BookPosition(quantity=new_q, entry_price=entry)
    else:
        after = BookPosition(quantity=new_q, entry_price=price)
    return FillResult(position=after, realized_pnl=realized, fee=fee)


def funding_payment(
    spec: ContractSpec, position: BookPosition, mark: Decimal, rate: Decimal
) -> Decimal:
    """What the wallet gains at a funding time (negative = paid). Rate > 0: longs pay shorts."""
    if position.quantity == ZERO:
        return ZERO
    if spec.inverse:
        return -position.quantity * spec.contract_size / mark * rate
    return -position.quantity * mark * rate


def liquidation_price(
    spec: ContractSpec, position: BookPosition, wallet_balance: Decimal
) -> Decimal | None:
    """One-way cross liquidation price with the first bracket (cum 0) and no other positions.

    ``wallet_balance`` is the margin backing the position: USD (linear) or coin (inverse).
    """
    q, entry, mmr = position.quantity, position.entry_price, spec.maint_margin_rate
    if q == ZERO:
        return None
    side, size = _sign(q), abs(q)
    if spec.inverse:
        size_usd = size * spec.contract_size
        denominator = wallet_balance + side * size_usd / entry
        price = (size_usd * mmr + side * size_usd) / denominator if denominator else ZERO
    else:
        denominator = size * mmr - side * size
        price = (wallet_balance - side * size * entry) / denominator if denominator else ZERO
    return price if price > ZERO else None
