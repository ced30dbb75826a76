"""The executor places a plan on the emulator: a reduction that fills short holds back the
plan's increases (they were sized on room the reduction was to free), a full one does not."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.core.model import Side
from bot.daemon.hedger.executor import execute
from bot.exchange.binance import BinanceFutures
from bot.journal import Journal
from tests.exchange.specs import intent

pytestmark = pytest.mark.exchange
NOW = datetime(2026, 11, 23, tzinfo=UTC)
ORDER = "/fapi/v1/order"


def client_ids(emulator: Any) -> set[str]:
    account = emulator.control.snapshot()["accounts"][emulator.api_key]
    return {
        order["client_order_id"]
        for venue in ("usdm", "coinm")
        for order in account[venue]["orders"].values()
    }


def plan() -> list[Any]:
    return [
        intent("BNBUSDT", Side.BUY, "2", "reduce-1", reduce_only=True),
        intent("BNBUSD_PERP", Side.SELL, "3", "grow-1"),
    ]


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    with Journal.open(f"sqlite:///{tmp_path / 'journal.db'}") as journal:
        yield journal


def test_a_partly_filled_reduction_defers_the_increases(
    emulator: Any, live: BinanceFutures, journal: Journal
) -> None:
    live.place(intent("BNBUSDT", Side.SELL, "4", "open-1"))
    emulator.control.inject_fault(ORDER, "partial_fill", method="POST", ratio="0.5")

    done = execute(plan(), exchange=live, journal=journal, position="main", cycle_id=None, now=NOW)

    assert [r.executed_quantity for r in done.reports] == [Decimal(1)]
    assert done.halted_reason is not None
    assert "1 increase(s) deferred" in done.halted_reason
    assert "reduce-1 filled 1 of 2" in done.halted_reason
    assert "grow-1" not in client_ids(emulator)
    assert not journal.pending_intents("main")  # the deferred increase was never journaled


def test_a_filled_reduction_lets_the_increases_go(
    emulator: Any, live: BinanceFutures, journal: Journal
) -> None:
    live.place(intent("BNBUSDT", Side.SELL, "4", "open-1"))

    done = execute(plan(), exchange=live, journal=journal, position="main", cycle_id=None, now=NOW)

    assert [r.client_order_id for r in done.reports] == ["reduce-1", "grow-1"]
    assert done.halted_reason is None
    assert {"reduce-1", "grow-1"} <= client_ids(emulator)


def test_a_stop_requested_during_a_plan_sends_no_further_order(
    emulator: Any, live: BinanceFutures, journal: Journal
) -> None:
    """SIGTERM while the first order of a plan is at the venue: that order is settled, the
    next is neither journaled nor sent (the next run plans on the venue's positions)."""
    live.place(intent("BNBUSDT", Side.SELL, "4", "open-1"))
    asked: list[bool] = []

    def stopping() -> bool:
        asked.append(True)
        return len(asked) > 1  # the stop comes while the first order is out

    done = execute(
        plan(), exchange=live, journal=journal, position="main", cycle_id=None, now=NOW,
        stopping=stopping,
    )  # fmt: skip

    assert [r.client_order_id for r in done.reports] == ["reduce-1"]
    assert done.halted_reason == "stop requested: 1 order(s) not sent"
    assert "grow-1" not in client_ids(emulator)
    assert not journal.pending_intents("main")
