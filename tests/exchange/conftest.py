"""Fixtures: the project's emulator over real HTTP, adapters pointed at it, a fake clock."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from bot.core.model import Venue
from bot.emulator.testing import running_emulator
from bot.exchange.binance import BinanceFutures, RetryPolicy

BNB_SYMBOLS = {"BNBUSDT": Venue.USDM, "BNBUSD_PERP": Venue.COINM}
START_MARK = Decimal(600)


class FakeTime:
    """Injected sleep and clock: sleeping records the wait and moves the clock, instantly."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def emulator_handle() -> Iterator[Any]:
    with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator(emulator_handle: Any) -> Iterator[Any]:
    """A fresh emulator account: BNB marks at 600, no faults pending."""
    control = emulator_handle.control
    control.reset()
    for symbol in BNB_SYMBOLS:
        control.set_mark(symbol, START_MARK)
    yield emulator_handle
    control.clear_faults()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def live_adapter(
    handle: Any,
    fake_time: FakeTime,
    *,
    symbols: dict[str, Venue] | None = None,
    request_timeout_secs: float = 5.0,
    alerts: list[str] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> BinanceFutures:
    return BinanceFutures(
        symbols=symbols or BNB_SYMBOLS,
        api_key=handle.api_key,
        api_secret=handle.api_secret,
        network="custom",
        base_url=handle.base_url,
        request_timeout_secs=request_timeout_secs,
        retry=RetryPolicy(base_delay_secs=0.05, max_delay_secs=0.5),
        sleep=sleep or fake_time.sleep,
        clock=fake_time.clock,
        rng=random.Random(42),
        alert=alerts.append if alerts is not None else None,
    )


@pytest.fixture
def live(emulator: Any, fake_time: FakeTime) -> BinanceFutures:
    return live_adapter(emulator, fake_time)
