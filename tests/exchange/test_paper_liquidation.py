"""Dry-run liquidation tells the truth: a paper position is closed where the venue would
close it (maintenance margin >= margin balance), at the mark, with the clearance fee, exactly
at the liquidation price the paper book itself reports."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts.model import Alert
from bot.core.model import OrderStatus, Side, Venue
from bot.daemon.wiring import report_paper_liquidation
from bot.exchange.paper import PaperExchange
from bot.exchange.paper_liquidation import DEFAULT_LIQUIDATION_FEE, PaperLiquidation
from tests.exchange.specs import SPECS, intent

D = Decimal


class Marks:
    def __init__(self, **prices: Decimal) -> None:
        self.prices = dict(prices)

    def __call__(self, symbol: str) -> Decimal:
        return self.prices[symbol]


ZERO = D(0)
CENT = D("0.01")


def book(
    marks: Marks, *, usdt: Decimal = ZERO, bnb: Decimal = ZERO
) -> tuple[PaperExchange, list[PaperLiquidation]]:
    closed: list[PaperLiquidation] = []
    paper = PaperExchange(
        specs=SPECS,
        marks=marks,
        initial_balances={(Venue.USDM, "USDT"): usdt, (Venue.COINM, "BNB"): bnb},
        taker_fee=D(0),
        slippage=D(0),
        on_liquidation=closed.append,
        clock=lambda: 1_700_000_000.0,
    )
    return paper, closed


def test_a_short_is_closed_when_the_rally_eats_its_margin() -> None:
    marks = Marks(BNBUSDT=D(600), BNBUSD_PERP=D(600))
    paper, closed = book(marks, usdt=D(200))
    paper.place(intent("BNBUSDT", Side.SELL, "2", "short"))
    (held,) = paper.positions()
    assert held.liquidation_price is not None
    marks.prices["BNBUSDT"] = (held.liquidation_price - CENT).quantize(CENT)
    assert paper.positions(), "still above its maintenance margin"
    assert closed == []
    marks.prices["BNBUSDT"] = (held.liquidation_price + CENT).quantize(CENT)
    assert paper.positions() == []
    (close,) = closed
    loss = D(2) * (close.mark - D(600))
    assert close.realized_pnl == -loss
    assert close.fee == D(2) * close.mark * DEFAULT_LIQUIDATION_FEE
    wallet = paper.state.balances[(Venue.USDM, "USDT")]
    assert wallet == D(200) - loss - close.fee
    autoclose = [r for cid, r in paper.state.orders.items() if cid.startswith("autoclose-")]
    assert [(r.side, r.executed_quantity, r.status) for r in autoclose] == [
        (Side.BUY, D(2), OrderStatus.FILLED)
    ]
    assert paper.positions() == []
    assert len(closed) == 1, "closed once"


def test_an_inverse_short_on_its_coin_wallet() -> None:
    marks = Marks(BNBUSDT=D(600), BNBUSD_PERP=D(600))
    paper, closed = book(marks, bnb=D("0.2"))
    paper.place(intent("BNBUSD_PERP", Side.SELL, "20", "coin-short"))  # $200
    (held,) = paper.positions()
    assert held.liquidation_price is not None
    marks.prices["BNBUSD_PERP"] = held.liquidation_price * D("0.999")
    assert paper.positions()
    marks.prices["BNBUSD_PERP"] = held.liquidation_price * D("1.001")
    assert paper.positions() == []
    (close,) = closed
    assert close.asset == "BNB"
    assert close.quantity == D(-20)


@settings(max_examples=200, deadline=None)
@given(
    wallet=st.integers(min_value=20, max_value=5_000),
    quantity=st.integers(min_value=1, max_value=50),
    move_bp=st.integers(min_value=-3_000, max_value=30_000),
)
def test_liquidated_exactly_past_the_price_the_book_reports(
    wallet: int, quantity: int, move_bp: int
) -> None:
    marks = Marks(BNBUSDT=D(600), BNBUSD_PERP=D(600))
    paper, closed = book(marks, usdt=D(wallet))
    report = paper.place(intent("BNBUSDT", Side.SELL, str(D(quantity) / 10), "short"))
    if report.status is not OrderStatus.FILLED:
        return  # more than the wallet can margin
    (held,) = paper.positions()
    assert held.liquidation_price is not None
    mark = D(600) * (1 + D(move_bp) / 10_000)
    marks.prices["BNBUSDT"] = mark
    after = paper.positions()
    assert (after == []) == (mark >= held.liquidation_price)
    assert len(closed) == (1 if mark >= held.liquidation_price else 0)


def test_the_operator_is_told() -> None:
    sent: list[Alert] = []

    class Recording:
        name = "recording"

        def submit(self, alert: Alert) -> bool:
            sent.append(alert)
            return True

    close = PaperLiquidation(
        symbol="BNBUSDT", asset="USDT", quantity=D(-2), mark=D(690), realized_pnl=D(-180),
        fee=D("17.25"), margin_balance=D(20), maintenance=D(20),
    )  # fmt: skip
    report_paper_liquidation("paper-usdm", Recording(), close)  # type: ignore[arg-type]
    (alert,) = sent
    assert alert.kind.value == "paper_liquidation"
    assert "BNBUSDT paper position liquidated at 690.00" in alert.title
    assert "197.2500 USDT lost" in alert.text
