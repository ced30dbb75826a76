"""Binance Futures WebSocket streams (marks, user data) with REST as the fallback and check."""

from bot.exchange.binance.streams.account import AccountStreamState, AccountView
from bot.exchange.binance.streams.client import StreamClient
from bot.exchange.binance.streams.exchange import (
    REST_FALLBACK,
    STREAMING,
    StreamedExchange,
    StreamStatus,
)
from bot.exchange.binance.streams.marks import MarkBook
from bot.exchange.binance.streams.origins import (
    OriginWebsocketManager,
    StreamOrigins,
    stream_origins,
)

__all__ = [
    "REST_FALLBACK",
    "STREAMING",
    "AccountStreamState",
    "AccountView",
    "MarkBook",
    "OriginWebsocketManager",
    "StreamClient",
    "StreamOrigins",
    "StreamStatus",
    "StreamedExchange",
    "stream_origins",
]
