"""Searches for the exact on-chain HF = 1 crossing, whatever the protocol's integer model.

A protocol's model (``bot.core.aave_math``, ``bot.core.venus_math``) supplies two things: a
``safe(price)`` test on its own integer arithmetic and linear bounds on that arithmetic with
every rounding slack on the pessimistic side. The readable closed form lands close to the
answer, but integer rounding moves the real crossing (and in Aave v3.0 even makes HF dip as a
collateral price rises); these searches bound the answer rigorously, then walk the stretches of
constant rounding so the crossing returned is the first one the price meets coming from the
safe side.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

from bot.core.model import ZERO, PositionSnapshot

FACTOR_DECIMALS = 15  # resolution of multi-token crash factors
FACTOR_UNIT = 10**FACTOR_DECIMALS


@dataclass(frozen=True, slots=True)
class LinearBounds:
    """Raw prices ``p`` with ``k_unsafe * p <= r_unsafe`` are surely liquidatable, those with
    ``k_safe * p >= r_safe`` surely safe."""

    k_unsafe: Fraction
    r_unsafe: Fraction
    k_safe: Fraction
    r_safe: Fraction


def price_crossing(
    bounds: LinearBounds,
    safe: Callable[[int], bool],
    segment: Callable[[int], int],
    *,
    segment_monotone: bool = False,
    guess: int | None = None,
) -> int | None:
    """The crossing as a raw oracle price; 0 = unsafe at every positive price, None = no price
    causes liquidation. ``segment(p)`` is constant over stretches where HF rises with ``p``;
    ``segment_monotone``: it never comes back to a value once it left it (a constant, or the
    floored average LT when one reserve moves), which lets the walk skip the search for the
    stretch's start when the stretch reaches the lower bound. ``guess``: a raw price near the
    crossing (the unrounded formula's); the search starts there, and the answer does not
    depend on it, only the number of ``safe`` calls."""
    k_unsafe, r_unsafe, k_safe, r_safe = (
        bounds.k_unsafe,
        bounds.r_unsafe,
        bounds.k_safe,
        bounds.r_safe,
    )
    if k_unsafe > 0:  # collateral-like: liquidated when the price falls
        lower = max(_floor(r_unsafe / k_unsafe), 0)
        if k_safe > 0:
            upper = max(_ceil(r_safe / k_safe), 1)
        else:  # nearly neutral collateral-and-debt token: no rigorous bound, search one
            grown = _grow_until(safe, max(lower * 2, 1))
            if grown is None:
                return None
            upper = grown
        return _lowest_safe(
            lower,
            upper,
            safe,
            segment,
            lower_is_unsafe=lower > 0,
            segment_monotone=segment_monotone,
            guess=guess,
        )
    if k_unsafe < 0:  # debt-like: liquidated when the price rises
        lowest_unsafe = _ceil(r_unsafe / k_unsafe)
        highest_safe = _floor(r_safe / k_safe)
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
            segment_monotone=segment_monotone,
            guess=None if guess is None else -guess,
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
    segment_monotone: bool = False,
    guess: int | None = None,
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
        if segment_monotone and start - below > 1 and segment(below + 1) == key:
            # The whole stretch down to lower + 1 has this segment: where the search ends.
            start = below + 1
        while start - below > 1:
            middle = (below + start) // 2
            if segment(middle) == key:
                start = middle
            else:
                below = middle
        if not safe(start):
            return _first_safe(start, current, safe, guess)
        if start - 1 <= lower:
            return start if lower_is_unsafe else None
        if not safe(start - 1):
            return start
        current = start - 1


def _first_safe(below: int, top: int, safe: Callable[[int], bool], guess: int | None) -> int:
    """Smallest safe x in (below, top], ``below`` unsafe, ``top`` safe and ``safe`` monotone in
    between. From ``guess`` (when inside) the bracket gallops out (1, 2, 4, ... away) before
    the bisection: a guess a few units off costs a few calls instead of ~30."""
    if guess is not None and below < guess < top:
        step = 1
        if safe(guess):
            top = guess
            while top - step > below:
                if not safe(top - step):
                    below = top - step
                    break
                top -= step
                step *= 2
        else:
            below = guess
            while below + step < top:
                if safe(below + step):
                    top = below + step
                    break
                below += step
                step *= 2
    while top - below > 1:
        middle = (below + top) // 2
        if safe(middle):
            top = middle
        else:
            below = middle
    return top


def factor_crossing(
    snapshot: PositionSnapshot,
    moving: Collection[int],
    readable: Decimal,
    safe: Callable[[int], bool],
) -> Decimal | None:
    """Exact-model crash factor for several tokens moving together (bisection at 1e-15).

    ``safe(f)`` is the protocol's exact test with the prices at ``moving`` multiplied by
    ``f / FACTOR_UNIT`` (each rounded down to its oracle's step).
    """
    exposure = sum(
        ((a.collateral * a.liquidation_threshold if a.collateral_enabled else ZERO) - a.debt)
        * a.price_usd
        for i, a in enumerate(snapshot.assets)
        if i in moving
    )
    guess = max(int((readable * FACTOR_UNIT).to_integral_value(rounding=ROUND_CEILING)), 2)
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
    return Decimal(low if low_safe else high).scaleb(-FACTOR_DECIMALS)
