"""Binance's symbol filters for a MARKET order, as a pure check.

The paper exchange rejects what Binance would reject, with Binance's codes and messages, in
Binance's order of checks (quantity sign, precision, LOT_SIZE bounds, step, MIN_NOTIONAL).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import ZERO, ContractSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterViolation:
    code: int
    message: str


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def check_market_order(
    spec: ContractSpec, *, quantity: Decimal, mark_price: Decimal, reduce_only: bool
) -> FilterViolation | None:
    """The first filter a MARKET order of ``quantity`` breaks, or None.

    MIN_NOTIONAL uses the mark price for MARKET orders and exempts reduce-only ones;
    COIN-M (``min_notional`` 0) has no such filter.
    """
    if quantity <= ZERO:
        return FilterViolation(code=-4003, message="Quantity less than or equal to zero.")
    if _decimals(quantity) > _decimals(spec.step_size):
        return FilterViolation(
            code=-1111, message="Precision is over the maximum defined for this asset."
        )
    if quantity < spec.min_qty:
        return FilterViolation(code=-4004, message="Quantity less than min quantity.")
    if quantity > spec.max_qty:
        return FilterViolation(code=-4005, message="Quantity greater than max quantity.")
    if (quantity - spec.min_qty) % spec.step_size != ZERO:
        return FilterViolation(code=-4023, message="Qty not increased by step size.")
    if spec.min_notional > ZERO and not reduce_only and quantity * mark_price < spec.min_notional:
        return FilterViolation(
            code=-4164,
            message=(
                f"Order's notional must be no smaller than {_plain(spec.min_notional)} "
                "(unless you choose reduce only)"
            ),
        )
    return None
