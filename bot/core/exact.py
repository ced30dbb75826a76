"""Exact conversions between a snapshot's decimals and the chain's integers."""

from __future__ import annotations

from decimal import Decimal


def exact_int(value: Decimal, scale: int, what: str) -> int:
    """``value * 10**scale`` as an int, refusing (not rounding) anything that is not whole.

    Works on the exact integer ratio (no string round trip: this runs for every amount of
    every reserve on every cycle), so the result never depends on the thread's decimal context.
    """
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, got {value}")
    numerator, denominator = value.as_integer_ratio()
    if scale >= 0:
        numerator *= 10**scale
    else:
        denominator *= 10**-scale
    number, remainder = divmod(numerator, denominator)
    if remainder:
        raise ValueError(
            f"{what} = {value} is not a whole number of 1e-{scale} units; "
            "snapshots must carry the chain's exact integers"
        )
    return number


def from_int(raw: int, scale: int) -> Decimal:
    """``raw * 10**-scale`` exactly, whatever the decimal context's precision."""
    return Decimal(f"{raw}e-{scale}")
