"""Money moves in the journal, on SQLite and PostgreSQL: the intent before anything is sent,
each stage after, open moves found again after a restart, daily totals that a crash cannot
reset."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.journal import Journal, MoveIntent, MoveKind, MoveStage
from bot.journal.errors import JournalConflictError, JournalUnknownRecordError

from .conftest import FakeClock


def withdraw(move_id: str = "hbw-demo-1", amount: str = "2500") -> MoveIntent:
    return MoveIntent(
        move_id=move_id,
        kind=MoveKind.WITHDRAW,
        account="demo",
        coin="USDC",
        network="BSC",
        address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        amount=Decimal(amount),
        fee=Decimal("0.29"),
        reason="reserve 2,510 under its 25,000 target",
    )


def test_an_intent_is_recorded_once_and_a_different_move_under_its_id_is_refused(
    journal: Journal,
) -> None:
    assert journal.record_move_intent(withdraw()) is True
    assert journal.record_move_intent(withdraw()) is False
    with pytest.raises(JournalConflictError, match="amount"):
        journal.record_move_intent(withdraw(amount="9999"))
    record = journal.move("hbw-demo-1")
    assert record is not None
    assert record.stage is MoveStage.INTENT
    assert record.intent == withdraw()


def test_stages_advance_and_a_final_move_never_changes(journal: Journal, clock: FakeClock) -> None:
    journal.record_move_intent(withdraw())
    clock.advance(seconds=5)
    journal.update_move("hbw-demo-1", stage=MoveStage.IN_SPOT, transfer_id="1352")
    journal.update_move("hbw-demo-1", stage=MoveStage.REQUESTED, venue_id="7213fea8")
    done = journal.update_move(
        "hbw-demo-1", stage=MoveStage.DONE, venue_status="completed", tx_id="0xabc"
    )
    assert (done.transfer_id, done.venue_id, done.tx_id) == ("1352", "7213fea8", "0xabc")
    assert done.updated_at > done.created_at
    after = journal.update_move("hbw-demo-1", stage=MoveStage.FAILED, detail="late")
    assert after.stage is MoveStage.DONE
    assert after.detail == ""
    with pytest.raises(JournalUnknownRecordError):
        journal.update_move("nope", stage=MoveStage.DONE)
    with pytest.raises(ValueError, match="do not exist"):
        journal.update_move("hbw-demo-1", amount="1")


def test_open_moves_survive_a_restart_and_daily_totals_skip_failed_ones(
    journal_url: str, clock: FakeClock
) -> None:
    with Journal.open(journal_url, clock=clock) as journal:
        journal.record_move_intent(withdraw("hbw-a", "1000"))
        journal.record_move_intent(withdraw("hbw-b", "2000"))
        journal.record_move_intent(withdraw("hbw-c", "4000"))
        journal.update_move("hbw-a", stage=MoveStage.DONE)
        journal.update_move("hbw-c", stage=MoveStage.FAILED, detail="rejected")
    with Journal.open(journal_url, clock=clock) as journal:
        assert [m.intent.move_id for m in journal.open_moves()] == ["hbw-b"]
        start = clock.now
        assert journal.moved_since(MoveKind.WITHDRAW, start) == Decimal(3000)
        assert journal.moved_since(MoveKind.DEPOSIT, start) == 0
        clock.advance(days=1)
        assert journal.moved_since(MoveKind.WITHDRAW, clock.now) == 0
