"""The demo's journal reader reports each order once, whatever rows the daemon adds later."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from bot.core.model import OrderIntent, OrderReport, OrderStatus, Side
from bot.demo.journal_tail import JournalTail
from bot.journal import Journal


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

    from bot.demo.loops import reading_from
    from bot.metrics import HedgebotMetrics

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
