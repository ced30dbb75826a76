"""Every fault the emulator can inject, survived by the live adapter with the right outcome."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.core.model import OrderStatus, Side
from bot.exchange.binance import BinanceFutures
from bot.exchange.errors import IpBanned, TransientExchangeError, UnknownOrderState
from tests.exchange.conftest import FakeTime, live_adapter
from tests.exchange.specs import intent

pytestmark = pytest.mark.exchange
D = Decimal
ORDER = "/fapi/v1/order"


def orders_for(emulator: Any, client_order_id: str) -> list[dict[str, Any]]:
    """Every order the emulator holds with this client order id (white-box)."""
    snapshot = emulator.control.snapshot()
    return [
        order
        for account in snapshot["accounts"].values()
        for venue in ("usdm", "coinm")
        for order in account[venue]["orders"].values()
        if order["client_order_id"] == client_order_id
    ]


def fired(emulator: Any) -> list[dict[str, Any]]:
    return list(emulator.control.snapshot()["faults_fired"])


def short_position(live: BinanceFutures) -> Decimal:
    return next((p.quantity for p in live.positions() if p.symbol == "BNBUSDT"), D(0))


def test_timeout_on_an_executed_new_order_makes_exactly_one_position_change(
    emulator: Any, fake_time: FakeTime
) -> None:
    live = live_adapter(emulator, fake_time, request_timeout_secs=0.5)
    live.sync_time()
    emulator.control.inject_fault(ORDER, "timeout_executed", method="POST", timeout_secs=2)

    report = live.place(intent("BNBUSDT", Side.SELL, "1", "t-1"))

    assert report.status is OrderStatus.FILLED
    assert report.client_order_id == "t-1"
    assert short_position(live) == D(-1)
    assert len(orders_for(emulator, "t-1")) == 1
    assert live.metrics()["order_resends"] == 0


def test_dropped_connection_after_execution_is_also_settled_by_lookup(
    emulator: Any, live: BinanceFutures
) -> None:
    emulator.control.inject_fault(ORDER, "timeout_executed", method="POST", timeout_secs=0.1)

    report = live.place(intent("BNBUSDT", Side.SELL, "1", "drop-1"))

    assert report.status is OrderStatus.FILLED
    assert short_position(live) == D(-1)
    assert len(orders_for(emulator, "drop-1")) == 1


def test_503_unknown_executed_is_found_not_resent(emulator: Any, live: BinanceFutures) -> None:
    emulator.control.inject_fault(ORDER, "http_503_unknown", method="POST")

    report = live.place(intent("BNBUSDT", Side.SELL, "1", "u-1"))

    assert report.status is OrderStatus.FILLED
    assert short_position(live) == D(-1)
    assert live.metrics()["order_resends"] == 0


def test_503_unknown_not_executed_is_resent_once_with_the_same_id(
    emulator: Any, live: BinanceFutures
) -> None:
    emulator.control.inject_fault(ORDER, "http_503_unknown", method="POST", executed=False)

    report = live.place(intent("BNBUSDT", Side.SELL, "1", "u-2"))

    assert report.status is OrderStatus.FILLED
    assert short_position(live) == D(-1)
    assert len(orders_for(emulator, "u-2")) == 1
    assert live.metrics()["order_resends"] == 1


@pytest.mark.parametrize("kind", ["http_500", "http_502"])
def test_5xx_on_a_new_order_is_looked_up_then_resent_once(
    emulator: Any, live: BinanceFutures, kind: str
) -> None:
    emulator.control.inject_fault(ORDER, kind, method="POST")

    report = live.place(intent("BNBUSDT", Side.SELL, "1", f"{kind}-1"))

    assert report.status is OrderStatus.FILLED
    assert short_position(live) == D(-1)
    assert len(orders_for(emulator, f"{kind}-1")) == 1


@pytest.mark.parametrize("kind", ["http_500", "http_502"])
def test_5xx_on_reads_is_retried_with_backoff(
    emulator: Any, live: BinanceFutures, fake_time: FakeTime, kind: str
) -> None:
    live.sync_time()
    emulator.control.inject_fault("/fapi/v1/premiumIndex", kind, count=2)

    mark = live.mark_price("BNBUSDT")

    assert mark == D(600)
    assert len(fake_time.sleeps) == 2
    assert fake_time.sleeps[1] > fake_time.sleeps[0] * 0.9  # grows (jitter aside)


def test_reads_give_up_after_the_bounded_attempts(emulator: Any, live: BinanceFutures) -> None:
    live.sync_time()
    emulator.control.inject_fault("/fapi/v1/premiumIndex", "http_500", count=10)

    with pytest.raises(TransientExchangeError, match="code -1000"):
        live.mark_price("BNBUSDT")


def test_outcome_still_unknown_after_bounded_attempts_raises(
    emulator: Any, live: BinanceFutures
) -> None:
    live.sync_time()
    emulator.control.inject_fault(ORDER, "http_503_unknown", method="POST", count=5, executed=False)

    with pytest.raises(UnknownOrderState) as raised:
        live.place(intent("BNBUSDT", Side.SELL, "1", "u-3"))

    assert raised.value.client_order_id == "u-3"
    assert short_position(live) == D(0)


def test_lookup_failing_too_raises_unknown_order_state(emulator: Any, fake_time: FakeTime) -> None:
    def sleep_then_break_lookups(seconds: float) -> None:
        # The adapter backs off before its settling lookup: make every lookup fail from now.
        fake_time.sleep(seconds)
        emulator.control.inject_fault(ORDER, "http_500", method="GET", count=10)

    live = live_adapter(emulator, fake_time, sleep=sleep_then_break_lookups)
    live.sync_time()
    emulator.control.inject_fault(ORDER, "http_503_unknown", method="POST")

    with pytest.raises(UnknownOrderState, match="lookup failed"):
        live.place(intent("BNBUSDT", Side.SELL, "1", "u-4"))

    assert len(orders_for(emulator, "u-4")) == 1  # it did execute: the caller reconciles


@pytest.mark.parametrize(("path", "method"), [("/fapi/v3/positionRisk", None), (ORDER, "POST")])
def test_429_waits_retry_after_then_succeeds(
    emulator: Any, live: BinanceFutures, fake_time: FakeTime, path: str, method: str | None
) -> None:
    live.sync_time()
    emulator.control.inject_fault(path, "http_429", method=method, retry_after=3)

    live.place(intent("BNBUSDT", Side.SELL, "1", "rl-1"))
    positions = live.positions()

    assert fake_time.sleeps == [3.0]
    assert [p.quantity for p in positions] == [D(-1)]
    assert len(orders_for(emulator, "rl-1")) == 1


def test_418_halts_every_request_until_the_ban_ends(emulator: Any, fake_time: FakeTime) -> None:
    alerts: list[str] = []
    live = live_adapter(emulator, fake_time, alerts=alerts)
    live.sync_time()
    emulator.control.inject_fault("/fapi/v1/premiumIndex", "http_418", retry_after=60)

    with pytest.raises(IpBanned) as banned:
        live.mark_price("BNBUSDT")
    before = len(fired(emulator))
    emulator.control.inject_fault("/fapi/v3/balance", "http_500")  # a trap: must not fire
    with pytest.raises(IpBanned):
        live.balances()
    with pytest.raises(IpBanned):
        live.place(intent("BNBUSDT", Side.SELL, "1", "ban-1"))
    assert len(fired(emulator)) == before
    assert orders_for(emulator, "ban-1") == []
    emulator.control.clear_faults()
    fake_time.now += 61

    assert banned.value.retry_after_secs == 60
    assert alerts
    assert "banned" in alerts[0]
    assert live.mark_price("BNBUSDT") == D(600)


def test_1021_resyncs_the_clock_and_succeeds(emulator: Any, live: BinanceFutures) -> None:
    live.sync_time()
    emulator.control.inject_fault("/fapi/v3/balance", "clock_skew_1021")
    emulator.control.inject_fault(ORDER, "clock_skew_1021", method="POST")

    balances = live.balances()
    report = live.place(intent("BNBUSDT", Side.SELL, "1", "skew-1"))

    assert any(b.asset == "USDT" for b in balances)
    assert report.status is OrderStatus.FILLED
    assert live.metrics()["resyncs"] == 2


def test_a_real_server_clock_skew_is_measured_at_start(emulator: Any, live: BinanceFutures) -> None:
    emulator.control.configure(server_skew_ms=-30_000)  # server 30 s behind: -1021 "ahead"
    try:
        balances = live.balances()
    finally:
        emulator.control.configure(server_skew_ms=0)

    assert balances
    assert -31_000 < live.metrics()["time_offset_ms"] < -29_000


def test_partial_fill_is_reported_and_accounted(emulator: Any, live: BinanceFutures) -> None:
    emulator.control.inject_fault(ORDER, "partial_fill", method="POST", ratio="0.5")

    report = live.place(intent("BNBUSDT", Side.SELL, "2", "pf-1"))

    assert report.quantity == D(2)
    assert report.executed_quantity == D(1)
    assert report.status in (OrderStatus.EXPIRED, OrderStatus.PARTIALLY_FILLED)
    assert short_position(live) == D(-1)
    assert live.order("BNBUSDT", "pf-1").executed_quantity == D(1)


def lookups(emulator: Any) -> int:
    """GET /fapi/v1/order requests so far (weight 1 each)."""
    return int(emulator.control.snapshot()["weight_by_endpoint"].get(f"GET {ORDER}", 0))


def test_a_first_send_skips_the_lookup_but_a_lost_answer_is_still_looked_up(
    emulator: Any, live: BinanceFutures
) -> None:
    live.place(intent("BNBUSDT", Side.SELL, "1", "first-1"), first_send=True)
    assert lookups(emulator) == 0

    emulator.control.inject_fault(ORDER, "timeout_executed", method="POST", timeout_secs=0.1)
    report = live.place(intent("BNBUSDT", Side.SELL, "1", "first-2"), first_send=True)

    assert report.status is OrderStatus.FILLED
    assert len(orders_for(emulator, "first-2")) == 1
    assert lookups(emulator) == 1  # the lost answer, settled by client order id
    assert short_position(live) == D(-2)


def test_a_repeated_send_finds_the_order_instead_of_trading_again(
    emulator: Any, live: BinanceFutures
) -> None:
    live.place(intent("BNBUSDT", Side.SELL, "1", "again-1"), first_send=True)

    again = live.place(intent("BNBUSDT", Side.SELL, "1", "again-1"))

    assert again.status is OrderStatus.FILLED
    assert len(orders_for(emulator, "again-1")) == 1
    assert short_position(live) == D(-1)
