"""The account cache answers from memory between its own orders, and never after one."""

from __future__ import annotations

from decimal import Decimal

from bot.core.model import HedgePosition, Side, Venue
from bot.exchange.base import Exchange
from bot.exchange.cached import AccountCache
from bot.exchange.paper import PaperExchange

from .specs import SPECS, intent


class CountingPaper(PaperExchange):
    reads = 0

    def positions(self) -> list[HedgePosition]:
        CountingPaper.reads += 1
        return super().positions()


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def _stack() -> tuple[AccountCache, CountingPaper, Clock]:
    CountingPaper.reads = 0
    inner = CountingPaper(
        specs=SPECS,
        marks=lambda symbol: Decimal(600),
        initial_balances={(Venue.USDM, "USDT"): Decimal(1000)},
    )
    clock = Clock()
    return AccountCache(inner, refresh_secs=15, clock=clock), inner, clock


def test_reads_are_reused_until_the_refresh_interval() -> None:
    cache, _, clock = _stack()
    assert isinstance(cache, Exchange)
    cache.positions()
    clock.now = 14.9
    cache.positions()
    assert CountingPaper.reads == 1
    clock.now = 15.0
    cache.positions()
    assert CountingPaper.reads == 2


def test_an_own_order_is_seen_at_once() -> None:
    cache, _, _ = _stack()
    assert cache.positions() == []
    cache.place(intent("BNBUSDT", Side.SELL, "1", "c-1"))
    (position,) = cache.positions()
    assert position.quantity == Decimal(-1)
    assert CountingPaper.reads == 2


def test_a_reconciled_fill_invalidates_the_cache() -> None:
    cache, inner, _ = _stack()
    cache.positions()
    inner.place(intent("BNBUSDT", Side.SELL, "1", "c-2"))  # placed before a crash
    assert cache.order("BNBUSDT", "c-2").executed_quantity == Decimal(1)
    (position,) = cache.positions()
    assert position.quantity == Decimal(-1)
