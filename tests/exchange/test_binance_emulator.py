"""The live adapter against the project's emulator over real HTTP through python-binance:
USD-M BNBUSDT margined with BNB (Multi-Assets Mode) and COIN-M BNBUSD_PERP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.core.model import OrderStatus, Side, Venue
from bot.emulator.testing import python_binance_client
from bot.exchange.base import Exchange
from bot.exchange.binance import BinanceFutures
from bot.exchange.errors import AccountSetupError
from tests.exchange.conftest import FakeTime, live_adapter
from tests.exchange.specs import BNB_SETUP, intent

pytestmark = pytest.mark.exchange
D = Decimal


def wallet(ex: BinanceFutures, venue: Venue, asset: str) -> Decimal:
    return next(
        (b.wallet_balance for b in ex.balances() if b.venue is venue and b.asset == asset), D(0)
    )


def position(ex: Exchange, symbol: str) -> Decimal:
    return next((p.quantity for p in ex.positions() if p.symbol == symbol), D(0))


def test_setup_turns_on_multi_assets_sets_leverage_and_is_idempotent(
    emulator: Any, live: BinanceFutures
) -> None:
    emulator.control.fund("BNB", 10, "usdm")

    first = live.setup(BNB_SETUP)
    second = live.setup(BNB_SETUP)

    assert first == [
        "usdm: Multi-Assets Mode off -> on",
        "BNBUSDT: leverage 20 -> 5",
        "BNBUSD_PERP: leverage 20 -> 3",
    ]
    assert second == []
    assert isinstance(live, Exchange)
    assert not live.is_paper


def test_setup_refuses_bnb_margin_when_the_usdm_wallet_has_no_bnb(live: BinanceFutures) -> None:
    with pytest.raises(AccountSetupError, match="usdm futures wallet holds no BNB"):
        live.setup(BNB_SETUP)


def test_setup_switches_hedge_mode_off_but_refuses_it_with_positions(
    emulator: Any, live: BinanceFutures
) -> None:
    emulator.control.fund("BNB", 10, "usdm")
    raw = python_binance_client(emulator)
    raw.futures_change_position_mode(dualSidePosition="true")

    switched = live.setup(BNB_SETUP)
    raw.futures_change_position_mode(dualSidePosition="true")
    raw.futures_create_order(
        symbol="BNBUSDT", side="BUY", positionSide="LONG", type="MARKET", quantity="0.1"
    )

    assert switched[0] == "usdm: position mode hedge -> one-way"
    with pytest.raises(AccountSetupError, match=r"hedge \(dual-side\) mode.*BNBUSDT"):
        live.setup(BNB_SETUP)


@pytest.mark.parametrize(
    ("symbol", "venue", "settle", "lot"),
    [("BNBUSDT", Venue.USDM, "USDT", "1"), ("BNBUSD_PERP", Venue.COINM, "BNB", "30")],
)
def test_open_increase_reduce_close_settles_pnl_and_fees(
    emulator: Any, live: BinanceFutures, symbol: str, venue: Venue, settle: str, lot: str
) -> None:
    emulator.control.fund("BNB", 10, "usdm")
    live.setup(BNB_SETUP)
    before = wallet(live, venue, settle)
    q = D(lot)

    reports = [live.place(intent(symbol, Side.SELL, lot, f"{symbol}-open"))]
    emulator.control.set_mark(symbol, 500)
    reports.append(live.place(intent(symbol, Side.SELL, lot, f"{symbol}-inc")))
    [pos] = live.positions()
    reports.append(live.place(intent(symbol, Side.BUY, lot, f"{symbol}-red", reduce_only=True)))
    reduced = position(live, symbol)
    emulator.control.set_mark(symbol, 550)
    reports.append(live.place(intent(symbol, Side.BUY, lot, f"{symbol}-close", reduce_only=True)))

    assert [r.status for r in reports] == [OrderStatus.FILLED] * 4
    assert pos.quantity == -2 * q
    assert reduced == -q
    assert live.positions() == []
    spec = live.contract_specs()[symbol]
    if spec.inverse:
        size = q * spec.contract_size
        assert pos.entry_price.quantize(D("0.001")) == D("545.455")  # harmonic mean of 600, 500
        # a short's coin PnL: contracts x size x (1/exit - 1/entry)
        realized = size * (1 / D(500) - 1 / pos.entry_price) + size * (
            1 / D(550) - 1 / pos.entry_price
        )
    else:
        assert pos.entry_price == D(550)
        realized = q * (pos.entry_price - 500) + q * (pos.entry_price - 550)
    assert not any(r.fee_known for r in reports)  # Binance lists fees in the trades only
    since_ms = reports[0].update_time_ms - 60_000
    by_order = live.order_fees(
        symbol, {r.exchange_order_id or 0 for r in reports}, since_ms=since_ms
    )
    fees = sum((f.fee for f in by_order.values()), D(0))
    assert len(by_order) == 4
    assert all(f.fee > 0 and f.fee_asset == settle for f in by_order.values())
    assert wallet(live, venue, settle) - before == pytest.approx(realized - fees, abs=D("1e-7"))


def test_funding_income_is_received_by_shorts_on_both_venues(
    emulator: Any, live: BinanceFutures
) -> None:
    emulator.control.fund("BNB", 10, "usdm")
    live.setup(BNB_SETUP)
    live.place(intent("BNBUSDT", Side.SELL, "2", "f-usdm"))
    live.place(intent("BNBUSD_PERP", Side.SELL, "60", "f-coinm"))
    for symbol in ("BNBUSDT", "BNBUSD_PERP"):
        emulator.control.set_funding_rate(symbol, "0.0001")
    usdt, bnb = wallet(live, Venue.USDM, "USDT"), wallet(live, Venue.COINM, "BNB")

    emulator.control.advance_time(8 * 3600)

    [usdm_row] = live.funding_income("BNBUSDT")
    [coinm_row] = live.funding_income("BNBUSD_PERP")
    assert usdm_row.income == D("0.12")  # 2 x 600 x 0.0001, received by the short
    assert coinm_row.income == D("0.0001")  # 60 x 10 / 600 x 0.0001 BNB
    assert wallet(live, Venue.USDM, "USDT") - usdt == usdm_row.income
    assert wallet(live, Venue.COINM, "BNB") - bnb == coinm_row.income
    assert live.funding_rate("BNBUSDT") == D("0.0001")


@pytest.mark.parametrize(
    ("symbol", "side", "quantity", "reduce_only", "code"),
    [
        ("BNBUSDT", Side.SELL, "0.001", False, -1111),  # finer than the 0.01 step
        ("BNBUSDT", Side.SELL, "0.01", False, -4164),  # below MIN_NOTIONAL at the mark set below
        ("BNBUSDT", Side.BUY, "1", True, -2022),  # reduce-only with nothing to reduce
        ("BNBUSDT", Side.SELL, "100", False, -2019),  # 60 000 USDT at 1x, 10 000 USDT wallet
        ("BNBUSD_PERP", Side.SELL, "2.5", False, -1111),  # contracts are whole
    ],
)
def test_rejections_come_back_as_reports_with_binance_codes(
    emulator: Any,
    live: BinanceFutures,
    symbol: str,
    side: Side,
    quantity: str,
    reduce_only: bool,
    code: int,
) -> None:
    if code == -4164:
        emulator.control.set_mark("BNBUSDT", 400)  # 0.01 x 400 = 4 USDT < 5
    if code == -2019:
        python_binance_client(emulator).futures_change_leverage(symbol="BNBUSDT", leverage=1)

    report = live.place(intent(symbol, side, quantity, "rej", reduce_only=reduce_only))

    assert report.status is OrderStatus.REJECTED
    assert report.error_code == code
    assert report.error_message
    assert live.positions() == []


def test_used_weight_is_tracked_from_response_headers(emulator: Any, fake_time: FakeTime) -> None:
    ex = live_adapter(emulator, fake_time)
    assert ex.used_weight_1m is None

    ex.mark_price("BNBUSDT")
    first = ex.used_weight_1m
    ex.positions()

    assert first is not None
    assert first > 0
    assert ex.used_weight_1m is not None
    assert ex.used_weight_1m > first
    assert ex.metrics()["used_weight_1m"] == ex.used_weight_1m
