"""The Binance streams beside the scheduler: their state and age published as metrics every
few seconds, and their sockets closed when the daemon stops."""

from __future__ import annotations

from datetime import datetime

from bot.daemon.loops import LoopResult
from bot.exchange.binance.streams import STREAMING, StreamedExchange
from bot.metrics import HedgebotMetrics

PUBLISH_EVERY_SECS = 5.0


class StreamsLoop:
    def __init__(self, exchange: StreamedExchange, metrics: HedgebotMetrics) -> None:
        self._exchange = exchange
        self._metrics = metrics

    @property
    def name(self) -> str:
        return "binance:streams"

    @property
    def interval_secs(self) -> float:
        return PUBLISH_EVERY_SECS

    def tick(self, now: datetime) -> LoopResult:
        for status in self._exchange.status():
            self._metrics.set_stream(
                stream=status.stream,
                streaming=status.state == STREAMING,
                age_secs=status.age_secs,
            )
        self._metrics.set_mark_rest_fallbacks(self._exchange.mark_fallbacks)
        return LoopResult(ok=True, next_interval_secs=PUBLISH_EVERY_SECS)

    def stop(self, *, wait: bool) -> None:
        self._exchange.stop()
