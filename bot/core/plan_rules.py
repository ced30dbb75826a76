"""The planner's limits, and rounding onto an exchange's quantity grid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from bot.core.model import MarginType

__all__ = ["PlanRules", "round_to_step"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRules:
    band_rel: Decimal = Decimal("0.05")
    band_abs_usd: Decimal = Decimal("25")
    max_notional_usd_per_symbol: Mapping[str, Decimal] = field(default_factory=dict)
    default_max_notional_usd: Decimal | None = None  # for symbols not in the mapping above
    max_total_notional_usd: Decimal | None = None
    leverage: int = 3
    max_leverage: int = 5
    margin_type: MarginType = MarginType.CROSS
    allow_long: bool = False
    margin_safety_factor: Decimal = Decimal("1.25")
    min_short_liq_distance: Decimal = Decimal("0.30")
    # What the operator deposits to add margin (hedge.margin_asset): BNB in Multi-Assets mode
    # margins a USDT contract, so a note saying "top up USDT" sends the wrong coin.
    # None: each contract's own margin asset.
    deposit_asset: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.leverage <= self.max_leverage:
            raise ValueError(
                f"plan rules: leverage {self.leverage} must be in 1..max_leverage "
                f"{self.max_leverage}"
            )
        if self.band_rel < 0 or self.band_abs_usd < 0:
            raise ValueError("plan rules: band_rel and band_abs_usd must be >= 0")
        if self.margin_safety_factor < 1:
            raise ValueError("plan rules: margin_safety_factor must be >= 1")
        if not 0 <= self.min_short_liq_distance < 1:
            raise ValueError("plan rules: min_short_liq_distance must be in [0, 1)")

    def symbol_cap(self, symbol: str) -> Decimal | None:
        return self.max_notional_usd_per_symbol.get(symbol, self.default_max_notional_usd)


def round_to_step(quantity: Decimal, step: Decimal, *, up: bool = False) -> Decimal:
    """A non-negative quantity on the step grid, down (default) or up."""
    if step <= 0:
        raise ValueError(f"step size must be > 0, got {step}")
    steps = (quantity / step).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return (steps * step).quantize(step) if step.as_tuple().exponent != 0 else steps * step
