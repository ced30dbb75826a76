"""Dry-run fidelity: one hedging scenario on the paper exchange and on the emulator (through the
live adapter) ends with the same positions and the same PnL, within the fees."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.core.model import OrderReport, OrderStatus, Side, Venue
from bot.exchange.base import Exchange
from bot.exchange.binance import BinanceFutures
from bot.exchange.paper import InMemoryPaperStateStore, PaperExchange
from tests.exchange.specs import BNB_SETUP, intent

pytestmark = pytest.mark.exchange
D = Decimal

# (marks to set, then intents to place): a hedge opened, grown, trimmed, funded, partly closed.
SCENARIO: list[tuple[dict[str, str], list[tuple[str, Side, str, bool]]]] = [
    ({}, [("BNBUSDT", Side.SELL, "1.5", False), ("BNBUSD_PERP", Side.SELL, "40", False)]),
    (
        {"BNBUSDT": "640", "BNBUSD_PERP": "641"},
        [("BNBUSDT", Side.SELL, "0.75", False), ("BNBUSD_PERP", Side.SELL, "20", False)],
    ),
    (
        {"BNBUSDT": "580.5", "BNBUSD_PERP": "579"},
        [("BNBUSDT", Side.BUY, "1", True), ("BNBUSD_PERP", Side.BUY, "25", True)],
    ),
    ({"BNBUSDT": "610", "BNBUSD_PERP": "612"}, []),  # funding is settled here
    ({"BNBUSDT": "590", "BNBUSD_PERP": "588"}, [("BNBUSDT", Side.BUY, "0.25", True)]),
]
FUNDING_RATE = D("0.0002")
WALLETS = ((Venue.USDM, "USDT"), (Venue.COINM, "BNB"))


def wallets(ex: Exchange) -> dict[tuple[Venue, str], Decimal]:
    return {(b.venue, b.asset): b.wallet_balance for b in ex.balances()}


def run(ex: Exchange, set_mark: Any, settle_funding: Any) -> Decimal:
    """Play SCENARIO on ``ex``; returns the fees its reports charged (USDT + BNB, unconverted)."""
    fees = D(0)
    for step, (marks, intents) in enumerate(SCENARIO):
        for symbol, price in marks.items():
            set_mark(symbol, D(price))
        if step == 3:
            settle_funding()
        for n, (symbol, side, quantity, reduce_only) in enumerate(intents):
            report = ex.place(
                intent(symbol, side, quantity, f"dry-{step}-{n}", reduce_only=reduce_only)
            )
            assert report.status is OrderStatus.FILLED, report
            fees += report.fee if report.fee_known else fee_of(ex, report)
    return fees


def fee_of(ex: Exchange, report: OrderReport) -> Decimal:
    assert report.exchange_order_id is not None
    found = ex.order_fees(
        report.symbol, {report.exchange_order_id}, since_ms=report.update_time_ms - 60_000
    )
    return found[report.exchange_order_id].fee


def test_paper_and_emulator_end_with_the_same_positions_and_pnl(
    emulator: Any, live: BinanceFutures
) -> None:
    control = emulator.control
    control.fund("BNB", 10, "usdm")
    for symbol in ("BNBUSDT", "BNBUSD_PERP"):
        control.set_funding_rate(symbol, FUNDING_RATE)
    live.setup(BNB_SETUP)
    # The paper exchange is wired as dry-run wires it: specs and marks from the venue's
    # public data (here the emulator's), balances as the account starts.
    paper = PaperExchange(
        specs=live.contract_specs(),
        marks=live.mark_price,
        store=InMemoryPaperStateStore(),
        initial_balances=wallets(live),
        taker_fee=D("0.0005"),
    )
    paper.setup(BNB_SETUP)
    live_start, paper_start = wallets(live), wallets(paper)
    funding_time = datetime(2026, 1, 1, tzinfo=UTC)

    def paper_funding() -> None:
        # Observed rates, read before the emulator settles them, at the same mark.
        rates = {s: live.funding_rate(s) for s in ("BNBUSDT", "BNBUSD_PERP")}
        paper.apply_funding(funding_time, rates)

    paper_fees = run(paper, control.set_mark, paper_funding)
    control.reset()
    control.fund("BNB", 10, "usdm")
    for symbol in ("BNBUSDT", "BNBUSD_PERP"):
        control.set_mark(symbol, D(600))
        control.set_funding_rate(symbol, FUNDING_RATE)
    live.setup(BNB_SETUP)
    live_fees = run(live, control.set_mark, lambda: control.advance_time(8 * 3600))

    live_positions = {p.symbol: p for p in live.positions()}
    paper_positions = {p.symbol: p for p in paper.positions()}
    assert (
        {s: p.quantity for s, p in live_positions.items()}
        == {s: p.quantity for s, p in paper_positions.items()}
        == {"BNBUSDT": D(-1), "BNBUSD_PERP": D(-35)}
    )
    for symbol, p in paper_positions.items():
        assert live_positions[symbol].entry_price == pytest.approx(p.entry_price, rel=D("1e-8"))
        assert live_positions[symbol].unrealized_pnl == pytest.approx(
            p.unrealized_pnl, abs=D("1e-6")
        )
    live_end, paper_end = wallets(live), wallets(paper)
    assert live_fees == pytest.approx(paper_fees, rel=D("1e-6"))
    for key in WALLETS:
        live_pnl = live_end[key] - live_start[key]
        paper_pnl = paper_end[key] - paper_start[key]
        tolerance = D("1e-6") if key[1] == "USDT" else D("1e-7")  # the venue rounds to 8 dp
        assert live_pnl == pytest.approx(paper_pnl, abs=tolerance), key
    assert paper.state.funding["BNBUSDT"] > 0  # the short received funding on both
    assert paper.realized_pnl("BNBUSDT") != 0
