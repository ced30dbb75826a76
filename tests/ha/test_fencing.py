"""The journal's fence, on SQLite and PostgreSQL: once a newer leadership epoch exists, the
writes that lead to an action (order, transaction and money-move intents) of an older epoch are
refused, and so are those of a replica that does not lead at all."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from bot.core.model import OrderReport, OrderStatus
from bot.journal import FencedOut, Journal, MoveStage, schema
from tests.journal.conftest import FakeClock
from tests.journal.test_journal_contract import intent, tx_intent
from tests.journal.test_journal_moves import withdraw
from tests.postgres_fixture import PostgresServer


class Holder:
    """A replica's view of its own leadership, as ``bot.ha`` gives it to the journal."""

    def __init__(self, epoch: int | None) -> None:
        self.epoch = epoch

    def acting_epoch(self) -> int:
        if self.epoch is None:
            raise FencedOut("this replica follows")
        return self.epoch


def test_a_journal_without_a_fence_writes_as_before(journal: Journal) -> None:
    assert journal.record_intent(intent("hb-1"), position="main", cycle_id=None)
    assert journal.all_epochs() == []


def test_an_older_epoch_is_refused_once_a_newer_one_exists(
    journal_url: str, clock: FakeClock
) -> None:
    with (
        Journal.open(journal_url, clock=clock) as first,
        Journal.open(journal_url, clock=clock) as second,
    ):
        old = Holder(first.begin_epoch(replica_id="a", reason="start"))
        first.fence_with(old)
        assert first.record_intent(intent("hb-1"), position="main", cycle_id=None)
        assert first.record_tx_intent(tx_intent("repay-1", 7))
        first.record_tx_sent("repay-1", tx_hash="0x" + "01" * 32)
        assert first.record_move_intent(withdraw("mv-1"))

        new = Holder(second.begin_epoch(replica_id="b", reason="lock released"))
        second.fence_with(new)
        assert (old.epoch, new.epoch) == (1, 2)
        refused = [
            lambda: first.record_intent(intent("hb-2"), position="main", cycle_id=None),
            lambda: first.record_tx_intent(tx_intent("repay-2", 8)),
            lambda: first.record_tx_sent("repay-1", tx_hash="0x" + "02" * 32),
            lambda: first.record_move_intent(withdraw("mv-2")),
            lambda: first.update_move("mv-1", stage=MoveStage.IN_SPOT),
        ]
        for write in refused:
            with pytest.raises(FencedOut, match=r"epoch 1 is fenced out.*newest.* is 2"):
                write()
        assert second.order("hb-2") is None
        assert second.tx("repay-2") is None
        assert second.move("mv-2") is None
        assert second.move("mv-1").stage is MoveStage.INTENT  # type: ignore[union-attr]
        assert second.tx("repay-1").tx_hashes == ("0x" + "01" * 32,)  # type: ignore[union-attr]
        # What happened is still recorded: an outcome is no action.
        first.record_outcome(
            OrderReport(symbol="BTCUSDT", client_order_id="hb-1", status=OrderStatus.FILLED)
        )
        # The newest epoch writes.
        assert second.record_intent(intent("hb-3"), position="main", cycle_id=None)
        assert [(e.epoch, e.replica_id, e.reason) for e in second.all_epochs()] == [
            (1, "a", "start"),
            (2, "b", "lock released"),
        ]


def test_a_replica_that_does_not_lead_writes_no_intent(journal: Journal) -> None:
    journal.fence_with(Holder(None))
    with pytest.raises(FencedOut, match="follows"):
        journal.record_intent(intent("hb-1"), position="main", cycle_id=None)
    assert journal.order("hb-1") is None


def test_epochs_are_per_deployment(journal_url: str) -> None:
    with (
        Journal.open(journal_url, deployment="one") as one,
        Journal.open(journal_url, deployment="two") as two,
    ):
        assert one.begin_epoch(replica_id="a", reason="start") == 1
        assert two.begin_epoch(replica_id="b", reason="start") == 1
        one.fence_with(Holder(1))
        assert one.record_intent(intent("hb-1"), position="main", cycle_id=None)


@pytest.mark.postgres
def test_a_new_epoch_waits_for_an_intent_in_flight_and_sees_it(
    postgres_server: PostgresServer,
) -> None:
    """The old leader's intent either commits before the new epoch (and the new leader's
    reconciliation finds it) or is refused: never committed unseen behind it."""
    url = postgres_server.new_database_url()
    with Journal.open(url) as old, Journal.open(url) as new:
        old.fence_with(Holder(old.begin_epoch(replica_id="a", reason="start")))
        began: list[int] = []
        with old._store.fenced_write() as conn:  # an intent's write, held open
            taker = threading.Thread(
                target=lambda: began.append(new.begin_epoch(replica_id="b", reason="takeover"))
            )
            taker.start()
            taker.join(timeout=0.5)
            assert taker.is_alive()
            assert began == []
            conn.execute(schema.order_intents.insert().values(
                client_order_id="hb-1", position="main", cycle_id=None, symbol="BTCUSDT",
                side="SELL", quantity=Decimal(1), reduce_only=False, order_type="MARKET",
                reason="hedge", created_ms=0,
            ))  # fmt: skip
        taker.join(timeout=30)
        assert began == [2]
        assert [p.intent.client_order_id for p in new.pending_intents()] == ["hb-1"]
        with pytest.raises(FencedOut):
            old.record_intent(intent("hb-2"), position="main", cycle_id=None)
