"""Exact conversions between a snapshot's decimals and the chain's integers."""

from __future__ import annotations

from decimal import Decimal


def exact_int(value: Decimal, scale: int, what: str) -> int:
    """``value * 10**scale`` as an int, refusing (not rounding) anything that is not whole.

    Works on the digit tuple so the result never depends on the thread's decimal context.
    """
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, got {value}")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    number = int("".join(map(str, digits))) if digits else 0
    shift = exponent + scale
    if shift >= 0:
        number *= 10**shift
    else:
        number, remainder = divmod(number, 10**-shift)
        if remainder:
            raise ValueError(
                f"{what} = {value} is not a whole number of 1e-{scale} units; "
                "snapshots must carry the chain's exact integers"
            )
    return int(-number if sign else number)


def from_int(raw: int, scale: int) -> Decimal:
    """``raw * 10**-scale`` exactly, whatever the decimal context's precision."""
    return Decimal(f"{raw}e-{scale}")
