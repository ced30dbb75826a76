"""Dry-run funding tells the truth: the paper book settles every funding time the venue
publishes, at the venue's rate and settlement mark, on the position it held then."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.core.model import Side, Venue
from bot.daemon.wiring import journal_paper_funding
from bot.exchange.paper import InMemoryPaperStateStore, PaperExchange
from bot.journal import Journal
from tests.exchange.conftest import FakeTime, live_adapter
from tests.exchange.specs import intent

pytestmark = pytest.mark.exchange
D = Decimal
DATA = Path(__file__).resolve().parents[2] / "bot" / "sim" / "data"
EIGHT_HOURS_MS = 8 * 3_600_000
SHORT_BTC = D("0.5")


def real_fundings(start: str, end: str) -> list[tuple[str, Decimal, Decimal]]:
    """(time, rate, mark at that hour) of BTCUSDT from the shipped June 2022 data."""
    with gzip.open(DATA / "2022-06_BTCUSDT_funding.csv.gz", "rt") as fh:
        rates = {r["funding_time"]: D(r["funding_rate"]) for r in csv.DictReader(fh)}
    with gzip.open(DATA / "2022-06_BTCUSDT_mark.csv.gz", "rt") as fh:
        marks = {r["open_time"]: D(r["open"]) for r in csv.DictReader(fh)}
    return [(t, rate, marks[t]) for t, rate in sorted(rates.items()) if start <= t < end]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    opened = Journal.open(f"sqlite:///{tmp_path / 'journal.db'}")
    yield opened
    opened.close()


def paper_on(emulator: Any, journal: Journal, store: InMemoryPaperStateStore) -> PaperExchange:
    public = live_adapter(emulator, FakeTime(), symbols={"BTCUSDT": Venue.USDM})
    return PaperExchange(
        specs=public.contract_specs(),
        marks=public.mark_price,
        store=store,
        initial_balances={(Venue.USDM, "USDT"): D(20_000)},
        funding_feed=public,
        on_funding=partial(journal_paper_funding, journal),
    )


def to_next_funding_time(emulator: Any) -> None:
    """Move the venue's clock just past its next funding time (it settles then)."""
    now = emulator.control.advance_time(0)["market_time_ms"]
    boundary = (now // EIGHT_HOURS_MS + 1) * EIGHT_HOURS_MS
    emulator.control.advance_time((boundary - now) / 1000 + 1)


def test_three_days_of_real_funding_equal_the_sum_from_the_data(
    emulator: Any, journal: Journal
) -> None:
    days = real_fundings("2022-06-12", "2022-06-15")
    assert len(days) == 9
    control = emulator.control
    control.set_mark("BTCUSDT", days[0][2])
    store = InMemoryPaperStateStore()
    paper = paper_on(emulator, journal, store)
    paper.place(intent("BTCUSDT", Side.SELL, str(SHORT_BTC), "fund-open"))
    wallet_after_open = paper.state.balances[(Venue.USDM, "USDT")]
    for _, rate, mark in days:
        control.set_funding_rate("BTCUSDT", rate)
        control.set_mark("BTCUSDT", mark)
        to_next_funding_time(emulator)
        paper.mark_price("BTCUSDT")  # a hedger cycle: the marks, then the book
        paper.positions()
    expected = sum((SHORT_BTC * mark * rate for _, rate, mark in days), D(0))
    recorded = journal.funding_income(since=datetime.fromtimestamp(0).astimezone())
    assert [r.amount for r in recorded] == [SHORT_BTC * m * r for _, r, m in days]
    assert sum(r.amount for r in recorded) == expected
    assert paper.state.balances[(Venue.USDM, "USDT")] == wallet_after_open + expected
    assert paper.state.funding["BTCUSDT"] == expected


def test_a_restarted_dry_run_settles_what_it_slept_through_once(
    emulator: Any, journal: Journal
) -> None:
    days = real_fundings("2022-06-13", "2022-06-14")
    control = emulator.control
    control.set_mark("BTCUSDT", days[0][2])
    store = InMemoryPaperStateStore()
    first = paper_on(emulator, journal, store)
    first.place(intent("BTCUSDT", Side.SELL, str(SHORT_BTC), "fund-open"))
    for _, rate, mark in days:  # the daemon is down: nobody looks at the book
        control.set_funding_rate("BTCUSDT", rate)
        control.set_mark("BTCUSDT", mark)
        to_next_funding_time(emulator)
    again = paper_on(emulator, journal, store)  # the same saved book
    again.positions()
    again.positions()
    expected = sum((SHORT_BTC * mark * rate for _, rate, mark in days), D(0))
    recorded = journal.funding_income(since=datetime.fromtimestamp(0).astimezone())
    assert len(recorded) == len(days)
    assert again.state.funding["BTCUSDT"] == expected


def test_no_position_no_funding_and_an_order_settles_first(emulator: Any, journal: Journal) -> None:
    """A short opened after a funding time owes nothing for it; closed before the next one,
    it owes nothing for that one either."""
    control = emulator.control
    control.set_mark("BTCUSDT", 30_000)
    control.set_funding_rate("BTCUSDT", D("0.0001"))
    paper = paper_on(emulator, journal, InMemoryPaperStateStore())
    paper.positions()
    to_next_funding_time(emulator)
    paper.place(intent("BTCUSDT", Side.SELL, "0.1", "late-open"))
    paper.place(intent("BTCUSDT", Side.BUY, "0.1", "early-close", reduce_only=True))
    to_next_funding_time(emulator)
    paper.positions()
    assert journal.funding_income(since=datetime.fromtimestamp(0).astimezone()) == []
    assert paper.state.funding.get("BTCUSDT", D(0)) == 0
