"""The paper exchange: fills, filters, margin, PnL, funding, persistence."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.model import MarginType, OrderStatus, Side, Venue
from bot.exchange.base import AccountSetup, Exchange, SymbolSetup
from bot.exchange.errors import AccountSetupError
from bot.exchange.paper import (
    InMemoryPaperStateStore,
    JournalPaperStateStore,
    PaperExchange,
    PaperStateStore,
)
from bot.exchange.paper_book import BookPosition, apply_fill, unrealized_pnl
from bot.journal import Journal
from tests.exchange.specs import BNBUSD_PERP, BNBUSDT, SPECS, intent

D = Decimal


class Marks:
    def __init__(self, **prices: str) -> None:
        self.prices = {k: D(v) for k, v in prices.items()}

    def __call__(self, symbol: str) -> Decimal:
        return self.prices[symbol]


def paper(
    marks: Marks | None = None,
    store: PaperStateStore | None = None,
    *,
    fee: str = "0.0005",
    slippage: str = "0",
) -> PaperExchange:
    return PaperExchange(
        specs=SPECS,
        marks=marks or Marks(BNBUSDT="600", BNBUSD_PERP="600"),
        store=store,
        initial_balances={(Venue.USDM, "USDT"): D(1000), (Venue.COINM, "BNB"): D(2)},
        taker_fee=D(fee),
        slippage=D(slippage),
        clock=lambda: 1_700_000_000.0,
    )


def test_paper_is_an_exchange_and_says_so() -> None:
    ex = paper()

    report = ex.place(intent("BNBUSDT", Side.SELL, "1", "p-1"))

    assert isinstance(ex, Exchange)
    assert ex.is_paper
    assert report.paper
    assert report.status is OrderStatus.FILLED


def test_linear_short_open_increase_reduce_close_realises_pnl_and_fees() -> None:
    marks = Marks(BNBUSDT="600", BNBUSD_PERP="600")
    ex = paper(marks)

    ex.place(intent("BNBUSDT", Side.SELL, "1", "a"))
    marks.prices["BNBUSDT"] = D(500)
    ex.place(intent("BNBUSDT", Side.SELL, "1", "b"))
    [pos] = ex.positions()
    assert pos.quantity == D(-2)
    assert pos.entry_price == D(550)
    assert pos.unrealized_pnl == D(100)  # -2 * (500 - 550)
    ex.place(intent("BNBUSDT", Side.BUY, "1", "c", reduce_only=True))
    ex.place(intent("BNBUSDT", Side.BUY, "5", "d", reduce_only=True))  # trimmed to the rest

    assert ex.positions() == []
    assert ex.realized_pnl("BNBUSDT") == D(100)
    fees = (D(600) + D(500) + D(500) + D(500)) * D("0.0005")
    [usdt] = [b for b in ex.balances() if b.asset == "USDT"]
    assert usdt.wallet_balance == D(1000) + D(100) - fees


def test_inverse_short_pnl_is_in_coin() -> None:
    marks = Marks(BNBUSDT="600", BNBUSD_PERP="600")
    ex = paper(marks, fee="0")

    ex.place(intent("BNBUSD_PERP", Side.SELL, "30", "a"))  # 300 USD short
    marks.prices["BNBUSD_PERP"] = D(500)
    [pos] = ex.positions()
    ex.place(intent("BNBUSD_PERP", Side.BUY, "30", "b", reduce_only=True))

    expected = D(300) * (1 / D(500) - 1 / D(600))  # shorts gain coin as the price falls
    assert pos.unrealized_pnl == expected
    [bnb] = [b for b in ex.balances() if b.venue is Venue.COINM]
    assert bnb.wallet_balance == D(2) + expected


def test_same_client_order_id_never_trades_twice() -> None:
    ex = paper()

    first = ex.place(intent("BNBUSDT", Side.SELL, "1", "once"))
    second = ex.place(intent("BNBUSDT", Side.SELL, "1", "once"))

    assert first == second
    assert ex.positions()[0].quantity == D(-1)
    assert ex.order("BNBUSDT", "once") == first
    assert ex.order("BNBUSDT", "never").status is OrderStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("quantity", "reduce_only", "code"),
    [
        ("0", False, -4003),
        ("0.001", False, -1111),
        ("2000", False, -4005),
        ("0.005", False, -1111),
        ("0.008", True, -1111),
        ("0.01", False, -4164),  # 0.01 x 400 = 4 USDT < MIN_NOTIONAL 5
        ("1", True, -2022),  # reduce-only with no position
        ("100", False, -2019),  # 60 000 USDT at 20x needs 3 000 USDT margin
    ],
)
def test_filters_and_margin_reject_like_binance(
    quantity: str, reduce_only: bool, code: int
) -> None:
    marks = Marks(BNBUSDT="400" if code == -4164 else "600", BNBUSD_PERP="600")
    ex = paper(marks)

    report = ex.place(intent("BNBUSDT", Side.SELL, quantity, "r", reduce_only=reduce_only))

    assert report.status is OrderStatus.REJECTED
    assert report.error_code == code
    assert report.error_message.startswith("paper: ")
    assert ex.positions() == []
    assert ex.order("BNBUSDT", "r").status is OrderStatus.NOT_FOUND


def test_slippage_is_adverse_on_both_sides() -> None:
    ex = paper(slippage="0.001")

    sell = ex.place(intent("BNBUSDT", Side.SELL, "1", "s"))
    buy = ex.place(intent("BNBUSDT", Side.BUY, "1", "b"))

    assert sell.average_price == D("599.4")
    assert buy.average_price == D("600.6")


def test_funding_shorts_receive_when_rate_positive_and_never_twice() -> None:
    ex = paper()
    ex.place(intent("BNBUSDT", Side.SELL, "2", "a"))
    ex.place(intent("BNBUSD_PERP", Side.SELL, "60", "b"))
    t = datetime(2026, 1, 1, 8, tzinfo=UTC)

    paid = ex.apply_funding(t, {"BNBUSDT": D("0.0001"), "BNBUSD_PERP": D("0.0001")})
    again = ex.apply_funding(t, {"BNBUSDT": D("0.0001")})

    assert paid == {"BNBUSDT": D("0.12"), "BNBUSD_PERP": D("0.0001")}  # 2*600*1e-4, 600/600*1e-4
    assert again == {}


def test_state_survives_a_restart_through_the_store() -> None:
    store = InMemoryPaperStateStore()
    first = paper(store=store)
    first.setup(
        AccountSetup(
            symbols=(SymbolSetup(symbol="BNBUSDT", leverage=5, margin_type=MarginType.CROSS),)
        )
    )
    first.place(intent("BNBUSDT", Side.SELL, "1", "a"))

    second = paper(store=store)

    assert second.positions() == first.positions()
    assert second.balances() == first.balances()
    assert second.order("BNBUSDT", "a") == first.order("BNBUSDT", "a")
    assert second.positions()[0].leverage == 5


def test_a_restarted_dry_run_continues_from_the_journal(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "journal.sqlite")
    first = paper(store=JournalPaperStateStore(journal))
    first.place(intent("BNBUSD_PERP", Side.SELL, "30", "j-1"))
    first.apply_funding(datetime(2026, 1, 1, 8, tzinfo=UTC), {"BNBUSD_PERP": D("0.0001")})
    journal.close()

    reopened = Journal.open(tmp_path / "journal.sqlite")
    second = paper(store=JournalPaperStateStore(reopened))

    assert second.positions() == first.positions()
    assert second.balances() == first.balances()
    assert second.order("BNBUSD_PERP", "j-1").paper
    assert second.apply_funding(datetime(2026, 1, 1, 8, tzinfo=UTC)) == {}  # not charged twice
    reopened.close()


def test_setup_reports_changes_once_and_refuses_bnb_margin_without_bnb() -> None:
    ex = paper()
    wanted = AccountSetup(
        symbols=(SymbolSetup(symbol="BNBUSDT", leverage=3, margin_type=MarginType.CROSS),),
        multi_assets_margin=True,
        usdm_margin_asset="USDT",
    )

    first = ex.setup(wanted)
    second = ex.setup(wanted)
    with pytest.raises(AccountSetupError, match="holds no BNB"):
        ex.setup(
            AccountSetup(symbols=wanted.symbols, multi_assets_margin=True, usdm_margin_asset="BNB")
        )

    assert first == ["paper: usdm: Multi-Assets Mode off -> on", "paper: BNBUSDT: leverage 20 -> 3"]
    assert second == []


@given(
    entry=st.decimals(min_value=1, max_value=100_000, places=2),
    exit_=st.decimals(min_value=1, max_value=100_000, places=2),
    contracts=st.integers(min_value=1, max_value=10_000),
    inverse=st.booleans(),
)
def test_round_trip_realises_what_was_unrealised(
    entry: Decimal, exit_: Decimal, contracts: int, inverse: bool
) -> None:
    spec = BNBUSD_PERP if inverse else BNBUSDT
    opened = apply_fill(spec, BookPosition(), D(-contracts), entry, D(0)).position

    closed = apply_fill(spec, opened, D(contracts), exit_, D(0))

    assert closed.position.quantity == 0
    assert closed.realized_pnl == unrealized_pnl(spec, opened, exit_)
    if exit_ == entry:  # the harmonic entry is exact only to the context's 60 digits
        assert abs(closed.realized_pnl) < D("1e-40")
    else:
        assert (closed.realized_pnl > 0) == (exit_ < entry)  # a short gains as price falls
