"""ONE behaviour suite for every ``Exchange``: the live adapter against the emulator (real HTTP
through python-binance) and the paper exchange. The engine must not be able to tell them apart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from bot.core.model import MarginType, OrderStatus, Side, Venue
from bot.exchange.base import Exchange
from bot.exchange.paper import PaperExchange
from tests.exchange.conftest import FakeTime, live_adapter
from tests.exchange.specs import BNB_SETUP, SPECS, intent

D = Decimal
LOTS = {"BNBUSDT": D(1), "BNBUSD_PERP": D(30)}
SETTLE = {"BNBUSDT": (Venue.USDM, "USDT"), "BNBUSD_PERP": (Venue.COINM, "BNB")}


@dataclass
class Harness:
    exchange: Exchange
    set_mark: Callable[[str, Decimal], None]

    def wallet(self, venue: Venue, asset: str) -> Decimal:
        balances = self.exchange.balances()
        return next(
            (b.wallet_balance for b in balances if (b.venue, b.asset) == (venue, asset)), D(0)
        )

    def position(self, symbol: str) -> Decimal:
        return next((p.quantity for p in self.exchange.positions() if p.symbol == symbol), D(0))


@pytest.fixture(params=[pytest.param("emulator", marks=pytest.mark.exchange), "paper"])
def harness(request: pytest.FixtureRequest, fake_time: FakeTime) -> Harness:
    if request.param == "emulator":
        emulator: Any = request.getfixturevalue("emulator")
        emulator.control.fund("BNB", 10, "usdm")
        return Harness(
            exchange=live_adapter(emulator, fake_time),
            set_mark=emulator.control.set_mark,
        )
    marks = {"BNBUSDT": D(600), "BNBUSD_PERP": D(600)}
    paper = PaperExchange(
        specs=SPECS,
        marks=marks.__getitem__,
        initial_balances={
            (Venue.USDM, "USDT"): D(10000),
            (Venue.USDM, "BNB"): D(10),
            (Venue.COINM, "BNB"): D(10),
        },
        taker_fee=D("0.0005"),
    )
    return Harness(exchange=paper, set_mark=marks.__setitem__)


def test_setup_reports_each_change_once(harness: Harness) -> None:
    first = harness.exchange.setup(BNB_SETUP)
    second = harness.exchange.setup(BNB_SETUP)

    assert [line.removeprefix("paper: ") for line in first] == [
        "usdm: Multi-Assets Mode off -> on",
        "BNBUSDT: leverage 20 -> 5",
        "BNBUSD_PERP: leverage 20 -> 3",
    ]
    assert second == []
    assert {p.symbol for p in harness.exchange.positions()} == set()


def test_specs_describe_linear_and_inverse_contracts(harness: Harness) -> None:
    specs = harness.exchange.contract_specs()

    assert specs["BNBUSDT"].inverse is False
    assert specs["BNBUSD_PERP"].inverse is True
    assert specs["BNBUSD_PERP"].contract_size == D(10)
    assert specs["BNBUSD_PERP"].margin_asset == "BNB"
    assert harness.exchange.mark_price("BNBUSDT") == D(600)


@pytest.mark.parametrize("symbol", ["BNBUSDT", "BNBUSD_PERP"])
def test_open_increase_reduce_close(harness: Harness, symbol: str) -> None:
    ex, lot = harness.exchange, LOTS[symbol]
    ex.setup(BNB_SETUP)
    before = harness.wallet(*SETTLE[symbol])

    opened = ex.place(intent(symbol, Side.SELL, str(lot), "c-open"))
    harness.set_mark(symbol, D(500))
    ex.place(intent(symbol, Side.SELL, str(lot), "c-inc"))
    [increased] = ex.positions()
    ex.place(intent(symbol, Side.BUY, str(lot), "c-red", reduce_only=True))
    reduced = harness.position(symbol)
    closed = ex.place(intent(symbol, Side.BUY, str(lot), "c-close", reduce_only=True))

    assert opened.status is OrderStatus.FILLED
    assert opened.executed_quantity == lot
    assert opened.average_price == D(600)
    assert increased.quantity == -2 * lot
    assert increased.leverage == BNB_SETUP.symbols[0 if symbol == "BNBUSDT" else 1].leverage
    assert increased.margin_type is MarginType.CROSS
    assert increased.unrealized_pnl > 0  # a short, and the price fell
    assert reduced == -lot
    assert closed.status is OrderStatus.FILLED
    assert ex.positions() == []
    assert harness.wallet(*SETTLE[symbol]) > before  # profit beat the fees


@pytest.mark.parametrize("symbol", ["BNBUSDT", "BNBUSD_PERP"])
def test_each_fill_pays_the_taker_fee_readable_by_order_id(harness: Harness, symbol: str) -> None:
    ex, lot = harness.exchange, LOTS[symbol]
    ex.setup(BNB_SETUP)
    spec = SPECS[symbol]
    opened = ex.place(intent(symbol, Side.SELL, str(lot), "f-open"))
    harness.set_mark(symbol, D(500))
    closed = ex.place(intent(symbol, Side.BUY, str(lot), "f-close", reduce_only=True))
    reports = (opened, closed)
    ids = [r.exchange_order_id for r in reports]
    assert None not in ids

    fees = ex.order_fees(
        symbol, {i for i in ids if i is not None}, since_ms=opened.update_time_ms - 60_000
    )

    for report, price in zip(reports, (D(600), D(500)), strict=True):
        assert report.exchange_order_id is not None
        fee = fees[report.exchange_order_id]
        size = lot * spec.contract_size / price if spec.inverse else lot * price
        assert fee.fee == pytest.approx(size * D("0.0005"), rel=D("1e-9"))
        assert fee.fee_asset == SETTLE[symbol][1]
        if report.fee_known:  # the paper exchange knows at once; Binance only in its trades
            assert (report.fee, report.fee_asset) == (fee.fee, fee.fee_asset)
    assert ex.order_fees(symbol, {-5}, since_ms=opened.update_time_ms - 60_000) == {}


def test_balances_include_bnb_on_both_venues(harness: Harness) -> None:
    harness.exchange.setup(BNB_SETUP)

    balances = {(b.venue, b.asset): b for b in harness.exchange.balances()}

    assert balances[(Venue.USDM, "BNB")].wallet_balance == D(10)
    assert balances[(Venue.USDM, "BNB")].usd_value == D(10) * 600 * D("0.95")  # Multi-Assets
    assert balances[(Venue.COINM, "BNB")].wallet_balance == D(10)
    assert balances[(Venue.USDM, "USDT")].wallet_balance == D(10000)


def test_one_order_per_client_order_id_and_lookups(harness: Harness) -> None:
    ex = harness.exchange

    first = ex.place(intent("BNBUSDT", Side.SELL, "1", "same"))
    again = ex.place(intent("BNBUSDT", Side.SELL, "1", "same"))
    found = ex.order("BNBUSDT", "same")
    cancelled = ex.cancel("BNBUSDT", "same")

    assert first.status is OrderStatus.FILLED
    assert harness.position("BNBUSDT") == D(-1)  # the repeat did not trade
    assert again.client_order_id == "same"
    assert found.status is OrderStatus.FILLED
    assert found.executed_quantity == D(1)
    assert cancelled.status is OrderStatus.FILLED  # a filled MARKET order cannot be cancelled
    assert ex.order("BNBUSDT", "nope").status is OrderStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("quantity", "reduce_only", "mark", "code"),
    [("0.001", False, 600, -1111), ("1", True, 600, -2022), ("0.01", False, 400, -4164)],
)
def test_rejections_carry_the_same_binance_codes(
    harness: Harness, quantity: str, reduce_only: bool, mark: int, code: int
) -> None:
    harness.set_mark("BNBUSDT", D(mark))

    report = harness.exchange.place(
        intent(
            "BNBUSDT",
            Side.SELL if not reduce_only else Side.BUY,
            quantity,
            "rj",
            reduce_only=reduce_only,
        )
    )

    assert report.status is OrderStatus.REJECTED
    assert report.error_code == code
    assert harness.exchange.positions() == []
