"""The demo's journal reader reports each order once, whatever rows the daemon adds later."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from bot.core.model import OrderIntent, OrderReport, OrderStatus, Side
from bot.journal import Journal
from bot.watch.journal_tail import JournalTail


def test_a_fee_settled_later_does_not_report_the_order_twice(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    fill = OrderReport(
        symbol="BTCUSDT",
        client_order_id="hb-1",
        status=OrderStatus.FILLED,
        exchange_order_id=9,
        side=Side.SELL,
        quantity=Decimal("0.01"),
        executed_quantity=Decimal("0.01"),
        average_price=Decimal(60_000),
        fee_known=False,
    )
    tail = JournalTail(path)
    with Journal.open(f"sqlite:///{path}") as journal:
        journal.record_intent(
            OrderIntent(
                symbol="BTCUSDT",
                side=Side.SELL,
                quantity=Decimal("0.01"),
                reduce_only=False,
                client_order_id="hb-1",
                reason="test",
            ),
            position="main",
            cycle_id=None,
        )
        journal.record_outcome(fill)
        first = tail.new_orders()
        journal.record_outcome(replace(fill, fee=Decimal("0.3"), fee_asset="USDT", fee_known=True))
        later = tail.new_orders()
    tail.close()

    assert [(o.client_order_id, o.status) for o in first] == [("hb-1", "FILLED")]
    assert later == []


def test_the_demo_reads_the_guard_and_the_hedger_from_the_daemons_metrics() -> None:
    from decimal import Decimal

    from bot.metrics import HedgebotMetrics
    from bot.watch.loops import reading_from

    metrics = HedgebotMetrics()
    for verdict, n in (("healthy", 40), ("repay", 1), ("tx_in_flight", 2), ("failed", 3)):
        for _ in range(n):
            metrics.count_guard_tick(position="demo", verdict=verdict)
    metrics.set_guard_state(position="demo", state="running")
    metrics.count_guard_tx(position="demo", kind="repay", status="mined")
    for outcome in ("ok", "ok", "skipped", "failed"):
        metrics.observe_cycle(position="demo", duration_s=0.01, outcome=outcome)
    metrics.set_paused(True)
    metrics.set_hedge(position="demo", underlying="BTC", target_short_usd=Decimal(1),
                      current_short_usd=Decimal(1))  # fmt: skip

    reading = reading_from(metrics.render().decode(), "demo")

    assert reading.guard.state == "running"
    assert (reading.guard.runs, reading.guard.failed) == (43, 3)
    assert reading.guard.detail == "1 repay(s) mined"
    assert reading.hedger.state == "paused"
    assert (reading.hedger.runs, reading.hedger.failed) == (3, 1)


def test_each_money_move_stage_is_reported_once_and_a_new_move_says_so(tmp_path: Path) -> None:
    from bot.journal import MoveIntent, MoveKind, MoveStage

    path = tmp_path / "journal.db"
    intent = MoveIntent(
        move_id="hb-w-1",
        kind=MoveKind.WITHDRAW,
        account="demo",
        coin="USDT",
        network="BSC",
        address="0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        amount=Decimal("9000.80"),
        fee=Decimal("0.8"),
        reason="reserve 0.00 USD is 9,000.00 USD under its target 9,000.00 USD: withdraw",
    )
    tail = JournalTail(path)
    assert tail.new_moves() == []  # no journal yet
    with Journal.open(f"sqlite:///{path}") as journal:
        journal.record_move_intent(intent)
        journal.update_move("hb-w-1", stage=MoveStage.IN_SPOT, transfer_id="7")
        first = tail.new_moves()
        journal.update_move("hb-w-1", stage=MoveStage.REQUESTED, venue_id="w9")
        journal.update_move("hb-w-1", venue_status="processing")  # same stage: no news
        second = tail.new_moves()
        journal.update_move("hb-w-1", stage=MoveStage.DONE, tx_id="0xabc")
        third = tail.new_moves()
        assert tail.new_moves() == []
        assert tail.open_moves() == 0
    everything = tail.moves()
    tail.close()

    assert [(m.stage, new) for m, new in first] == [(MoveStage.IN_SPOT, True)]
    assert first[0][0].intent == intent
    assert [(m.stage, m.venue_id, new) for m, new in second] == [(MoveStage.REQUESTED, "w9", False)]
    assert [(m.stage, m.tx_id, new) for m, new in third] == [(MoveStage.DONE, "0xabc", False)]
    assert [m.stage for m in everything] == [MoveStage.DONE]
