"""Searches for the exact on-chain HF = 1 crossing, on Aave's integer model.

The readable closed form lands within about 1e-4 of the answer; integer rounding (floored
values, the v3.0 average liquidation threshold floored to whole bps) moves the real crossing
and even makes HF dip slightly as a collateral price rises. These searches bound the answer
rigorously, then walk the stretches of constant rounding so the crossing returned is the first
one the price meets coming from the safe side.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

from bot.core.aave_math import (
    BPS,
    HALF_BPS,
    WAD,
    AaveMath,
    RawReserve,
    account_sums,
    average_lt_bps,
    collateral_base,
    debt_base,
    health_factor_wad,
    raw_reserves,
)
from bot.core.model import ZERO, PositionSnapshot

_FACTOR_DECIMALS = 15  # resolution of multi-token crash factors
_FACTOR_UNIT = 10**_FACTOR_DECIMALS


def exact_price_crossing(
    others: tuple[int, int, int], targets: tuple[RawReserve, ...], math: AaveMath
) -> int | None:
    """The crossing as a raw oracle price (USD x 1e8); 0 = unsafe at every positive price."""
    c0, n0, d0 = others

    def sums(price: int) -> tuple[int, int, int]:
        value = weighted = debt = 0
        for t in targets:
            v = collateral_base(t, price)
            value += v
            weighted += v * t.lt_bps
            if t.debt_raw:
                debt += debt_base(t, price, math)
        return c0 + value, n0 + weighted, d0 + debt

    def safe(price: int) -> bool:
        return health_factor_wad(*sums(price), math) >= WAD

    def segment(price: int) -> int:
        # Only v3.0 floors the average LT, which makes HF dip where that average steps down.
        if math is AaveMath.V3_0:
            total, weighted, _ = sums(price)
            return average_lt_bps(total, weighted)
        return 0

    # Linear bounds with every rounding slack on the pessimistic side: prices satisfying
    # k_unsafe*p <= r_unsafe are surely liquidatable, k_safe*p >= r_safe surely safe.
    debt_per_price = sum((Fraction(t.debt_raw, t.unit) for t in targets), Fraction(0))
    debt_slack = sum(1 for t in targets if t.debt_raw)
    coll_slack = sum(t.lt_bps - 1 for t in targets if t.collateral_raw)
    k_unsafe = (
        sum((Fraction(t.collateral_raw * t.lt_bps, t.unit) for t in targets), Fraction(0))
        - BPS * debt_per_price
    )
    r_unsafe = BPS * (d0 - debt_slack) - 5 * HALF_BPS - n0
    k_safe = (
        sum((Fraction(t.collateral_raw * (t.lt_bps - 1), t.unit) for t in targets), Fraction(0))
        - BPS * debt_per_price
    )
    r_safe = BPS * (d0 + debt_slack) + HALF_BPS + coll_slack - (n0 - c0)

    if k_unsafe > 0:  # collateral-like: liquidated when the price falls
        lower = max(_floor(Fraction(r_unsafe) / k_unsafe), 0)
        if k_safe > 0:
            upper = max(_ceil(Fraction(r_safe) / k_safe), 1)
        else:  # nearly neutral collateral-and-debt token: no rigorous bound, search one
            grown = _grow_until(safe, max(lower * 2, 1))
            if grown is None:
                return None
            upper = grown
        return _lowest_safe(lower, upper, safe, segment, lower_is_unsafe=lower > 0)
    if k_unsafe < 0:  # debt-like: liquidated when the price rises
        lowest_unsafe = _ceil(Fraction(r_unsafe) / k_unsafe)
        highest_safe = _floor(Fraction(r_safe) / k_safe)
        if highest_safe < 1:
            if not safe(1):
                return 0
            highest_safe = 1
        mirrored = _lowest_safe(
            -max(lowest_unsafe, highest_safe + 1),
            -highest_safe,
            lambda x: safe(-x),
            lambda x: segment(-x),
            lower_is_unsafe=True,
        )
        return None if mirrored is None else -mirrored
    return None


def _floor(value: Fraction) -> int:
    return value.numerator // value.denominator


def _ceil(value: Fraction) -> int:
    return -(-value.numerator // value.denominator)


def _grow_until(safe: Callable[[int], bool], start: int) -> int | None:
    price = start
    for _ in range(256):
        if safe(price):
            return price
        price *= 2
    return None


def _lowest_safe(
    lower: int,
    upper: int,
    safe: Callable[[int], bool],
    segment: Callable[[int], int],
    *,
    lower_is_unsafe: bool,
) -> int | None:
    """Smallest x in (lower, upper] with every x' in [x, upper] safe; ``upper`` is safe.

    HF rises with x inside a stretch of constant ``segment`` (the floored average LT) and can
    only dip where the segment changes, so walk the segments down from ``upper``. Returns None
    when everything down to ``lower + 1`` is safe and ``lower`` is not known to be unsafe.
    """
    current = upper
    while True:
        key = segment(current)
        below, start = lower, current
        while start - below > 1:
            middle = (below + start) // 2
            if segment(middle) == key:
                start = middle
            else:
                below = middle
        if not safe(start):
            below, top = start, current
            while top - below > 1:
                middle = (below + top) // 2
                if safe(middle):
                    top = middle
                else:
                    below = middle
            return top
        if start - 1 <= lower:
            return start if lower_is_unsafe else None
        if not safe(start - 1):
            return start
        current = start - 1


def exact_factor_crossing(
    snapshot: PositionSnapshot, moving: Collection[int], readable: Decimal, math: AaveMath
) -> Decimal | None:
    """Exact-model crash factor for several tokens moving together (bisection at 1e-15)."""
    reserves = raw_reserves(snapshot)

    def safe(factor: int) -> bool:
        scaled = (
            r if i not in moving else _with_price(r, r.price_raw * factor // _FACTOR_UNIT)
            for i, r in enumerate(reserves)
        )
        s = account_sums(scaled, math)
        return (
            health_factor_wad(s.total_collateral, s.lt_weighted_collateral, s.total_debt, math)
            >= WAD
        )

    exposure = sum(
        ((a.collateral * a.liquidation_threshold if a.collateral_enabled else ZERO) - a.debt)
        * a.price_usd
        for i, a in enumerate(snapshot.assets)
        if i in moving
    )
    guess = max(int((readable * _FACTOR_UNIT).to_integral_value(rounding=ROUND_CEILING)), 2)
    low, high = max(guess - guess // 1000, 1), guess + guess // 1000 + 1
    if exposure > 0:  # collateral-like: the smallest safe factor
        while not safe(high):
            high *= 2
            if high > guess << 64:
                return None
        while safe(low):
            if low == 1:
                return None
            low //= 2
    else:  # debt-like: the largest safe factor
        while not safe(low):
            if low == 1:
                return ZERO
            low //= 2
        while safe(high):
            high *= 2
            if high > guess << 64:
                return None
    # Invariant: exactly one of low and high is safe; close in on the boundary.
    low_safe = safe(low)
    while high - low > 1:
        middle = (low + high) // 2
        if safe(middle) == low_safe:
            low = middle
        else:
            high = middle
    return Decimal(low if low_safe else high).scaleb(-_FACTOR_DECIMALS)


def _with_price(reserve: RawReserve, price: int) -> RawReserve:
    return RawReserve(
        symbol=reserve.symbol,
        collateral_raw=reserve.collateral_raw,
        debt_raw=reserve.debt_raw,
        price_raw=price,
        unit=reserve.unit,
        lt_bps=reserve.lt_bps,
    )
