"""Typed access to Binance request parameters with Binance's validation errors."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from bot.emulator import errors
from bot.emulator.decimals import parse_decimal

_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


class Params:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)

    def has(self, name: str) -> bool:
        return self.values.get(name, "") != ""

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        return default if value is None or value == "" else value

    def req(self, name: str) -> str:
        value = self.values.get(name)
        if value is None or value == "":
            raise errors.mandatory(name)
        return value

    def decimal(self, name: str) -> Decimal | None:
        if not self.has(name):
            return None
        value = parse_decimal(self.values[name])
        if value is None:
            raise errors.mandatory(name)
        return value

    def req_decimal(self, name: str) -> Decimal:
        value = self.decimal(name)
        if value is None:
            raise errors.mandatory(name)
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        if not self.has(name):
            return default
        try:
            return int(self.values[name])
        except ValueError:
            raise errors.mandatory(name) from None

    def flag(self, name: str, default: bool = False) -> bool:
        if not self.has(name):
            return default
        value = self.values[name]
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise errors.invalid_value(name)

    def limit(self, default: int, maximum: int) -> int:
        value = self.integer("limit", default)
        assert value is not None
        if value <= 0 or value > maximum:
            raise errors.invalid_value("limit")
        return value
