"""Parsing helpers shared by the wire shapes: numbers, strings, rows, margin types, statuses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.core.model import (
    MarginType,
    OrderStatus,
)

Json = Mapping[str, Any]


class WireFormatError(ValueError):
    """A Binance response lacks a field or carries a value of the wrong shape."""


def dec(raw: Json, key: str, default: Decimal | None = None) -> Decimal:
    value = raw.get(key)
    if value is None or value == "":
        if default is not None:
            return default
        raise WireFormatError(f"Binance response has no {key!r}: {dict(raw)!r:.300}")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise WireFormatError(f"Binance field {key!r} is not a number: {value!r}") from exc


def text(raw: Json, key: str, default: str | None = None) -> str:
    value = raw.get(key)
    if value is None:
        if default is not None:
            return default
        raise WireFormatError(f"Binance response has no {key!r}: {dict(raw)!r:.300}")
    return str(value)


def rows(raw: Any) -> list[Json]:
    """COIN-M answers some single-symbol queries with a one-element array; USD-M with an object."""
    if isinstance(raw, Mapping):
        return [raw]
    if isinstance(raw, Sequence) and not isinstance(raw, str | bytes):
        return [r for r in raw if isinstance(r, Mapping)]
    raise WireFormatError(f"expected a JSON object or array, got {raw!r:.200}")


def parse_margin_type(value: str) -> MarginType:
    """symbolConfig says "CROSSED"/"ISOLATED"; positionRisk v2 and dapi say "cross"/"isolated"."""
    normalized = value.strip().upper()
    if normalized in ("CROSS", "CROSSED"):
        return MarginType.CROSS
    if normalized == "ISOLATED":
        return MarginType.ISOLATED
    raise WireFormatError(f"unknown marginType {value!r}")


STATUS = {s.value: s for s in OrderStatus} | {
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
    "PENDING_CANCEL": OrderStatus.NEW,
}
