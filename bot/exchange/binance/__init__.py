"""The live Binance Futures adapter (python-binance 1.0.37, sync ``Client``)."""

from bot.exchange.binance.adapter import BinanceFutures
from bot.exchange.binance.network import MainnetNotAllowedError, Network, make_client
from bot.exchange.binance.retry import RetryPolicy

__all__ = ["BinanceFutures", "MainnetNotAllowedError", "Network", "RetryPolicy", "make_client"]
