"""Binance wire shapes (camelCase, string numbers) and their translation into ``bot.core.model``.

Field names in comments are Binance's exactly; nothing outside ``bot.exchange.binance`` sees them.
Every ``from_json`` accepts the USD-M and the COIN-M shape of the same object.
"""

from bot.exchange.binance.schemas.account import Balance, PositionRisk, SymbolConfig
from bot.exchange.binance.schemas.common import (
    Json,
    WireFormatError,
    dec,
    parse_margin_type,
    rows,
    text,
)
from bot.exchange.binance.schemas.market import FundingRateRow, PremiumIndex, SymbolInfo
from bot.exchange.binance.schemas.orders import Income, OrderResponse, Trade

__all__ = [
    "Balance",
    "FundingRateRow",
    "Income",
    "Json",
    "OrderResponse",
    "PositionRisk",
    "PremiumIndex",
    "SymbolConfig",
    "SymbolInfo",
    "Trade",
    "WireFormatError",
    "dec",
    "parse_margin_type",
    "rows",
    "text",
]
