"""The journal opened read-only (status, the dashboard, ``hedgebot watch``, the demo), on SQLite
and PostgreSQL: it reads what the daemon wrote, never changes it, never creates nor migrates a
journal, and says which schema version it found when it is not this code's; the tail built on it
reports each order, transaction, move, alert, funding payment and operator action once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from bot.core.model import OrderIntent, OrderReport, OrderStatus, Side
from bot.journal import (
    LATEST_VERSION,
    CycleOutcome,
    CycleSummary,
    HedgeLine,
    Journal,
    JournalNotCreated,
    JournalUnavailable,
    MoveIntent,
    MoveKind,
    MoveStage,
    TxIntent,
    TxStatus,
)
from bot.watch.journal_tail import JournalTail
from tests.journal.conftest import FakeClock

FILL = OrderReport(
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


def test_the_reader_reads_what_the_daemon_wrote_and_refuses_to_write(
    journal: Journal, journal_url: str
) -> None:
    journal.set_paused(True, reason="maintenance", actor="cli")
    with Journal.open_read_only(journal_url) as reader:
        assert reader.pause_state().reason == "maintenance"
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
            reader.set_paused(False, reason="a reader must not", actor="watch")
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
            reader.record_operator_action("flatten", actor="watch", reason="must not")
    assert journal.is_paused()
    assert [a.action for a in journal.operator_actions()] == ["pause"]


def test_a_missing_sqlite_journal_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "var" / "journal.db"
    with pytest.raises(JournalNotCreated, match=r"no journal at .*journal\.db yet"):
        Journal.open_read_only(path)
    assert not path.parent.exists()


def test_another_schema_version_is_refused_and_left_as_it_is(
    journal_url: str, clock: FakeClock
) -> None:
    Journal.open(journal_url, clock=clock, migrate_to=3).close()
    with pytest.raises(JournalUnavailable) as refused:
        Journal.open_read_only(journal_url)
    assert f"is at schema version 3, this hedgebot reads {LATEST_VERSION}" in str(refused.value)
    assert "daemon" in str(refused.value)  # what to do about it
    with Journal.open(journal_url, clock=clock, migrate_to=3) as old:
        assert old.schema_version() == 3  # the reader migrated nothing


def test_an_empty_database_is_refused_not_migrated(journal_url: str, clock: FakeClock) -> None:
    if "://" not in journal_url:
        Path(journal_url).touch()  # a SQLite file no daemon has migrated yet
    with pytest.raises(JournalUnavailable, match="schema version 0"):
        Journal.open_read_only(journal_url)
    with Journal.open(journal_url, clock=clock, migrate_to=1) as journal:
        assert journal.schema_version() == 1  # still empty when the reader left


def _intent(client_order_id: str) -> OrderIntent:
    return OrderIntent(
        symbol="BTCUSDT",
        side=Side.SELL,
        quantity=Decimal("0.01"),
        reduce_only=False,
        client_order_id=client_order_id,
        reason="hedge",
    )


def _write_one_of_each(journal: Journal) -> None:
    journal.start_cycle(position="main", cycle_id="c1")
    hedge = HedgeLine(
        underlying="BTC",
        target_short_usd=Decimal(600),
        current_short_usd=Decimal(0),
        reason="x",
    )
    summary = CycleSummary(oracle_hf=Decimal("1.4"), hedges=(hedge,), reasons=("hedge BTC",))
    journal.finish_cycle(cycle_id="c1", outcome=CycleOutcome.OK, summary=summary)
    journal.record_intent(_intent("hb-1"), position="main", cycle_id="c1")
    journal.record_outcome(FILL)
    tx = TxIntent(
        tx_key="repay-1",
        chain_id=31337,
        from_address="0xabc",
        nonce=0,
        to_address="0xdef",
        kind="repay",
        data_hash="0x01",
        amount=Decimal(250),
    )
    journal.record_tx_intent(tx)
    journal.record_tx_sent("repay-1", tx_hash="0xh1")
    journal.record_tx_receipt("repay-1", tx_hash="0xh1", success=True, block_number=7, gas_used=1)
    journal.record_alert(kind="hf", severity="warning", title="HF 1.25", text=".", dedupe_key="h")
    journal.record_funding(
        symbol="BTCUSDT",
        asset="USDT",
        amount=Decimal("-1.5"),
        income_at=journal.cycle("c1").started_at,  # type: ignore[union-attr]
        transaction_id="t1",
    )
    journal.set_paused(True, reason="maintenance", actor="cli")


def test_the_tail_reports_each_record_once(
    journal: Journal, journal_url: str, clock: FakeClock
) -> None:
    tail = JournalTail(journal_url)
    try:
        _write_one_of_each(journal)
        assert tail.cycle_counts().ok == 1
        cycle = tail.latest_cycle()
        assert cycle is not None
        assert (cycle.cycle_id, cycle.oracle_hf) == ("c1", Decimal("1.4"))
        assert cycle.targets_usd == {"BTC": Decimal(600)}
        orders = tail.new_orders()
        txs = tail.new_txs()
        notes = tail.new_notes()
        clock.advance(seconds=1)
        journal.record_outcome(replace(FILL, fee=Decimal("0.3"), fee_asset="USDT", fee_known=True))
        journal.close_tx("repay-1", status=TxStatus.DROPPED, reason="given up")
        assert tail.new_orders() == []  # a fee settled later is not another fill
        later_txs = tail.new_txs()
        assert tail.new_notes() == []
    finally:
        tail.close()
    assert [(o.client_order_id, o.status, o.reason) for o in orders] == [
        ("hb-1", "FILLED", "hedge")
    ]
    assert [(t.tx_key, t.status, t.tx_hash, t.block) for t in txs] == [
        ("repay-1", "mined", "0xh1", 7)
    ]
    assert [(t.tx_key, t.status) for t in later_txs] == [("repay-1", "dropped")]
    assert sorted(n.text for n in notes) == [
        "BTCUSDT funding -1.5000 USDT",
        "pause by cli: maintenance",
        "warning HF 1.25 (sent)",
    ]


def test_the_tail_waits_for_the_daemon_to_create_the_journal(
    journal_url: str, clock: FakeClock
) -> None:
    tail = JournalTail(journal_url)
    try:
        assert tail.new_moves() == []  # nothing there yet: empty, not an error
        assert tail.unavailable
        with Journal.open(journal_url, clock=clock) as journal:
            intent = MoveIntent(
                move_id="hb-w-1",
                kind=MoveKind.WITHDRAW,
                account="main",
                coin="USDT",
                network="BSC",
                address="0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                amount=Decimal("900.8"),
                fee=Decimal("0.8"),
                reason="reserve under target",
            )
            journal.record_move_intent(intent)
            journal.update_move("hb-w-1", stage=MoveStage.REQUESTED, venue_id="w9")
            moves = tail.new_moves()
            again = tail.new_moves()
    finally:
        tail.close()
    assert tail.unavailable == ""
    assert [(m.intent, m.stage, new) for m, new in moves] == [(intent, MoveStage.REQUESTED, True)]
    assert again == []
