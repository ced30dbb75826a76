"""Decimal parsing and Binance-style fixed-precision formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
ONE = Decimal(1)


def fmt(value: Decimal, places: int) -> str:
    """Format with exactly ``places`` decimals (Binance pads, e.g. ``"0.00000000"``)."""
    quantum = Decimal(1).scaleb(-places)
    text = format(value.quantize(quantum, rounding=ROUND_HALF_UP), "f")
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def fmt8(value: Decimal) -> str:
    return fmt(value, 8)


def plain(value: Decimal) -> str:
    """Shortest exact string (no exponent): ``Decimal("1E+2") -> "100"``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def parse_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def decimals_of(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def is_multiple(value: Decimal, base: Decimal, step: Decimal) -> bool:
    if step == 0:
        return True
    return (value - base) % step == 0
