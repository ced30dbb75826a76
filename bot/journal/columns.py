"""Column types and conversions that keep money exact and time explicit.

- Decimals: PostgreSQL stores them in an unconstrained ``NUMERIC`` (exact, any scale, and
  ``Infinity`` since PostgreSQL 14, which an empty position's health factor needs). SQLite has no
  exact decimal type (its ``NUMERIC`` affinity turns values into 8-byte floats), so there they are
  stored as their canonical text. Floats are refused on the way in on both.
- Times: stored as integer milliseconds since the Unix epoch (``*_ms`` columns). They sort, compare
  and survive both dialects unchanged; the API takes aware datetimes or epoch milliseconds and
  returns aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)

Instant = datetime | int
"""An aware datetime, or integer milliseconds since the Unix epoch."""


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` column that never passes through a float."""

    impl = String(80)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(80))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal) or isinstance(value, bool):
            raise TypeError(
                f"journal decimal columns take Decimal values, got {type(value).__name__} "
                f"{value!r}; floats would lose money"
            )
        if dialect.name == "postgresql":
            return value
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        return Decimal(str(value))


def to_ms(value: Instant, *, field: str = "now") -> int:
    """Epoch milliseconds of ``value``; naive datetimes are refused (their zone is a guess)."""
    if isinstance(value, bool):
        raise TypeError(f"{field} must be an aware datetime or epoch milliseconds, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"{field} must be timezone-aware (UTC), got naive datetime {value.isoformat()}"
            )
        # Integer timedelta arithmetic: timestamp() would go through a float.
        return (value - EPOCH) // _ONE_MS
    raise TypeError(
        f"{field} must be an aware datetime or epoch milliseconds, got {type(value).__name__}"
    )


def from_ms(value: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds ``value``."""
    return EPOCH + timedelta(milliseconds=value)
