"""Exact (Decimal) simulated Aave v3.3+ lending position for backtests.

One stablecoin debt (USD price 1) against one or more volatile collaterals. Rules applied on
every liquidation, as in LiquidationLogic v3.3+ (see shared/reference/defi-protocols.md):
- only while HF < 1; the liquidator picks the largest collateral reserve by value;
- close factor: the debt repaid is capped at 50 % of the total debt only while HF > 0.95 and
  the collateral reserve and the debt are each worth at least $2,000; otherwise 100 %;
- collateral seized = debt covered * debt price / collateral price * (1 + bonus), capped at the
  balance (then the debt covered shrinks to match); seized collateral is rounded down and the
  debt covered up to the tokens' decimals, in the protocol's favour (v3.5 rounding);
- dust: unless the debt is fully repaid or the collateral fully seized, both leftovers must be
  worth at least $1,000, otherwise the call reverts; the liquidator then covers the largest
  amount that does not revert;
- a liquidation that leaves no collateral burns the remaining debt (bad debt, v3.3 deficit).
HF here is the readable formula sum(c * p * LT) / debt, in Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from bot.core.model import INFINITE_HF, ZERO

CLOSE_FACTOR_HF = Decimal("0.95")
MIN_FULL_CLOSE_USD = Decimal(2000)
MIN_LEFTOVER_USD = Decimal(1000)
HALF = Decimal("0.5")
HOURS_PER_YEAR = Decimal(8760)


@dataclass(slots=True, kw_only=True)
class Collateral:
    symbol: str  # underlying, "BTC"
    units: Decimal
    liquidation_threshold: Decimal
    liquidation_bonus: Decimal  # 0.05 = 5 %
    decimals: int = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class LiquidationEvent:
    hour: int
    symbol: str
    price: Decimal
    health_factor: Decimal
    debt_covered: Decimal
    collateral_seized: Decimal  # units
    bonus_usd: Decimal  # value seized minus debt covered: the user's loss
    bad_debt: Decimal


@dataclass(slots=True, kw_only=True)
class LendingPosition:
    collateral: list[Collateral]
    debt: Decimal  # USD stablecoin units
    borrow_apr: Decimal = ZERO
    debt_decimals: int = 6
    events: list[LiquidationEvent] = field(default_factory=list)

    def weighted_collateral(self, prices: dict[str, Decimal]) -> Decimal:
        return sum(
            (c.units * prices[c.symbol] * c.liquidation_threshold for c in self.collateral), ZERO
        )

    def health_factor(self, prices: dict[str, Decimal]) -> Decimal:
        if self.debt <= 0:
            return INFINITE_HF
        return self.weighted_collateral(prices) / self.debt

    def collateral_value(self, prices: dict[str, Decimal]) -> Decimal:
        return sum((c.units * prices[c.symbol] for c in self.collateral), ZERO)

    def accrue_hours(self, hours: int) -> None:
        """Hourly compounding of the variable borrow rate (Aave compounds per second; the
        difference over a 90-day window is under 0.01 % of the interest)."""
        if self.borrow_apr and self.debt > 0:
            self.debt *= (1 + self.borrow_apr / HOURS_PER_YEAR) ** hours

    def repay_needed(self, prices: dict[str, Decimal], target_hf: Decimal) -> Decimal:
        return max(self.debt - self.weighted_collateral(prices) / target_hf, ZERO)

    def repay(self, amount: Decimal) -> Decimal:
        paid = min(amount, self.debt)
        self.debt -= paid
        return paid

    def liquidate_through(
        self, symbol: str, start: Decimal, low: Decimal, hour: int, max_rounds: int = 20
    ) -> int:
        """Walk ``symbol``'s price from ``start`` down to ``low`` (other prices fixed at
        their last value) with liquidators watching continuously: each call happens just
        under the price where HF crosses 1 (or at ``start`` if it opened below), so a
        partial (50 %) close lifts HF and the next call waits for the next crossing.
        Single-collateral positions only; returns the number of calls."""
        if len(self.collateral) != 1 or self.collateral[0].symbol != symbol:
            raise ValueError("liquidate_through needs a position with one collateral, " + symbol)
        coll, done = self.collateral[0], 0
        while done < max_rounds and self.debt > 0 and coll.units > 0:
            crossing = self.debt / (coll.units * coll.liquidation_threshold)
            if low >= crossing:
                break
            px = min(start, crossing * (1 - Decimal("1e-9")))
            if not self._liquidate_once({symbol: max(px, low)}, hour):
                break
            done += 1
        return done

    def trigger_crossings(
        self, symbol: str, start: Decimal, low: Decimal, trigger_hf: Decimal
    ) -> list[Decimal]:
        """Not a mutation: the first price on the walk ``start`` -> ``low`` where HF falls under
        ``trigger_hf`` (empty if it never does). One collateral only."""
        coll = self.collateral[0]
        if self.debt <= 0 or coll.units <= 0:
            return []
        crossing = self.debt * trigger_hf / (coll.units * coll.liquidation_threshold)
        return [min(start, crossing)] if low < crossing else []

    def liquidate(self, prices: dict[str, Decimal], hour: int, max_rounds: int = 10) -> int:
        """Liquidators act while HF < 1 at ``prices``; returns the number of calls made."""
        done = 0
        while done < max_rounds and self.debt > 0 and self.health_factor(prices) < 1:
            if not self._liquidate_once(prices, hour):
                break
            done += 1
        return done

    def _liquidate_once(self, prices: dict[str, Decimal], hour: int) -> bool:
        hf = self.health_factor(prices)
        coll = max(self.collateral, key=lambda c: c.units * prices[c.symbol])
        price = prices[coll.symbol]
        cval = coll.units * price
        if cval <= 0:
            return False
        factor = 1 + coll.liquidation_bonus
        capped = (
            hf > CLOSE_FACTOR_HF and cval >= MIN_FULL_CLOSE_USD and self.debt >= MIN_FULL_CLOSE_USD
        )
        cover = self.debt * HALF if capped else self.debt
        cover, seize = self._amounts(coll, price, factor, cover)
        full = cover >= self.debt or seize >= coll.units
        if not full and (
            (self.debt - cover) < MIN_LEFTOVER_USD
            or (coll.units - seize) * price < MIN_LEFTOVER_USD
        ):
            # Largest call that leaves both legs at or above $1,000 (otherwise it reverts).
            limit = min(cover, (cval - MIN_LEFTOVER_USD) / factor, self.debt - MIN_LEFTOVER_USD)
            if limit <= 0:
                return False
            cover, seize = self._amounts(coll, price, factor, limit)
        coll.units -= seize
        self.debt -= cover
        bad = ZERO
        if self.debt > 0 and all(c.units <= 0 for c in self.collateral):
            bad, self.debt = self.debt, ZERO
        self.events.append(
            LiquidationEvent(
                hour=hour,
                symbol=coll.symbol,
                price=price,
                health_factor=hf,
                debt_covered=cover,
                collateral_seized=seize,
                bonus_usd=seize * price - cover,
                bad_debt=bad,
            )
        )
        return True

    def _amounts(
        self, coll: Collateral, price: Decimal, factor: Decimal, cover: Decimal
    ) -> tuple[Decimal, Decimal]:
        cq = Decimal(1).scaleb(-coll.decimals)
        dq = Decimal(1).scaleb(-self.debt_decimals)
        seize = (cover * factor / price).quantize(cq, rounding=ROUND_FLOOR)
        if seize >= coll.units:
            seize = coll.units
            cover = (seize * price / factor).quantize(dq, rounding=ROUND_CEILING)
        else:
            cover = cover.quantize(dq, rounding=ROUND_CEILING)
        return min(cover, self.debt), seize
